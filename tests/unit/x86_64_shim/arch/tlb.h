/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Stand-in for kernel/arch/x86_64/include/arch/tlb.h so the x86_64 page-table code
 * (kernel/arch/x86_64/mmu.c) builds on the host: CR3 is a variable, flushes only count. */
#pragma once

#include <stdint.h>

extern uint64_t shim_cr3, shim_cr3_writes, shim_flushes, shim_flush_pcid;

static inline uint64_t x86_read_cr3(void)
{
    return shim_cr3;
}

static inline void x86_write_cr3(uint64_t v)
{
    shim_cr3 = v;
    shim_cr3_writes++;
}

static inline void x86_shootdown(void)
{
}

static inline void x86_flush_space(uint16_t pcid)
{
    shim_flush_pcid = pcid;
    shim_flushes++;
}
