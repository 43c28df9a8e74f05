/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/stats.c: the benchmark median and tick conversion. */
#include <stdint.h>
#include <uslib/stats.h>
#include "ut.h"

static void median_odd_even_empty(void)
{
    uint64_t a[] = {9, 1, 5, 3, 7};
    uint64_t b[] = {4, 1, 2, 8};
    uint64_t c[] = {3, 4};
    uint64_t one[] = {42};

    UT_EXPECT_EQ(us_median_u64(a, 5), 5);
    UT_EXPECT(a[0] == 1 && a[1] == 3 && a[2] == 5 && a[3] == 7 && a[4] == 9);
    UT_EXPECT_EQ(us_median_u64(b, 4), 3); /* (2 + 4) / 2 */
    UT_EXPECT_EQ(us_median_u64(c, 2), 4); /* 3.5 rounds half up */
    UT_EXPECT_EQ(us_median_u64(one, 1), 42);
    UT_EXPECT_EQ(us_median_u64(NULL, 0), 0);
}

static void median_no_overflow(void)
{
    uint64_t v[] = {UINT64_MAX, UINT64_MAX - 1};

    UT_EXPECT(us_median_u64(v, 2) == UINT64_MAX);
}

static void ticks_to_ns_exact(void)
{
    UT_EXPECT_EQ(us_ticks_to_ns(62500000, 62500000), 1000000000);
    UT_EXPECT_EQ(us_ticks_to_ns(1, 62500000), 16);
    UT_EXPECT_EQ(us_ticks_to_ns(3, 1000000000), 3);
    UT_EXPECT(us_ticks_to_ns(UINT64_MAX, 1000000000) == UINT64_MAX);
    UT_EXPECT_EQ(us_ticks_to_ns(5, 0), 0);
}

UT_MAIN({"median_odd_even_empty", median_odd_even_empty},
        {"median_no_overflow", median_no_overflow}, {"ticks_to_ns_exact", ticks_to_ns_exact})
