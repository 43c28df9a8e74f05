/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A vCPU's exit message, built at delivery in the handler's buffer (docs/exits.md); no system
 * register is read, so the unit tests build this file for the host. */
#include <understudy/vcpu.h>
#include <us/vcpu.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>

/* Out of line: inlined, it would keep the IPC's deliver() from inlining into its callers. */
__attribute__((noinline)) void arch_vcpu_exit_msg(const struct vcpu *v, struct us_msg *m)
{
    const struct arch_regs *r = &v->thread.regs;
    uint64_t esr = v->exit_esr, reason = v->msg.w[US_EXIT_REASON];
    uint32_t rt = (uint32_t)(reason == US_EXIT_MMIO ? (esr >> 16) & 0x1fu : (esr >> 5) & 0x1fu);
    bool access = reason == US_EXIT_MMIO || reason == US_EXIT_SYSREG;

    /* Every word is written (no memset: this is the exit hot path). */
    _Static_assert(US_EXIT_WORDS == 19, "arch_vcpu_exit_msg() writes each exit word by name");
    us_msg_init(m, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    m->w[US_EXIT_REASON] = reason;
    m->w[US_EXIT_ESR] = esr;
    m->w[US_EXIT_FAR] = v->msg.w[US_EXIT_FAR];
    m->w[US_EXIT_IPA] = v->msg.w[US_EXIT_IPA];
    m->w[US_EXIT_PC] = r->pc;
    m->w[US_EXIT_CPSR] = r->pstate;
    /* A data abort's syndrome says a write with WnR, a system register's with bit 0 clear. */
    m->w[US_EXIT_WRITE] = access && (reason == US_EXIT_MMIO ? (esr & ESR_WNR) : !(esr & 1u));
    m->w[US_EXIT_SIZE] = reason == US_EXIT_MMIO ? 1ull << ((esr >> 22) & 3u) : 0u;
    m->w[US_EXIT_REG] = access ? rt : 0u;
    m->w[US_EXIT_VALUE] = access                  ? arch_regs_get(r, rt)
                          : reason == US_EXIT_EOI ? v->msg.w[US_EXIT_EOI_HI]
                                                  : 0u;
    for (uint32_t i = 0; i < 8; i++) {
        m->w[US_EXIT_X0 + i] = r->x[i];
    }
    m->w[US_EXIT_VCPU] = v->index;
}
