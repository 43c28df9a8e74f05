/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for guests/linux/kvd/kv_proto.c: the key-value store, its line protocol and its
 * snapshots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uslib/sha256.h>
#include "kv_proto.h"
#include "ut.h"

static struct kv_store kv;
static char out[KV_REPLY_MAX + 1];

/* Empty @kv (freeing what it held) with room for @max bytes of keys and values. */
static void fresh(uint64_t max)
{
    kv_free(&kv);
    kv_init(&kv, max);
}

static const char *ask(const char *line)
{
    size_t n = kv_handle(&kv, line, strlen(line), out);

    UT_EXPECT(n > 0 && n <= KV_REPLY_MAX && out[n - 1] == '\n');
    out[n - 1] = '\0';
    return out;
}

static void set_get_del(void)
{
    fresh(0);
    UT_EXPECT(strcmp(ask("PING"), "PONG") == 0);
    UT_EXPECT(strcmp(ask("GET a"), "NOTFOUND") == 0);
    UT_EXPECT(strcmp(ask("SET a hello world"), "OK") == 0);
    UT_EXPECT(strcmp(ask("GET a"), "VALUE hello world") == 0);
    UT_EXPECT(strcmp(ask("SET a x"), "OK") == 0);
    UT_EXPECT(strcmp(ask("GET a"), "VALUE x") == 0);
    UT_EXPECT(strcmp(ask("COUNT"), "COUNT 1") == 0);
    UT_EXPECT(strcmp(ask("SET e "), "OK") == 0); /* an empty value is a value */
    UT_EXPECT(strcmp(ask("GET e"), "VALUE ") == 0);
    UT_EXPECT(strcmp(ask("DEL a"), "OK") == 0);
    UT_EXPECT(strcmp(ask("DEL a"), "NOTFOUND") == 0);
    UT_EXPECT(strcmp(ask("GET a\r"), "NOTFOUND") == 0); /* CR LF clients */
    UT_EXPECT(strcmp(ask("COUNT"), "COUNT 1") == 0);
    UT_EXPECT(strcmp(ask("QUIT"), "BYE") == 0); /* kvd closes the connection after it */
    UT_EXPECT(strcmp(ask("COUNT"), "COUNT 1") == 0);
}

static void bad_requests_change_nothing(void)
{
    static const char *const bad[] = {
        "",        "ping",   "SET",    "SET k", "GET",      "GET a b",  "DEL",        "DEL a b",
        "COUNT x", "PING x", "QUIT x", "quit",  "SETX a b", "GET \x01", "SET a \x7f",
    };
    char big[KV_LINE_MAX + 10];

    fresh(0);
    UT_EXPECT(strcmp(ask("SET keep 1"), "OK") == 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UT_EXPECT(strncmp(ask(bad[i]), "ERR ", 4) == 0);
    }
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    UT_EXPECT(strcmp(ask(big), "ERR line too long") == 0);
    memcpy(big, "GET ", 4);
    big[4 + KV_KEY_MAX + 1] = '\0';
    UT_EXPECT(strncmp(ask(big), "ERR bad key", 11) == 0);
    UT_EXPECT(strcmp(ask("COUNT"), "COUNT 1") == 0);
    UT_EXPECT(strcmp(ask("GET keep"), "VALUE 1") == 0);
}

/* The bound is on bytes of keys and values: a SET past it is refused and changes nothing, an
 * overwrite that does not grow still works, and a delete makes room. */
static void store_full_then_room_after_delete(void)
{
    char line[64];
    unsigned i;

    fresh(1000);
    for (i = 0; i < 1000; i++) {
        snprintf(line, sizeof(line), "SET key%03u %u", i, i % 10);
        if (strcmp(ask(line), "OK") != 0) {
            break;
        }
    }
    UT_EXPECT_EQ(i, 1000 / 7); /* "keyNNN" and one digit */
    UT_EXPECT(strcmp(out, "ERR store full") == 0);
    UT_EXPECT_EQ(kv.count, 1000 / 7);
    UT_EXPECT_EQ(kv.bytes, 7 * (1000 / 7));
    UT_EXPECT(strcmp(ask("SET key005 9"), "OK") == 0); /* the same size still updates */
    UT_EXPECT(strcmp(ask("SET key005 99999999"), "ERR store full") == 0);
    UT_EXPECT(strcmp(ask("GET key005"), "VALUE 9") == 0);
    UT_EXPECT(strcmp(ask("DEL key009"), "OK") == 0);
    UT_EXPECT(strcmp(ask("SET one-more x"), "OK") == 0);
    UT_EXPECT(strcmp(ask("GET one-more"), "VALUE x") == 0);
}

/* No fixed number of entries: a million keys, each still there. */
static void million_keys(void)
{
    char line[96], want[64];

    fresh(0);
    for (unsigned i = 0; i < 1000000; i++) {
        snprintf(line, sizeof(line), "SET user:%u value-%u", i, i * 7);
        UT_EXPECT(strcmp(ask(line), "OK") == 0);
    }
    UT_EXPECT(strcmp(ask("COUNT"), "COUNT 1000000") == 0);
    for (unsigned i = 0; i < 1000000; i += 997) {
        snprintf(line, sizeof(line), "GET user:%u", i);
        snprintf(want, sizeof(want), "VALUE value-%u", i * 7);
        UT_EXPECT(strcmp(ask(line), want) == 0);
    }
    UT_EXPECT(kv.cap >= 1000000 && kv.count * 10 <= kv.cap * 7);
    fresh(0);
}

/* Random sets and deletes against a plain array model: deletion must keep every other key
 * reachable (open addressing re-packs its probe runs). */
static void random_ops_match_model(void)
{
    static int model[3000];
    char line[64], want[64];

    fresh(0);
    memset(model, -1, sizeof(model));
    srand(7);
    for (int step = 0; step < 60000; step++) {
        int k = rand() % 3000, v = rand() % 1000;

        if (rand() % 3 == 0) {
            snprintf(line, sizeof(line), "DEL k%d", k);
            UT_EXPECT(strcmp(ask(line), model[k] >= 0 ? "OK" : "NOTFOUND") == 0);
            model[k] = -1;
        } else {
            snprintf(line, sizeof(line), "SET k%d %d", k, v);
            UT_EXPECT(strcmp(ask(line), "OK") == 0);
            model[k] = v;
        }
    }
    for (int k = 0; k < 3000; k++) {
        snprintf(line, sizeof(line), "GET k%d", k);
        snprintf(want, sizeof(want), "VALUE %d", model[k]);
        UT_EXPECT(strcmp(ask(line), model[k] >= 0 ? want : "NOTFOUND") == 0);
    }
}

/* A snapshot in memory. */
struct buf {
    uint8_t *p;
    size_t len, cap;
    int fail_after; /* writes left before one fails; -1: never */
};

static int buf_write(void *ctx, const void *p, size_t n)
{
    struct buf *b = ctx;

    if (b->fail_after == 0) {
        return -1;
    }
    b->fail_after--;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static struct buf snap_of_kv(void)
{
    struct buf b = {NULL, 0, 0, -1};
    uint8_t digest[KV_SHA256_LEN], want[KV_SHA256_LEN];
    uint64_t n = kv_snapshot(&kv, buf_write, &b, digest);

    UT_EXPECT_EQ(n, b.len);
    UT_EXPECT(b.len >= KV_SNAP_HEADER + KV_SHA256_LEN);
    sha256(b.p, b.len - KV_SHA256_LEN, want);
    UT_EXPECT(memcmp(digest, want, sizeof(want)) == 0);
    UT_EXPECT(memcmp(b.p + b.len - KV_SHA256_LEN, want, sizeof(want)) == 0);
    return b;
}

static void fill(unsigned n)
{
    char line[96];

    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "SET k%u %s-%u", i, i % 3 ? "v" : "a value with spaces", i);
        UT_EXPECT(strcmp(ask(line), "OK") == 0);
    }
}

static void expect_filled(unsigned n)
{
    char line[96], want[96];

    UT_EXPECT_EQ(kv.count, n);
    for (unsigned i = 0; i < n; i++) {
        snprintf(line, sizeof(line), "GET k%u", i);
        snprintf(want, sizeof(want), "VALUE %s-%u", i % 3 ? "v" : "a value with spaces", i);
        UT_EXPECT(strcmp(ask(line), want) == 0);
    }
}

/* A store survives a snapshot and a restore into another store intact, the empty one too. */
static void snapshot_round_trip(void)
{
    struct buf b;

    fresh(0);
    b = snap_of_kv();
    UT_EXPECT_EQ(b.len, KV_SNAP_HEADER + KV_SHA256_LEN);
    UT_EXPECT(kv_restore(&kv, b.p, b.len) == NULL);
    UT_EXPECT_EQ(kv.count, 0);
    free(b.p);

    fill(20000);
    UT_EXPECT(strcmp(ask("SET k5 changed"), "OK") == 0);
    UT_EXPECT(strcmp(ask("DEL k5"), "OK") == 0);
    UT_EXPECT(strcmp(ask("SET k5 v-5"), "OK") == 0);
    b = snap_of_kv();
    fresh(0);
    UT_EXPECT(strcmp(ask("SET other x"), "OK") == 0); /* replaced, not merged */
    UT_EXPECT(kv_restore(&kv, b.p, b.len) == NULL);
    expect_filled(20000);
    UT_EXPECT(strcmp(ask("GET other"), "NOTFOUND") == 0);
    free(b.p);
    fresh(0);
}

/* Recompute a doctored snapshot's digest, so only the check after it can refuse it. */
static void reseal(struct buf *b)
{
    sha256(b->p, b->len - KV_SHA256_LEN, b->p + b->len - KV_SHA256_LEN);
}

static void expect_refused(struct buf *b, const char *why)
{
    const char *got = kv_restore(&kv, b->p, b->len);

    UT_EXPECT(got != NULL && strcmp(got, why) == 0);
    if (got != NULL && strcmp(got, why) != 0) {
        fprintf(stderr, "refused with \"%s\", not \"%s\"\n", got, why);
    }
    expect_filled(50); /* the store it would have replaced is untouched */
}

/* Every corruption is refused with its reason and the store keeps what it had. */
static void restore_refuses_corruption(void)
{
    struct buf b, c;

    fresh(0);
    fill(50);
    b = snap_of_kv();
    c = (struct buf){malloc(b.len + 8), b.len, b.len + 8, -1};
    for (size_t i = 0; i < b.len; i++) {
        memcpy(c.p, b.p, b.len);
        c.p[i] ^= 0x20;
        UT_EXPECT(kv_restore(&kv, c.p, c.len) != NULL);
    }
    expect_filled(50);
    memcpy(c.p, b.p, b.len);
    c.len = b.len - 1;
    expect_refused(&c, "truncated or oversized");
    c.len = 10;
    expect_refused(&c, "not a kvd snapshot");
    c.p[0] = 'X';
    c.len = b.len;
    expect_refused(&c, "not a kvd snapshot");
    /* The checksum holds, what it covers does not. */
    memcpy(c.p, b.p, b.len);
    c.p[KV_SNAP_HEADER + 3] = '\n'; /* the first key's first byte */
    reseal(&c);
    expect_refused(&c, "bad record");
    memcpy(c.p, b.p, b.len);
    c.p[KV_SNAP_HEADER] = 0; /* the first key's length */
    reseal(&c);
    expect_refused(&c, "bad record");
    memcpy(c.p, b.p, b.len);
    c.p[KV_SNAP_HEADER + 1] = 0xff; /* a value length running past the end */
    c.p[KV_SNAP_HEADER + 2] = 0xff;
    reseal(&c);
    expect_refused(&c, "records end early");
    memcpy(c.p, b.p, b.len);
    c.p[8] = 49; /* one record fewer than there are */
    reseal(&c);
    expect_refused(&c, "bytes after the last record");
    memcpy(c.p, b.p, b.len);
    c.p[8] = 51;
    reseal(&c);
    expect_refused(&c, "records end early");
    free(b.p);

    /* The same key twice, and a snapshot larger than the store's bound. */
    fresh(0);
    UT_EXPECT(strcmp(ask("SET aa 1"), "OK") == 0);
    UT_EXPECT(strcmp(ask("SET ab 1"), "OK") == 0);
    b = snap_of_kv();
    for (size_t i = KV_SNAP_HEADER; i + 1 < b.len - KV_SHA256_LEN; i++) {
        if (b.p[i] == 'a' && b.p[i + 1] == 'b') {
            b.p[i + 1] = 'a';
        }
    }
    reseal(&b);
    fresh(0);
    fill(50);
    expect_refused(&b, "a key twice");
    free(b.p);
    b = snap_of_kv();
    kv.max_bytes = kv.bytes - 1;
    expect_refused(&b, "does not fit the store");
    kv.max_bytes = 0;
    free(b.p);
    free(c.p);
    fresh(0);
}

/* A writer that fails makes the snapshot fail, whichever write it is. */
static void snapshot_reports_write_failure(void)
{
    uint8_t digest[KV_SHA256_LEN];

    fresh(0);
    fill(5000);
    for (int f = 0; f < 3; f++) { /* a flush at 64 KiB, the last records, the digest */
        struct buf b = {NULL, 0, 0, f};

        UT_EXPECT_EQ(kv_snapshot(&kv, buf_write, &b, digest), 0);
        free(b.p);
    }
    fresh(0);
}

UT_MAIN({"set_get_del", set_get_del}, {"bad_requests_change_nothing", bad_requests_change_nothing},
        {"store_full_then_room_after_delete", store_full_then_room_after_delete},
        {"million_keys", million_keys}, {"random_ops_match_model", random_ops_match_model},
        {"snapshot_round_trip", snapshot_round_trip},
        {"restore_refuses_corruption", restore_refuses_corruption},
        {"snapshot_reports_write_failure", snapshot_reports_write_failure})
