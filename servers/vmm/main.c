/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vmm server: the receive/reply loop for vCPU exits and client requests. */
#include <understudy/slots.h>
#include "vmm.h"

int main(void)
{
    struct vmm_state *st;
    us_badge_t badge;
    us_err_t e;

    US_CHECK(vmm_init(&st) == US_OK);
    US_CHECK(us_recv(US_SLOT_SELF_EP, &badge) == US_OK);
    for (;;) {
        vmm_dispatch(st, badge, us_msgbuf());
        e = us_reply_recv(US_SLOT_SELF_EP, &badge);
        if (e != US_OK) {
            /* Our reply was refused (a malformed resume): say so and keep serving. */
            US_LOG_ERR("reply refused: %s", us_err_name(e));
            US_CHECK(us_recv(US_SLOT_SELF_EP, &badge) == US_OK);
        }
    }
}
