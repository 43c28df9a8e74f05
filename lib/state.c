/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A server's state region: a live copy, and a sealed shadow of it (uslib/state.h). */
#include <uslib/sha256.h>
#include <uslib/state.h>
#include <uslib/string.h>

/* The shadow starts half-way through the region, its seal right after it. */
static uint8_t *shadow(void *base, size_t region)
{
    return (uint8_t *)base + region / 2u;
}

static struct state_seal *seal_of(void *base, size_t region, size_t size)
{
    return (struct state_seal *)(void *)(shadow(base, region) + ((size + 7u) & ~(size_t)7u));
}

bool state_region_fits(size_t region, size_t size)
{
    return size <= region / 2u &&
           ((size + 7u) & ~(size_t)7u) + sizeof(struct state_seal) <= region - region / 2u;
}

static void seal_sum(const struct state_seal *s, const uint8_t *bytes, size_t size,
                     uint8_t out[STATE_SUM_LEN])
{
    struct state_seal head = *s;
    struct sha256_ctx ctx;

    memset(head.sum, 0, sizeof(head.sum));
    sha256_init(&ctx);
    sha256_update(&ctx, &head, sizeof(head));
    sha256_update(&ctx, bytes, size);
    sha256_final(&ctx, out);
}

void state_commit(void *base, size_t region, size_t size, uint32_t magic, uint32_t version)
{
    struct state_seal *s = seal_of(base, region, size);

    memcpy(shadow(base, region), base, size);
    s->magic = magic;
    s->version = version;
    s->size = size;
    s->seq++;
    seal_sum(s, shadow(base, region), size, s->sum);
}

enum state_start state_recover(void *base, size_t region, size_t size, uint32_t magic,
                               uint32_t version, bool restarted, const char **why)
{
    struct state_seal *s = seal_of(base, region, size);
    uint8_t sum[STATE_SUM_LEN];
    const char *bad = NULL;

    if (!restarted) {
        memset(base, 0, region); /* a cold start trusts nothing it finds */
        return STATE_COLD;
    }
    if (s->magic != magic || s->version != version || s->size != size) {
        bad = "not this server's layout (magic, version or size)";
    } else {
        seal_sum(s, shadow(base, region), size, sum);
        if (memcmp(sum, s->sum, sizeof(sum)) != 0) {
            bad = "its checksum does not match";
        }
    }
    if (bad != NULL) {
        if (why != NULL) {
            *why = bad;
        }
        memset(base, 0, region);
        return STATE_CORRUPT;
    }
    memcpy(base, shadow(base, region), size);
    return STATE_RECOVERED;
}

void state_flip(void *base, size_t region, size_t size)
{
    shadow(base, region)[size / 2u] ^= 0x5au;
}
