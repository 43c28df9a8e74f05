/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The PVH boot ABI's start of day (Xen's hvm_start_info, which QEMU's -kernel fills for an ELF
 * kernel with a PHYS32_ENTRY note): version 1 and later carry the memory map. */
#pragma once

#include <stdint.h>
#include <us/types.h>

#define PVH_MAGIC 0x336ec578u
#define PVH_E820_RAM 1u
#define PVH_MB2_MAGIC 0x36d76289u /* %eax at a Multiboot2 entry */

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

/** plat_from_multiboot2() - the Multiboot2 information at @mbi (GRUB's) as a start_info: its
 * memory map, its first module (the bundle) and its ACPI RSDP copy. Returns: the start_info's
 * address; one plat_boot_parse() refuses (magic 0) if @mbi is unreadable or has no map. */
paddr_t plat_from_multiboot2(paddr_t mbi);
