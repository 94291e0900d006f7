// strata/version.hpp — the version of these headers (semantic versioning, CHANGELOG.md).
//
//   #if STRATA_VERSION >= 100  // 0.1.0 or later
//
// CMakeLists.txt reads the three numbers below for project(VERSION): this header is the one place
// a release changes them. The same version is in strataConfigVersion.cmake (find_package(strata 0.1))
// and strata.pc (pkg-config --modversion strata).
#pragma once

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0

// One number that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH.
#define STRATA_VERSION (STRATA_VERSION_MAJOR * 10000 + STRATA_VERSION_MINOR * 100 + STRATA_VERSION_PATCH)

#define STRATA_VERSION_TEXT_(major, minor, patch) #major "." #minor "." #patch
#define STRATA_VERSION_TEXT(major, minor, patch) STRATA_VERSION_TEXT_(major, minor, patch)
// "0.1.0"
#define STRATA_VERSION_STRING STRATA_VERSION_TEXT(STRATA_VERSION_MAJOR, STRATA_VERSION_MINOR, STRATA_VERSION_PATCH)
