/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* console server: the receive/reply loop. */
#include <understudy/slots.h>
#include "console.h"

static struct console_state console;

int main(void)
{
    us_badge_t badge;

    US_CHECK(console_init(&console) == US_OK);
    US_CHECK(us_recv(US_SLOT_SELF_EP, &badge) == US_OK);
    for (;;) {
        console_dispatch(&console, badge, us_msgbuf());
        (void)us_reply_recv(US_SLOT_SELF_EP, &badge);
    }
}
