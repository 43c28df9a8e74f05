/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SHA-256 (FIPS 180-4) for bundle and image integrity checks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32u
#define SHA256_BLOCK_LEN 64u

struct sha256_ctx {
    uint32_t state[8];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[SHA256_BLOCK_LEN];
    uint32_t block_len; /* bytes buffered in block */
};

/* Compresses @n consecutive 64-byte blocks into @state with the round constants @k. */
typedef void sha256_blocks_fn(uint32_t state[8], const uint8_t *blocks, size_t n,
                              const uint32_t k[64]);

/** sha256_use_blocks() - compress whole blocks with @fn from now on (NULL: the portable C
 * code). For a CPU's hash instructions; the caller checks @fn against the C code first. */
void sha256_use_blocks(sha256_blocks_fn *fn);

/** sha256_ce_blocks() - the ARMv8 Cryptographic Extension compressor (aarch64 targets only,
 * lib/sha256_ce.S); only for CPUs with ID_AA64ISAR0_EL1.SHA2. */
sha256_blocks_fn sha256_ce_blocks;

/** sha256_init() - start a new digest in ctx. */
void sha256_init(struct sha256_ctx *ctx);

/** sha256_update() - hash len more bytes of data (data may be NULL when len is 0). */
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);

/** sha256_final() - finish and write the digest to out; ctx must be re-initialised to reuse. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);

/** sha256() - one-shot digest of len bytes at data into out. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
