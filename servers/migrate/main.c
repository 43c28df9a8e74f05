/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate server: the receive/reply loop. */
#include <understudy/slots.h>
#include "migrate.h"

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    migrate_dispatch(ctx, badge, m);
}

int main(void)
{
    struct migrate_state *st;

    US_CHECK(migrate_init(&st) == US_OK);
    us_serve(US_SLOT_SELF_EP, serve, st);
}
