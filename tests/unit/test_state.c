/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A server's state region across restarts (lib/state.c): a restart gets the state as of the
 * last commit, whatever the crashed instance left half-done after it; a region whose sealed
 * copy was altered, or was written by another layout, is refused and zeroed. */
#include <string.h>
#include <uslib/state.h>
#include "ut.h"

#define REGION 4096u
#define MAGIC 0x74657374u

struct thing {
    uint64_t count;
    char name[40];
};

static _Alignas(8) uint8_t region[REGION];

static struct thing *live(void)
{
    return (struct thing *)(void *)region;
}

static void zero_region(void)
{
    for (unsigned i = 0; i < REGION; i++) {
        UT_EXPECT(region[i] == 0);
    }
}

static void state_cold_start_zeroes(void)
{
    memset(region, 0xa5, sizeof(region));
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, false, NULL),
                 STATE_COLD);
    zero_region();
}

static void state_restart_gets_last_commit(void)
{
    const char *why = "untouched";

    state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, false, NULL);
    live()->count = 7;
    strcpy(live()->name, "kvd0");
    state_commit(region, REGION, sizeof(struct thing), MAGIC, 1);
    live()->count = 8; /* a request under way when the server died */
    strcpy(live()->name, "half");
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, &why),
                 STATE_RECOVERED);
    UT_EXPECT_EQ(live()->count, 7);
    UT_EXPECT(strcmp(live()->name, "kvd0") == 0 && strcmp(why, "untouched") == 0);
    /* Again: a second restart finds the same. */
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, NULL),
                 STATE_RECOVERED);
    UT_EXPECT_EQ(live()->count, 7);
}

/* Stopped while its commit copied the shadow: the shadow is half old, half new, and the live
 * copy, sealed first, is what comes back. */
static void state_crash_mid_commit_keeps_live(void)
{
    const char *why = "untouched";

    state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, false, NULL);
    live()->count = 1;
    strcpy(live()->name, "old");
    state_commit(region, REGION, sizeof(struct thing), MAGIC, 1);
    live()->count = 2;
    strcpy(live()->name, "new");
    state_commit_pending(region, REGION, sizeof(struct thing), MAGIC, 1);
    memcpy(region + REGION / 2u, region, sizeof(struct thing) / 2u); /* half copied */
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, &why),
                 STATE_RECOVERED);
    UT_EXPECT(live()->count == 2 && strcmp(live()->name, "new") == 0);
    UT_EXPECT(strcmp(why, "untouched") == 0);
    /* The commit was finished by the recovery: a request that dies now goes back to "new". */
    live()->count = 3;
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, NULL),
                 STATE_RECOVERED);
    UT_EXPECT_EQ(live()->count, 2);
}

static void state_corrupt_refused(void)
{
    const char *why = NULL;

    state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, false, NULL);
    live()->count = 3;
    state_commit(region, REGION, sizeof(struct thing), MAGIC, 1);
    state_flip(region, REGION, sizeof(struct thing));
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, &why),
                 STATE_CORRUPT);
    UT_EXPECT(why != NULL && strstr(why, "checksum") != NULL);
    zero_region();
    /* Another version's layout, another server's, another size: refused as well. */
    static const struct {
        uint32_t magic, version;
        size_t size;
    } other[] = {{MAGIC, 2, sizeof(struct thing)},
                 {MAGIC + 1, 1, sizeof(struct thing)},
                 {MAGIC, 1, sizeof(struct thing) + 8}};
    for (unsigned i = 0; i < 3; i++) {
        state_commit(region, REGION, sizeof(struct thing), MAGIC, 1);
        why = NULL;
        UT_EXPECT_EQ(state_recover(region, REGION, other[i].size, other[i].magic, other[i].version,
                                   true, &why),
                     STATE_CORRUPT);
        UT_EXPECT(why != NULL && strstr(why, "layout") != NULL);
    }
    /* Never committed (a restart before the first request ended): nothing to trust. */
    memset(region, 0, sizeof(region));
    UT_EXPECT_EQ(state_recover(region, REGION, sizeof(struct thing), MAGIC, 1, true, NULL),
                 STATE_CORRUPT);
}

static void state_region_sizes(void)
{
    UT_EXPECT(state_region_fits(REGION, 1900));
    UT_EXPECT(!state_region_fits(REGION, 2048)); /* the seal needs room after the shadow */
    UT_EXPECT(!state_region_fits(REGION, 3000));
    UT_EXPECT(!state_region_fits(0, 1));
}

UT_MAIN({"state_cold_start_zeroes", state_cold_start_zeroes},
        {"state_restart_gets_last_commit", state_restart_gets_last_commit},
        {"state_crash_mid_commit_keeps_live", state_crash_mid_commit_keeps_live},
        {"state_corrupt_refused", state_corrupt_refused},
        {"state_region_sizes", state_region_sizes})
