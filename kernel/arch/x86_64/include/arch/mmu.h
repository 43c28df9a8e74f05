/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 address spaces for the generic kernel: 4-level tables for servers (ring 3) and
 * nested tables for guests, in the same 4-level format (docs/x86_64.md). */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

#define ARCH_USER_VA_BITS 47u
/* The kernel's part of every space, [0, 32 GiB): RAM and the APICs identity mapped, supervisor
 * only, as on aarch64 with VHE. Servers are linked above it; the ABI's regions (US_VA_*) start
 * at 64 GiB. RAM above 32 GiB is not used. */
#define ARCH_KERNEL_VA_LO 0x0ull
#define ARCH_KERNEL_VA_HI 0x800000000ull
/* The last page below the canonical hole stays unmapped in every server: SYSRET to an address
 * there faults in ring 0 on some CPUs, which is why Linux reserves it too. Nothing the kernel
 * relocates is ever mapped there. */
#define ARCH_TRAMPOLINE_VA ((1ull << ARCH_USER_VA_BITS) - PAGE_SIZE)
#define ARCH_IPA_BITS 39u    /* guest-physical addresses the nested tables cover: 512 GiB */
#define ARCH_ELF_MACHINE 62u /* EM_X86_64: what elf_load() accepts */

/* I/O ports a server space may use (arch_io_grant()): a few ranges, opened in the TSS's
 * bitmap while the space runs. */
#define ARCH_IO_RANGES 4u
struct arch_io_range {
    uint32_t base, count;
};

struct aspace {
    paddr_t root;  /* PML4, for CR3 */
    uint16_t asid; /* PCID */
    uint64_t table_frames;
    struct arch_io_range io[ARCH_IO_RANGES];
};

struct stage2 {
    paddr_t root;  /* nested PML4, for the VMCB's N_CR3 */
    uint16_t vmid; /* the guest's ASID */
    uint64_t table_frames;
    /* Bumped when translations of this VM must go: a vCPU that entered at an older value
     * flushes its ASID on its next VMRUN (the VMCB's TLB_CONTROL). */
    uint32_t flushes;
};

/** arch_space_root_moved() - memory removal moved a server space's root from CR3 value @old
 * (the table and its PCID) to @now: reload CR3 where @old is loaded. */
void arch_space_root_moved(uint64_t old, uint64_t now);
