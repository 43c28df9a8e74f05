# SPDX-License-Identifier: MIT
# The freestanding target build: for aarch64 the kernel, ipc runtime, servers and test guests;
# for x86_64 (US_ARCH, the port under way: docs/x86_64.md) the kernel, its first stage, the ipc
# runtime and the servers.
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

if(NOT US_ARCH)
    set(US_ARCH aarch64)
endif()

if(US_ARCH STREQUAL "x86_64")
    # Servers: position-independent code, as they are linked at 32 GiB, above the kernel's part
    # of every space; the stack protector's guard in a global, as on aarch64, rather than at
    # %fs:0x28. (Debian's libfdt.a still reads %fs:0x28: the runtime gives it a block there.)
    set(US_SERVER_CFLAGS -fpie -fstack-protector-strong -mstack-protector-guard=global
        -mgeneral-regs-only)
    set(US_SERVER_LDFLAGS -Wl,--defsym=US_SERVER_BASE=0x800000000)
    add_library(us_libfdt STATIC IMPORTED GLOBAL)
    set_target_properties(us_libfdt PROPERTIES
        IMPORTED_LOCATION /usr/lib/x86_64-linux-gnu/libfdt.a)
    add_subdirectory(lib)
    add_subdirectory(ipc)
    add_subdirectory(kernel/arch/x86_64)
    add_subdirectory(servers)
    add_subdirectory(tests/guests/x86_64)
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
# Servers never use the FP/SIMD registers the compiler would pick for copies and constants:
# a guest's FP state then stays in the registers across its exits (docs/exits.md).
set(US_SERVER_CFLAGS -mgeneral-regs-only)
# The servers, not us_lib (the kernel links it): unaligned loads and stores of normal memory.
# Their regime never checks alignment (SCTLR's A clear); device registers are reached through
# volatile accesses of their own width, which GCC neither widens nor merges. With
# -mstrict-align a 6-byte address compare or a frame header's fields were byte by byte or calls.
set(US_SERVER_ONLY_CFLAGS -mno-strict-align)

add_subdirectory(lib)
add_subdirectory(ipc)
add_subdirectory(kernel)
add_subdirectory(servers)
add_subdirectory(tests/guests)
