/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The key-value store (open addressing, FNV-1a) and its line protocol. */
#include "kv_proto.h"
#include <stdio.h>
#include <string.h>

static uint32_t kv_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    }
    return h;
}

/* The slot holding @key, or (with @insert) the first free one on its probe path; NULL if
 * absent (or, inserting, the table is full). Deleted slots are re-packed by kv_del(). */
static struct kv_entry *kv_find(struct kv_store *kv, const char *key, size_t n, int insert)
{
    uint32_t i = kv_hash(key, n) % KV_ENTRIES;

    for (uint32_t probe = 0; probe < KV_ENTRIES; probe++, i = (i + 1) % KV_ENTRIES) {
        struct kv_entry *e = &kv->e[i];

        if (!e->used) {
            return insert ? e : NULL;
        }
        if (strlen(e->key) == n && memcmp(e->key, key, n) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Remove @e and move later entries of its probe run back into the hole. */
static void kv_del(struct kv_store *kv, struct kv_entry *e)
{
    uint32_t hole = (uint32_t)(e - kv->e);
    uint32_t i = (hole + 1) % KV_ENTRIES;

    e->used = 0;
    kv->count--;
    while (kv->e[i].used) {
        uint32_t home = kv_hash(kv->e[i].key, strlen(kv->e[i].key)) % KV_ENTRIES;
        /* Move it if its home is not in (hole, i] cyclically. */
        int between = hole < i ? (home > hole && home <= i) : (home > hole || home <= i);

        if (!between) {
            kv->e[hole] = kv->e[i];
            kv->e[i].used = 0;
            hole = i;
        }
        i = (i + 1) % KV_ENTRIES;
    }
}

static int printable(const char *s, size_t n, int spaces)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || (!spaces && s[i] == ' ')) {
            return 0;
        }
    }
    return 1;
}

static size_t reply(char *out, const char *text)
{
    size_t n = strlen(text);

    memcpy(out, text, n);
    out[n] = '\n';
    return n + 1;
}

size_t kv_handle(struct kv_store *kv, const char *line, size_t len, char *out)
{
    const char *arg, *sp;
    size_t cmd_len, key_len;
    struct kv_entry *e;

    kv->requests++;
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (len > KV_LINE_MAX) {
        return reply(out, "ERR line too long");
    }
    sp = memchr(line, ' ', len);
    cmd_len = sp != NULL ? (size_t)(sp - line) : len;
    arg = sp != NULL ? sp + 1 : line + len;
    len -= (size_t)(arg - line);
    if (cmd_len == 4 && memcmp(line, "PING", 4) == 0 && len == 0) {
        return reply(out, "PONG");
    }
    if (cmd_len == 4 && memcmp(line, "QUIT", 4) == 0 && len == 0) {
        return reply(out, KV_BYE);
    }
    if (cmd_len == 5 && memcmp(line, "COUNT", 5) == 0 && len == 0) {
        return (size_t)snprintf(out, KV_REPLY_MAX, "COUNT %u\n", kv->count);
    }
    if (!((cmd_len == 3 && (memcmp(line, "SET", 3) == 0 || memcmp(line, "GET", 3) == 0 ||
                            memcmp(line, "DEL", 3) == 0)))) {
        return reply(out, "ERR unknown command (PING, SET KEY VALUE, GET KEY, DEL KEY, COUNT)");
    }
    sp = memchr(arg, ' ', len);
    key_len = sp != NULL ? (size_t)(sp - arg) : len;
    if (key_len == 0 || (line[0] == 'S') != (sp != NULL)) {
        return reply(out, line[0] == 'S' ? "ERR usage: SET KEY VALUE" : "ERR usage: GET|DEL KEY");
    }
    if (key_len > KV_KEY_MAX || !printable(arg, key_len, 0)) {
        return reply(out, "ERR bad key (1-64 printable characters, no spaces)");
    }
    if (line[0] == 'S') {
        const char *val = sp + 1;
        size_t val_len = len - key_len - 1;

        if (val_len > KV_VALUE_MAX || !printable(val, val_len, 1)) {
            return reply(out, "ERR bad value (up to 256 printable characters)");
        }
        e = kv_find(kv, arg, key_len, 1);
        if (e == NULL) {
            return reply(out, "ERR store full");
        }
        if (!e->used) {
            memcpy(e->key, arg, key_len);
            e->key[key_len] = '\0';
            e->used = 1;
            kv->count++;
        }
        memcpy(e->value, val, val_len);
        e->value[val_len] = '\0';
        return reply(out, "OK");
    }
    e = kv_find(kv, arg, key_len, 0);
    if (e == NULL) {
        return reply(out, "NOTFOUND");
    }
    if (line[0] == 'D') {
        kv_del(kv, e);
        return reply(out, "OK");
    }
    return (size_t)snprintf(out, KV_REPLY_MAX, "VALUE %s\n", e->value);
}
