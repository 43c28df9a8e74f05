/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Moving an unmodified process with its TCP connections (docs/criu.md): criu checkpoints it
 * in one instance, the images travel as one tar through the vmm's carry service, and criu
 * restores it in the understudy. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/**
 * ckpt_dump() - checkpoint process @pid (and its connections), leave it running, and upload
 * the images. On success @out holds "SIZE SHA256HEX" of the tar that went up.
 * Returns: 0; -1 with the reason in @out (the process runs on).
 */
int ckpt_dump(pid_t pid, char *out, size_t cap);

/**
 * ckpt_restore() - download the images whose tar has SHA-256 @hex and restore the process
 * from them, detached (the caller, a child subreaper, adopts it). *@pid: its PID.
 * Returns: 0; -1 with the reason in @out.
 */
int ckpt_restore(const char *hex, pid_t *pid, char *out, size_t cap);

/**
 * ckpt_unsettled() - TCP connections to local @port that criu would lose: handshakes half
 * done (SYN_RECV) and connections waiting to be accepted (a listener's queue), from
 * /proc/net/tcp and tcp6.
 * Returns: their number; -1 when neither table can be read.
 */
int ckpt_unsettled(unsigned port);
