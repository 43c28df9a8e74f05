/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host model's thread frame shaped as aarch64's: x0-x30, SP_EL0, PC, PSTATE, system-call
 * arguments in x0-x7 and the number in x8. The unit tests build the generic kernel against it
 * and against x86_64's (../x86_64), so that generic code is tested with both conventions. */
#pragma once

#include <stdint.h>

struct arch_regs {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t pc;
    uint64_t pstate;
};

#define ARCH_SYSCALL_NR_REG 8u
#define ARCH_REG_COUNT 31u
#define ARCH_FAULT_FMT "pc=0x%llx far=0x%llx esr=0x%llx"
#define HOST_FRAME_NAME "aarch64"

static inline uint64_t arch_regs_get(const struct arch_regs *r, uint32_t i)
{
    return i < ARCH_REG_COUNT ? r->x[i] : 0;
}

static inline void arch_regs_set(struct arch_regs *r, uint32_t i, uint64_t v)
{
    if (i < ARCH_REG_COUNT) {
        r->x[i] = v;
    }
}

/* Where the frame keeps the program counter, the stack pointer and the status word. */
static inline uint64_t *host_pc(struct arch_regs *r)
{
    return &r->pc;
}

static inline uint64_t *host_sp(struct arch_regs *r)
{
    return &r->sp_el0;
}

static inline uint64_t *host_flags(struct arch_regs *r)
{
    return &r->pstate;
}
