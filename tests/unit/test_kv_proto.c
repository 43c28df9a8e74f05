/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for guests/linux/kvd/kv_proto.c: the key-value store and its line protocol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kv_proto.h"
#include "ut.h"

static struct kv_store kv;
static char out[KV_REPLY_MAX + 1];

static const char *ask(const char *line)
{
    size_t n = kv_handle(&kv, line, strlen(line), out);

    UT_EXPECT(n > 0 && n <= KV_REPLY_MAX && out[n - 1] == '\n');
    out[n - 1] = '\0';
    return out;
}

static void set_get_del(void)
{
    memset(&kv, 0, sizeof(kv));
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

    memset(&kv, 0, sizeof(kv));
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

static void store_full_then_room_after_delete(void)
{
    char line[64];

    memset(&kv, 0, sizeof(kv));
    for (unsigned i = 0; i < KV_ENTRIES; i++) {
        snprintf(line, sizeof(line), "SET key%u %u", i, i);
        UT_EXPECT(strcmp(ask(line), "OK") == 0);
    }
    UT_EXPECT(strcmp(ask("SET one-more x"), "ERR store full") == 0);
    UT_EXPECT(strcmp(ask("SET key5 overwrite"), "OK") == 0); /* existing keys still update */
    UT_EXPECT(strcmp(ask("DEL key9"), "OK") == 0);
    UT_EXPECT(strcmp(ask("SET one-more x"), "OK") == 0);
    UT_EXPECT(strcmp(ask("GET key5"), "VALUE overwrite") == 0);
}

/* Random sets and deletes against a plain array model: deletion must keep every other key
 * reachable (open addressing re-packs its probe runs). */
static void random_ops_match_model(void)
{
    static int model[300];
    char line[64], want[64];

    memset(&kv, 0, sizeof(kv));
    memset(model, -1, sizeof(model));
    srand(7);
    for (int step = 0; step < 20000; step++) {
        int k = rand() % 300, v = rand() % 1000;

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
    for (int k = 0; k < 300; k++) {
        snprintf(line, sizeof(line), "GET k%d", k);
        snprintf(want, sizeof(want), "VALUE %d", model[k]);
        UT_EXPECT(strcmp(ask(line), model[k] >= 0 ? want : "NOTFOUND") == 0);
    }
}

UT_MAIN({"set_get_del", set_get_del}, {"bad_requests_change_nothing", bad_requests_change_nothing},
        {"store_full_then_room_after_delete", store_full_then_room_after_delete},
        {"random_ops_match_model", random_ops_match_model})
