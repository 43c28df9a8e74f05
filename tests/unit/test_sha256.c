/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/sha256.c against the FIPS 180-4 / NIST example vectors. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uslib/sha256.h>
#include "ut.h"

static const char msg448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char msg896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                             "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void to_hex(const uint8_t d[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1])
{
    unsigned i;

    for (i = 0; i < SHA256_DIGEST_LEN; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void expect_digest(const uint8_t d[SHA256_DIGEST_LEN], const char *want)
{
    char hex[2 * SHA256_DIGEST_LEN + 1];

    to_hex(d, hex);
    if (strcmp(hex, want) != 0) {
        fprintf(stderr, "got  %s\nwant %s\n", hex, want);
    }
    UT_EXPECT(strcmp(hex, want) == 0);
}

static void expect_oneshot(const void *data, size_t len, const char *want)
{
    uint8_t d[SHA256_DIGEST_LEN];

    sha256(data, len, d);
    expect_digest(d, want);
}

static void sha256_hashes_empty(void)
{
    expect_oneshot("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void sha256_hashes_abc(void)
{
    expect_oneshot("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void sha256_hashes_448_bits(void)
{
    expect_oneshot(msg448, strlen(msg448),
                   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void sha256_hashes_896_bits(void)
{
    expect_oneshot(msg896, strlen(msg896),
                   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void sha256_hashes_million_a(void)
{
    static const char want[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    char block[1000];
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_LEN];
    unsigned i;

    memset(block, 'a', sizeof(block));
    sha256_init(&ctx);
    for (i = 0; i < 1000; i++) {
        sha256_update(&ctx, block, sizeof(block));
    }
    sha256_final(&ctx, d);
    expect_digest(d, want);
}

/* Every split point and several odd chunk sizes must give the one-shot digest. */
static void sha256_split_updates_match(void)
{
    static const size_t chunks[] = {1, 3, 7, 55, 56, 63, 64, 65, 127};
    uint8_t want[SHA256_DIGEST_LEN], got[SHA256_DIGEST_LEN];
    struct sha256_ctx ctx;
    size_t len = strlen(msg896);
    size_t split, c, off;

    sha256(msg896, len, want);
    for (split = 0; split <= len; split++) {
        sha256_init(&ctx);
        sha256_update(&ctx, msg896, split);
        sha256_update(&ctx, msg896 + split, len - split);
        sha256_final(&ctx, got);
        UT_EXPECT(memcmp(got, want, sizeof(want)) == 0);
    }
    for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        sha256_init(&ctx);
        for (off = 0; off < len; off += chunks[c]) {
            sha256_update(&ctx, msg896 + off, chunks[c] < len - off ? chunks[c] : len - off);
        }
        sha256_final(&ctx, got);
        UT_EXPECT(memcmp(got, want, sizeof(want)) == 0);
    }
}

/* Lengths around the 55/56/64-byte padding boundaries, against precomputed digests. */
static void sha256_pads_boundaries(void)
{
    static const struct {
        size_t len;
        const char *want;
    } v[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    };
    char a[64];
    size_t i;

    memset(a, 'a', sizeof(a));
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        expect_oneshot(a, v[i].len, v[i].want);
    }
}

UT_MAIN({"hashes_empty", sha256_hashes_empty}, {"hashes_abc", sha256_hashes_abc},
        {"hashes_448_bits", sha256_hashes_448_bits}, {"hashes_896_bits", sha256_hashes_896_bits},
        {"hashes_million_a", sha256_hashes_million_a},
        {"split_updates_match", sha256_split_updates_match},
        {"pads_boundaries", sha256_pads_boundaries})
