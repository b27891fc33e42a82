# What `cmake --install` puts beside the program and the case library, and
# the Debian package (`cmake --build build --target package`, CPack):
#   bin/faultline, bin/faultline-peer            stripped (cmake/strip_installed.cmake)
#   share/faultline/schema.json                  the case files' JSON Schema ($id inside)
#   share/faultline/cases/                       the case library
#   share/man/man1/faultline.1, man5/faultline-cases.5
#   share/bash-completion/completions/faultline
#   lib/cmake/faultline/                         find_package(faultline)
# The debug information of the installed binaries stays in the build tree:
# build/faultline.debug, build/faultline-peer.debug (not packaged; README.md).
# Included from the top-level CMakeLists.txt after the program's own rules.

find_program(FAULTLINE_OBJCOPY NAMES objcopy HINTS "${CMAKE_OBJCOPY}" REQUIRED)
find_program(FAULTLINE_STRIP NAMES strip HINTS "${CMAKE_STRIP}" REQUIRED)
# Both programs: faultline and the small peer program it starts per host
# (faultline-peer); each one's debug information in build/<name>.debug.
foreach(program faultline faultline-peer)
  install(CODE "
    set(FAULTLINE_INSTALLED \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/${program}\")
    set(FAULTLINE_BUILT \"$<TARGET_FILE:${program}>\")
    set(FAULTLINE_DEBUG_FILE \"${CMAKE_BINARY_DIR}/${program}.debug\")
    set(FAULTLINE_OBJCOPY \"${FAULTLINE_OBJCOPY}\")
    set(FAULTLINE_STRIP \"${FAULTLINE_STRIP}\")
    include(\"${PROJECT_SOURCE_DIR}/cmake/strip_installed.cmake\")
  ")
endforeach()

install(FILES docs/schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/faultline)
install(FILES docs/man/faultline.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES docs/man/faultline-cases.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES docs/bash-completion/faultline DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The Debian package: faultline_<version>_<arch>.deb, Depends computed by
# dpkg-shlibdeps from the binary's libraries, plus the tools a run calls.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME faultline)
set(CPACK_PACKAGE_VENDOR "faultline")
set(CPACK_PACKAGE_CONTACT "faultline maintainers <faultline@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "network conformance and fault-injection harness for Linux sockets")
set(CPACK_PACKAGE_DESCRIPTION
  "faultline runs YAML case files: it builds private networks out of network\nnamespaces, runs socket calls and real programs on their hosts, injects\nfaults on the wire between them (drop, delay, reorder, duplicate), and\nchecks results, socket states, packets and counters. JUnit, HTML and JSON\nreports, pcaps; packetdrill scripts run too.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Called at run time: iproute2 (`ip netns` for --keep), iptables (the
# NFQUEUE rules where nf_tables is refused, injectors/queue_rules.h).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "iproute2, iptables")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "man-db, bash-completion")
set(CPACK_STRIP_FILES OFF)  # done above, keeping the debug information
include(CPack)
