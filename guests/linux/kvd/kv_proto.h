/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The key-value service's store and line protocol, kept apart from sockets so the host's
 * unit tests run the very code the guest runs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define KV_KEY_MAX 64u    /* bytes, printable ASCII without spaces */
#define KV_VALUE_MAX 256u /* bytes, printable ASCII, spaces allowed */
#define KV_ENTRIES 1024u
#define KV_LINE_MAX 512u /* a request line, without its LF */
#define KV_REPLY_MAX (KV_VALUE_MAX + 16u)
#define KV_BYE "BYE" /* the reply to QUIT, after which the connection closes */

struct kv_entry {
    char key[KV_KEY_MAX + 1];
    char value[KV_VALUE_MAX + 1];
    uint8_t used;
};

struct kv_store {
    struct kv_entry e[KV_ENTRIES];
    uint32_t count;
    uint64_t requests;
};

/**
 * kv_handle() - run one request line (@len bytes, no LF; a trailing CR is ignored) against
 * @kv and write the one-line reply, LF-terminated, into @out (KV_REPLY_MAX bytes).
 * Requests: PING, SET KEY VALUE, GET KEY, DEL KEY, COUNT, QUIT. Replies: OK, VALUE v,
 * NOTFOUND, COUNT n, PONG, BYE (to QUIT: the server then closes the connection), or ERR with
 * a reason; a bad request changes nothing.
 * Returns: the reply's length.
 */
size_t kv_handle(struct kv_store *kv, const char *line, size_t len, char *out);
