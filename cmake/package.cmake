# `cpack -G DEB` in a build folder makes libstrata-dev_<version>_<arch>.deb: what `cmake --install`
# installs (headers, libstrata.a, the CMake and pkg-config files) under /usr.
# Its Depends are the Debian -dev packages that a program linking libstrata.a needs: the libraries
# it calls, and the files that strataConfig.cmake and strata.pc ask for (cmake/install.cmake).
if(BUILD_SHARED_LIBS)
  # A libstrata.so belongs in a runtime package (libstrata0) apart from the -dev one: not made here.
  return()
endif()
set(CPACK_PACKAGE_NAME libstrata-dev)
set(CPACK_PACKAGE_VENDOR strata)
set(CPACK_PACKAGE_CONTACT "strata maintainers <strata@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 ORM and schema-migration toolkit (development files)")
set(CPACK_PACKAGE_DESCRIPTION "strata maps C++ structs to SQLite and PostgreSQL tables, with a unit of work,\
 relationships, queries and Alembic-style migrations. This package holds the headers, the static\
 library, and the files for CMake's find_package(strata) and pkg-config.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libsqlite3-dev (>= ${SQLite3_VERSION}), libpq-dev, libyaml-cpp-dev (>= ${yaml-cpp_VERSION})")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake, pkg-config")
set(CPACK_GENERATOR DEB)
include(CPack)
