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

/* Drop this CPU's translations of server space @pcid. Without CR4.PCIDE, which the port turns
 * on with its context switch, reloading CR3 drops every non-global translation, which covers
 * it. Other CPUs come with SMP (a shootdown). */
static inline void x86_flush_space(uint16_t pcid)
{
    (void)pcid;
    x86_write_cr3(x86_read_cr3());
}
