/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Scalar handle types, capability kinds and rights shared across the user/kernel boundary. */
#pragma once

#include <stdint.h>

/* Bump on any incompatible change to a layout in ipc/. Carried in boot info and bundles. */
#define US_ABI_REVISION 1u

/* A capability handle: an index into the calling process's handle table. */
typedef uint32_t us_cap_t;
#define US_INVALID_CAP UINT32_MAX
/* Room for the vmm to hold the largest configuration at once: its 24 manifest slots, then for
 * each of US_VM_MAX VMs the VM, its RAM, disk and fast-MMIO page, US_VM_VCPUS_MAX vCPUs and the
 * slices of a passed-through function's BARs. */
#define US_CAP_SLOTS 128u
#define US_SLOT_DYNAMIC_FIRST 24u /* capabilities the kernel hands out at run time start here */

/* A badge identifies the sender to a server; set when the send capability is minted. */
typedef uint64_t us_badge_t;
#define US_INVALID_BADGE UINT64_MAX
/* Badges with this bit set come from the kernel on behalf of a vCPU (exits). */
#define US_BADGE_VCPU (1ull << 63)

typedef uint32_t us_vmid_t;
#define US_INVALID_VMID UINT32_MAX

/* What one node runs at most: VMs, and vCPUs per VM. The kernel sizes its VM and vCPU pools
 * from these and the vmm's configuration parser accepts no more, so every configuration the
 * vmm accepts fits the kernel. */
#define US_VM_MAX 8u
#define US_VM_VCPUS_MAX 8u

typedef uint32_t us_irq_t;
#define US_INVALID_IRQ UINT32_MAX
/* x86_64: physical interrupt ID i arrives at the host CPU as vector US_X86_VECTOR_BASE + i
 * (the kernel's APIC setup), which is where a server that programs a device's MSI aims it. */
#define US_X86_VECTOR_BASE 0x20u

/* Capability kinds. Values are ABI (they appear in the boot manifest). */
#define US_CAPK_NONE 0u
#define US_CAPK_ENDPOINT 1u     /* synchronous IPC endpoint */
#define US_CAPK_NOTIFICATION 2u /* asynchronous word of event bits */
#define US_CAPK_MEMORY 3u       /* a contiguous run of physical frames or an MMIO window */
#define US_CAPK_IRQ 4u          /* a physical interrupt routed to a notification */
#define US_CAPK_VM_CONTROL 5u   /* may create VMs and allocate memory from a quota */
#define US_CAPK_VM 6u           /* one VM: its stage-2 space */
#define US_CAPK_VCPU 7u         /* one virtual CPU of a VM */
#define US_CAPK_KLOG 8u         /* may read the kernel log ring */
#define US_CAPK_SERVER_CTL 9u   /* may list, crash (debug) and restart servers */
#define US_CAPK_COUNT 10u

/* Rights. */
#define US_RIGHT_READ (1u << 0)
#define US_RIGHT_WRITE (1u << 1)
#define US_RIGHT_EXEC (1u << 2)
#define US_RIGHT_SEND (1u << 3)
#define US_RIGHT_RECV (1u << 4)
#define US_RIGHT_ALL 0x1fu

/* Fixed virtual addresses in every server's address space. */
#define US_VA_IPC_BUF 0x0000001000000000ull  /* one page: struct us_ipc_buf */
#define US_VA_BOOTINFO 0x0000001000001000ull /* one page, read-only: struct us_bootinfo */
#define US_VA_STATE 0x0000002000000000ull    /* the restart-surviving state region */
#define US_VA_STACK_TOP 0x0000003000000000ull
#define US_VA_DYNAMIC 0x0000004000000000ull  /* first address servers may map memory at */
#define US_VA_USER_TOP 0x0000008000000000ull /* servers' VA space is [0, 512 GiB) */

#define US_PAGE_SIZE 4096ull
