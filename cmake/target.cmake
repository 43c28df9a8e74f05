# SPDX-License-Identifier: MIT
# The aarch64 freestanding build: kernel, ipc runtime, servers and test guests.
include(cmake/flags.cmake)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)

if(NOT US_FDT_ARM64_DIR)
    message(FATAL_ERROR "US_FDT_ARM64_DIR not set: run tools/setup-deps.sh (it fetches libfdt-dev:arm64)")
endif()
add_library(us_libfdt STATIC IMPORTED GLOBAL)
set_target_properties(us_libfdt PROPERTIES
    IMPORTED_LOCATION ${US_FDT_ARM64_DIR}/usr/lib/aarch64-linux-gnu/libfdt.a
    INTERFACE_INCLUDE_DIRECTORIES ${US_FDT_ARM64_DIR}/usr/include)

# Common to everything that runs on the target. -mno-outline-atomics: inline LL/SC atomics,
# not libgcc helpers that probe the CPU through getauxval (there is no libc here).
set(US_TARGET_CFLAGS -ffreestanding -fno-common -fno-builtin -nostdlib -fno-pic -fno-pie
    -mstrict-align -mno-outline-atomics -O2 -g -fstack-protector-strong ${US_WARN_FLAGS})
if(US_DEBUG)
    list(APPEND US_TARGET_CFLAGS -DUS_DEBUG=1)
endif()
set(US_TARGET_LDFLAGS -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096
    -Wl,-z,noexecstack)

add_subdirectory(lib)
add_subdirectory(ipc)
add_subdirectory(kernel)
add_subdirectory(servers)
add_subdirectory(tests/guests)
