/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the migrate server, and the agent channels it shares with the vmm. */
#pragma once

#include <understudy/console.h>
#include <understudy/msg.h>

#define US_MIGRATE_STATUS (US_LABEL_PROTO_BASE + 0x30u) /* reply w[0] = migrations done */
/* w[0] = VM slot, w[1] = US_AGENT_TEXT_*: reply w[0] = US_AGENT_*, w[1] = lines the agent has
 * sent, w[2]... = that text, NUL-terminated (US_AGENT_TEXT_MAX bytes at most). */
#define US_MIGRATE_AGENT_INFO (US_LABEL_PROTO_BASE + 0x31u)
/* w[0] = VM slot, w[1]... = one request line for its agent, NUL-terminated, no LF: queued for
 * the agent (its answer shows in US_MIGRATE_AGENT_INFO's last line). Errors: US_ENOENT (no
 * agent connected), US_EINVAL (empty, unprintable or unterminated), US_ENOMEM (channel full). */
#define US_MIGRATE_AGENT_SEND (US_LABEL_PROTO_BASE + 0x32u)

#define US_AGENT_NONE 0u   /* no agent has connected since migrate started */
#define US_AGENT_UP 1u     /* connected */
#define US_AGENT_CLOSED 2u /* it was connected; the connection has ended */
#define US_AGENT_TEXT_HELLO 0u
#define US_AGENT_TEXT_LAST 1u
#define US_AGENT_TEXT_MAX 128u

/*
 * The agent channels (`shared 1`, US_AGENT_CHANS_SIZE bytes): for each VM slot, the lines its
 * guest agent sends over virtio-vsock (port 1024) go up from the vmm to migrate, and
 * migrate's lines go down to the agent. Each ring carries whole LF-terminated records
 * (understudy/ring.h); the vmm marks a new connection with the record US_AGENT_OPEN followed
 * by the VM's name, and its end with US_AGENT_CLOSE. Agent lines are printable ASCII, cut
 * at US_AGENT_TEXT_MAX - 1 bytes, so they never start with those markers' first byte.
 */
struct us_agent_chan {
    struct us_guest_ring up;   /* vmm -> migrate: the vmm writes head, migrate tail */
    struct us_guest_ring down; /* migrate -> vmm: migrate writes head, the vmm tail */
};
#define US_AGENT_CHANS 8u
#define US_AGENT_CHANS_SIZE (US_AGENT_CHANS * 8192u)
_Static_assert(sizeof(struct us_agent_chan) == 8192u, "us_agent_chan is ABI");
#define US_AGENT_OPEN "\001open "
#define US_AGENT_CLOSE "\001close"

/* Maintenance flows (docs/maintenance.md): one runs at a time, as a transaction
 * prepare -> transfer -> commit -> retire. Until the commit, a failure or an abort leaves the
 * application serving on the first instance with all its data. */
#define US_MIGRATE_MAINT_START (US_LABEL_PROTO_BASE + 0x33u)  /* struct us_maint_req */
#define US_MIGRATE_MAINT_STATUS (US_LABEL_PROTO_BASE + 0x34u) /* reply struct us_maint_status */
#define US_MIGRATE_MAINT_ABORT (US_LABEL_PROTO_BASE + 0x35u)  /* refused after the commit */
/* A refused START or ABORT replies with the error and a NUL-terminated reason in w[0..]. */

#define US_MAINT_UPGRADE_OS 1u  /* the understudy boots the given kernel, initrd, bootargs */
#define US_MAINT_RECONFIGURE 2u /* to an understudy, then back to the VM made anew with them */
#define US_MAINT_UPGRADE_APP                                                                       \
    3u /* the understudy runs a new application image (its append                                  \
        * names it: understudy.app=NAME) and the requests cut over */
/* remove-device (docs/pci.md): the VM holding @device (a PCI function passed through to it)
 * moves its application to an understudy without it; then devmgr releases the device and
 * powers its slot off. A device no VM holds is released at once. */
#define US_MAINT_REMOVE_DEVICE 4u
/* add-device: @device (hot-added, shielded from every running instance) is given to an
 * understudy of @vm, which takes over its application. */
#define US_MAINT_ADD_DEVICE 5u
/* remove-memory (docs/memory.md): the physical range [@base, @base + @mem_size) is withheld
 * from allocation and the hypervisor's own pages move out; via=copy (the default) the guests'
 * RAM is copied under them too; a VM whose RAM stays (via another mechanism, or reachable by a
 * device) moves its application to an understudy (whose RAM is then elsewhere) and retires;
 * the range is audited empty at the end. */
#define US_MAINT_REMOVE_MEMORY 6u

#define US_MAINT_VIA_RESTART 1u  /* quiesce, carry the state, restart in the understudy */
#define US_MAINT_VIA_REDIRECT 2u /* new connections to the understudy, old ones finish */
#define US_MAINT_VIA_CRIU 3u     /* the process itself moves, with its TCP connections */
#define US_MAINT_VIA_COPY 4u     /* remove-memory: the guest's RAM is copied, the guest runs on */

struct us_maint_req {
    uint32_t flow; /* US_MAINT_UPGRADE_OS */
    uint32_t via;  /* US_MAINT_VIA_* */
    char vm[16];   /* the VM whose application moves */
    char kernel[32];
    char initrd[32];   /* bundle entries; "" keeps the VM's */
    char append[96];   /* added to the VM's bootargs for the understudy */
    char device[32];   /* remove-device: the inventory's name of the device */
    uint64_t mem_size; /* 0 keeps the VM's; remove-memory: the range's size */
    uint32_t vcpus;    /* 0 keeps the VM's */
    uint32_t fault;    /* US_MAINT_FAULT_*: debug builds only, for the tests */
    uint64_t base;     /* remove-memory: the range's physical base */
};
_Static_assert(sizeof(struct us_maint_req) <= US_MSG_MAX_LEN, "us_maint_req fits one message");

/* Faults a flow injects into itself (debug builds), so tests reach each failure for sure. */
#define US_MAINT_FAULT_NONE 0u
#define US_MAINT_FAULT_CORRUPT 1u /* a byte of the carried state flips inside the vmm */
#define US_MAINT_FAULT_KILL 2u    /* the understudy is destroyed while the state moves */
#define US_MAINT_FAULT_STALL 3u   /* the flow stops once kvd is frozen, until maint abort */
#define US_MAINT_FAULT_CRASH 4u   /* migrate faults once, having read "OK frozen", unsealed */

#define US_MAINT_IDLE 0u     /* no flow since migrate started */
#define US_MAINT_PREPARE 1u  /* the understudy boots; its agent must say its application is up */
#define US_MAINT_TRANSFER 2u /* the application is quiesced and its state carried */
#define US_MAINT_COMMIT 3u   /* the understudy serves; the first instance is being retired */
#define US_MAINT_DONE 4u     /* the understudy serves, the first instance is gone */
#define US_MAINT_ABORTED 5u  /* failed or aborted before the commit: the first one serves */

struct us_maint_status {
    uint32_t phase; /* US_MAINT_* */
    uint32_t flow, via;
    uint32_t result; /* US_OK, or why it stopped */
    uint32_t first_slot, understudy_slot;
    uint64_t bytes; /* state carried */
    char first[16], understudy[16];
    char step[128]; /* the step under way, or how it ended */
};
_Static_assert(sizeof(struct us_maint_status) <= US_MSG_MAX_LEN, "us_maint_status fits a reply");
