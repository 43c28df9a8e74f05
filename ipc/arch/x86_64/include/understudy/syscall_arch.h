/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The system call on x86_64 (kernel/arch/x86_64/include/arch/regs.h): SYSCALL with the number
 * in RAX, arguments in RDI, RSI, RDX, R10, R8, R9, results in RDI (the error), RSI, RDX, R10.
 * SYSCALL itself takes RCX and R11.
 * Inline, so the runtime's wrappers (ipc/lib/syscall.c) hold the instruction themselves:
 * its library is not built for link-time optimisation, and a call per system call cost each
 * IPC round trip about 50 instructions. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <understudy/errors.h>

static inline us_err_t us_syscall_arch(uint64_t nr, const uint64_t args[6], uint64_t out[3])
{
    register uint64_t r10 __asm__("r10") = args[3];
    register uint64_t r8 __asm__("r8") = args[4];
    register uint64_t r9 __asm__("r9") = args[5];
    uint64_t rdi = args[0], rsi = args[1], rdx = args[2], rax = nr;

    __asm__ volatile("syscall"
                     : "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+a"(rax), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    if (out != NULL) {
        out[0] = rsi;
        out[1] = rdx;
        out[2] = r10;
    }
    return (us_err_t)rdi;
}

/* The same for a call with one argument (IPC's call, receive and reply-and-receive, each leg
 * of every exit): the other argument registers are not set, as the kernel does not read
 * them; the result registers are still outputs. */
static inline us_err_t us_syscall1_arch(uint64_t nr, uint64_t a0, uint64_t out[3])
{
    register uint64_t r10 __asm__("r10");
    uint64_t rdi = a0, rsi, rdx, rax = nr;

    __asm__ volatile("syscall"
                     : "+D"(rdi), "=S"(rsi), "=d"(rdx), "=r"(r10), "+a"(rax)
                     :
                     : "rcx", "r11", "r8", "r9", "memory");
    if (out != NULL) {
        out[0] = rsi;
        out[1] = rdx;
        out[2] = r10;
    }
    return (us_err_t)rdi;
}
