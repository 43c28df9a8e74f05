# SPDX-License-Identifier: MIT
# The freestanding target build: for aarch64 the kernel, ipc runtime, servers and test guests;
# for x86_64 (US_ARCH, the port under way: docs/x86_64.md) the kernel's first stage alone.
include(cmake/flags.cmake)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)

# Common to everything that runs on the target, either architecture.
set(US_TARGET_CFLAGS -ffreestanding -fno-common -fno-builtin -nostdlib -fno-pic -fno-pie
    -O2 -g ${US_WARN_FLAGS})
if(US_DEBUG)
    list(APPEND US_TARGET_CFLAGS -DUS_DEBUG=1)
endif()
set(US_TARGET_LDFLAGS -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096
    -Wl,-z,noexecstack)

if(US_ARCH STREQUAL "x86_64")
    # No red zone: the stack is an interrupt's too. No stack protector yet: its guard would
    # sit in %fs, which the first stage does not set up.
    list(APPEND US_TARGET_CFLAGS -mno-red-zone -mgeneral-regs-only -fno-stack-protector)
    add_subdirectory(kernel/arch/x86_64)
    return()
endif()

if(NOT US_FDT_ARM64_DIR)
    message(FATAL_ERROR "US_FDT_ARM64_DIR not set: run tools/setup-deps.sh (it fetches libfdt-dev:arm64)")
endif()
add_library(us_libfdt STATIC IMPORTED GLOBAL)
set_target_properties(us_libfdt PROPERTIES
    IMPORTED_LOCATION ${US_FDT_ARM64_DIR}/usr/lib/aarch64-linux-gnu/libfdt.a
    INTERFACE_INCLUDE_DIRECTORIES ${US_FDT_ARM64_DIR}/usr/include)

# -mno-outline-atomics: inline LL/SC atomics, not libgcc helpers that probe the CPU through
# getauxval (there is no libc here).
list(APPEND US_TARGET_CFLAGS -mstrict-align -mno-outline-atomics -fstack-protector-strong)

add_subdirectory(lib)
add_subdirectory(ipc)
add_subdirectory(kernel)
add_subdirectory(servers)
add_subdirectory(tests/guests)
