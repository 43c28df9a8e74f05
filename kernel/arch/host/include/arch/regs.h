/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's saved registers: plain arrays the unit tests read and write. */
#pragma once

#include <stdint.h>

struct arch_regs {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t pc;
    uint64_t pstate;
};

struct arch_fpregs {
    uint64_t v[64];
};

/* A vCPU's EL1 state, as far as the fake needs one: where it was reset to. */
struct arch_vcpu_hot {
    uint64_t elr, spsr;
};

#define ARCH_VGIC_MAX_INTID 128u
struct arch_vcpu_cold {
    uint64_t vgic_pending[ARCH_VGIC_MAX_INTID / 64]; /* virtual INTIDs made pending */
    uint64_t eoi_want[ARCH_VGIC_MAX_INTID / 64];     /* injected with US_VIRQ_EOI */
    uint64_t eoi_done[ARCH_VGIC_MAX_INTID / 64];     /* ended by the guest, not yet reported */
    uint64_t publishes;                              /* arch_vcpu_publish() calls */
    uint64_t continues;                              /* arch_vcpu_continue() calls */
};

#define ARCH_SYSCALL_NR_REG 8u
#define ARCH_REG_COUNT 31u
#define ARCH_FAULT_FMT "pc=0x%llx far=0x%llx esr=0x%llx"

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
