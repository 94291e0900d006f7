# Install rules: the library, include/strata/, and the files that let a build find them —
# strataConfig.cmake for find_package (cmake/strataConfig.cmake.in), strata.pc for pkg-config
# (cmake/strata.pc.in) — plus `cpack -G DEB` for libstrata-dev (cmake/package.cmake).
# docs/getting-started.md shows each way in; tests/install_test.sh builds a consumer for each.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS strata EXPORT strataTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/strata DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# What a consumer's link needs besides libstrata itself. libstrata.a leaves SQLite, libpq and
# yaml-cpp for the consumer's link to add; libstrata.so links them itself. No installed header
# includes theirs, so a consumer of the shared library needs none of them.
if(BUILD_SHARED_LIBS)
  set(STRATA_LINK_DEPENDENCIES "")
else()
  set(STRATA_LINK_DEPENDENCIES "SQLite3;PostgreSQL;yaml-cpp")
endif()

set(STRATA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/strata)
install(EXPORT strataTargets NAMESPACE strata:: DESTINATION ${STRATA_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/strataConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/strataConfig.cmake
  INSTALL_DESTINATION ${STRATA_CMAKE_DIR})
# 0.x: a new minor version may break the API, so find_package(strata 0.1) accepts 0.1.* only.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/strataConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/strataConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/strataConfigVersion.cmake
  DESTINATION ${STRATA_CMAKE_DIR})

# strata.pc. The prefix is found from the file's own place (${pcfiledir}), so the same file works
# after `cmake --install --prefix anywhere` and from the .deb in /usr.
set(STRATA_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH STRATA_PC_PREFIX /${STRATA_PC_DIR} /)
string(REGEX REPLACE "/$" "" STRATA_PC_PREFIX "\${pcfiledir}/${STRATA_PC_PREFIX}")
# sqlite3.pc, libpq.pc and yaml-cpp.pc come with Debian's -dev packages. A program linking
# libstrata.a needs their libraries on every link (Requires); one linking libstrata.so only
# for a static link of its own (Requires.private).
if(BUILD_SHARED_LIBS)
  set(STRATA_PC_REQUIRES "Requires.private: sqlite3 libpq yaml-cpp")
else()
  set(STRATA_PC_REQUIRES "Requires: sqlite3 libpq yaml-cpp")
endif()
# Threads::Threads, as a flag: empty where the C library has the threads (glibc 2.34 and later).
string(STRIP "-L\${libdir} -lstrata ${CMAKE_THREAD_LIBS_INIT}" STRATA_PC_LIBS)
configure_file(${PROJECT_SOURCE_DIR}/cmake/strata.pc.in ${CMAKE_CURRENT_BINARY_DIR}/strata.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/strata.pc DESTINATION ${STRATA_PC_DIR})

if(STRATA_IS_TOP_LEVEL)
  include(${PROJECT_SOURCE_DIR}/cmake/package.cmake)
endif()
