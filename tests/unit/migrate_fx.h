/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the migrate unit tests share: the runtime calls migrate makes that need no answer of
 * their own, its restart count and death, and the agent channels' two ends. Included once by
 * each test, after its own `st` (struct migrate_state) and `chans` (the channels). */
#pragma once

#include <setjmp.h>
#include <string.h>
#include <understudy/ring.h>
#include "migrate.h"
#include "ut.h"

static jmp_buf died;      /* where us_fatal() goes: the test plays the restart */
static uint32_t restarts; /* what migrate_restart_count() says */

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return US_ENOTSUP;
}

uint32_t migrate_restart_count(void)
{
    return restarts;
}

_Noreturn void us_fatal(const char *what)
{
    (void)what;
    longjmp(died, 1);
}

/* The vmm puts @recs up, migrate handles them and its state is sealed. */
static void up(uint32_t slot, const char *recs)
{
    UT_EXPECT(us_ring_put(&chans[slot].up, recs, (uint32_t)strlen(recs)) >= 0);
    migrate_agents_pump(&st);
    migrate_lines_release(&st);
}

/* The next line migrate sent down to the agent in @slot, or "". */
static const char *down(uint32_t slot)
{
    static char line[US_AGENT_TEXT_MAX + 8];

    if (us_ring_line(&chans[slot].down, line, sizeof(line)) < 0) {
        line[0] = '\0';
    }
    return line;
}
