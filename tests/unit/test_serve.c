/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for ipc/lib/serve.c, the loop every server runs: the kernel's answers to reply-
 * and-receive are scripted, and the test counts what the handler is given. */
#include <stdlib.h>
#include <understudy/usys.h>
#include "ut.h"

static struct us_msg buf;
static us_err_t reply_recv_answer;
static unsigned reply_recvs, recvs, handled, errors;
static us_badge_t next_badge, last_badge;
static uint32_t replied; /* the label of the last reply */

us_err_t us_reply_recv(us_cap_t ep, us_badge_t *badge)
{
    (void)ep;
    reply_recvs++;
    replied = buf.hdr.label;
    if (reply_recv_answer == US_OK) {
        *badge = next_badge;
        buf.hdr.label = (uint16_t)next_badge; /* a new message arrived */
    }
    return reply_recv_answer;
}

us_err_t us_recv(us_cap_t ep, us_badge_t *badge)
{
    (void)ep;
    recvs++;
    *badge = next_badge;
    buf.hdr.label = (uint16_t)next_badge;
    return US_OK;
}

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)fmt;
    errors += level == US_LOG_LEVEL_ERR;
}

_Noreturn void us_fatal(const char *what)
{
    (void)what;
    abort();
}

/* The handler checks it never sees the same message twice. */
static void handler(void *ctx, us_badge_t badge, struct us_msg *m)
{
    UT_EXPECT(ctx == &buf);
    UT_EXPECT(m == &buf);
    UT_EXPECT(m->hdr.label == (uint16_t)badge);
    UT_EXPECT(handled == 0 || badge != last_badge);
    last_badge = badge;
    handled++;
    m->hdr.label = 0; /* the reply */
}

static void accepted_reply_takes_next_message(void)
{
    us_badge_t badge = 1;

    buf.hdr.label = 1;
    next_badge = 2;
    us_serve_step(7, handler, &buf, &buf, &badge);
    UT_EXPECT_EQ(badge, 2);
    UT_EXPECT_EQ(handled, 1);
    UT_EXPECT_EQ(reply_recvs, 1);
    UT_EXPECT_EQ(recvs, 0);
    UT_EXPECT_EQ(errors, 0);
}

/* The kernel refused the reply and did not receive: the buffer holds the old message (the
 * handler's reply), so the loop must wait afresh rather than handle it again. */
static void refused_reply_waits_afresh(void)
{
    us_badge_t badge = 1;

    buf.hdr.label = 1;
    reply_recv_answer = US_ETRUNC;
    next_badge = 3;
    us_serve_step(7, handler, &buf, &buf, &badge);
    UT_EXPECT_EQ(recvs, 1);
    UT_EXPECT_EQ(errors, 1);
    UT_EXPECT_EQ(badge, 3);
    reply_recv_answer = US_OK;
    next_badge = 4;
    us_serve_step(7, handler, &buf, &buf, &badge);
    UT_EXPECT_EQ(handled, 2);
    UT_EXPECT_EQ(badge, 4);
}

/* US_FAULT_GARBLE scrambles the next reply that reaches someone: a notification, which nobody
 * waits on, does not take it. */
static void garble_waits_for_a_reply_to_someone(void)
{
    us_badge_t badge = 1;

    us_msg_init(&buf, US_LABEL_FAULT, 8);
    buf.w[0] = US_FAULT_GARBLE;
    next_badge = US_LABEL_NOTIFY;
    us_serve_step(7, handler, &buf, &buf, &badge);
    UT_EXPECT_EQ(replied, US_LABEL_FAULT); /* the injector's own answer */
    next_badge = 9;
    us_serve_step(7, handler, &buf, &buf, &badge); /* the notification */
    UT_EXPECT_EQ(replied, 0);
    next_badge = 10;
    us_serve_step(7, handler, &buf, &buf, &badge); /* a call: garbled */
    UT_EXPECT_EQ(replied, 0x5a5a);
    us_serve_step(7, handler, &buf, &buf, &badge); /* once */
    UT_EXPECT_EQ(replied, 0);
}

UT_MAIN({"accepted_reply_takes_next_message", accepted_reply_takes_next_message},
        {"refused_reply_waits_afresh", refused_reply_waits_afresh},
        {"garble_waits_for_a_reply_to_someone", garble_waits_for_a_reply_to_someone})
