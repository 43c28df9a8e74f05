/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU q35 facts for the x86_64 kernel (docs/x86_64.md). */
#include <us/platform.h>
#include "board.h"

const char *plat_name(void)
{
    return "QEMU q35 (x86_64)";
}

/* The 32-bit PCI hole from the ECAM window to 4 GiB, clear of the I/O APIC and the local APIC
 * the kernel owns, or 64-bit PCI memory from 64 GiB below the physical address limit: never
 * RAM, which q35 places below the hole and from 4 GiB up. */
bool plat_mmio_allowed(uint64_t base, uint64_t size)
{
    uint64_t end = base + size;

    if (base >= PLAT_HIGH_MMIO_BASE) {
        return end <= PLAT_PA_LIMIT;
    }
    return base >= PLAT_ECAM_BASE && end <= (1ull << 32) &&
           !(base < PLAT_LAPIC_BASE + 0x1000u && end > PLAT_IOAPIC_BASE);
}
