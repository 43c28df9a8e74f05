/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the kernel learns at boot on q35 (docs/x86_64.md), from the PVH start_info rather than
 * a device tree: the largest RAM region of the memory map, the boot bundle as the first module
 * (QEMU's -initrd), one CPU. Everything read must lie in the first GiB, which the boot tables
 * map; anything else is refused. No module is not an error here: the bundle is then empty,
 * and the kernel refuses it with its own message and goes on idling. */
#include <us/platform.h>
#include <us/arch/boot.h>
#include "board.h"
#include "pvh.h"

#define MEMMAP_MAX 128u

/* Whether [pa, pa + n) lies in what the boot tables map. */
static bool readable(uint64_t pa, uint64_t n)
{
    return pa != 0 && pa < PLAT_BOOT_MAPPED && n <= PLAT_BOOT_MAPPED - pa;
}

us_err_t plat_boot_parse(paddr_t info, struct plat_boot_info *out)
{
    const struct hvm_start_info *si = pa_ptr(info);
    const struct hvm_memmap_entry *map;
    const struct hvm_modlist_entry *mod;

    *out = (struct plat_boot_info){0};
    if (!readable(pa_of(info), sizeof(*si)) || si->magic != PVH_MAGIC) {
        return US_ECORRUPT;
    }
    if (si->version < 1 || si->memmap_entries > MEMMAP_MAX ||
        !readable(si->memmap_paddr, si->memmap_entries * sizeof(*map))) {
        return US_ECORRUPT; /* no memory map we can read */
    }
    map = pa_ptr(pa_init(si->memmap_paddr));
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        if (map[i].type == PVH_E820_RAM && map[i].size > out->ram_size) {
            out->ram_base = pa_init(map[i].addr);
            out->ram_size = map[i].size;
        }
    }
    if (si->nr_modules > 0) {
        if (!readable(si->modlist_paddr, sizeof(*mod))) {
            return US_ECORRUPT;
        }
        mod = pa_ptr(pa_init(si->modlist_paddr));
        out->initrd = pa_init(mod->paddr);
        out->initrd_size = mod->size;
    }
    out->cpu_count = 1; /* the others come with SMP (the ACPI MADT lists them) */
    out->mpidr[0] = arch_cpu_affinity();
    return out->ram_size != 0 ? US_OK : US_ECORRUPT;
}

us_err_t plat_cpu_on(uint64_t apic_id, paddr_t entry, uint64_t arg)
{
    (void)apic_id;
    (void)entry;
    (void)arg;
    return US_ENOTSUP; /* INIT-SIPI-SIPI comes with SMP */
}
