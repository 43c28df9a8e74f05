/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* This CPU's struct cpu on x86_64: GS's base points at a per-CPU word holding it (GS is the
 * kernel's own in ring 0; SWAPGS at each entry from ring 3 is the entry path's to come). */
#pragma once

struct cpu;

static inline struct cpu *arch_this_cpu(void)
{
    struct cpu *c;

    __asm__("mov %%gs:0, %0" : "=r"(c));
    return c;
}
