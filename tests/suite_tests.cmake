# Writes CTEST_FILE: one ctest test per GoogleTest suite of TEST_EXECUTABLE, and per
# parameter of a parametrised suite ("Backends/OrmSession/sqlite" runs
# --gtest_filter=Backends/OrmSession.*/sqlite), each with TIMEOUT seconds.
# Run after every build of the executable (tests/CMakeLists.txt). One process a
# suite rather than a test: a process start under the sanitizers costs about
# 0.25 s, and the suite has over a thousand tests.
#
# With PER_TEST set, one ctest test per GoogleTest test instead
# ("Backends/CrashSession.KilledCommitLeavesOldOrNewRows_0/sqlite"): for a
# binary of few, long tests that ctest should run side by side.
#
# A test that calls GTEST_SKIP, or a DISABLED_ one, marks its suite's ctest test
# Skipped, which scripts/check_skips.sh refuses as it did for single tests.
cmake_minimum_required(VERSION 3.20)
foreach(var TEST_EXECUTABLE CTEST_FILE TIMEOUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "suite_tests.cmake: ${var} is not set")
  endif()
endforeach()

execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
                OUTPUT_VARIABLE listing ERROR_VARIABLE errors RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${rc}):\n${listing}${errors}")
endif()

# The listing: "Suite." lines (a typed suite adds "  # TypeParam = ..."), each
# followed by its tests, indented ("  Name/param  # GetParam() = ...").
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(groups "")
set(suite "")
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ ]+)\\.( |$)")
    set(suite "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^  ([^ ]+)")
    set(test "${CMAKE_MATCH_1}")
    if(suite STREQUAL "")
      message(FATAL_ERROR "suite_tests.cmake: a test before any suite in the listing: ${line}")
    endif()
    set(group "${suite}")
    set(filter "${suite}.*")
    if(PER_TEST)
      set(group "${suite}.${test}")
      set(filter "${suite}.${test}")
    elseif(suite MATCHES "/" AND test MATCHES "/([^/]+)$")  # an instantiated suite: one group per parameter
      set(group "${suite}/${CMAKE_MATCH_1}")
      set(filter "${suite}.*/${CMAKE_MATCH_1}")
    endif()
    if(NOT group IN_LIST groups)
      list(APPEND groups "${group}")
      set(filter_of_${group} "${filter}")
    endif()
  endif()
endforeach()
list(LENGTH groups count)
if(count EQUAL 0)
  message(FATAL_ERROR "suite_tests.cmake: ${TEST_EXECUTABLE} lists no tests")
endif()

set(out "# Written by tests/suite_tests.cmake from ${TEST_EXECUTABLE} --gtest_list_tests\n")
foreach(group IN LISTS groups)
  string(APPEND out "add_test([==[${group}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${filter_of_${group}}]==])\n"
                    "set_tests_properties([==[${group}]==] PROPERTIES TIMEOUT ${TIMEOUT}"
                    " SKIP_REGULAR_EXPRESSION [==[\\[  SKIPPED \\]|YOU HAVE [0-9]+ DISABLED TESTS?]==])\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${out}")
