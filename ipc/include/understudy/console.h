/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the console server: guest console output reaches the operator through it. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

/*
 * Guest console output travels through shared memory, not calls, so the vmm never blocks on
 * the console (docs/ipc-graph.md): one single-producer (vmm) single-consumer (console) ring
 * per VM slot, in the region both get as "shared 0". head and tail count bytes ever written
 * and read. A PL011 byte that finds the ring full is dropped; a virtio console transfer waits
 * instead: the vmm sets want_room, and the console signals US_NTFN_RING_ROOM to the vmm after
 * draining such a ring.
 */
#define US_GUEST_RINGS 8u
#define US_GUEST_RING_BYTES 4080u

struct us_guest_ring {
    uint32_t head;      /* written by the vmm */
    uint32_t tail;      /* written by the console */
    uint32_t want_room; /* set by the vmm: tell it when this ring has been drained */
    uint32_t reserved;
    uint8_t buf[US_GUEST_RING_BYTES];
};
_Static_assert(sizeof(struct us_guest_ring) == 4096, "us_guest_ring is ABI");

/* No call labels: the console calls the other servers, never the reverse (docs/ipc-graph.md).
 * Guest output arrives through the rings above and the US_NTFN_GUEST_OUT notification. */
