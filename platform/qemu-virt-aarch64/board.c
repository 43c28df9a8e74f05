/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU virt board descriptor. */
#include <us/log.h>
#include <us/platform.h>
#include "board.h"

const char *plat_name(void)
{
    return PLAT_NAME;
}

#define PSCI_CPU_ON_64 0xc4000003u

us_err_t plat_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t arg)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
    register uint64_t x1 __asm__("x1") = mpidr;
    register uint64_t x2 __asm__("x2") = pa_of(entry);
    register uint64_t x3 __asm__("x3") = arg;

    /* At EL2 the firmware's PSCI is an SMC (QEMU virt's device tree says method "smc"). */
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    if ((int64_t)x0 != 0) {
        US_LOG_ERR("PSCI CPU_ON 0x%llx refused: %lld", (unsigned long long)mpidr,
                   (long long)(int64_t)x0);
        return US_EINVAL;
    }
    return US_OK;
}
