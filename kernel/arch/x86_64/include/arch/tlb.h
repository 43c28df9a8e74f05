/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* CR3 and TLB maintenance for kernel/arch/x86_64/mmu.c (tests/unit/x86_64_shim stands in for
 * this header on the host). */
#pragma once

#include <stdint.h>

static inline uint64_t x86_read_cr3(void)
{
    uint64_t v;

    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void x86_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/** x86_shootdown() - make every other CPU drop what it holds of a map changed under the kernel
 * lock, and return once none still runs on the old translations (smp.c). */
void x86_shootdown(void);

/* Drop the translations of server space @pcid, here and on the other CPUs. Reloading CR3 drops
 * the current space's; another space's go when CR3 is next loaded with it (never with the
 * no-flush bit). */
static inline void x86_flush_space(uint16_t pcid)
{
    (void)pcid;
    x86_write_cr3(x86_read_cr3());
    x86_shootdown();
}
