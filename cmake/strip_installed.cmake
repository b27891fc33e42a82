# Run by `cmake --install` and CPack after the program is installed
# (cmake/packaging.cmake): splits the debug information off the installed
# faultline and strips it. The debug information stays in the build tree,
# FAULTLINE_DEBUG_FILE (build/faultline.debug), linked from the installed
# binary with .gnu_debuglink; gdb finds it when it is copied to
# /usr/lib/debug/usr/bin/faultline.debug (or beside the binary).
#
# Inputs (set by the install script that includes this file):
#   FAULTLINE_INSTALLED     the installed binary (with DESTDIR)
#   FAULTLINE_BUILT         the same program in the build tree: the debug
#                           information is taken from it, so an install that
#                           stripped already (`cmake --install --strip`) does
#                           not replace the debug file with an empty one
#   FAULTLINE_DEBUG_FILE    where the debug information goes
#   FAULTLINE_OBJCOPY, FAULTLINE_STRIP   the toolchain's tools
if(NOT EXISTS "${FAULTLINE_INSTALLED}")
  message(FATAL_ERROR "strip_installed: ${FAULTLINE_INSTALLED} was not installed")
endif()
# Installs may run at the same time (ctest's install and package tests):
# each writes its own file and renames it into place (the same content).
string(RANDOM LENGTH 8 tag)
set(tmp "${FAULTLINE_DEBUG_FILE}.${tag}")
execute_process(COMMAND "${FAULTLINE_OBJCOPY}" --only-keep-debug "${FAULTLINE_BUILT}" "${tmp}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "strip_installed: objcopy --only-keep-debug ${FAULTLINE_BUILT} failed (${rc})")
endif()
execute_process(COMMAND "${FAULTLINE_STRIP}" --strip-debug --strip-unneeded "${FAULTLINE_INSTALLED}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "strip_installed: strip ${FAULTLINE_INSTALLED} failed (${rc})")
endif()
file(RENAME "${tmp}" "${FAULTLINE_DEBUG_FILE}")
# The link names the file and carries its CRC: objcopy reads it from there.
execute_process(COMMAND "${FAULTLINE_OBJCOPY}" "--add-gnu-debuglink=${FAULTLINE_DEBUG_FILE}"
  "${FAULTLINE_INSTALLED}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "strip_installed: objcopy --add-gnu-debuglink failed (${rc})")
endif()
message(STATUS "Stripped: ${FAULTLINE_INSTALLED} (debug information: ${FAULTLINE_DEBUG_FILE})")
