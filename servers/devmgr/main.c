/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr server: the receive/reply loop. */
#include <understudy/slots.h>
#include <uslib/state.h>
#include "devmgr.h"

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    devmgr_dispatch(ctx, badge, m);
}

int main(void)
{
    static const struct us_state_desc sd = {sizeof(struct devmgr_state), DEVMGR_MAGIC,
                                            DEVMGR_VERSION, NULL};
    struct devmgr_state *st;

    (void)devmgr_init(&st, us_state_start(&sd) == STATE_RECOVERED);
    us_serve_state(US_SLOT_SELF_EP, serve, st, &sd);
}
