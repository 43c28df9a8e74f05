/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's address spaces: a list of mappings in one kernel frame
 * (kernel/arch/host/mmu_host.c implements <us/arch/mmu.h>). */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

#define ARCH_USER_VA_BITS 39u
#define ARCH_TRAMPOLINE_VA ((1ull << ARCH_USER_VA_BITS) - PAGE_SIZE)
#define ARCH_IPA_BITS 39u
#define ARCH_ELF_MACHINE 183u /* EM_AARCH64, as the tests' images are */

/* root: one frame of struct host_mapping (kernel/arch/host/mmu_host.c). */
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
