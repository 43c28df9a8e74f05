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

/* The shadow's seal, then the pending seal: while a commit copies, the live copy's. */
static struct state_seal *seal_of(void *base, size_t region, size_t size)
{
    return (struct state_seal *)(void *)(shadow(base, region) + ((size + 7u) & ~(size_t)7u));
}

static struct state_seal *pending_of(void *base, size_t region, size_t size)
{
    return seal_of(base, region, size) + 1;
}

bool state_region_fits(size_t region, size_t size)
{
    return size <= region / 2u &&
           ((size + 7u) & ~(size_t)7u) + 2u * sizeof(struct state_seal) <= region - region / 2u;
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

void state_commit_pending(void *base, size_t region, size_t size, uint32_t magic, uint32_t version)
{
    struct state_seal *p = pending_of(base, region, size);

    p->version = version;
    p->size = size;
    p->seq = seal_of(base, region, size)->seq + 1u;
    seal_sum(&(struct state_seal){.magic = magic, .version = version, .size = size, .seq = p->seq},
             base, size, p->sum);
    /* Written last: from here a restart takes the live copy, which no longer changes. */
    __atomic_store_n(&p->magic, magic, __ATOMIC_RELEASE);
}

/* The second half of a commit: the shadow becomes the live copy, the seal the pending one. */
static void commit_finish(void *base, size_t region, size_t size)
{
    struct state_seal *p = pending_of(base, region, size);

    memcpy(shadow(base, region), base, size);
    *seal_of(base, region, size) = *p;
    __atomic_store_n(&p->magic, 0u, __ATOMIC_RELEASE);
}

/* A server stopped half-way through copying its shadow would leave neither copy whole; so
 * the live copy is sealed first (pending), and a restart that finds that seal takes it. */
void state_commit(void *base, size_t region, size_t size, uint32_t magic, uint32_t version)
{
    state_commit_pending(base, region, size, magic, version);
    commit_finish(base, region, size);
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
    if (pending_of(base, region, size)->magic == magic) {
        struct state_seal *p = pending_of(base, region, size);

        seal_sum(p, base, size, sum);
        if (p->version == version && p->size == size && memcmp(sum, p->sum, sizeof(sum)) == 0) {
            commit_finish(base, region, size); /* died while it copied: the live copy is whole */
            return STATE_RECOVERED;
        }
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
