/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/notification.c: bits, the one waiter, and the bound endpoint. */
#include <us/endpoint.h>
#include <us/notification.h>
#include <us/sched.h>
#include "kernel_fx.h"
#include "ut.h"

static struct process *a, *b;

static void setup(void)
{
    kfx_init(1);
    a = kfx_process("a", 20);
    b = kfx_process("b", 10);
}

static void wait_takes_pending_bits(void)
{
    setup();
    notification_signal(a->ntfn, 0x1);
    notification_signal(a->ntfn, 0x4);
    notification_wait(a->ntfn, &a->thread);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&a->thread, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 0x5);
    UT_EXPECT_EQ(a->ntfn->bits, 0);
}

static void signal_wakes_waiter(void)
{
    setup();
    notification_wait(a->ntfn, &a->thread);
    UT_EXPECT_EQ(a->thread.state, TS_BLOCKED_NTFN);
    UT_EXPECT(a->ntfn->waiter == &a->thread);
    notification_signal(a->ntfn, 0x8);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 0x8);
    UT_EXPECT(a->ntfn->waiter == NULL);
    UT_EXPECT(a->thread.wait_ntfn == NULL);
    UT_EXPECT_EQ(a->ntfn->bits, 0);
}

static void wait_rejects_second_waiter(void)
{
    setup();
    notification_wait(a->ntfn, &a->thread);
    notification_wait(a->ntfn, &b->thread);
    UT_EXPECT_EQ(kfx_r(&b->thread, 0), US_EBUSY);
    UT_EXPECT_EQ(b->thread.state, TS_RUNNING);
    UT_EXPECT(a->ntfn->waiter == &a->thread);
}

static void signal_wakes_bound_receiver(void)
{
    setup();
    endpoint_recv(a->ep, &a->thread);
    UT_EXPECT_EQ(a->thread.state, TS_BLOCKED_RECV);
    notification_signal(a->ntfn, 0x30);
    UT_EXPECT_EQ(a->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(a->thread.msg->hdr.label, US_LABEL_NOTIFY);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 0x30);
    UT_EXPECT(a->thread.wait_ep == NULL);
    UT_EXPECT(a->ep->receivers.head == NULL);
    UT_EXPECT_EQ(a->ntfn->bits, 0);
}

static void signal_without_waiter_keeps_bits(void)
{
    setup();
    a->ntfn->bound = NULL;
    notification_signal(a->ntfn, 0x2);
    UT_EXPECT_EQ(a->ntfn->bits, 0x2);
    UT_EXPECT_EQ(notification_poll(a->ntfn), 0x2);
    UT_EXPECT_EQ(notification_poll(a->ntfn), 0);
}

UT_MAIN({"wait_takes_pending_bits", wait_takes_pending_bits},
        {"signal_wakes_waiter", signal_wakes_waiter},
        {"wait_rejects_second_waiter", wait_rejects_second_waiter},
        {"signal_wakes_bound_receiver", signal_wakes_bound_receiver},
        {"signal_without_waiter_keeps_bits", signal_without_waiter_keeps_bits})
