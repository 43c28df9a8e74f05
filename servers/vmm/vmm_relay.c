/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The relay: a byte stream between an OS instance and its understudy.
 *
 * The redirect way of moving an application (docs/maintenance.md) needs the two copies of it
 * to talk while both run: the first streams its state and then its writes to the second, and
 * after the hand-over forwards its remaining clients' requests to it. virtio-vsock connects a
 * guest only to the host, so the vmm joins two host connections into one stream. On vsock
 * port RELAY_PORT the first line of a connection is
 *   JOIN NAME          NAME: up to RELAY_NAME - 1 letters, digits, '-' or '_'
 * The first JOIN of a name waits; a second from the first one's network twin (the same
 * address: an instance and its understudy, and nothing else) completes the pair, and both
 * get "OK". From then on the vmm copies bytes each way, and when either end closes, the other
 * is reset. A JOIN from a VM that is no twin of the waiting one, a name already paired, a
 * malformed line or bytes before the pairing are refused with "ERR reason".
 *
 * Flow control is end to end. The vmm keeps what one end sent in a ring of the size of the
 * receive buffer it advertises (VMM_VSOCK_BUF_ALLOC) and credits that end only as bytes leave
 * for the other (vmm_vsock_keep()), so a slow reader slows the writer and nothing is dropped.
 * Each pair's rings are memory taken from the vmm's quota when the pair completes and given
 * back when it ends. */
#include <understudy/slots.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm.h"

#define RELAY_PORT 1026u
#define RELAY_PAIRS VMM_RELAY_PAIRS
#define RELAY_NAME VMM_RELAY_NAME
#define RELAY_LINE 32u
#define RELAY_RING VMM_VSOCK_BUF_ALLOC /* the most an end may have in flight */

enum relay_mode { MODE_LINE, MODE_WAIT, MODE_SPLICED, MODE_DONE };

/* A connection's state (vmm_vsock_priv). */
struct relay_conn {
    uint32_t mode;
    uint32_t pair; /* MODE_WAIT, MODE_SPLICED: its pair, and which end it is */
    uint32_t end;
    uint32_t line_len;
    char line[RELAY_LINE];
};
_Static_assert(sizeof(struct relay_conn) <= VMM_VSOCK_PRIV, "fits a connection's private state");

/* The pairs: in vmm_state, so that they outlive a restart. */
static struct vmm_relay_pair *pairs;

static uint32_t depth; /* nested pumps: only the outermost flushes */

static void give_back(struct vmm_relay_pair *p)
{
    if (p->cap != 0) {
        (void)us_mem_unmap(p->cap);
        (void)us_mem_free(p->cap);
    }
    memset(p, 0, sizeof(*p));
}

static void refuse(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *why)
{
    char line[96];

    US_LOG_WARN("%s: relay: %s", st->config.vms[slot].name, why);
    us_snprintf(line, sizeof(line), "ERR %s\n", why);
    (void)vmm_vsock_send(st, slot, conn, (const uint8_t *)line, (uint32_t)strlen(line));
    ((struct relay_conn *)vmm_vsock_priv(st, slot, conn))->mode = MODE_DONE;
}

/* Move what end @d sent towards end 1 - d, as far as that end's queue takes it, and credit end
 * @d for it. The ends' VMs are interrupted by the outermost call only, and never VM @busy (the
 * one whose exit is being handled: its own pass fills its buffers next). */
static void pump(struct vmm_state *st, struct vmm_relay_pair *p, uint32_t busy)
{
    bool moved[2] = {false, false};

    depth++;
    for (uint32_t d = 0; d < 2; d++) {
        uint32_t to = 1u - d;

        while (p->spliced && p->tail[d] != p->head[d]) {
            uint32_t at = p->head[d] % RELAY_RING, n = p->tail[d] - p->head[d];
            uint32_t room = vmm_vsock_room(st, p->slot[to], p->conn[to]);

            n = n < RELAY_RING - at ? n : RELAY_RING - at;
            n = n < room ? n : room;
            if (n == 0 ||
                vmm_vsock_send(st, p->slot[to], p->conn[to], p->ring[d] + at, n) != US_OK) {
                break;
            }
            p->head[d] += n;
            vmm_vsock_consumed(st, p->slot[d], p->conn[d], n);
            moved[0] = moved[1] = true;
        }
    }
    depth--;
    for (uint32_t e = 0; depth == 0 && e < 2; e++) {
        if (moved[e] && p->spliced && p->slot[e] != busy) {
            vmm_vsock_flush(st, p->slot[e]);
        }
    }
}

/* "JOIN NAME" on connection @conn of VM @slot. */
static void join(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *name)
{
    struct relay_conn *rc = vmm_vsock_priv(st, slot, conn);
    struct vmm_relay_pair *p = NULL, *free_p = NULL;
    size_t n = strlen(name);
    uint64_t bytes = 2ull * RELAY_RING;

    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            n = 0;
        }
    }
    if (n == 0 || n >= RELAY_NAME) {
        refuse(st, slot, conn, "bad JOIN line (JOIN NAME)");
        return;
    }
    for (uint32_t i = 0; i < RELAY_PAIRS; i++) {
        if (pairs[i].used && strcmp(pairs[i].name, name) == 0 &&
            (pairs[i].slot[0] == slot || vmm_net_twins(st, pairs[i].slot[0], slot))) {
            p = &pairs[i];
        } else if (!pairs[i].used && free_p == NULL) {
            free_p = &pairs[i];
        }
    }
    if (p == NULL) {
        if (free_p == NULL) {
            refuse(st, slot, conn, "every relay is in use");
            return;
        }
        memset(free_p, 0, sizeof(*free_p));
        free_p->used = true;
        memcpy(free_p->name, name, n + 1u);
        free_p->slot[0] = slot;
        free_p->conn[0] = conn;
        rc->mode = MODE_WAIT;
        rc->pair = (uint32_t)(free_p - pairs);
        rc->end = 0;
        return;
    }
    if (p->spliced || p->slot[0] == slot) {
        refuse(st, slot, conn,
               p->spliced ? "that relay is paired already"
                          : "the other end must be the twin instance");
        return;
    }
    if (us_mem_alloc(US_SLOT_VMM_VM_CONTROL, bytes, &p->cap) != US_OK ||
        us_mem_map(p->cap, VMM_RELAY_VA((uint32_t)(p - pairs)), US_RIGHT_READ | US_RIGHT_WRITE) !=
            US_OK) {
        refuse(st, slot, conn, "no memory for the relay");
        if (p->cap != 0) {
            (void)us_mem_free(p->cap);
            p->cap = 0;
        }
        return;
    }
    p->ring[0] = (uint8_t *)(uintptr_t)VMM_RELAY_VA((uint32_t)(p - pairs));
    p->ring[1] = p->ring[0] + RELAY_RING;
    p->slot[1] = slot;
    p->conn[1] = conn;
    p->spliced = true;
    rc->mode = MODE_SPLICED;
    rc->pair = (uint32_t)(p - pairs);
    rc->end = 1;
    ((struct relay_conn *)vmm_vsock_priv(st, p->slot[0], p->conn[0]))->mode = MODE_SPLICED;
    (void)vmm_vsock_send(st, p->slot[0], p->conn[0], (const uint8_t *)"OK\n", 3);
    (void)vmm_vsock_send(st, slot, conn, (const uint8_t *)"OK\n", 3);
    US_LOG_INFO("relay %s: %s and %s joined", p->name, st->config.vms[p->slot[0]].name,
                st->config.vms[slot].name);
    if (depth == 0) {
        vmm_vsock_flush(st, p->slot[0]);
    }
}

static bool relay_connect(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    (void)st, (void)slot, (void)conn;
    return true;
}

static void relay_data(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                       uint32_t len)
{
    struct relay_conn *rc = vmm_vsock_priv(st, slot, conn);
    uint32_t i = 0;

    if (rc->mode == MODE_SPLICED) {
        struct vmm_relay_pair *p = &pairs[rc->pair];
        uint32_t d = rc->end;

        /* The guest's credit bounds what it sends to the ring's size. */
        for (; i < len && p->tail[d] - p->head[d] < RELAY_RING; i++) {
            p->ring[d][p->tail[d]++ % RELAY_RING] = b[i];
        }
        vmm_vsock_keep(st, slot, conn, i);
        if (i < len) {
            vmm_vsock_close(st, slot, conn, "relay: guest sent past its credit");
            return;
        }
        pump(st, p, slot);
        return;
    }
    while (rc->mode == MODE_LINE && i < len) {
        int r = vmm_vsock_take_line(rc->line, &rc->line_len, RELAY_LINE, b, len, &i);

        if (r < 0) {
            refuse(st, slot, conn, "line too long");
            return;
        }
        if (r == 0) {
            break;
        }
        if (strncmp(rc->line, "JOIN ", 5) != 0) {
            refuse(st, slot, conn, "unknown request (JOIN NAME)");
            break;
        }
        join(st, slot, conn, rc->line + 5);
        if (i < len && rc->mode == MODE_SPLICED) {
            relay_data(st, slot, conn, b + i, len - i);
            return;
        }
        break;
    }
    if (i < len) {
        /* Bytes after a refusal, or before the other end joined: nowhere to go. */
        vmm_vsock_close(st, slot, conn,
                        rc->mode == MODE_WAIT ? "relay: bytes before the pair was complete"
                                              : "relay: bytes after the request");
    }
}

/* Either end gone: the pair ends, and the other end is reset. */
static void relay_close(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    struct relay_conn *rc = vmm_vsock_priv(st, slot, conn);
    struct vmm_relay_pair *p;
    uint32_t other_slot, other_conn;
    bool spliced;

    if (rc->mode != MODE_WAIT && rc->mode != MODE_SPLICED) {
        return;
    }
    rc->mode = MODE_DONE;
    p = &pairs[rc->pair];
    spliced = p->spliced;
    other_slot = p->slot[1u - rc->end];
    other_conn = p->conn[1u - rc->end];
    if (spliced) {
        US_LOG_INFO("relay %s: %s left; the pair ends", p->name, st->config.vms[slot].name);
    }
    give_back(p);
    if (spliced) {
        ((struct relay_conn *)vmm_vsock_priv(st, other_slot, other_conn))->mode = MODE_DONE;
        vmm_vsock_close(st, other_slot, other_conn, "relay: the other end left");
        if (depth == 0 && other_slot != slot) {
            vmm_vsock_flush(st, other_slot);
        }
    }
}

/* An end's queue has room again: what waits for it can move. */
static void relay_writable(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    struct relay_conn *rc = vmm_vsock_priv(st, slot, conn);

    if (rc->mode == MODE_SPLICED) {
        pump(st, &pairs[rc->pair], slot);
    }
}

static const struct vmm_vsock_ops relay_ops = {
    .name = "relay",
    .on_connect = relay_connect,
    .on_data = relay_data,
    .on_close = relay_close,
    .on_writable = relay_writable,
};

void vmm_relay_init(struct vmm_state *st, bool cold)
{
    (void)cold; /* a zeroed pair is a free one */
    pairs = st->relay;
    (void)vmm_vsock_listen(RELAY_PORT, &relay_ops);
}
