/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* VMs: a stage-2 address space and the vCPUs that run in it. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>
#include <arch/mmu.h>

struct vcpu;
struct memobj;

#define VM_MAX 8u
#define VM_MAX_VCPUS 8u

/* The object behind a US_CAPK_VM_CONTROL capability: a memory quota for VMs. */
struct vm_control {
    uint64_t quota;
    uint64_t used;
};

struct vm {
    uint32_t vmid;
    bool in_use;
    struct stage2 s2;
    struct vm_control *ctl;
    struct vcpu *vcpus[VM_MAX_VCPUS];
};

/** vm_create() - a VM with an empty stage-2 table.
 * Returns: US_OK; US_ENOMEM when VMIDs or frames run out. */
us_err_t vm_create(struct vm_control *ctl, struct vm **out);

/** vm_map() - map all of @m at @ipa with @rights (US_RIGHT_READ/WRITE/EXEC).
 * Returns: US_OK; US_EINVAL for rights 0 or unknown bits; US_ERANGE for an unaligned or
 * out-of-range IPA; US_EEXIST if part is mapped; US_ENOMEM. */
us_err_t vm_map(struct vm *vm, struct memobj *m, ipa_t ipa, uint32_t rights);

/** vm_destroy() - stop every vCPU and release the stage-2 tables. */
void vm_destroy(struct vm *vm);
