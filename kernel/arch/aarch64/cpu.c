/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* aarch64 thread register setup and cache maintenance. */
#include <understudy/manifest.h>
#include <uslib/string.h>
#include <us/sched.h>
#include <us/thread.h>
#include <us/arch/boot.h>
#include <us/arch/cpu.h>
#include <arch/sysreg.h>

void arch_cpu_relax(void)
{
    __asm__ volatile("yield" ::: "memory");
}

uint64_t arch_cpu_features(void)
{
    /* ID_AA64ISAR0_EL1.SHA2, bits 15:12: SHA256H and friends (FEAT_SHA256). */
    return ((read_sysreg(id_aa64isar0_el1) >> 12) & 0xfu) != 0 ? US_CPU_SHA2 : 0;
}

sha256_blocks_fn *arch_sha256_blocks(void)
{
    return (arch_cpu_features() & US_CPU_SHA2) != 0 ? sha256_ce_blocks : NULL;
}

void arch_sync_icache(void)
{
    __asm__ volatile("dsb ish\n ic iallu\n dsb ish\n isb" ::: "memory");
}

void arch_thread_init_user(struct thread *t, uint64_t pc, uint64_t sp, uint64_t arg)
{
    memset(&t->regs, 0, sizeof(t->regs));
    t->regs.pc = pc;
    t->regs.sp_el0 = sp;
    t->regs.pstate = SPSR_EL0T;
    t->regs.x[0] = arg;
}

void arch_thread_make_fault(struct thread *t)
{
    t->regs.pc = 0; /* never mapped: an instruction abort at EL0 */
    t->regs.pstate = SPSR_EL0T;
}

paddr_t arch_secondary_entry(void)
{
    extern char secondary_entry[];

    return pa_from_ptr(secondary_entry);
}
