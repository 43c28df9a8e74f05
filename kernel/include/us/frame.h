/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Physical frame allocator: a bitmap over one RAM range, contiguous first-fit allocation. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

struct frame_pool {
    uint64_t base; /* physical address of frame 0 */
    uint64_t frame_count;
    uint64_t free_count;
    uint64_t hint;    /* where the next search starts */
    uint64_t *bitmap; /* 1 = in use; frame_count bits */
};

/** frame_pool_bitmap_words() - how many uint64_t the bitmap of @frame_count frames needs. */
static inline uint64_t frame_pool_bitmap_words(uint64_t frame_count)
{
    return (frame_count + 63) / 64;
}

/** frame_pool_init() - make every frame of [base, base + frame_count pages) free.
 * Precondition: @base page aligned, @bitmap holds frame_pool_bitmap_words() words. */
void frame_pool_init(struct frame_pool *p, paddr_t base, uint64_t frame_count, uint64_t *bitmap);

/** frame_pool_reserve() - mark the pages overlapping [pa, pa + size) as used.
 * Parts outside the pool are ignored. */
void frame_pool_reserve(struct frame_pool *p, paddr_t pa, uint64_t size);

/** frame_alloc() - allocate @count contiguous frames whose address is a multiple of
 * @align_frames frames (a power of two).
 * Returns: US_OK with *out set; US_EINVAL for count 0 or a bad alignment; US_ENOMEM when no
 * run is free. */
us_err_t frame_alloc(struct frame_pool *p, uint64_t count, uint64_t align_frames, paddr_t *out);

/** frame_free() - release frames from a previous frame_alloc().
 * Returns: US_OK; US_ERANGE if the run is outside the pool; US_EINVAL if a frame is already
 * free (double free: nothing is changed). */
us_err_t frame_free(struct frame_pool *p, paddr_t pa, uint64_t count);

/** frame_is_used() - predicate for one frame; false outside the pool. */
bool frame_is_used(const struct frame_pool *p, paddr_t pa);
