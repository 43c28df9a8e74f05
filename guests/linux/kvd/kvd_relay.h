/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kvd's relay to its twin on the understudy instance: the stream a service is moved through
 * without a gap ("redirect"). The first kvd sends a snapshot and then its writes; once it has
 * handed over, it forwards its remaining clients' requests and relays the replies back. */
#pragma once

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include "kv_proto.h"

/* Where a kvd stands in a move; STATS reports it as role=<name>. */
enum kvd_role {
    KVD_ALONE,       /* no relay: serves its own clients */
    KVD_REPLICATING, /* sent its snapshot, sends its writes, waits for SYNCED */
    KVD_SYNCED,      /* the follower has loaded the snapshot: HANDOVER may run */
    KVD_FORWARDING,  /* handed over: its clients' requests go to the twin */
    KVD_FOLLOWING,   /* loads the twin's snapshot and applies its writes; no TCP */
    KVD_PRIMARY,     /* promoted: serves, and answers the twin's forwarded requests */
    KVD_LOST,        /* the relay broke mid-move: serves what it holds */
};

/* A growable byte queue: bytes in [head, len) are still to be consumed. */
struct kvd_buf {
    char *p;
    size_t head;
    size_t len;
    size_t cap;
};

/* A forwarded request waiting for its reply: the client slot and the connection it held. An
 * entry with @local was answered here (an overlong line) and is delivered in its turn. */
struct kvd_waiting {
    int slot;
    uint32_t gen;
    const char *local;
};

/* Where a reply for client @slot (connection @gen) goes: the @n bytes of @reply, LF included. */
typedef void kvd_deliver_fn(void *ctx, int slot, uint32_t gen, const char *reply, size_t n);

struct kvd_relay {
    struct kv_store *kv;
    kvd_deliver_fn *deliver;
    void *ctx;
    const char *unix_path; /* the host tests' relay; NULL: vsock to the host */
    int fd;
    enum kvd_role role;
    int phase;          /* a follower's progress: the host's OK, the snapshot, then lines */
    int moved;          /* handed over: this store is stale, requests must not run here */
    uint64_t snap_keys; /* the snapshot's entries, which SYNCED must echo */
    int snap_pid;       /* the child writing the snapshot to the relay, or 0 */
    int snap_done;      /* read end of a pipe the child holds open until it exits, or -1 */
    struct kvd_buf in;
    struct kvd_buf out;
    struct kvd_waiting *wait; /* a ring of forwarded requests, oldest at wait_head */
    size_t wait_head;
    size_t wait_len;
    size_t wait_cap;
};

/** kvd_write_all() - write all @n bytes of @p to @fd (a socket or a file), retrying after
 * signals. Returns: 0; -1 on an error or a peer gone (the caller ignores SIGPIPE). */
int kvd_write_all(int fd, const char *p, size_t n);

/** kvd_relay_init() - @r with no relay, role alone, running requests against @kv; replies to
 * forwarded requests go to @deliver with @ctx. */
void kvd_relay_init(struct kvd_relay *r, struct kv_store *kv, kvd_deliver_fn *deliver, void *ctx);

/**
 * kvd_relay_set_addr() - dial the relay at @spec rather than vsock CID 2 port 1026; @spec is
 * "unix:PATH" (the host's tests) and must outlive @r.
 * Returns: 0; -1 if @spec is not of that form.
 */
int kvd_relay_set_addr(struct kvd_relay *r, const char *spec);

/**
 * kvd_relay_admin() - run @line (@len bytes, no LF) if it is one of the relay's admin
 * commands, FOLLOW, REPLICATE, HANDOVER or ALONE, writing its reply line into @out (@cap
 * bytes). REPLICATE may block up to 5 s waiting for the follower to join.
 * Returns: the reply's length; 0 if @line is none of them (@out untouched).
 */
size_t kvd_relay_admin(struct kvd_relay *r, const char *line, size_t len, char *out, size_t cap);

/**
 * kvd_relay_request() - a client's request line (@len bytes, no LF). Forwarding, a TCP
 * client's line (@slot >= 0, connection @gen) goes to the twin and its reply comes later
 * through the deliver function; an admin client (@slot -1) is always answered here. Otherwise
 * the line runs against the store, and while replicating a SET or DEL also goes to the twin.
 * @out holds KV_REPLY_MAX bytes.
 * Returns: the length of the reply in @out, to send now; 0 if the reply will be delivered.
 */
size_t kvd_relay_request(struct kvd_relay *r, int slot, uint32_t gen, const char *line, size_t len,
                         char *out);

/**
 * kvd_relay_overlong() - a client's line was too long to read: its error keeps its place
 * among the replies still awaited from the twin. Arguments as kvd_relay_request().
 * Returns: the length of the reply in @out, to send now; 0 if it will be delivered.
 */
size_t kvd_relay_overlong(struct kvd_relay *r, int slot, uint32_t gen, char *out);

/** kvd_relay_poll() - fill @p for the relay: fd -1 when there is none, POLLOUT while bytes
 * wait to be sent. */
void kvd_relay_poll(const struct kvd_relay *r, struct pollfd *p);

/** kvd_relay_ready() - act on what poll() reported for the relay (@revents): send what waits,
 * read and act on what arrived; a broken relay is closed and the role changes as it must. */
void kvd_relay_ready(struct kvd_relay *r, short revents);

/** kvd_relay_serves_tcp() - whether kvd may accept and serve TCP clients: not while it
 * follows, since a write there would be lost or overwritten. */
int kvd_relay_serves_tcp(const struct kvd_relay *r);

/** kvd_relay_role_name() - the role as STATS spells it. */
const char *kvd_relay_role_name(const struct kvd_relay *r);

/** kvd_relay_pending() - the forwarded requests still waiting for their reply. */
size_t kvd_relay_pending(const struct kvd_relay *r);
