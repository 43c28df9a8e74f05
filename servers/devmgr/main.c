/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr server: the receive/reply loop. */
#include <understudy/slots.h>
#include "devmgr.h"

int main(void)
{
    struct devmgr_state *st;
    us_badge_t badge;

    (void)devmgr_init(&st);
    US_CHECK(us_recv(US_SLOT_SELF_EP, &badge) == US_OK);
    for (;;) {
        devmgr_dispatch(st, badge, us_msgbuf());
        (void)us_reply_recv(US_SLOT_SELF_EP, &badge);
    }
}
