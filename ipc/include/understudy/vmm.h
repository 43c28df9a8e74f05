/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the vmm server: VM listing and guest console input. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

#define US_VMM_VM_COUNT (US_LABEL_PROTO_BASE + 0x10u) /* reply w[0] = number of VM slots */
#define US_VMM_VM_INFO (US_LABEL_PROTO_BASE + 0x11u)  /* w[0]=slot; reply struct us_vm_info */
#define US_VMM_GUEST_IN (US_LABEL_PROTO_BASE + 0x12u) /* w[0]=vmid, w[1]=count, bytes in w[2..] */

#define US_VM_NAME_LEN 16u
#define US_VM_STATE_EMPTY 0u
#define US_VM_STATE_RUNNING 1u
#define US_VM_STATE_OFF 2u     /* the guest called SYSTEM_OFF */
#define US_VM_STATE_CRASHED 3u /* stopped by the vmm after a fatal guest fault */

struct us_vm_info {
    char name[US_VM_NAME_LEN];
    uint32_t vmid;
    uint32_t state; /* US_VM_STATE_* */
    uint32_t vcpu_count;
    uint32_t reserved;
    uint64_t mem_size;
    uint64_t exits; /* exits handled so far */
    uint64_t last_fault_ipa;
    uint64_t reserved2;
};
_Static_assert(sizeof(struct us_vm_info) == 64, "us_vm_info is ABI");
