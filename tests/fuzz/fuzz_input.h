/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Shared by the fuzz targets: reading an input as a stream of numbers, and invariant checks. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry point: one input, which the harness must not keep. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test that must hold whatever the input: abort() makes
 * libFuzzer keep the input as a crash. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The unread rest of an input. Reads past its end give zero bytes, so every input is a
 * complete script. */
struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline size_t fi_left(const struct fuzz_in *in)
{
    return in->n;
}

static inline uint8_t fi_u8(struct fuzz_in *in)
{
    uint8_t b = 0;

    if (in->n > 0) {
        b = *in->p++;
        in->n--;
    }
    return b;
}

/* Little-endian, like every layout the targets read. */
static inline uint16_t fi_u16(struct fuzz_in *in)
{
    uint16_t lo = fi_u8(in);

    return (uint16_t)(lo | (uint16_t)(fi_u8(in) << 8));
}

static inline uint32_t fi_u32(struct fuzz_in *in)
{
    uint32_t lo = fi_u16(in);

    return lo | (uint32_t)fi_u16(in) << 16;
}

static inline uint64_t fi_u64(struct fuzz_in *in)
{
    uint64_t lo = fi_u32(in);

    return lo | (uint64_t)fi_u32(in) << 32;
}

/* Copy up to @n bytes into @dst, zero-filling what the input lacks. */
static inline void fi_bytes(struct fuzz_in *in, void *dst, size_t n)
{
    size_t take = n < in->n ? n : in->n;

    if (take > 0) {
        memcpy(dst, in->p, take);
    }
    memset((uint8_t *)dst + take, 0, n - take);
    in->p += take;
    in->n -= take;
}
