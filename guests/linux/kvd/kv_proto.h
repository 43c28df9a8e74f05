/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The key-value service's store, its line protocol and its snapshots, kept apart from sockets
 * so the host's unit tests run the very code the guest runs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KV_KEY_MAX 64u    /* bytes, printable ASCII without spaces */
#define KV_VALUE_MAX 256u /* bytes, printable ASCII, spaces allowed */
#define KV_LINE_MAX 512u  /* a request line, without its LF */
#define KV_REPLY_MAX (KV_VALUE_MAX + 16u)
#define KV_BYE "BYE" /* the reply to QUIT, after which the connection closes */
#ifndef KVD_VERSION
#define KVD_VERSION 1 /* what VERSION answers; the build makes a kvd-next with 2 */
#endif
/* The default bound on the bytes of keys and values a store holds; kvd -m changes it. */
#define KV_DEFAULT_MAX_BYTES (64ull << 20)
#define KV_SHA256_LEN 32u

/* One entry, allocated to fit: the key's bytes, then the value's (no terminators). */
struct kv_entry {
    uint16_t vlen;
    uint8_t klen;
    char data[];
};

/* Open addressing over entry pointers, linear probing, FNV-1a; the table doubles when it is
 * 70 % full, so the store has no fixed number of entries, only a bound on its data. */
struct kv_store {
    struct kv_entry **slot;
    uint64_t cap; /* a power of two, or 0 before the first SET */
    uint64_t count;
    uint64_t bytes;     /* of keys and values */
    uint64_t max_bytes; /* SET answers "ERR store full" past it (0: KV_DEFAULT_MAX_BYTES) */
    uint64_t requests;
};

/** kv_init() - an empty store holding at most @max_bytes of keys and values (0: the
 * default). */
void kv_init(struct kv_store *kv, uint64_t max_bytes);

/** kv_free() - release every entry and the table; @kv is then empty. */
void kv_free(struct kv_store *kv);

/**
 * kv_handle() - run one request line (@len bytes, no LF; a trailing CR is ignored) against
 * @kv and write the one-line reply, LF-terminated, into @out (KV_REPLY_MAX bytes).
 * Requests: PING, SET KEY VALUE, GET KEY, DEL KEY, COUNT, QUIT. Replies: OK, VALUE v,
 * NOTFOUND, COUNT n, PONG, BYE (to QUIT: the server then closes the connection), or ERR with
 * a reason; a bad request, or a SET the store has no room for, changes nothing.
 * Returns: the reply's length.
 */
size_t kv_handle(struct kv_store *kv, const char *line, size_t len, char *out);

/* A snapshot: a header (the 8 bytes KV_SNAP_MAGIC, then the entry count and the records'
 * length, each 64-bit little-endian), the records (key length u8, value length u16 LE, key,
 * value), and the SHA-256 of everything before it. */
#define KV_SNAP_MAGIC "KVSNAP01"
#define KV_SNAP_HEADER 24u

/* Where a snapshot's bytes go: returns 0, or -1 to stop with an error. */
typedef int kv_write_fn(void *ctx, const void *p, size_t n);

/** kv_snapshot() - write @kv as a snapshot through @w and its digest into @digest.
 * Returns: the snapshot's length in bytes; 0 if @w failed. */
uint64_t kv_snapshot(const struct kv_store *kv, kv_write_fn *w, void *ctx,
                     uint8_t digest[KV_SHA256_LEN]);

/** kv_restore() - replace @kv's entries with the snapshot in @buf (@len bytes), after checking
 * all of it: its digest, every record, no key twice, and that it fits @kv's max_bytes.
 * Returns: NULL; or why it was refused, with @kv unchanged. */
const char *kv_restore(struct kv_store *kv, const uint8_t *buf, size_t len);
