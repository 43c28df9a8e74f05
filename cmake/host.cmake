# SPDX-License-Identifier: MIT
# The host build: tools, unit tests, the aarch64 sub-build, firmware images and QEMU tests.
include(cmake/flags.cmake)
include(ExternalProject)
enable_testing()
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)

find_path(US_HOST_FDT_INCLUDE libfdt.h REQUIRED)
find_library(US_HOST_FDT_LIB NAMES libfdt.a fdt REQUIRED)
add_library(us_host_libfdt INTERFACE)
target_include_directories(us_host_libfdt INTERFACE ${US_HOST_FDT_INCLUDE})
target_link_libraries(us_host_libfdt INTERFACE ${US_HOST_FDT_LIB})

# Unit tests run with AddressSanitizer and UndefinedBehaviorSanitizer.
set(US_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
set(US_HOST_CFLAGS -O1 -g ${US_WARN_FLAGS})
option(US_COVERAGE "build the kernel's unit tests with gcov instrumentation (tools/coverage.sh)"
    OFF)

set(US_FDT_ARM64_DIR ${CMAKE_BINARY_DIR}/deps/fdt-arm64 CACHE PATH "unpacked libfdt-dev:arm64")
if(NOT EXISTS ${US_FDT_ARM64_DIR}/usr/lib/aarch64-linux-gnu/libfdt.a)
    message(FATAL_ERROR "libfdt-dev:arm64 missing: run tools/setup-deps.sh ${CMAKE_BINARY_DIR}")
endif()

set(US_TARGET_DIR ${CMAKE_BINARY_DIR}/aarch64)
ExternalProject_Add(us_target
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${US_TARGET_DIR}
    CMAKE_ARGS -DUS_TARGET_BUILD=ON
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/aarch64-elf.cmake
               -DUS_FDT_ARM64_DIR=${US_FDT_ARM64_DIR}
               -DUS_DEBUG=${US_DEBUG}
               -DCMAKE_BUILD_TYPE=Release
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON)

# The x86_64 port (docs/x86_64.md): its kernel and its first stage (selftest.elf), built with
# the host's x86_64 gcc and copied to images/x86_64 for the tests and `./run --arch x86_64`.
set(US_TARGET_X86_DIR ${CMAKE_BINARY_DIR}/x86_64)
ExternalProject_Add(us_target_x86_64
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${US_TARGET_X86_DIR}
    CMAKE_ARGS -DUS_TARGET_BUILD=ON -DUS_ARCH=x86_64
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/x86_64-elf.cmake
               -DUS_DEBUG=${US_DEBUG}
               -DCMAKE_BUILD_TYPE=Release
    INSTALL_COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/images/x86_64
            COMMAND ${CMAKE_COMMAND} -E copy_if_different
                ${US_TARGET_X86_DIR}/kernel/arch/x86_64/understudy.elf
                ${US_TARGET_X86_DIR}/kernel/arch/x86_64/selftest.elf
                ${CMAKE_BINARY_DIR}/images/x86_64/
    BUILD_ALWAYS ON
    USES_TERMINAL_BUILD ON)

include(cmake/image.cmake)
add_subdirectory(lib)
add_subdirectory(tools)
add_subdirectory(guests)
add_subdirectory(boot)
add_subdirectory(tests)
add_subdirectory(bench)
