/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Notifications: OR-ed event bits with at most one waiter, optionally bound to an endpoint. */
#include <understudy/slots.h>
#include <us/endpoint.h>
#include <us/notification.h>
#include <us/sched.h>

/* A receiver woken by the bound notification sees label US_LABEL_NOTIFY and the bits. */
static void wake_receiver_with_bits(struct thread *t, uint64_t bits)
{
    us_msg_init(t->msg, US_LABEL_NOTIFY, 0);
    thread_set_result(t, US_OK, bits);
    t->wait_ep = NULL;
    sched_wake(t);
}

void notification_signal(struct notification *n, uint64_t bits)
{
    struct thread *t;

    n->bits |= bits;
    if (n->waiter != NULL) {
        t = n->waiter;
        n->waiter = NULL;
        t->wait_ntfn = NULL;
        thread_set_result(t, US_OK, n->bits);
        n->bits = 0;
        sched_wake(t);
        return;
    }
    if (n->bound != NULL && n->bound->receivers.head != NULL) {
        t = thread_queue_pop(&n->bound->receivers);
        wake_receiver_with_bits(t, n->bits);
        n->bits = 0;
    }
}

void notification_wait(struct notification *n, struct thread *t)
{
    if (n->bits != 0) {
        thread_set_result(t, US_OK, n->bits);
        n->bits = 0;
        return;
    }
    if (n->waiter != NULL) {
        thread_set_result(t, US_EBUSY, 0);
        return;
    }
    n->waiter = t;
    t->wait_ntfn = n;
    sched_block(t, TS_BLOCKED_NTFN);
}

uint64_t notification_poll(struct notification *n)
{
    uint64_t b = n->bits;
    n->bits = 0;
    return b;
}
