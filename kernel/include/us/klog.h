/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel log ring: every kernel and server log line, read by the console server. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

struct notification;

#define KLOG_RING_SIZE 16384u

/** klog_append() - append one line (a newline is added) and notify the reader. */
void klog_append(const char *s, uint64_t n);

/** klog_read() - copy log bytes from @cursor into @buf; *next is where to continue.
 * A cursor older than the ring restarts at the oldest byte; one past the end (UINT64_MAX)
 * starts at the end. Returns bytes copied. */
uint64_t klog_read(uint64_t cursor, char *buf, uint64_t max, uint64_t *next);

/** klog_set_reader() - the console took the UART: stop writing it directly and signal @n. */
void klog_set_reader(struct notification *n, uint64_t bit);

/** klog_reader_lost() - if @n is the reader's, it stopped for good: the UART again, until a
 * reader reads. */
void klog_reader_lost(const struct notification *n);
