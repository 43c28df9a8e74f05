/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* console server: the receive/reply loop. */
#include <understudy/slots.h>
#include "console.h"

static struct console_state console;

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    console_dispatch(ctx, badge, m);
}

int main(void)
{
    US_CHECK(console_init(&console) == US_OK);
    us_serve(US_SLOT_SELF_EP, serve, &console);
}
