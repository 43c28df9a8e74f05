/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* System-register accessors; the bit definitions the aarch64 kernel uses are in sysbits.h. */
#pragma once

#include <stdint.h>
#include <arch/sysbits.h>

#define read_sysreg(r)                                                                             \
    ({                                                                                             \
        uint64_t rv_;                                                                              \
        __asm__ volatile("mrs %0, " #r : "=r"(rv_));                                               \
        rv_;                                                                                       \
    })
#define write_sysreg(r, v)                                                                         \
    do {                                                                                           \
        uint64_t wv_ = (uint64_t)(v);                                                              \
        __asm__ volatile("msr " #r ", %0" : : "r"(wv_));                                           \
    } while (0)

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}
static inline void dsb_sy(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}
static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}
/* Drop this CPU's EL2 TLB entries. */
static inline void tlbi_alle2(void)
{
    __asm__ volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
}
/* Drop every CPU's stage 1 and 2 entries for the VMID in VTTBR_EL2. */
static inline void tlbi_vmalls12e1is(void)
{
    __asm__ volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}
/* Drop every CPU's EL1&0 stage 1 entries for @asid and the VMID in VTTBR_EL2. */
static inline void tlbi_aside1is(uint16_t asid)
{
    __asm__ volatile("tlbi aside1is, %0\n dsb ish\n isb" : : "r"((uint64_t)asid << 48) : "memory");
}
