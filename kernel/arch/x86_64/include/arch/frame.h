/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An x86_64 thread's saved frame and the system-call convention over it (docs/x86_64.md):
 * what generic code reads of a thread's registers. arch/regs.h adds the rest; the unit tests'
 * host model builds the generic kernel against this file too (kernel/arch/host). */
#pragma once

#include <stdint.h>

enum arch_gpr {
    ARCH_RAX,
    ARCH_RBX,
    ARCH_RCX,
    ARCH_RDX,
    ARCH_RSI,
    ARCH_RDI,
    ARCH_RBP,
    ARCH_R8,
    ARCH_R9,
    ARCH_R10,
    ARCH_R11,
    ARCH_R12,
    ARCH_R13,
    ARCH_R14,
    ARCH_R15,
    ARCH_GPRS
};

/* A thread's saved frame: general registers, then what an interrupt frame or SYSCALL gives
 * (entry.S's layout), then the FS base, which the switch keeps (servers' runtime points it
 * at their own block: GCC's code in Debian's libfdt reads its stack guard at %fs:0x28). */
struct arch_regs {
    uint64_t gpr[ARCH_GPRS];
    uint64_t rip, rflags, rsp;
    uint64_t fs_base;
};

/* System call and message arguments 0-7, then the call number: SYSCALL takes RCX and R11 for
 * the return, so the arguments use the System V order with R10 for RCX, and R12, R13. */
#define ARCH_SYSCALL_NR_REG 8u
#define ARCH_REG_COUNT 9u
/* process_fault()'s words: the fault's RIP, CR2 for a page fault, and the vector above the
 * error code (kernel.c). */
#define ARCH_FAULT_FMT "rip=0x%llx cr2=0x%llx vector.error=0x%llx"

static inline uint32_t arch_reg_gpr(uint32_t i)
{
    static const uint8_t gpr[ARCH_REG_COUNT] = {ARCH_RDI, ARCH_RSI, ARCH_RDX, ARCH_R10, ARCH_R8,
                                                ARCH_R9,  ARCH_R12, ARCH_R13, ARCH_RAX};

    return gpr[i];
}

static inline uint64_t arch_regs_get(const struct arch_regs *r, uint32_t i)
{
    return i < ARCH_REG_COUNT ? r->gpr[arch_reg_gpr(i)] : 0;
}

static inline void arch_regs_set(struct arch_regs *r, uint32_t i, uint64_t v)
{
    if (i < ARCH_REG_COUNT) {
        r->gpr[arch_reg_gpr(i)] = v;
    }
}
