/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The migrate server's private interface. At this stage it only answers pings and status. */
#pragma once

#include <understudy/usys.h>

/* Everything the server keeps; lives in the restart-surviving state region. */
struct migrate_state {
    uint32_t magic;
    uint32_t version;
    uint64_t migrations;
    uint64_t requests;
};

/** migrate_init() - attach to the state region; cold start or restart. Returns: US_OK;
 * US_ENOMEM if the region is too small. */
us_err_t migrate_init(struct migrate_state **st);

/** migrate_dispatch() - handle one request in the IPC buffer, leaving the reply there. */
void migrate_dispatch(struct migrate_state *st, us_badge_t badge, struct us_msg *m);
