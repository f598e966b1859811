# Small helpers so each directory's CMakeLists.txt states only what differs.

# treesim_library(NAME SOURCES ... DEPS ...)
#   A static library whose include root is the project root (headers are included as
#   "core/op.h", "model/model.h", ...).
function(treesim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# treesim_executable(NAME SOURCES ... DEPS ...)
function(treesim_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
endfunction()

# treesim_test(NAME SOURCES ... DEPS ... LABELS ...)
#   A GoogleTest binary (RapidCheck available) registered with ctest through
#   gtest_discover_tests, so every TEST is its own ctest entry with the given labels.
function(treesim_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} rapidcheck rapidcheck_gtest GTest::gtest
                                        GTest::gmock GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60
    NO_PRETTY_VALUES)
endfunction()

# treesim_benchmark(NAME SOURCES ... DEPS ...)
#   A Google Benchmark program with its own main(). Deliberately not registered with ctest:
#   benchmarks are slow and their output is a measurement, not a verdict (run scripts/bench).
function(treesim_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
endfunction()

include(GoogleTest)
