/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* console server: the receive/reply loop. */
#include <understudy/abi.h>
#include <understudy/slots.h>
#include <uslib/state.h>
#include "console.h"

static struct console_state console;

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    console_dispatch(ctx, badge, m);
}

int main(void)
{
    static const struct us_state_desc sd = {sizeof(struct console_kept), CONSOLE_MAGIC,
                                            CONSOLE_VERSION, NULL};
    bool recovered = us_state_start(&sd) == STATE_RECOVERED;

    US_CHECK(console_init(&console, (struct console_kept *)(uintptr_t)US_VA_STATE, recovered) ==
             US_OK);
    us_serve_state(US_SLOT_SELF_EP, serve, &console, &sd);
}
