/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/devmgr/devmgr_smmu_table.c: the SMMUv3 structures devmgr writes
 * (STE, CD, commands), the events it reads, and stage-1 tables built in a host buffer that
 * plays physical memory at a made-up address, then walked as the SMMU would walk them. */
#include <stdlib.h>
#include <string.h>
#include "devmgr_smmu_table.h"
#include "ut.h"

#define POOL_PAGES 16u
#define POOL_PA 0x880000000ull /* where the SMMU would see the pool */
#define GIB (1ull << 30)
#define MIB2 DEVMGR_SMMU_BLOCK
#define PAGE DEVMGR_SMMU_PAGE

static uint8_t owner[POOL_PAGES];

static struct devmgr_smmu_pool pool_make(uint32_t pages)
{
    static void *mem;

    if (mem == NULL) {
        mem = aligned_alloc(PAGE, POOL_PAGES * PAGE);
    }
    memset(mem, 0xa5, POOL_PAGES * PAGE); /* stale bytes: a table must be zeroed when taken */
    memset(owner, 0, sizeof(owner));
    return (struct devmgr_smmu_pool){mem, POOL_PA, pages, owner};
}

static uint32_t owned_by(uint8_t who)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < POOL_PAGES; i++) {
        n += owner[i] == who ? 1u : 0u;
    }
    return n;
}

/* Every 4 KiB of [iova, iova + size) walks to pa + offset at @level (0: at any level). */
static void expect_mapped(const struct devmgr_smmu_pool *p, uint64_t ttb0, uint64_t iova,
                          uint64_t pa, uint64_t size, uint32_t level)
{
    for (uint64_t off = 0; off < size; off += PAGE) {
        uint64_t got = 0;

        uint32_t at = devmgr_smmu_pt_walk(p, ttb0, iova + off + 0x18, &got, NULL);

        UT_EXPECT(level == 0 ? at != 0 : at == level);
        UT_EXPECT_EQ(got, pa + off + 0x18);
    }
}

static void ste_abort_encoding(void)
{
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS];

    memset(ste, 0xff, sizeof(ste));
    devmgr_smmu_ste_abort(ste);
    UT_EXPECT_EQ(ste[0] & 1u, 1);      /* V */
    UT_EXPECT_EQ(ste[0] >> 1 & 7u, 0); /* Config: abort */
    for (uint32_t i = 1; i < DEVMGR_SMMU_STE_DWORDS; i++) {
        UT_EXPECT_EQ(ste[i], 0);
    }
}

static void ste_translate_encoding(void)
{
    uint64_t ste[DEVMGR_SMMU_STE_DWORDS];
    uint64_t cd = 0x57e42040ull;

    memset(ste, 0xff, sizeof(ste));
    devmgr_smmu_ste_translate(ste, cd);
    UT_EXPECT_EQ(ste[0] & 1u, 1);
    UT_EXPECT_EQ(ste[0] >> 1 & 7u, 5); /* Config: stage 1 translate, stage 2 bypass */
    UT_EXPECT_EQ(ste[0] >> 4 & 3u, 0); /* S1Fmt: one CD */
    UT_EXPECT_EQ(ste[0] & 0x000fffffffffffc0ull, cd);
    UT_EXPECT_EQ(ste[0] >> 59, 0);      /* S1CDMax: QEMU 7.2 takes nothing else */
    UT_EXPECT_EQ(ste[1] >> 27 & 1u, 0); /* S1STALLD: nor this */
    UT_EXPECT_EQ(ste[2] | ste[3], 0);   /* no stage 2 */
}

static void cd_encoding(void)
{
    uint64_t cd[DEVMGR_SMMU_CD_DWORDS];

    memset(cd, 0xff, sizeof(cd));
    devmgr_smmu_cd_make(cd, 0x57e43000ull, 3, 4);
    UT_EXPECT_EQ(cd[0] & 0x3fu, 64 - DEVMGR_SMMU_IAS); /* T0SZ */
    UT_EXPECT_EQ(cd[0] >> 6 & 3u, 0);                  /* TG0: 4 KiB */
    UT_EXPECT_EQ(cd[0] >> 14 & 1u, 0);                 /* EPD0: walks through TTB0 */
    UT_EXPECT_EQ(cd[0] >> 15 & 1u, 0);                 /* ENDI: little-endian tables */
    UT_EXPECT_EQ(cd[0] >> 30 & 1u, 1);                 /* EPD1 */
    UT_EXPECT_EQ(cd[0] >> 31 & 1u, 1);                 /* V */
    UT_EXPECT_EQ(cd[0] >> 32 & 7u, 4);                 /* IPS */
    UT_EXPECT_EQ(cd[0] >> 41 & 1u, 1);                 /* AA64 */
    UT_EXPECT_EQ(cd[0] >> 42 & 7u, 0);                 /* HD, HA, S */
    UT_EXPECT_EQ(cd[0] >> 45 & 3u, 3);                 /* R, A */
    UT_EXPECT_EQ(cd[0] >> 48, 3);                      /* ASID */
    UT_EXPECT_EQ(cd[1], 0x57e43000ull);                /* TTB0 */
    UT_EXPECT_EQ(cd[2], 0);                            /* TTB1 */
    UT_EXPECT_EQ(cd[3] & 0xffu, 0xff);                 /* MAIR attribute 0: normal WB */
}

static void cmd_encoding(void)
{
    uint64_t c[DEVMGR_SMMU_CMD_DWORDS];

    devmgr_smmu_cmd_cfgi_ste(c, 0x0100);
    UT_EXPECT_EQ(c[0], 0x0000010000000003ull);
    UT_EXPECT_EQ(c[1], 1); /* Leaf */
    devmgr_smmu_cmd_cfgi_cd(c, 0x0208);
    UT_EXPECT_EQ(c[0], 0x0000020800000005ull);
    devmgr_smmu_cmd_cfgi_all(c);
    UT_EXPECT_EQ(c[0], 0x04);
    UT_EXPECT_EQ(c[1], 31);
    devmgr_smmu_cmd_tlbi_asid(c, 7);
    UT_EXPECT_EQ(c[0], 0x0007000000000011ull);
    devmgr_smmu_cmd_tlbi_all(c);
    UT_EXPECT_EQ(c[0], 0x30);
    devmgr_smmu_cmd_sync(c);
    UT_EXPECT_EQ(c[0], 0x46); /* CS: SIG_NONE */
    UT_EXPECT_EQ(c[1], 0);
}

static void pt_blocks_when_aligned(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t ttb0 = 0, desc = 0;

    UT_EXPECT_EQ(devmgr_smmu_pt_pages(GIB, 0x80000000ull, 2 * MIB2), 2);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, GIB, 0x80000000ull, 2 * MIB2, &ttb0), US_OK);
    UT_EXPECT(ttb0 >= POOL_PA && ttb0 < POOL_PA + POOL_PAGES * PAGE);
    UT_EXPECT_EQ(owned_by(1), 2); /* level 1 and one level 2 table: no level 3 */
    expect_mapped(&p, ttb0, GIB, 0x80000000ull, 2 * MIB2, 2);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, GIB, NULL, &desc), 2);
    UT_EXPECT_EQ(desc & 3u, 1);       /* a block */
    UT_EXPECT_EQ(desc >> 2 & 7u, 0);  /* AttrIndx 0 */
    UT_EXPECT_EQ(desc >> 6 & 3u, 1);  /* AP: read/write */
    UT_EXPECT_EQ(desc >> 8 & 3u, 3);  /* inner shareable */
    UT_EXPECT_EQ(desc >> 10 & 1u, 1); /* AF */
}

static void pt_pages_when_unaligned(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t ttb0 = 0, desc = 0;

    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 2, GIB + PAGE, 0x80005000ull, 3 * PAGE, &ttb0), US_OK);
    UT_EXPECT_EQ(owned_by(2), 3);
    expect_mapped(&p, ttb0, GIB + PAGE, 0x80005000ull, 3 * PAGE, 3);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, GIB + PAGE, NULL, &desc), 3);
    UT_EXPECT_EQ(desc & 3u, 3); /* a page */
    /* Aligned input, output only 4 KiB aligned: 2 MiB of pages, no block. */
    p = pool_make(POOL_PAGES);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, 0x80001000ull, MIB2, &ttb0), US_OK);
    UT_EXPECT_EQ(owned_by(1), 3);
    expect_mapped(&p, ttb0, 0, 0x80001000ull, MIB2, 3);
}

static void pt_mixed_and_across_gib(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t iova = GIB - MIB2 - PAGE, pa = 0x90000000ull - MIB2 - PAGE, ttb0 = 0;
    uint64_t size = PAGE + 2 * MIB2 + PAGE; /* a page, a block, (a GiB boundary), a block, a page */

    UT_EXPECT_EQ(devmgr_smmu_pt_pages(iova, pa, size), 1 + 2 + 2);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 4, iova, pa, size, &ttb0), US_OK);
    UT_EXPECT_EQ(owned_by(4), 5);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, iova, NULL, NULL), 3);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, iova + PAGE, NULL, NULL), 2);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, GIB, NULL, NULL), 2);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, GIB + MIB2, NULL, NULL), 3);
    expect_mapped(&p, ttb0, iova, pa, size, 0); /* levels checked above */
}

static void pt_outside_has_no_descriptor(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t ttb0 = 0, iova = GIB + MIB2 + PAGE;

    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, iova, 0x80000000ull, 2 * PAGE, &ttb0), US_OK);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, iova - 1, NULL, NULL), 0); /* same table */
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, iova + 2 * PAGE, NULL, NULL), 0);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, GIB, NULL, NULL), 0); /* other L3 */
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, 0, NULL, NULL), 0);   /* other GiB */
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, iova + (1ull << 39), NULL, NULL), 0);
    for (uint64_t a = GIB; a < GIB + 2 * MIB2; a += PAGE) {
        bool in = a >= iova && a < iova + 2 * PAGE;

        UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, ttb0, a, NULL, NULL), in ? 3 : 0);
    }
}

static void pt_rejects_bad_args(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t ttb0 = 0;

    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, 0, 0, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0x800, 0, PAGE, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, 0x800, PAGE, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, 0, 0x800, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, (1ull << 39) - PAGE, 0, 2 * PAGE, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, UINT64_MAX - PAGE + 1, PAGE, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 0, 0, 0, PAGE, &ttb0), US_EINVAL);
    UT_EXPECT_EQ(devmgr_smmu_pt_pages(0, 0, 0), 0);
    UT_EXPECT_EQ(owned_by(0), POOL_PAGES); /* nothing taken */
}

static void pt_rejects_lack_of_room(void)
{
    struct devmgr_smmu_pool p = pool_make(3);
    uint64_t ttb0 = 0;

    /* Two 2 MiB regions of pages: level 1, level 2 and two level 3 tables, one too many. */
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, MIB2 - PAGE, 0x80000000ull, 2 * PAGE, &ttb0), US_ENOMEM);
    UT_EXPECT_EQ(owned_by(0), POOL_PAGES);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, MIB2, 0x80000000ull, 2 * PAGE, &ttb0), US_OK);
    UT_EXPECT_EQ(owned_by(1), 3);
}

static void pt_free_keeps_the_others(void)
{
    struct devmgr_smmu_pool p = pool_make(POOL_PAGES);
    uint64_t a = 0, b = 0, c = 0;

    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 1, 0, 0x80000000ull, 4 * PAGE, &a), US_OK);
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 2, GIB, 0x90000000ull, MIB2, &b), US_OK);
    devmgr_smmu_pt_free(&p, 1);
    UT_EXPECT_EQ(owned_by(1), 0);
    UT_EXPECT_EQ(owned_by(2), 2);
    expect_mapped(&p, b, GIB, 0x90000000ull, MIB2, 2);
    /* The freed pages are taken again, zeroed: the old mapping does not shine through. */
    UT_EXPECT_EQ(devmgr_smmu_pt_map(&p, 3, MIB2, 0xa0000000ull, PAGE, &c), US_OK);
    UT_EXPECT_EQ(c, a);
    UT_EXPECT_EQ(devmgr_smmu_pt_walk(&p, c, 0, NULL, NULL), 0);
    expect_mapped(&p, c, MIB2, 0xa0000000ull, PAGE, 3);
}

static void event_decode_and_names(void)
{
    uint64_t rec[DEVMGR_SMMU_EVT_DWORDS] = {0x0000010000000010ull, 0, 0x50000000ull, 0};
    struct devmgr_smmu_event ev;

    devmgr_smmu_event_decode(rec, &ev);
    UT_EXPECT_EQ(ev.type, DEVMGR_SMMU_EVT_F_TRANSLATION);
    UT_EXPECT_EQ(ev.sid, 0x100);
    UT_EXPECT_EQ(ev.addr, 0x50000000ull);
    UT_EXPECT(strcmp(devmgr_smmu_event_name(ev.type), "F_TRANSLATION") == 0);
    rec[0] = 0x0000000800000003ull; /* F_STE_FETCH: the address is the fetch's, dword 3 */
    rec[3] = 0x57e00207ull;
    devmgr_smmu_event_decode(rec, &ev);
    UT_EXPECT_EQ(ev.sid, 8);
    UT_EXPECT_EQ(ev.addr, 0x57e00200ull);
    UT_EXPECT(strcmp(devmgr_smmu_event_name(ev.type), "F_STE_FETCH") == 0);
    UT_EXPECT(strcmp(devmgr_smmu_event_name(0x04), "C_BAD_STE") == 0);
    UT_EXPECT(strcmp(devmgr_smmu_event_name(0x13), "F_PERMISSION") == 0);
    UT_EXPECT(devmgr_smmu_event_name(0x7f) == NULL);
}

UT_MAIN({"ste_abort_encoding", ste_abort_encoding},
        {"ste_translate_encoding", ste_translate_encoding}, {"cd_encoding", cd_encoding},
        {"cmd_encoding", cmd_encoding}, {"pt_blocks_when_aligned", pt_blocks_when_aligned},
        {"pt_pages_when_unaligned", pt_pages_when_unaligned},
        {"pt_mixed_and_across_gib", pt_mixed_and_across_gib},
        {"pt_outside_has_no_descriptor", pt_outside_has_no_descriptor},
        {"pt_rejects_bad_args", pt_rejects_bad_args},
        {"pt_rejects_lack_of_room", pt_rejects_lack_of_room},
        {"pt_free_keeps_the_others", pt_free_keeps_the_others},
        {"event_decode_and_names", event_decode_and_names})
