/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* This CPU's struct cpu: TPIDR_EL2 holds it (entry.S uses its first word). */
#pragma once

struct cpu;

/* Not volatile: the value never changes under a running kernel path, so the compiler may
 * read it once per function. */
static inline struct cpu *arch_this_cpu(void)
{
    struct cpu *c;

    __asm__("mrs %0, tpidr_el2" : "=r"(c));
    return c;
}
