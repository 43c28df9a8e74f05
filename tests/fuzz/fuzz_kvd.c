/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: kvd's request parser and store (kv_handle), each input a session of request
 * lines, every reply checked against a simple model of the store; the session's store then
 * goes through a snapshot and a restore and must come back the same. */
#include <stdbool.h>
#include "fuzz_input.h"
#include "kv_proto.h"

/* Input: request lines separated by LF, as kvd splits its stream (the last one may lack its
 * LF, and lines may be longer than kvd would pass on). */

/* The model: the same map, kept as a plain list. */
struct model_entry {
    char key[KV_KEY_MAX + 1];
    char value[KV_VALUE_MAX + 1];
};

/* A small bound on the store's bytes, so sessions reach "store full". */
#define FUZZ_MAX_BYTES 4096u
#define MODEL_MAX (FUZZ_MAX_BYTES + 1u) /* entries: an empty value still has a key byte */

static struct kv_store kv;
static struct model_entry model[MODEL_MAX];
static uint32_t model_count;
static uint64_t model_bytes;

static struct model_entry *model_find(const char *key, size_t n)
{
    for (uint32_t i = 0; i < model_count; i++) {
        if (strlen(model[i].key) == n && memcmp(model[i].key, key, n) == 0) {
            return &model[i];
        }
    }
    return NULL;
}

static bool printable(const char *s, size_t n, bool spaces)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e || (!spaces && s[i] == ' ')) {
            return false;
        }
    }
    return true;
}

/* What the reply to @line must be, per kv_proto.h; NULL for "any ERR". */
static const char *expect(const char *line, size_t len, char *buf, size_t buf_size)
{
    const char *sp, *arg, *key, *val;
    size_t key_len, arg_len;
    struct model_entry *e;

    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (len > KV_LINE_MAX) {
        return NULL;
    }
    /* The command runs to the first space; PING, QUIT, COUNT and VERSION take nothing after it. */
    if ((len == 4 || (len == 5 && line[4] == ' ')) && memcmp(line, "PING", 4) == 0) {
        return "PONG";
    }
    if ((len == 4 || (len == 5 && line[4] == ' ')) && memcmp(line, "QUIT", 4) == 0) {
        return KV_BYE;
    }
    if ((len == 5 || (len == 6 && line[5] == ' ')) && memcmp(line, "COUNT", 5) == 0) {
        snprintf(buf, buf_size, "COUNT %u", model_count);
        return buf;
    }
    if ((len == 7 || (len == 8 && line[7] == ' ')) && memcmp(line, "VERSION", 7) == 0) {
        snprintf(buf, buf_size, "VERSION %d", KVD_VERSION);
        return buf;
    }
    if (len < 4 || line[3] != ' ' ||
        (memcmp(line, "SET", 3) != 0 && memcmp(line, "GET", 3) != 0 &&
         memcmp(line, "DEL", 3) != 0)) {
        return NULL;
    }
    arg = line + 4;
    arg_len = len - 4;
    sp = memchr(arg, ' ', arg_len);
    key = arg;
    key_len = sp != NULL ? (size_t)(sp - arg) : arg_len;
    if (key_len == 0 || key_len > KV_KEY_MAX || !printable(key, key_len, false)) {
        return NULL;
    }
    if (line[0] != 'S') {
        if (sp != NULL) {
            return NULL;
        }
        e = model_find(key, key_len);
        if (e == NULL) {
            return "NOTFOUND";
        }
        if (line[0] == 'D') {
            model_bytes -= strlen(e->key) + strlen(e->value);
            *e = model[--model_count];
            return "OK";
        }
        snprintf(buf, buf_size, "VALUE %s", e->value);
        return buf;
    }
    if (sp == NULL) {
        return NULL;
    }
    val = sp + 1;
    if (arg_len - key_len - 1 > KV_VALUE_MAX || !printable(val, arg_len - key_len - 1, true)) {
        return NULL;
    }
    e = model_find(key, key_len);
    if (model_bytes - (e != NULL ? strlen(e->key) + strlen(e->value) : 0) + key_len +
            (arg_len - key_len - 1) >
        FUZZ_MAX_BYTES) {
        return NULL; /* "ERR store full" */
    }
    if (e == NULL) {
        e = &model[model_count++];
        memcpy(e->key, key, key_len);
        e->key[key_len] = '\0';
    } else {
        model_bytes -= key_len + strlen(e->value);
    }
    model_bytes += key_len + (arg_len - key_len - 1);
    memcpy(e->value, val, arg_len - key_len - 1);
    e->value[arg_len - key_len - 1] = '\0';
    return "OK";
}

/* One request, in a heap buffer of exactly its length, as kvd passes it (no LF). */
static void request(const uint8_t *p, size_t len)
{
    static char out[KV_REPLY_MAX + 1], want_buf[KV_REPLY_MAX + 1];
    char *line = malloc(len > 0 ? len : 1);
    const char *want;
    size_t n;

    FUZZ_CHECK(line != NULL);
    if (len > 0) {
        memcpy(line, p, len);
    }
    memset(out, 0, sizeof(out));
    want = expect(line, len, want_buf, sizeof(want_buf));
    n = kv_handle(&kv, line, len, out);
    free(line);

    FUZZ_CHECK(n >= 2 && n <= KV_REPLY_MAX && out[n - 1] == '\n');
    FUZZ_CHECK(memchr(out, '\n', n - 1) == NULL && memchr(out, '\0', n) == NULL);
    out[n - 1] = '\0';
    if (want == NULL) {
        FUZZ_CHECK(strncmp(out, "ERR ", 4) == 0);
    } else {
        FUZZ_CHECK(strcmp(out, want) == 0);
    }
    FUZZ_CHECK(kv.count == model_count);
}

struct snap {
    uint8_t *p;
    size_t len;
};

static int snap_write(void *ctx, const void *p, size_t n)
{
    struct snap *s = ctx;

    s->p = realloc(s->p, s->len + n);
    FUZZ_CHECK(s->p != NULL);
    memcpy(s->p + s->len, p, n);
    s->len += n;
    return 0;
}

/* The store through a snapshot and a restore: the same entries, the same bytes. */
static void round_trip(void)
{
    static struct kv_store copy;
    struct snap s = {NULL, 0};
    uint8_t digest[KV_SHA256_LEN];
    char line[KV_KEY_MAX + 8], out[KV_REPLY_MAX + 1], want[KV_REPLY_MAX + 1];

    FUZZ_CHECK(kv_snapshot(&kv, snap_write, &s, digest) == s.len);
    kv_init(&copy, FUZZ_MAX_BYTES);
    FUZZ_CHECK(kv_restore(&copy, s.p, s.len) == NULL);
    FUZZ_CHECK(copy.count == model_count && copy.bytes == model_bytes);
    for (uint32_t i = 0; i < model_count; i++) {
        size_t n = (size_t)snprintf(line, sizeof(line), "GET %s", model[i].key);

        n = kv_handle(&copy, line, n, out);
        out[n - 1] = '\0';
        snprintf(want, sizeof(want), "VALUE %s", model[i].value);
        FUZZ_CHECK(strcmp(out, want) == 0);
    }
    kv_free(&copy);
    free(s.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t start = 0;

    kv_free(&kv);
    kv_init(&kv, FUZZ_MAX_BYTES);
    model_count = 0;
    model_bytes = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            if (i > start || i < size) {
                request(data + start, i - start);
            }
            start = i + 1;
        }
    }
    round_trip();
    return 0;
}
