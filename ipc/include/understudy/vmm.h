/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the vmm server: VM listing, guest console input, VMs created and retired at run
 * time. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

#define US_VMM_VM_COUNT (US_LABEL_PROTO_BASE + 0x10u) /* reply w[0] = number of VM slots */
#define US_VMM_VM_INFO (US_LABEL_PROTO_BASE + 0x11u)  /* w[0]=slot; reply struct us_vm_info */
/* w[0]=vmid, w[1]=count, bytes in w[2..]; reply w[0]=bytes taken: fewer when the guest's input
 * is full, and the vmm signals US_NTFN_GUEST_IN_ROOM once the guest reads from it. */
#define US_VMM_GUEST_IN (US_LABEL_PROTO_BASE + 0x12u)
#define US_VMM_VM_CREATE (US_LABEL_PROTO_BASE + 0x13u)   /* struct us_vm_create; reply w[0]=slot */
#define US_VMM_VM_RETIRE (US_LABEL_PROTO_BASE + 0x14u)   /* w[0]=slot; its memory goes back */
#define US_VMM_NET_SERVICE (US_LABEL_PROTO_BASE + 0x15u) /* w[0]=US_NET_SVC_*, w[1..3] */
/* Debug builds: flip one byte of the state the carry service keeps (fault injection). */
#define US_VMM_CARRY_FLIP (US_LABEL_PROTO_BASE + 0x16u)
/* Drop the state the carry service keeps, if any: its memory goes back (a flow's end). */
#define US_VMM_CARRY_DROP (US_LABEL_PROTO_BASE + 0x17u)
/* migrate restarted without its state: put an open record on the channel of every VM whose
 * agent is connected, as if each had just connected; reply w[0] = how many. */
#define US_VMM_AGENTS_RESYNC (US_LABEL_PROTO_BASE + 0x18u)

/* US_VMM_NET_SERVICE operations on a service address: the MAC (and so the IP) that a VM and
 * its twins (VMs created with US_VM_CREATE_TWIN from it) share. One of them is active: frames
 * from outside for the address go to it; the others are standby and neither receive nor send,
 * except on the TCP connections the switch saw them serve (connection tracking). */
#define US_NET_SVC_HOLD 1u     /* w[1]=slot: queue frames of new connections to its address */
#define US_NET_SVC_HOLD_ALL 1u /* HOLD's w[2]: established connections' frames too */
#define US_NET_SVC_RELEASE 2u  /* w[1]=slot: deliver what was held, to the active twin by then */
#define US_NET_SVC_CUTOVER 3u  /* w[1]=active slot A, w[2]=its twin B: B active, A standby */
#define US_NET_SVC_FORGET 4u   /* w[1]=slot: drop its tracked connections (it stops serving) */
/* US_NET_SVC_STATUS, w[1]=slot: reply w[0]=held frames, w[1]=connections tracked to that slot,
 * w[2]=frames dropped while held (the queue was full). */
#define US_NET_SVC_STATUS 5u
/* CUTOVER's w[3]: A keeps serving every connection older than the cut-over, also those the
 * switch never saw a frame of (redirect: the first instance finishes them) */
#define US_NET_SVC_KEEP_OLD 1u

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
    uint32_t devices; /* US_GUEST_DEV_* it sees at this boot */
    uint64_t mem_size;
    uint64_t exits; /* exits handled so far */
    uint64_t last_fault_ipa;
    uint64_t ram_pa; /* where its RAM is in host-physical memory (one contiguous run) */
};
_Static_assert(sizeof(struct us_vm_info) == 64, "us_vm_info is ABI");

/* US_VMM_VM_CREATE: a new VM from the configuration of a running one (@base), with what the
 * request changes. Its images come from the boot bundle and are checked against their sha256
 * before use. Strings are NUL-terminated within their fields; an empty one keeps the base's. */
#define US_VM_CREATE_BOOTARGS_LEN 96u
#define US_VM_CREATE_APPEND (1u << 0) /* bootargs are added after the base's, not instead */
#define US_VM_CREATE_TWIN (1u << 1)   /* same network address as the base, standby at first */
struct us_vm_create {
    char name[US_VM_NAME_LEN]; /* the new VM's: [A-Za-z0-9_-], unique */
    char base[US_VM_NAME_LEN];
    char kernel[32]; /* bundle entry names (US_BUNDLE_NAME_LEN) */
    char initrd[32];
    uint64_t mem_size; /* bytes, a multiple of 1 MiB; 0 keeps the base's */
    uint32_t vcpus;    /* 0 keeps the base's */
    uint32_t flags;    /* US_VM_CREATE_* */
    char bootargs[US_VM_CREATE_BOOTARGS_LEN];
    char passthrough[32]; /* a host PCI function the new VM is given (docs/pci.md); "": none */
};
_Static_assert(sizeof(struct us_vm_create) == US_MSG_MAX_LEN, "us_vm_create fills one message");
