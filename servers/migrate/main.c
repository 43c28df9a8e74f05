/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate server: the receive/reply loop. */
#include <understudy/slots.h>
#include "migrate.h"

int main(void)
{
    struct migrate_state *st;
    us_badge_t badge;

    US_CHECK(migrate_init(&st) == US_OK);
    US_CHECK(us_recv(US_SLOT_SELF_EP, &badge) == US_OK);
    for (;;) {
        migrate_dispatch(st, badge, us_msgbuf());
        (void)us_reply_recv(US_SLOT_SELF_EP, &badge);
    }
}
