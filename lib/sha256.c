/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SHA-256 as specified in FIPS 180-4, written for clarity over speed. */
#include <uslib/sha256.h>

/* FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u,
    0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu,
    0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu,
    0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu,
    0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
    0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u, 0x19a4c116u,
    0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u,
    0xc67178f2u,
};

static inline uint32_t sha256_rotr(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32u - n));
}

static inline uint32_t sha256_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void sha256_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* FIPS 180-4 6.2.2: process one 512-bit block. */
static void sha256_compress(uint32_t state[8], const uint8_t block[SHA256_BLOCK_LEN])
{
    uint32_t w[64];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    unsigned t;

    for (t = 0; t < 16; t++) {
        w[t] = sha256_load_be32(block + 4u * t);
    }
    for (t = 16; t < 64; t++) {
        uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);

        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    for (t = 0; t < 64; t++) {
        uint32_t big_s1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + big_s1 + ch + sha256_k[t] + w[t];
        uint32_t big_s0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big_s0 + maj;

        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sha256_init(struct sha256_ctx *ctx)
{
    /* FIPS 180-4 5.3.3. */
    static const uint32_t h0[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
    };
    unsigned i;

    for (i = 0; i < 8; i++) {
        ctx->state[i] = h0[i];
    }
    ctx->total_len = 0;
    ctx->block_len = 0;
}

static sha256_blocks_fn *sha256_blocks; /* NULL: sha256_compress() one block at a time */

void sha256_use_blocks(sha256_blocks_fn *fn)
{
    sha256_blocks = fn;
}

static void sha256_compress_n(uint32_t state[8], const uint8_t *p, size_t n)
{
    if (sha256_blocks != NULL) {
        sha256_blocks(state, p, n, sha256_k);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sha256_compress(state, p + i * SHA256_BLOCK_LEN);
    }
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    ctx->total_len += (uint64_t)len;
    while (len > 0) {
        if (ctx->block_len == 0 && len >= SHA256_BLOCK_LEN) {
            size_t n = len / SHA256_BLOCK_LEN;

            sha256_compress_n(ctx->state, p, n);
            p += n * SHA256_BLOCK_LEN;
            len -= n * SHA256_BLOCK_LEN;
            continue;
        }
        ctx->block[ctx->block_len++] = *p++;
        len--;
        if (ctx->block_len == SHA256_BLOCK_LEN) {
            sha256_compress_n(ctx->state, ctx->block, 1);
            ctx->block_len = 0;
        }
    }
}

void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN])
{
    /* FIPS 180-4 5.1.1: a 1 bit, zeros to 56 mod 64, then the bit length big-endian. */
    uint64_t bits = ctx->total_len * 8u;
    unsigned i;

    ctx->block[ctx->block_len++] = 0x80u;
    if (ctx->block_len > SHA256_BLOCK_LEN - 8u) {
        while (ctx->block_len < SHA256_BLOCK_LEN) {
            ctx->block[ctx->block_len++] = 0;
        }
        sha256_compress_n(ctx->state, ctx->block, 1);
        ctx->block_len = 0;
    }
    while (ctx->block_len < SHA256_BLOCK_LEN - 8u) {
        ctx->block[ctx->block_len++] = 0;
    }
    for (i = 0; i < 8; i++) {
        ctx->block[SHA256_BLOCK_LEN - 1u - i] = (uint8_t)(bits >> (8u * i));
    }
    sha256_compress_n(ctx->state, ctx->block, 1);
    for (i = 0; i < 8; i++) {
        sha256_store_be32(out + 4u * i, ctx->state[i]);
    }
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, out);
}
