/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Translation tables: the kernel's EL2 identity map, servers' EL1&0 spaces, VMs' stage 2. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

/* Servers' virtual address space is [0, 2^39); the EL1 trampoline sits in the last page. */
#define ARCH_USER_VA_BITS 39u
#define ARCH_TRAMPOLINE_VA ((1ull << ARCH_USER_VA_BITS) - PAGE_SIZE)
/* VMs' intermediate physical space is [0, 2^39). */
#define ARCH_IPA_BITS 39u

/* Mapping flags beyond US_RIGHT_READ/WRITE/EXEC. */
#define MAP_DEVICE (1u << 8)   /* Device-nGnRE instead of normal write-back */
#define MAP_EL1_EXEC (1u << 9) /* executable at EL1 only, invisible to EL0 (trampoline) */

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

/** mmu_kernel_map_final() - rebuild the EL2 map with W^X for the kernel image and RAM
 * [ram_base, ram_base + ram_size) as non-executable data.
 * Returns: US_OK; US_ENOMEM. */
us_err_t mmu_kernel_map_final(paddr_t ram_base, uint64_t ram_size);

/** mmu_secondary_enable() - turn on another CPU's EL2 MMU with the final map. */
void mmu_secondary_enable(void);

/** aspace_init() - an empty EL0 address space with the EL1 trampoline mapped.
 * Returns: US_OK; US_ENOMEM. */
us_err_t aspace_init(struct aspace *as, uint16_t asid);

/** aspace_map() - map [pa, pa+size) at @va with US_RIGHT_* | MAP_* @flags.
 * Returns: US_OK; US_EINVAL for W+X, no rights or unaligned arguments; US_ERANGE outside the
 * user VA range; US_EEXIST if a page is already mapped; US_ENOMEM. */
us_err_t aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, uint32_t flags);

/** aspace_translate() - physical address of user @va if EL0 may access it (@write for
 * stores) and it is memory. Returns: US_OK; US_ERANGE if unmapped, not permitted, or a
 * device mapping (MMIO is never read or written by the kernel on a server's behalf). */
us_err_t aspace_translate(const struct aspace *as, vaddr_t va, bool write, paddr_t *out);

/** stage2_init() - empty stage-2 tables for VMID @vmid. Returns: US_OK; US_ENOMEM. */
us_err_t stage2_init(struct stage2 *s2, uint16_t vmid);

/** stage2_map() - map [pa, pa+size) at @ipa. Same errors as aspace_map (W+X allowed: it is
 * the guest's own business). */
us_err_t stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags);

/** stage2_free() - release the tables and invalidate the VMID's TLB entries. */
void stage2_free(struct stage2 *s2);

/** stage2_translate() - PA behind @ipa if mapped. Returns: US_OK; US_ERANGE. */
us_err_t stage2_translate(const struct stage2 *s2, ipa_t ipa, paddr_t *out);
