/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Translation-table hooks each architecture provides: the kernel's final map, servers' EL0
 * address spaces and VMs' stage 2 (struct aspace and struct stage2 are in <arch/mmu.h>). */
#pragma once

#include <stdbool.h>
#include <understudy/errors.h>
#include <us/types.h>
#include <arch/mmu.h>

/* Mapping flags beyond US_RIGHT_READ/WRITE/EXEC. */
#define MAP_DEVICE (1u << 8)   /* Device-nGnRE instead of normal write-back */
#define MAP_EL1_EXEC (1u << 9) /* executable at EL1 only, invisible to EL0 (trampoline) */

/** arch_mmu_kernel_map_final() - rebuild the EL2 map with W^X for the kernel image and RAM
 * [ram_base, ram_base + ram_size) as non-executable data.
 * Returns: US_OK; US_ENOMEM. */
us_err_t arch_mmu_kernel_map_final(paddr_t ram_base, uint64_t ram_size);

/** arch_aspace_init() - an empty EL0 address space with the EL1 trampoline mapped.
 * Returns: US_OK; US_ENOMEM. */
us_err_t arch_aspace_init(struct aspace *as, uint16_t asid);

/** arch_aspace_map() - map [pa, pa+size) at @va with US_RIGHT_* | MAP_* @flags.
 * Returns: US_OK; US_EINVAL for W+X, no rights or unaligned arguments; US_ERANGE outside the
 * user VA range; US_EEXIST if a page is already mapped; US_ENOMEM. */
us_err_t arch_aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, uint32_t flags);

/** arch_aspace_unmap() - unmap [va, va+size) and drop it from every CPU's TLB (break before
 * make). Precondition: the range is exactly what arch_aspace_map() calls mapped there, no hole
 * and no part of a 2 MiB block. Tables that become empty stay. */
void arch_aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size);

/** arch_aspace_translate() - physical address of user @va if EL0 may access it (@write for
 * stores) and it is memory. Returns: US_OK; US_ERANGE if unmapped, not permitted, or a
 * device mapping (MMIO is never read or written by the kernel on a server's behalf). */
us_err_t arch_aspace_translate(const struct aspace *as, vaddr_t va, bool write, paddr_t *out);

/** arch_io_grant() - let @as use I/O ports [base, base + count) (x86's port space).
 * Returns: US_OK; US_ERANGE for ports the board keeps; US_ENOMEM; US_ENOTSUP on aarch64. */
us_err_t arch_io_grant(struct aspace *as, uint64_t base, uint64_t count);

/** arch_stage2_init() - empty stage-2 tables for VMID @vmid. Returns: US_OK; US_ENOMEM. */
us_err_t arch_stage2_init(struct stage2 *s2, uint16_t vmid);

/** arch_stage2_map() - map [pa, pa+size) at @ipa. Same errors as arch_aspace_map (W+X
 * allowed: it is the guest's own business). */
us_err_t arch_stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags);

/** arch_stage2_free() - release the tables and invalidate the VMID's TLB entries.
 * Precondition: no CPU runs a vCPU on these tables (vm_reap()). */
void arch_stage2_free(struct stage2 *s2);

/** arch_stage2_translate() - PA behind @ipa if mapped. Returns: US_OK; US_ERANGE. */
us_err_t arch_stage2_translate(const struct stage2 *s2, ipa_t ipa, paddr_t *out);

/* Emptying a physical range (memrange_move()): every translation-table page of a space that
 * lies in [lo, hi) is copied out and its parent pointed at the copy (the root too when @root:
 * nothing runs on the space), and each leaf onto [lo, hi) is handed to @leaf, which returns
 * where it points from now on (its own address: it stays). A moved leaf is broken before it is
 * made again, with the space's TLB entries dropped in between, so the caller copies a page's
 * contents before and nothing may use the space meanwhile. @moved and @left count table pages
 * moved and left in the range; @leaf may count too. */
struct relocation {
    uint64_t lo, hi;
    bool probe; /* only hand each leaf to @leaf: nothing moves (an audit) */
    bool root;
    paddr_t (*leaf)(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span);
    uint64_t moved, left, roots; /* pages moved and left; roots: tables' roots among the moved */
};

/** arch_aspace_relocate() - relocate @as's tables and leaves (a server's space, see above). */
void arch_aspace_relocate(struct aspace *as, struct relocation *r);

/** arch_stage2_relocate() - the same for a VM's stage 2. */
void arch_stage2_relocate(struct stage2 *s2, struct relocation *r);
