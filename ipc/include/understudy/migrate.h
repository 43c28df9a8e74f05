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
