/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A server's state region, kept across its restarts (docs/restart.md).
 *
 * The server works on its state in place (the live copy). After each request it has handled,
 * state_commit() copies the live copy to a shadow in the second half of the region and seals
 * it with a sequence number and a SHA-256 (the live copy is sealed first, so a server stopped
 * while it copies recovers the live copy, whole by then). A restarted server calls
 * state_recover(): the live
 * copy is whatever the last instance left, perhaps half-way through a request, so it is
 * replaced by the shadow, the state as of the last request that completed (the one in flight
 * failed with US_EABORT to its caller, who may ask again). A shadow that fails its checks
 * (bytes flipped, another version's layout) is never trusted: the server starts cold and says
 * so. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_SUM_LEN 32u

/* The shadow's seal. */
struct state_seal {
    uint32_t magic;             /* the server's */
    uint32_t version;           /* of the live copy's layout */
    uint64_t size;              /* bytes of the live copy */
    uint64_t seq;               /* commits so far */
    uint8_t sum[STATE_SUM_LEN]; /* SHA-256 of the above (sum zeroed) and the shadow's bytes */
};

enum state_start {
    STATE_COLD,      /* no earlier instance: the live copy is zeroed */
    STATE_RECOVERED, /* the live copy is the last committed state */
    STATE_CORRUPT,   /* the shadow failed its checks: the live copy is zeroed */
};

/** state_region_fits() - whether a region of @region bytes holds a live copy of @size bytes,
 * its shadow and the seal. */
bool state_region_fits(size_t region, size_t size);

/**
 * state_recover() - start a server on its state region at @base (@region bytes, its live copy
 * of @size bytes first). @restarted: the kernel's restart count is not zero.
 * Returns: what the live copy now holds; with STATE_CORRUPT, why in @why (may be NULL).
 */
enum state_start state_recover(void *base, size_t region, size_t size, uint32_t magic,
                               uint32_t version, bool restarted, const char **why);

/** state_commit() - seal the live copy as the state to recover to. */
void state_commit(void *base, size_t region, size_t size, uint32_t magic, uint32_t version);

/** state_commit_pending() - the first half of state_commit(): the live copy sealed where a
 * restart looks first, before the shadow is overwritten. For the tests of a crash between the
 * halves; servers call state_commit(). */
void state_commit_pending(void *base, size_t region, size_t size, uint32_t magic, uint32_t version);

/** state_flip() - for the fault tests: flip one byte of the committed shadow, so the next
 * state_recover() must refuse it. */
void state_flip(void *base, size_t region, size_t size);
