/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Byte rings in memory two servers share (struct us_guest_ring): one producer writes head,
 * one consumer writes tail, and the producer signals only when it found the ring empty, so a
 * busy stream costs one notification per burst. The consumer publishes its tail and then looks
 * at the head again, so nothing is ever left behind unsignalled. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/console.h>

/** us_ring_put() - append @len bytes (at most US_GUEST_RING_BYTES) to @r, all or none.
 * Returns: 1 if they went in and the ring had been empty (signal the consumer); 0 if they went
 * in; -1 if there is no room (nothing written). */
int us_ring_put(struct us_guest_ring *r, const void *p, uint32_t len);

/** us_ring_line() - take the next LF-terminated record from @r into @out (@cap bytes, at
 * least 1): NUL-terminated, without its LF, cut to fit. Producers write whole records, so a
 * record is either all there or not yet.
 * Returns: its length (after any cut); -1 if no whole record waits. */
int us_ring_line(struct us_guest_ring *r, char *out, uint32_t cap);

/** us_ring_line_at() - us_ring_line() from the consumer's private position *@cursor, which it
 * advances; the ring's tail, what the producer sees as taken, stays until us_ring_release().
 * For a consumer whose handling of a record counts only once its state is committed: after a
 * restart before the commit it reads the records again. Returns: as us_ring_line(). */
int us_ring_line_at(const struct us_guest_ring *r, uint32_t *cursor, char *out, uint32_t cap);

/** us_ring_release() - publish @cursor as the ring's tail: the records before it are taken.
 * Returns: true if more bytes wait past it; the producer may not signal for those (it saw the
 * ring not empty), so the consumer must see to them itself. */
bool us_ring_release(struct us_guest_ring *r, uint32_t cursor);
