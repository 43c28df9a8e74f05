/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vmm server: the receive/reply loop for vCPU exits and client requests. */
#include <understudy/slots.h>
#include "vmm.h"

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    vmm_dispatch(ctx, badge, m);
}

int main(void)
{
    struct vmm_state *st;

    US_CHECK(vmm_init(&st) == US_OK);
    us_serve(US_SLOT_SELF_EP, serve, st);
}
