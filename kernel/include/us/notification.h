/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Notifications: a word of event bits, signalled by IRQs, the kernel log or other servers. */
#pragma once

#include <us/thread.h>

struct endpoint;

struct notification {
    uint64_t bits;
    struct thread *waiter;  /* blocked in wait */
    struct endpoint *bound; /* receivers of this endpoint are woken too */
    bool in_use;
};

/** notification_signal() - OR @bits in and wake a waiter (or a bound endpoint's receiver). */
void notification_signal(struct notification *n, uint64_t bits);

/** notification_wait() - @t takes the bits, or blocks until there are some. */
void notification_wait(struct notification *n, struct thread *t);

/** notification_poll() - take the bits without blocking (0 if none). */
uint64_t notification_poll(struct notification *n);
