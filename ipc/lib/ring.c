/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Shared byte rings of records (understudy/ring.h). */
#include <understudy/ring.h>

int us_ring_put(struct us_guest_ring *r, const void *p, uint32_t len)
{
    const uint8_t *b = p;
    uint32_t head = r->head, tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

    if (len > US_GUEST_RING_BYTES - (head - tail)) {
        return -1;
    }
    for (uint32_t i = 0; i < len; i++) {
        r->buf[(head + i) % US_GUEST_RING_BYTES] = b[i];
    }
    __atomic_store_n(&r->head, head + len, __ATOMIC_SEQ_CST);
    /* The consumer may have seen the ring empty and gone to sleep: it re-checks the head
     * after publishing its tail, so if its tail is still our old head it needs a signal. */
    return __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST) == head ? 1 : 0;
}

int us_ring_line_at(const struct us_guest_ring *r, uint32_t *cursor, char *out, uint32_t cap)
{
    uint32_t at = *cursor, head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), end, n = 0;

    for (end = at; end != head && r->buf[end % US_GUEST_RING_BYTES] != '\n'; end++) {
    }
    if (end == head) {
        return -1;
    }
    for (; at != end; at++) {
        if (n + 1 < cap) {
            out[n++] = (char)r->buf[at % US_GUEST_RING_BYTES];
        }
    }
    out[n] = '\0';
    *cursor = end + 1;
    return (int)n;
}

bool us_ring_release(struct us_guest_ring *r, uint32_t cursor)
{
    __atomic_store_n(&r->tail, cursor, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&r->head, __ATOMIC_SEQ_CST) != cursor;
}

int us_ring_line(struct us_guest_ring *r, char *out, uint32_t cap)
{
    uint32_t cursor = r->tail;
    int n = us_ring_line_at(r, &cursor, out, cap);

    if (n >= 0) {
        __atomic_store_n(&r->tail, cursor, __ATOMIC_SEQ_CST);
    }
    return n;
}
