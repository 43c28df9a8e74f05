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
    /* A range withheld (remove-memory): frames [off_first, off_first + off_count) that are
     * free, or are freed later, stay marked in use and are set in @held. */
    uint64_t off_first, off_count;
    uint64_t *held;
    uint64_t held_count;
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

/** frame_pool_offline() - withhold [pa, pa + size) from allocation: its free frames now, and
 * each frame freed in it later, are kept (@held: a bitmap of @max_frames bits, its storage).
 * Returns: US_OK; US_EINVAL unaligned or empty; US_ERANGE outside the pool or more than
 * @max_frames frames; US_EBUSY while another range is withheld. */
us_err_t frame_pool_offline(struct frame_pool *p, paddr_t pa, uint64_t size, uint64_t *held,
                            uint64_t max_frames);

/** frame_pool_online() - give the withheld range's kept frames back; nothing is withheld. */
void frame_pool_online(struct frame_pool *p);

/** frame_pool_count() - frames of [pa, pa + size) (clipped to the pool) in use but not kept
 * by the withheld range (@used), and free (@free). */
void frame_pool_count(const struct frame_pool *p, paddr_t pa, uint64_t size, uint64_t *used,
                      uint64_t *free);

/** frame_free() - release frames from a previous frame_alloc().
 * Returns: US_OK; US_ERANGE if the run is outside the pool; US_EINVAL if a frame is already
 * free (double free: nothing is changed). */
us_err_t frame_free(struct frame_pool *p, paddr_t pa, uint64_t count);
