/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Every server's receive/dispatch/reply loop, so each handles a refused reply the same way. */
#include <understudy/usys.h>

/* Reply with what is in the IPC buffer and wait on @ep for the next message. */
static void reply_and_wait(us_cap_t ep, us_badge_t *badge)
{
    us_err_t e = us_reply_recv(ep, badge);

    if (e != US_OK) {
        /* The kernel refused our reply (too long, or a malformed vCPU resume) and did not
         * receive: the buffer still holds the message just handled, which must not be
         * dispatched again. An Understudy bug, but the server keeps serving. */
        US_LOG_ERR("reply refused: %s", us_err_name(e));
        US_CHECK(us_recv(ep, badge) == US_OK);
    }
}

void us_serve_step(us_cap_t ep, us_serve_fn *fn, void *ctx, struct us_msg *m, us_badge_t *badge)
{
    fn(ctx, *badge, m);
    reply_and_wait(ep, badge);
}

_Noreturn void us_serve(us_cap_t ep, us_serve_fn *fn, void *ctx)
{
    us_badge_t badge;

    US_CHECK(us_recv(ep, &badge) == US_OK);
    for (;;) {
        us_serve_step(ep, fn, ctx, us_msgbuf(), &badge);
    }
}
