/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the kernel's physical frame allocator. */
#include <us/frame.h>
#include "kernel_fx.h"
#include "ut.h"

#define BASE 0x40000000ull
#define FRAMES 1024u

static uint64_t bitmap[FRAMES / 64];
static struct frame_pool pool;

static void setup(void)
{
    frame_pool_init(&pool, pa_init(BASE), FRAMES, bitmap);
}

static void alloc_returns_distinct_frames(void)
{
    paddr_t a, b;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 1, &a), US_OK);
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 1, &b), US_OK);
    UT_EXPECT(pa_of(a) != pa_of(b));
    UT_EXPECT(kfx_frame_used(&pool, a) && kfx_frame_used(&pool, b));
    UT_EXPECT_EQ(pool.free_count, FRAMES - 2);
}

static void alloc_respects_alignment(void)
{
    paddr_t a;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 1, &a), US_OK); /* knock the start off alignment */
    UT_EXPECT_EQ(frame_alloc(&pool, 16, 512, &a), US_OK);
    UT_EXPECT_EQ(pa_of(a) % (512 * PAGE_SIZE), 0);
}

static void alloc_exhausts_with_enomem(void)
{
    paddr_t a;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, FRAMES, 1, &a), US_OK);
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 1, &a), US_ENOMEM);
    UT_EXPECT_EQ(pool.free_count, 0);
}

static void alloc_rejects_zero_count(void)
{
    paddr_t a;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 0, 1, &a), US_EINVAL);
}

static void alloc_rejects_bad_alignment(void)
{
    paddr_t a;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 3, &a), US_EINVAL);
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 0, &a), US_EINVAL);
}

static void free_rejects_double_free(void)
{
    paddr_t a;
    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 4, 1, &a), US_OK);
    UT_EXPECT_EQ(frame_free(&pool, a, 4), US_OK);
    UT_EXPECT_EQ(frame_free(&pool, a, 4), US_EINVAL);
    UT_EXPECT_EQ(pool.free_count, FRAMES);
}

static void free_rejects_out_of_range(void)
{
    setup();
    UT_EXPECT_EQ(frame_free(&pool, pa_init(BASE - PAGE_SIZE), 1), US_ERANGE);
    UT_EXPECT_EQ(frame_free(&pool, pa_init(BASE + FRAMES * PAGE_SIZE), 1), US_ERANGE);
    UT_EXPECT_EQ(frame_free(&pool, pa_init(BASE + 1), 1), US_ERANGE);
    UT_EXPECT_EQ(frame_free(&pool, pa_init(BASE), FRAMES + 1), US_ERANGE);
}

static void reserve_clips_to_pool(void)
{
    setup();
    frame_pool_reserve(&pool, pa_init(BASE - 8 * PAGE_SIZE), 10 * PAGE_SIZE);
    UT_EXPECT_EQ(pool.free_count, FRAMES - 2);
    frame_pool_reserve(&pool, pa_init(BASE + 100), 1); /* partial page counts whole */
    UT_EXPECT_EQ(pool.free_count, FRAMES - 2);
    frame_pool_reserve(&pool, pa_init(BASE + (FRAMES - 1) * PAGE_SIZE), 100 * PAGE_SIZE);
    UT_EXPECT_EQ(pool.free_count, FRAMES - 3);
}

static void contiguous_after_fragmentation(void)
{
    paddr_t a[8], big;
    uint32_t i;
    setup();
    frame_pool_reserve(&pool, pa_init(BASE + 16 * PAGE_SIZE), (FRAMES - 16) * PAGE_SIZE);
    for (i = 0; i < 8; i++) {
        UT_EXPECT_EQ(frame_alloc(&pool, 2, 1, &a[i]), US_OK);
    }
    for (i = 0; i < 8; i += 2) {
        UT_EXPECT_EQ(frame_free(&pool, a[i], 2), US_OK);
    }
    UT_EXPECT_EQ(frame_alloc(&pool, 4, 1, &big), US_ENOMEM); /* only 2-frame holes */
    UT_EXPECT_EQ(frame_free(&pool, a[1], 2), US_OK);
    UT_EXPECT_EQ(frame_alloc(&pool, 6, 1, &big), US_OK);
    UT_EXPECT_EQ(pa_of(big), pa_of(a[0]));
}

static void random_alloc_free_keeps_counts(void)
{
    paddr_t held[64];
    uint64_t sizes[64];
    uint32_t n = 0, i, seed = 12345;
    uint64_t used = 0;
    setup();
    for (i = 0; i < 20000; i++) {
        seed = seed * 1103515245u + 12345u;
        if (n < 64 && (seed >> 16) % 3 != 0) {
            uint64_t c = 1 + (seed >> 8) % 9;
            if (frame_alloc(&pool, c, 1u << ((seed >> 4) % 3), &held[n]) == US_OK) {
                sizes[n++] = c;
                used += c;
            }
        } else if (n > 0) {
            uint32_t k = (seed >> 12) % n;
            UT_EXPECT_EQ(frame_free(&pool, held[k], sizes[k]), US_OK);
            used -= sizes[k];
            held[k] = held[--n];
            sizes[k] = sizes[n];
        }
        if (pool.free_count != FRAMES - used) {
            UT_EXPECT_EQ(pool.free_count, FRAMES - used);
            return;
        }
    }
}

/* A withheld range: nothing is allocated in it, what is freed in it stays out, and it all
 * comes back when it is given back. */
static void offline_range_stays_out(void)
{
    static uint64_t held[2];
    uint64_t used, free;
    paddr_t a, in, b;

    setup();
    UT_EXPECT_EQ(frame_alloc(&pool, 8, 1, &in), US_OK); /* frames 0-7 */
    UT_EXPECT_EQ(frame_pool_offline(&pool, pa_init(BASE + PAGE_SIZE), 3, held, 128), US_EINVAL);
    UT_EXPECT_EQ(frame_pool_offline(&pool, pa_init(BASE), 129 * PAGE_SIZE, held, 128), US_ERANGE);
    UT_EXPECT_EQ(frame_pool_offline(&pool, pa_init(BASE - PAGE_SIZE), PAGE_SIZE, held, 128),
                 US_ERANGE);
    UT_EXPECT_EQ(
        frame_pool_offline(&pool, pa_init(BASE + 4 * PAGE_SIZE), 16 * PAGE_SIZE, held, 128),
        US_OK); /* frames 4-19: 4-7 in use, 8-19 free */
    UT_EXPECT_EQ(frame_pool_offline(&pool, pa_init(BASE), PAGE_SIZE, held, 128), US_EBUSY);
    UT_EXPECT_EQ(pool.free_count, FRAMES - 8 - 12);
    frame_pool_count(&pool, pa_init(BASE + 4 * PAGE_SIZE), 16 * PAGE_SIZE, &used, &free);
    UT_EXPECT(used == 4 && free == 0);
    UT_EXPECT_EQ(frame_alloc(&pool, 1, 1, &a), US_OK);
    UT_EXPECT_EQ(pa_of(a), BASE + 20 * PAGE_SIZE); /* past the range */
    UT_EXPECT_EQ(frame_free(&pool, in, 8), US_OK); /* 0-3 free again, 4-7 stay out */
    UT_EXPECT_EQ(pool.free_count, FRAMES - 1 - 16);
    frame_pool_count(&pool, pa_init(BASE + 4 * PAGE_SIZE), 16 * PAGE_SIZE, &used, &free);
    UT_EXPECT(used == 0 && free == 0); /* empty: every frame in it withheld */
    UT_EXPECT_EQ(frame_alloc(&pool, 5, 1, &b), US_OK);
    UT_EXPECT_EQ(pa_of(b), BASE + 21 * PAGE_SIZE); /* 0-3 is too short, and 4-19 is out */
    frame_pool_online(&pool);
    UT_EXPECT_EQ(pool.free_count, FRAMES - 6);
    UT_EXPECT_EQ(frame_alloc(&pool, 16, 1, &b), US_OK);
    UT_EXPECT_EQ(pa_of(b), BASE + 4 * PAGE_SIZE); /* the range's frames are free again */
}

UT_MAIN({"alloc_returns_distinct_frames", alloc_returns_distinct_frames},
        {"offline_range_stays_out", offline_range_stays_out},
        {"alloc_respects_alignment", alloc_respects_alignment},
        {"alloc_exhausts_with_enomem", alloc_exhausts_with_enomem},
        {"alloc_rejects_zero_count", alloc_rejects_zero_count},
        {"alloc_rejects_bad_alignment", alloc_rejects_bad_alignment},
        {"free_rejects_double_free", free_rejects_double_free},
        {"free_rejects_out_of_range", free_rejects_out_of_range},
        {"reserve_clips_to_pool", reserve_clips_to_pool},
        {"contiguous_after_fragmentation", contiguous_after_fragmentation},
        {"random_alloc_free_keeps_counts", random_alloc_free_keeps_counts})
