/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* System register reads used by the test guests (EL level, generic timer, fault syndrome). */
#pragma once

#include <stdint.h>

/* Returns: the current exception level, 0..3 (CurrentEL bits [3:2]). */
static inline uint64_t sysreg_current_el(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, CurrentEL" : "=r"(v));
    return (v >> 2) & 3u;
}

/* The ISB keeps the counter read from being hoisted above earlier work (Arm ARM D11.2.2). */
static inline uint64_t sysreg_cntvct(void)
{
    uint64_t v;

    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

static inline uint64_t sysreg_cntfrq(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static inline uint64_t sysreg_esr_el1(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, esr_el1" : "=r"(v));
    return v;
}

static inline uint64_t sysreg_far_el1(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, far_el1" : "=r"(v));
    return v;
}
