/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate server: the receive/reply loop. */
#include <understudy/slots.h>
#include <uslib/state.h>
#include <uslib/string.h>
#include "migrate.h"

/* @m to the server behind @ep (@who for the log); its reply replaces @m. */
static us_err_t call_server(us_cap_t ep, const char *who, struct us_msg *m)
{
    struct us_msg *buf = us_msgbuf();
    us_err_t e;

    memcpy(buf, m, sizeof(m->hdr) + m->hdr.len);
    e = us_call(ep);
    if (e == US_OK && buf->hdr.label != m->hdr.label) {
        US_LOG_WARN("%s's reply to label 0x%x came as label 0x%x: refused", who, m->hdr.label,
                    buf->hdr.label);
        e = US_ECORRUPT; /* a flow's step is not redone: the flow sees the error */
    }
    if (e == US_OK) {
        memcpy(m, buf, sizeof(m->hdr) + (buf->hdr.len <= US_MSG_MAX_LEN ? buf->hdr.len : 0u));
    }
    return e;
}

us_err_t migrate_vmm_call(struct us_msg *m)
{
    return call_server(US_SLOT_VMM_EP, "the vmm", m);
}

us_err_t migrate_devmgr_call(struct us_msg *m)
{
    return call_server(US_SLOT_DEVMGR_EP, "devmgr", m);
}

us_err_t migrate_mem_ctl(uint32_t op, uint64_t base, uint64_t size, uint64_t r[3])
{
    return us_server_ctl_mem(US_SLOT_MIGRATE_SERVER_CTL, op, base, size, r);
}

uint32_t migrate_restart_count(void)
{
    return us_bootinfo()->restart_count;
}

static void serve(void *ctx, us_badge_t badge, struct us_msg *m)
{
    migrate_dispatch(ctx, badge, m);
}

int main(void)
{
    static const struct us_state_desc sd = {sizeof(struct migrate_state), MIGRATE_MAGIC,
                                            MIGRATE_VERSION, migrate_lines_release};
    struct migrate_state *st;

    bool recovered = us_state_start(&sd) == STATE_RECOVERED;

    US_CHECK(migrate_init(&st, recovered) == US_OK);
    us_serve_state(US_SLOT_SELF_EP, serve, st, &sd);
}
