/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SMCCC calls over HVC and the PSCI function ids the test guests use. */
#pragma once

#include <stdint.h>

/* PSCI 1.1 (DEN0022) and SMCCC 1.4 (DEN0028) function ids and return codes. */
#define PSCI_VERSION 0x84000000u
#define PSCI_SYSTEM_OFF 0x84000008u
#define SMCCC_NOT_SUPPORTED (-1)

/*
 * SMCCC 1.0 lets the callee clobber x4-x17 (DEN0028 section 2.6), so they are all listed;
 * a hypervisor that only implements the 1.1 preservation rule still works.
 */
static inline uint64_t hvc_call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fid;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    __asm__ __volatile__("hvc #0"
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                         :
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
                           "x15", "x16", "x17", "memory");
    return x0;
}

/* Returns: PSCI_VERSION's x0, (major << 16) | minor, or a negative PSCI error. */
static inline uint64_t hvc_psci_version(void)
{
    return hvc_call(PSCI_VERSION, 0, 0, 0);
}

/* Returns only if the hypervisor ignored SYSTEM_OFF. */
static inline void hvc_psci_system_off(void)
{
    (void)hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
