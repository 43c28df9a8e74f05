/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* memset/memcpy for the test guests: GCC may emit calls to them even when freestanding. */
#pragma once

#include <stddef.h>

/** Fill @n bytes at @dst with (unsigned char)@c. Returns: @dst. */
void *memset(void *dst, int c, size_t n);

/** Copy @n bytes from @src to @dst; the ranges must not overlap. Returns: @dst. */
void *memcpy(void *dst, const void *src, size_t n);
