/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The migrate server's private interface: status, and the guest agents it talks to through
 * the agent channels the vmm shares with it (understudy/migrate.h). */
#pragma once

#include <understudy/migrate.h>
#include <understudy/usys.h>

/* What migrate knows of one VM slot's guest agent. */
struct migrate_agent {
    uint32_t state; /* US_AGENT_* */
    uint32_t reserved;
    uint64_t lines; /* lines it has sent since it connected */
    char name[16];  /* the VM's, from the vmm's open record */
    char hello[US_AGENT_TEXT_MAX];
    char last[US_AGENT_TEXT_MAX];
};

/* Everything the server keeps; lives in the restart-surviving state region. */
struct migrate_state {
    uint32_t magic;
    uint32_t version;
    uint64_t migrations;
    uint64_t requests;
    struct migrate_agent agents[US_AGENT_CHANS];
    struct us_agent_chan *chans; /* the shared channels; NULL in tests without them */
};

/** migrate_init() - attach to the state region and the agent channels; cold start or
 * restart. Returns: US_OK; US_ENOMEM if the region is too small. */
us_err_t migrate_init(struct migrate_state **st);

/** migrate_dispatch() - handle one request in the IPC buffer, leaving the reply there. */
void migrate_dispatch(struct migrate_state *st, us_badge_t badge, struct us_msg *m);

/** migrate_agents_pump() - take every record the vmm has put on the agent channels
 * (US_NTFN_AGENT_UP): connections opening and closing, and the agents' lines. A new agent's
 * HELLO is answered with a HEALTH request, whose reply is logged. */
void migrate_agents_pump(struct migrate_state *st);
