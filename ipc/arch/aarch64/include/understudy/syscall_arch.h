/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The system call on aarch64: svc #0, number in x8, arguments x0..x5, results x0..x3.
 * Inline, so the runtime's wrappers (ipc/lib/syscall.c) hold the instruction themselves:
 * its library is not built for link-time optimisation, and a call per system call cost each
 * IPC round trip about 50 instructions. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <understudy/errors.h>

static inline us_err_t us_syscall_arch(uint64_t nr, const uint64_t args[6], uint64_t out[3])
{
    register uint64_t x0 __asm__("x0") = args[0];
    register uint64_t x1 __asm__("x1") = args[1];
    register uint64_t x2 __asm__("x2") = args[2];
    register uint64_t x3 __asm__("x3") = args[3];
    register uint64_t x4 __asm__("x4") = args[4];
    register uint64_t x5 __asm__("x5") = args[5];
    register uint64_t x8 __asm__("x8") = nr;

    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     : "r"(x4), "r"(x5), "r"(x8)
                     : "memory");
    if (out != NULL) {
        out[0] = x1;
        out[1] = x2;
        out[2] = x3;
    }
    return (us_err_t)x0;
}

/* The same for a call with one argument (IPC's call, receive and reply-and-receive, each leg
 * of every exit): x1..x5 are not set, as the kernel does not read them. */
static inline us_err_t us_syscall1_arch(uint64_t nr, uint64_t a0, uint64_t out[3])
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1");
    register uint64_t x2 __asm__("x2");
    register uint64_t x3 __asm__("x3");
    register uint64_t x8 __asm__("x8") = nr;

    __asm__ volatile("svc #0" : "+r"(x0), "=r"(x1), "=r"(x2), "=r"(x3) : "r"(x8) : "memory");
    if (out != NULL) {
        out[0] = x1;
        out[1] = x2;
        out[2] = x3;
    }
    return (us_err_t)x0;
}
