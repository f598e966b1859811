# Build options and the compiler flags they imply. Presets in CMakePresets.json set these.

option(TREESIM_BUILD_TESTS "Build GoogleTest/RapidCheck tests" ON)
option(TREESIM_BUILD_BENCHMARKS "Build Google Benchmark programs" ON)
option(TREESIM_WERROR "Treat warnings as errors" OFF)
option(TREESIM_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(TREESIM_COVERAGE "Build with clang source-based coverage" OFF)
option(TREESIM_FUZZ "Instrument for libFuzzer (clang); fuzz targets link -fsanitize=fuzzer" OFF)
set(TREESIM_FUZZ_ENGINE "-fsanitize=fuzzer" CACHE STRING
    "Link flags of the fuzz engine for the fuzz targets (OSS-Fuzz: $LIB_FUZZING_ENGINE)")
option(TREECRDT_MUTANTS "Compile planted bugs into the materializer (never in release)" OFF)

add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(TREESIM_WERROR)
  add_compile_options(-Werror)
endif()
# GCC 12 reports false -Wrestrict / -Wstringop-* positives inside libstdc++'s std::string and
# Boost.Container's memmove paths at -O2/-O3 (GCC bugs 105329, 106199); those warnings stay on
# for other compilers and versions.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict -Wno-stringop-overread -Wno-stringop-overflow)
endif()

if(TREESIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TREESIM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TREESIM_FUZZ needs clang (libFuzzer)")
  endif()
  # Coverage feedback for every library; only the fuzz targets themselves link the fuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(TREESIM_COVERAGE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TREESIM_COVERAGE needs clang (source-based coverage)")
  endif()
  add_compile_options(-fprofile-instr-generate -fcoverage-mapping)
  # core/assert.h: assertions without a branch at the call site (see there).
  add_compile_definitions(TREESIM_COVERAGE_BUILD)
  add_link_options(-fprofile-instr-generate)
endif()

if(TREECRDT_MUTANTS AND CMAKE_BUILD_TYPE STREQUAL "Release")
  message(FATAL_ERROR "TREECRDT_MUTANTS must never be enabled in a Release build")
endif()
