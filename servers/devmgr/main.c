/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr server: the receive/reply loop. */
#include <understudy/slots.h>
#include "devmgr.h"

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    devmgr_dispatch(ctx, badge, m);
}

int main(void)
{
    struct devmgr_state *st;

    (void)devmgr_init(&st);
    us_serve(US_SLOT_SELF_EP, serve, st);
}
