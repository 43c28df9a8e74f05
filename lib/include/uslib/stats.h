/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Small statistics for benchmarks that run inside servers and guests (no FP). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/**
 * us_median_u64() - the median of @n values; @v is sorted in place (insertion sort: @n is a
 * handful of batches). An even @n gives the mean of the middle two, rounded half up.
 * Returns: the median; 0 if @n is 0.
 */
uint64_t us_median_u64(uint64_t *v, size_t n);

/**
 * us_ticks_to_ns() - @ticks of a counter running at @freq Hz, in ns, without 128-bit
 * division; exact while @freq < 18.4 GHz. Returns: the ns; 0 if @freq is 0.
 */
uint64_t us_ticks_to_ns(uint64_t ticks, uint64_t freq);
