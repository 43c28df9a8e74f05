/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Physical frame allocator: one bitmap, first-fit search from a moving hint. */
#include <us/frame.h>
#include <us/log.h>

static bool bit_get(const struct frame_pool *p, uint64_t i)
{
    return (p->bitmap[i / 64] >> (i % 64)) & 1u;
}

static void bit_set(struct frame_pool *p, uint64_t i, bool v)
{
    uint64_t m = 1ull << (i % 64);
    if (v) {
        p->bitmap[i / 64] |= m;
    } else {
        p->bitmap[i / 64] &= ~m;
    }
}

void frame_pool_init(struct frame_pool *p, paddr_t base, uint64_t frame_count, uint64_t *bitmap)
{
    uint64_t w;

    p->base = pa_of(base);
    p->frame_count = frame_count;
    p->free_count = frame_count;
    p->hint = 0;
    p->off_count = 0;
    p->held_count = 0;
    p->bitmap = bitmap;
    for (w = 0; w < frame_pool_bitmap_words(frame_count); w++) {
        bitmap[w] = 0;
    }
}

void frame_pool_reserve(struct frame_pool *p, paddr_t pa, uint64_t size)
{
    uint64_t lo = align_down(pa_of(pa), PAGE_SIZE);
    uint64_t hi = align_up(pa_of(pa) + size, PAGE_SIZE);
    uint64_t end = p->base + p->frame_count * PAGE_SIZE;
    uint64_t a;

    if (hi <= p->base || lo >= end) {
        return;
    }
    lo = lo < p->base ? p->base : lo;
    hi = hi > end ? end : hi;
    for (a = lo; a < hi; a += PAGE_SIZE) {
        uint64_t i = (a - p->base) >> PAGE_SHIFT;
        if (!bit_get(p, i)) {
            bit_set(p, i, true);
            p->free_count--;
        }
    }
}

/* Length of the free run starting at frame i, capped at want. */
static uint64_t free_run(const struct frame_pool *p, uint64_t i, uint64_t want)
{
    uint64_t n = 0;
    while (n < want && i + n < p->frame_count && !bit_get(p, i + n)) {
        n++;
    }
    return n;
}

static bool search(struct frame_pool *p, uint64_t from, uint64_t to, uint64_t count, uint64_t align,
                   uint64_t *found)
{
    /* Alignment is of the physical address, so align the frame index relative to base. */
    uint64_t base_frame = p->base >> PAGE_SHIFT;
    uint64_t i = align_up(base_frame + from, align) - base_frame;

    while (i + count <= to) {
        uint64_t run = free_run(p, i, count);
        if (run == count) {
            *found = i;
            return true;
        }
        i = align_up(base_frame + i + run + 1, align) - base_frame;
    }
    return false;
}

us_err_t frame_alloc(struct frame_pool *p, uint64_t count, uint64_t align_frames, paddr_t *out)
{
    uint64_t i, k;

    if (count == 0 || align_frames == 0 || (align_frames & (align_frames - 1)) != 0) {
        return US_TRACE(US_EINVAL);
    }
    if (count > p->free_count) {
        return US_ENOMEM;
    }
    if (!search(p, p->hint, p->frame_count, count, align_frames, &i) &&
        !search(p, 0, p->frame_count, count, align_frames, &i)) {
        return US_ENOMEM;
    }
    for (k = 0; k < count; k++) {
        bit_set(p, i + k, true);
    }
    p->free_count -= count;
    p->hint = i + count;
    *out = pa_init(p->base + (i << PAGE_SHIFT));
    return US_OK;
}

static bool withheld(const struct frame_pool *p, uint64_t i)
{
    return i >= p->off_first && i - p->off_first < p->off_count;
}

static bool held_get(const struct frame_pool *p, uint64_t i)
{
    return withheld(p, i) && ((p->held[(i - p->off_first) / 64] >> ((i - p->off_first) % 64)) & 1u);
}

static void hold(struct frame_pool *p, uint64_t i)
{
    p->held[(i - p->off_first) / 64] |= 1ull << ((i - p->off_first) % 64);
    p->held_count++;
}

us_err_t frame_pool_offline(struct frame_pool *p, paddr_t pa, uint64_t size, uint64_t *held,
                            uint64_t max_frames)
{
    uint64_t a = pa_of(pa), n = size >> PAGE_SHIFT, i;

    if (size == 0 || !is_aligned(a | size, PAGE_SIZE)) {
        return US_TRACE(US_EINVAL);
    }
    if (a < p->base || n > max_frames || ((a - p->base) >> PAGE_SHIFT) > p->frame_count ||
        n > p->frame_count - ((a - p->base) >> PAGE_SHIFT)) {
        return US_TRACE(US_ERANGE);
    }
    if (p->off_count != 0) {
        return US_EBUSY;
    }
    p->off_first = (a - p->base) >> PAGE_SHIFT;
    p->off_count = n;
    p->held = held;
    p->held_count = 0;
    for (i = 0; i < frame_pool_bitmap_words(n); i++) {
        held[i] = 0;
    }
    for (i = p->off_first; i < p->off_first + n; i++) {
        if (!bit_get(p, i)) {
            bit_set(p, i, true);
            p->free_count--;
            hold(p, i);
        }
    }
    return US_OK;
}

void frame_pool_online(struct frame_pool *p)
{
    for (uint64_t i = p->off_first; i < p->off_first + p->off_count; i++) {
        if (held_get(p, i)) {
            bit_set(p, i, false);
            p->free_count++;
        }
    }
    if (p->off_first < p->hint) {
        p->hint = p->off_first;
    }
    p->off_count = 0;
    p->held_count = 0;
}

void frame_pool_count(const struct frame_pool *p, paddr_t pa, uint64_t size, uint64_t *used,
                      uint64_t *free)
{
    uint64_t lo = pa_of(pa), hi = lo + size, end = p->base + p->frame_count * PAGE_SIZE;

    *used = *free = 0;
    lo = lo < p->base ? p->base : align_down(lo, PAGE_SIZE);
    hi = hi > end ? end : hi;
    for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
        uint64_t i = (a - p->base) >> PAGE_SHIFT;

        if (!bit_get(p, i)) {
            (*free)++;
        } else if (!held_get(p, i)) {
            (*used)++;
        }
    }
}

us_err_t frame_free(struct frame_pool *p, paddr_t pa, uint64_t count)
{
    uint64_t a = pa_of(pa), i, k, n;

    if (!is_aligned(a, PAGE_SIZE) || a < p->base || count == 0 || count > p->frame_count ||
        ((a - p->base) >> PAGE_SHIFT) > p->frame_count - count) {
        return US_TRACE(US_ERANGE);
    }
    i = (a - p->base) >> PAGE_SHIFT;
    for (k = 0; k < count; k++) {
        if (!bit_get(p, i + k)) {
            return US_TRACE(US_EINVAL);
        }
    }
    for (k = 0, n = 0; k < count; k++) {
        if (withheld(p, i + k)) {
            hold(p, i + k); /* stays marked: the range is being emptied */
        } else {
            bit_set(p, i + k, false);
            n++;
        }
    }
    p->free_count += n;
    if (i < p->hint) {
        p->hint = i;
    }
    return US_OK;
}
