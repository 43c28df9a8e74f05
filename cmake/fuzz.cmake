# SPDX-License-Identifier: MIT
# The clang sub-build of the libFuzzer targets (tests/fuzz), configured by tests/fuzz's host
# half with CMAKE_C_COMPILER=clang: the fuzzers and the sources they exercise, all compiled
# with -fsanitize=fuzzer,address,undefined.
include(cmake/flags.cmake)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)

if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "the fuzz sub-build needs clang (libFuzzer), not ${CMAKE_C_COMPILER_ID}")
endif()

# Debian's libfdt, not instrumented: the config fuzzer's guard page catches its overreads.
find_path(US_FUZZ_FDT_INCLUDE libfdt.h REQUIRED)
find_library(US_FUZZ_FDT_LIB NAMES libfdt.a fdt REQUIRED)

add_subdirectory(tests/fuzz)
