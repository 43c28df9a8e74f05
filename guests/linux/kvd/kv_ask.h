/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The client side of kvd's local socket (kvd ctl, the guest agent): one request line, one
 * reply line. */
#pragma once

#include <stddef.h>
#include <sys/un.h>

/** kv_unix_addr() - @a for the Unix socket at @path. Returns: 0; -1 if @path is too long. */
int kv_unix_addr(const char *path, struct sockaddr_un *a);

/**
 * kv_ask() - send @cmd (one line, without LF) to the kvd whose local socket is @path and read
 * its reply line into @out (@cap bytes, at least 1: NUL-terminated, CR and LF stripped).
 * Returns: 0 for a reply that is not an ERR; -1 for an ERR or an empty reply; -2 if kvd could
 * not be reached, with strerror()'s reason in @out.
 */
int kv_ask(const char *path, const char *cmd, char *out, size_t cap);
