# faultline_add_cases(DIR [PREFIX name] [ARGS args...] [LABELS labels...]
#                     [TIMEOUT seconds] [OUT dir])
#
# Registers every faultline case file under DIR (*.yaml and *.yml, searched
# recursively, re-globbed at build time) as one CTest test, so a project
# runs its cases with `ctest -j N`. Each test runs
#   faultline run --no-color --jobs 2 --out OUT/<test name> ARGS... FILE
# (both families / every matrix variant of the case) and passes when
# faultline exits 0: every variant passed (some may have been skipped). A
# test whose variants were all skipped (exit 77: a `requires:` not met, or
# ARGS --family F on a case limited to the other family) is reported by
# CTest as skipped (SKIP_RETURN_CODE 77). Test names are PREFIX/<path of
# the file below DIR, without the extension>, e.g.
# faultline/faults/first-syn-dropped.
#
#   PREFIX   test name prefix (default: faultline)
#   ARGS     extra `faultline run` arguments, e.g. --family ipv4 or --seed 7
#   LABELS   CTest labels (default: faultline)
#   TIMEOUT  per test, seconds (default: 300)
#   OUT      reports directory (default: ${CMAKE_CURRENT_BINARY_DIR}/faultline-out)
#
# The faultline executable is FAULTLINE_EXECUTABLE (set by find_package(
# faultline)); the case library installed with faultline is
# FAULTLINE_CASES_DIR. Cases build network namespaces: run ctest as root.
function(faultline_add_cases dir)
  cmake_parse_arguments(PARSE_ARGV 1 FL "" "PREFIX;TIMEOUT;OUT" "ARGS;LABELS")
  if(NOT FAULTLINE_EXECUTABLE)
    message(FATAL_ERROR "faultline_add_cases: FAULTLINE_EXECUTABLE is not set (use find_package(faultline))")
  endif()
  if(NOT FL_PREFIX)
    set(FL_PREFIX faultline)
  endif()
  if(NOT FL_TIMEOUT)
    set(FL_TIMEOUT 300)
  endif()
  if(NOT FL_LABELS)
    set(FL_LABELS faultline)
  endif()
  if(NOT FL_OUT)
    set(FL_OUT "${CMAKE_CURRENT_BINARY_DIR}/faultline-out")
  endif()
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "faultline_add_cases: ${dir} is not a directory")
  endif()
  file(GLOB_RECURSE files CONFIGURE_DEPENDS "${dir}/*.yaml" "${dir}/*.yml")
  list(SORT files)
  if(NOT files)
    message(WARNING "faultline_add_cases: no case files under ${dir}")
  endif()
  foreach(file IN LISTS files)
    file(RELATIVE_PATH rel "${dir}" "${file}")
    string(REGEX REPLACE "\\.ya?ml$" "" rel "${rel}")
    set(name "${FL_PREFIX}/${rel}")
    string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" out_name "${rel}")
    add_test(NAME "${name}"
      COMMAND "${FAULTLINE_EXECUTABLE}" run --no-color --jobs 2 --out "${FL_OUT}/${out_name}"
              ${FL_ARGS} "${file}")
    set_tests_properties("${name}" PROPERTIES
      LABELS "${FL_LABELS}"
      TIMEOUT "${FL_TIMEOUT}"
      SKIP_RETURN_CODE 77)
  endforeach()
endfunction()
