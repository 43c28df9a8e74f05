/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Translation tables: the kernel's EL2 identity map, servers' EL1&0 spaces, VMs' stage 2. The
 * hooks the generic kernel calls are declared in <us/arch/mmu.h>. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

/* Servers' virtual address space is [0, 2^39); the EL1 trampoline sits in the last page. */
#define ARCH_USER_VA_BITS 39u
#define ARCH_TRAMPOLINE_VA ((1ull << ARCH_USER_VA_BITS) - PAGE_SIZE)
/* VMs' intermediate physical space is [0, 2^39). */
#define ARCH_IPA_BITS 39u

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
