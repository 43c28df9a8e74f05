/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
#include <uslib/stats.h>

#define NS_PER_S 1000000000ull

uint64_t us_median_u64(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;

        while (j > 0 && v[j - 1u] > x) {
            v[j] = v[j - 1u];
            j--;
        }
        v[j] = x;
    }
    if (n == 0) {
        return 0;
    }
    if ((n & 1u) != 0) {
        return v[n / 2u];
    }
    /* a/2 + b/2 plus the carry of the halves: no overflow near UINT64_MAX. */
    return v[n / 2u - 1u] / 2u + v[n / 2u] / 2u + ((v[n / 2u - 1u] & 1u) | (v[n / 2u] & 1u));
}

uint64_t us_ticks_to_ns(uint64_t ticks, uint64_t freq)
{
    if (freq == 0) {
        return 0;
    }
    return (ticks / freq) * NS_PER_S + ((ticks % freq) * NS_PER_S) / freq;
}
