/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The key-value store (open addressing over entry pointers, FNV-1a, doubling), its line
 * protocol and its checksummed snapshots. */
#include "kv_proto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uslib/sha256.h>

#define KV_FIRST_CAP 1024u

static uint64_t kv_hash(const char *k, size_t n)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (uint8_t)k[i]) * 1099511628211ull;
    }
    return h;
}

static uint64_t kv_max(const struct kv_store *kv)
{
    return kv->max_bytes != 0 ? kv->max_bytes : KV_DEFAULT_MAX_BYTES;
}

void kv_init(struct kv_store *kv, uint64_t max_bytes)
{
    memset(kv, 0, sizeof(*kv));
    kv->max_bytes = max_bytes;
}

void kv_free(struct kv_store *kv)
{
    uint64_t max = kv->max_bytes, requests = kv->requests;

    for (uint64_t i = 0; i < kv->cap; i++) {
        free(kv->slot[i]);
    }
    free(kv->slot);
    kv_init(kv, max);
    kv->requests = requests;
}

/* The index of @key's slot, or (absent) of the free slot ending its probe run. */
static uint64_t kv_probe(const struct kv_store *kv, const char *key, size_t n)
{
    uint64_t i = kv_hash(key, n) & (kv->cap - 1);

    while (kv->slot[i] != NULL &&
           !(kv->slot[i]->klen == n && memcmp(kv->slot[i]->data, key, n) == 0)) {
        i = (i + 1) & (kv->cap - 1);
    }
    return i;
}

/* Make room for one more entry: the table stays at most 70 % full. Returns 0 or -1 (no
 * memory; nothing changed). */
static int kv_reserve(struct kv_store *kv)
{
    struct kv_entry **old = kv->slot;
    uint64_t old_cap = kv->cap, cap = old_cap != 0 ? old_cap * 2 : KV_FIRST_CAP;

    if ((kv->count + 1) * 10 <= old_cap * 7) {
        return 0;
    }
    kv->slot = calloc(cap, sizeof(*kv->slot));
    if (kv->slot == NULL) {
        kv->slot = old;
        return -1;
    }
    kv->cap = cap;
    for (uint64_t i = 0; i < old_cap; i++) {
        if (old[i] != NULL) {
            kv->slot[kv_probe(kv, old[i]->data, old[i]->klen)] = old[i];
        }
    }
    free(old);
    return 0;
}

/* Remove the entry in slot @hole and move later entries of its probe run back into it. */
static void kv_remove(struct kv_store *kv, uint64_t hole)
{
    uint64_t mask = kv->cap - 1, i = (hole + 1) & mask;

    kv->bytes -= kv->slot[hole]->klen + kv->slot[hole]->vlen;
    free(kv->slot[hole]);
    kv->slot[hole] = NULL;
    kv->count--;
    for (; kv->slot[i] != NULL; i = (i + 1) & mask) {
        uint64_t home = kv_hash(kv->slot[i]->data, kv->slot[i]->klen) & mask;

        /* Move it unless its home is in (hole, i] cyclically. */
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            kv->slot[hole] = kv->slot[i];
            kv->slot[i] = NULL;
            hole = i;
        }
    }
}

static struct kv_entry *kv_entry_new(const char *key, size_t klen, const char *val, size_t vlen)
{
    struct kv_entry *e = malloc(sizeof(*e) + klen + vlen);

    if (e != NULL) {
        e->klen = (uint8_t)klen;
        e->vlen = (uint16_t)vlen;
        memcpy(e->data, key, klen);
        memcpy(e->data + klen, val, vlen);
    }
    return e;
}

/* Set @key to @val. Returns 0, or -1 when the store has no room (nothing changed). */
static int kv_set(struct kv_store *kv, const char *key, size_t klen, const char *val, size_t vlen)
{
    struct kv_entry *e, *old = NULL;
    uint64_t i = 0, grow = klen + vlen;

    if (kv->cap != 0) {
        i = kv_probe(kv, key, klen);
        old = kv->slot[i];
        grow = old != NULL ? vlen - (uint64_t)old->vlen : grow;
    }
    if (kv->bytes + grow > kv_max(kv) || (old == NULL && kv_reserve(kv) != 0)) {
        return -1;
    }
    e = kv_entry_new(key, klen, val, vlen);
    if (e == NULL) {
        return -1;
    }
    if (old == NULL) {
        i = kv_probe(kv, key, klen); /* the table may have grown */
        kv->count++;
    }
    free(old);
    kv->slot[i] = e;
    kv->bytes += grow;
    return 0;
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
    uint64_t i;

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
    if (cmd_len == 7 && memcmp(line, "VERSION", 7) == 0 && len == 0) {
        return (size_t)snprintf(out, KV_REPLY_MAX, "VERSION %d\n", KVD_VERSION);
    }
    if (cmd_len == 4 && memcmp(line, "QUIT", 4) == 0 && len == 0) {
        return reply(out, KV_BYE);
    }
    if (cmd_len == 5 && memcmp(line, "COUNT", 5) == 0 && len == 0) {
        return (size_t)snprintf(out, KV_REPLY_MAX, "COUNT %llu\n", (unsigned long long)kv->count);
    }
    if (!((cmd_len == 3 && (memcmp(line, "SET", 3) == 0 || memcmp(line, "GET", 3) == 0 ||
                            memcmp(line, "DEL", 3) == 0)))) {
        return reply(out,
                     "ERR unknown command (PING, SET KEY VALUE, GET KEY, DEL KEY, COUNT, VERSION)");
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
        return reply(out, kv_set(kv, arg, key_len, val, val_len) == 0 ? "OK" : "ERR store full");
    }
    i = kv->cap != 0 ? kv_probe(kv, arg, key_len) : 0;
    if (kv->cap == 0 || kv->slot[i] == NULL) {
        return reply(out, "NOTFOUND");
    }
    if (line[0] == 'D') {
        kv_remove(kv, i);
        return reply(out, "OK");
    }
    return (size_t)snprintf(out, KV_REPLY_MAX, "VALUE %.*s\n", (int)kv->slot[i]->vlen,
                            kv->slot[i]->data + kv->slot[i]->klen);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Snapshot output, buffered so each record is not a write of its own. */
struct kv_out {
    kv_write_fn *w;
    void *ctx;
    struct sha256_ctx sha;
    size_t used;
    int failed;
    uint8_t buf[64 * 1024];
};

static void out_flush(struct kv_out *o)
{
    if (o->used > 0 && !o->failed && o->w(o->ctx, o->buf, o->used) != 0) {
        o->failed = 1;
    }
    o->used = 0;
}

static void out_put(struct kv_out *o, const void *p, size_t n)
{
    sha256_update(&o->sha, p, n);
    if (o->used + n > sizeof(o->buf)) {
        out_flush(o);
    }
    memcpy(o->buf + o->used, p, n);
    o->used += n;
}

uint64_t kv_snapshot(const struct kv_store *kv, kv_write_fn *w, void *ctx,
                     uint8_t digest[KV_SHA256_LEN])
{
    struct kv_out *o = malloc(sizeof(*o));
    uint64_t total = KV_SNAP_HEADER + 3 * kv->count + kv->bytes + KV_SHA256_LEN;
    uint8_t hdr[KV_SNAP_HEADER];
    int failed;

    if (o == NULL) {
        return 0;
    }
    o->w = w;
    o->ctx = ctx;
    o->used = 0;
    o->failed = 0;
    sha256_init(&o->sha);
    memcpy(hdr, KV_SNAP_MAGIC, 8);
    put_le(hdr + 8, kv->count, 8);
    put_le(hdr + 16, 3 * kv->count + kv->bytes, 8);
    out_put(o, hdr, sizeof(hdr));
    for (uint64_t i = 0; i < kv->cap; i++) {
        const struct kv_entry *e = kv->slot[i];
        uint8_t rec[3];

        if (e == NULL) {
            continue;
        }
        rec[0] = e->klen;
        put_le(rec + 1, e->vlen, 2);
        out_put(o, rec, sizeof(rec));
        out_put(o, e->data, (size_t)e->klen + e->vlen);
    }
    sha256_final(&o->sha, digest);
    out_flush(o);
    failed = o->failed || w(ctx, digest, KV_SHA256_LEN) != 0;
    free(o);
    return failed ? 0 : total;
}

/* Read @count records (@body bytes after the header of @buf) into the empty store @fresh.
 * Returns: NULL; or why they were refused. */
static const char *restore_records(struct kv_store *fresh, const uint8_t *buf, uint64_t count,
                                   uint64_t body)
{
    uint64_t off = KV_SNAP_HEADER;

    for (uint64_t n = 0; n < count; n++) {
        const char *key = (const char *)buf + off + 3;
        uint64_t klen, vlen;

        if (body - (off - KV_SNAP_HEADER) < 3) {
            return "records end early";
        }
        klen = buf[off];
        vlen = get_le(buf + off + 1, 2);
        if (body - (off - KV_SNAP_HEADER) - 3 < klen + vlen) {
            return "records end early";
        }
        if (klen == 0 || klen > KV_KEY_MAX || vlen > KV_VALUE_MAX || !printable(key, klen, 0) ||
            !printable(key + klen, vlen, 1)) {
            return "bad record";
        }
        if (fresh->cap != 0 && fresh->slot[kv_probe(fresh, key, klen)] != NULL) {
            return "a key twice";
        }
        if (kv_set(fresh, key, klen, key + klen, vlen) != 0) {
            return "does not fit the store";
        }
        off += 3 + klen + vlen;
    }
    return off == KV_SNAP_HEADER + body ? NULL : "bytes after the last record";
}

const char *kv_restore(struct kv_store *kv, const uint8_t *buf, size_t len)
{
    struct kv_store fresh;
    uint8_t digest[KV_SHA256_LEN];
    uint64_t count, body;
    const char *why;

    if (len < KV_SNAP_HEADER + KV_SHA256_LEN || memcmp(buf, KV_SNAP_MAGIC, 8) != 0) {
        return "not a kvd snapshot";
    }
    count = get_le(buf + 8, 8);
    body = get_le(buf + 16, 8);
    if (body != len - KV_SNAP_HEADER - KV_SHA256_LEN) {
        return "truncated or oversized";
    }
    sha256(buf, len - KV_SHA256_LEN, digest);
    if (memcmp(digest, buf + len - KV_SHA256_LEN, KV_SHA256_LEN) != 0) {
        return "checksum mismatch";
    }
    kv_init(&fresh, kv->max_bytes);
    why = restore_records(&fresh, buf, count, body);
    if (why != NULL) {
        kv_free(&fresh);
        return why;
    }
    fresh.requests = kv->requests;
    kv_free(kv);
    *kv = fresh;
    return NULL;
}
