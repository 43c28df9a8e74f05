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
 * and read; the producer drops bytes when the ring is full.
 */
#define US_GUEST_RINGS 8u
#define US_GUEST_RING_BYTES 4088u

struct us_guest_ring {
    uint32_t head; /* written by the vmm */
    uint32_t tail; /* written by the console */
    uint8_t buf[US_GUEST_RING_BYTES];
};
_Static_assert(sizeof(struct us_guest_ring) == 4096, "us_guest_ring is ABI");

#define US_CONSOLE_GUEST_OUT (US_LABEL_PROTO_BASE + 0x00u) /* w[0]=vmid, w[1]=count, bytes in w[2..] */
#define US_CONSOLE_GUEST_OUT_MAX (US_MSG_MAX_LEN - 16u)
