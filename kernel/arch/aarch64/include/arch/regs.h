/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* aarch64 saved-register layouts of threads and vCPUs; offsets are used by entry.S. */
#pragma once

#include <stdint.h>

/* keep in sync with kernel/arch/aarch64/entry.S (REGS_* offsets) */
struct arch_regs {
    uint64_t x[31];
    uint64_t sp_el0;
    uint64_t pc;     /* ELR_EL2 on entry */
    uint64_t pstate; /* SPSR_EL2 on entry */
};
_Static_assert(sizeof(struct arch_regs) == 34 * 8, "entry.S layout");

struct arch_fpregs {
    __uint128_t q[32];
    uint64_t fpsr;
    uint64_t fpcr;
    uint64_t zcr;          /* ZCR_EL1 (trapped with FP, so it moves with FP), with SVE */
    uint8_t sve_p[17 * 2]; /* SVE p0..p15 and FFR at VL 128 (sve.S), if the CPU has SVE */
};

/* The EL1 registers a server's run clobbers, and the EL0 thread registers a server must not
 * see: switched on every guest <-> server change. */
struct arch_vcpu_hot {
    uint64_t sctlr, tcr, ttbr0, mair, vbar, cpacr;
    uint64_t elr, spsr, esr, far;
    uint64_t cntkctl;
    uint64_t tpidr_el0, tpidrro_el0;
};

/* A vCPU's GICv3 virtual CPU interface context (kernel/arch/aarch64/vgic.c). */
#define ARCH_VGIC_LRS 4u
#define ARCH_VGIC_MAX_INTID 128u /* SGIs, PPIs and the first 96 SPIs */
struct arch_vgic {
    uint64_t lr[ARCH_VGIC_LRS];
    uint64_t vmcr, ap0r0, ap1r0;
    uint64_t overflow[ARCH_VGIC_MAX_INTID / 64]; /* pending with no free list register */
    uint64_t eoi_want[ARCH_VGIC_MAX_INTID / 64]; /* report their end (US_VIRQ_EOI) */
    uint64_t eoi_done[ARCH_VGIC_MAX_INTID / 64]; /* ended, not yet reported */
};

/* The rest of a guest's EL1 state: switched only when another guest takes the CPU. Servers
 * cannot reach these at EL0. MDSCR_EL1 is not here: guests see the vmm's emulated one. */
struct arch_vcpu_cold {
    uint64_t ttbr1, tpidr_el1, sp_el1, contextidr, amair, afsr0, afsr1, par, csselr;
    uint64_t cntv_ctl, cntv_cval;
    struct arch_vgic vgic;
};

#define ARCH_SYSCALL_NR_REG 8u
#define ARCH_REG_COUNT 31u
#define ARCH_FAULT_FMT "pc=0x%llx far=0x%llx esr=0x%llx" /* process_fault()'s words */

static inline uint64_t arch_regs_get(const struct arch_regs *r, uint32_t i)
{
    return i < ARCH_REG_COUNT ? r->x[i] : 0; /* x31 reads as zero (xzr) */
}
static inline void arch_regs_set(struct arch_regs *r, uint32_t i, uint64_t v)
{
    if (i < ARCH_REG_COUNT) {
        r->x[i] = v;
    }
}
