/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate server handlers: ping and status, with state kept in the restart region. */
#include <understudy/migrate.h>
#include <understudy/slots.h>
#include <uslib/string.h>
#include "migrate.h"

#define MIGRATE_MAGIC 0x6d696772u
#define MIGRATE_VERSION 1u

us_err_t migrate_init(struct migrate_state **st)
{
    struct migrate_state *s = (struct migrate_state *)(uintptr_t)US_VA_STATE;

    if (us_bootinfo()->state_size < sizeof(*s)) {
        return US_ENOMEM;
    }
    if (s->magic != MIGRATE_MAGIC || s->version != MIGRATE_VERSION) {
        memset(s, 0, sizeof(*s));
        s->magic = MIGRATE_MAGIC;
        s->version = MIGRATE_VERSION;
    }
    US_LOG_INFO("up (%s start)", us_bootinfo()->restart_count ? "re" : "cold");
    *st = s;
    return US_OK;
}

void migrate_dispatch(struct migrate_state *st, us_badge_t badge, struct us_msg *m)
{
    (void)badge;
    st->requests++;
    switch (m->hdr.label) {
    case US_LABEL_PING:
        us_msg_init(m, US_LABEL_PING, 16);
        memcpy(m->w, "migrate", 8);
        m->w[1] = st->requests;
        return;
    case US_MIGRATE_STATUS:
        us_msg_init(m, US_MIGRATE_STATUS, 8);
        m->w[0] = st->migrations;
        return;
    case US_LABEL_NOTIFY:
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}
