/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the shared record rings (ipc/lib/ring.c). */
#include <stdio.h>
#include <string.h>
#include <understudy/ring.h>
#include "ut.h"

static struct us_guest_ring r;

static void records_round_trip_and_wrap(void)
{
    char out[64], rec[40];

    memset(&r, 0, sizeof(r));
    r.head = r.tail = 0xfffffff0u; /* the indices wrap during the test */
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), -1);
    UT_EXPECT_EQ(us_ring_put(&r, "HELLO a\n", 8), 1); /* it was empty: signal */
    UT_EXPECT_EQ(us_ring_put(&r, "two\n", 4), 0);     /* the consumer has not caught up */
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), 7);
    UT_EXPECT(strcmp(out, "HELLO a") == 0);
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), 3);
    UT_EXPECT(strcmp(out, "two") == 0);
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), -1);
    for (int i = 0; i < 1000; i++) { /* many times round the buffer */
        int n = snprintf(rec, sizeof(rec), "record %d\n", i);

        UT_EXPECT_EQ(us_ring_put(&r, rec, (uint32_t)n), 1);
        UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), n - 1);
        rec[n - 1] = '\0';
        UT_EXPECT(strcmp(out, rec) == 0);
    }
}

static void full_ring_refuses_whole_record(void)
{
    char big[1000], out[8];
    uint32_t puts = 0;

    memset(&r, 0, sizeof(r));
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    while (us_ring_put(&r, big, sizeof(big)) >= 0) {
        puts++;
    }
    UT_EXPECT_EQ(puts, US_GUEST_RING_BYTES / sizeof(big));
    UT_EXPECT_EQ(r.head - r.tail, puts * sizeof(big)); /* nothing of the refused one */
    UT_EXPECT_EQ(us_ring_put(&r, big, US_GUEST_RING_BYTES + 1), -1);
    /* A record longer than the reader's buffer is cut, and the next one is intact. */
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), 7);
    UT_EXPECT(strcmp(out, "xxxxxxx") == 0);
    UT_EXPECT_EQ(us_ring_put(&r, big, sizeof(big)), 0);
}

/* A record without its LF yet is not taken. */
static void partial_record_waits(void)
{
    char out[16];

    memset(&r, 0, sizeof(r));
    UT_EXPECT_EQ(us_ring_put(&r, "abc", 3), 1);
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), -1);
    UT_EXPECT_EQ(r.tail, 0);
    UT_EXPECT_EQ(us_ring_put(&r, "d\n", 2), 0);
    UT_EXPECT_EQ(us_ring_line(&r, out, sizeof(out)), 4);
    UT_EXPECT(strcmp(out, "abcd") == 0);
}

UT_MAIN({"records_round_trip_and_wrap", records_round_trip_and_wrap},
        {"full_ring_refuses_whole_record", full_ring_refuses_whole_record},
        {"partial_record_waits", partial_record_waits})
