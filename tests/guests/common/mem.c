/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Byte-wise memset/memcpy, safe on RAM mapped as Device memory while the MMU is off. */
#include "mem.h"

void *memset(void *dst, int c, size_t n)
{
    volatile unsigned char *d = dst;

    /* volatile stops GCC turning this loop back into a memset call. */
    for (size_t i = 0; i < n; i++) {
        d[i] = (unsigned char)c;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile unsigned char *d = dst;
    const unsigned char *s = src;

    for (size_t i = 0; i < n; i++) {
        d[i] = s[i];
    }
    return dst;
}
