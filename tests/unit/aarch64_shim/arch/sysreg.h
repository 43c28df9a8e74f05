/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Stand-in for kernel/arch/aarch64/include/arch/sysreg.h so the aarch64 translation-table code
 * (kernel/arch/aarch64/mmu.c) builds on the host: system registers are plain variables and
 * barriers and TLB maintenance only count. */
#pragma once

#include <stdint.h>
#include <arch/sysbits.h>

extern uint64_t shim_sysreg_writes, shim_tlbi_count, shim_tlbi_asid;

#define read_sysreg(r) ((uint64_t)0)
#define write_sysreg(r, v) ((void)(v), shim_sysreg_writes++)

static inline void isb(void)
{
}
static inline void dsb_ish(void)
{
}
static inline void tlbi_alle2(void)
{
    shim_tlbi_count++;
}
static inline void tlbi_vmalls12e1is(void)
{
    shim_tlbi_count++;
}
static inline void tlbi_aside1is(uint16_t asid)
{
    shim_tlbi_asid = asid;
    shim_tlbi_count++;
}
