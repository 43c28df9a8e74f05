/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Which physical windows a boot manifest may grant a server on QEMU virt. */
#include <us/platform.h>
#include "board.h"

/* Below RAM and clear of the kernel's GIC, or high I/O (ECAM, 64-bit PCI) below the PA limit. */
bool plat_mmio_allowed(uint64_t base, uint64_t size)
{
    uint64_t end = base + size;

    if (base >= PLAT_HIGH_MMIO_BASE) {
        return end <= PLAT_PA_LIMIT;
    }
    return end <= PLAT_RAM_BASE && !(base < PLAT_GIC_END && end > PLAT_GICD_BASE);
}
