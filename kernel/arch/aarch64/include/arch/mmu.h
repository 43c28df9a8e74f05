/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Translation tables: the kernel's EL2 identity map, servers' EL1&0 spaces, VMs' stage 2. The
 * hooks the generic kernel calls are declared in <us/arch/mmu.h>. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

/* Servers' virtual address space is [0, 2^39) but for the kernel's part, [128 MiB, 64 GiB):
 * the kernel is identity mapped there (devices from 128 MiB, RAM from 1 GiB), and with VHE
 * it runs through the servers' own tables. Their images sit below, everything else of theirs
 * from US_VA_IPC_BUF up. Without VHE, the EL1 trampoline sits in the last page. */
#define ARCH_USER_VA_BITS 39u
#define ARCH_KERNEL_VA_LO 0x08000000ull
#define ARCH_KERNEL_VA_HI 0x1000000000ull
#define ARCH_TRAMPOLINE_VA ((1ull << ARCH_USER_VA_BITS) - PAGE_SIZE)
/* VMs' intermediate physical space is [0, 2^39). */
#define ARCH_IPA_BITS 39u
#define ARCH_ELF_MACHINE 183u /* EM_AARCH64: what elf_load() accepts */

struct aspace {
    paddr_t root;
    uint16_t asid;
    uint64_t table_frames;
};

struct stage2 {
    paddr_t root;
    uint16_t vmid;
    uint64_t table_frames;
};

/** mmu_early_enable() - turn on the EL2 MMU with a static coarse identity map so boot code
 * runs with caches and tolerant alignment. */
void mmu_early_enable(void);

/** mmu_secondary_enable() - turn on another CPU's EL2 MMU with the final map. */
void mmu_secondary_enable(void);

/** arch_space_root_moved() - a server space's root moved from TTBR value @old to @now: every
 * CPU whose translation registers hold @old loads @now (this one at once, others at their next
 * pass through the kernel). The old root stays readable until then: relocated frames are
 * withheld until their memory leaves. */
void arch_space_root_moved(uint64_t old, uint64_t now);
