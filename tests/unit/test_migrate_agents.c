/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of migrate's side of the agent channels (servers/migrate/migrate.c): the records
 * the vmm puts up, the HEALTH asked of a new agent, and US_MIGRATE_AGENT_INFO / _SEND. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "migrate.h"
#include "ut.h"

static struct migrate_state st;
static struct us_agent_chan chans[US_AGENT_CHANS];
static unsigned vmm_signals, self_signals;
static char info[256]; /* the last INFO line */

#include "migrate_fx.h"

us_err_t migrate_vmm_call(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOTSUP); /* no flow runs in these tests */
    return US_OK;
}

us_err_t migrate_devmgr_call(struct us_msg *m)
{
    us_msg_reply_err(m, US_ENOTSUP);
    return US_OK;
}

us_err_t us_yield(void)
{
    return US_OK;
}

us_err_t migrate_mem_ctl(uint32_t op, uint64_t base, uint64_t size, uint64_t r[3])
{
    (void)op, (void)base, (void)size, (void)r;
    return US_ENOTSUP;
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    if (ntfn == US_SLOT_SELF_NTFN) {
        UT_EXPECT_EQ(bits, US_NTFN_AGENT_UP);
        self_signals++;
        return US_OK;
    }
    UT_EXPECT_EQ(ntfn, US_SLOT_MIGRATE_VMM_NTFN);
    UT_EXPECT_EQ(bits, US_NTFN_AGENT_DOWN);
    vmm_signals++;
    return US_OK;
}

void us_logf(uint32_t level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (level == US_LOG_LEVEL_INFO) {
        vsnprintf(info, sizeof(info), fmt, ap);
    }
    va_end(ap);
}

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    memset(chans, 0, sizeof(chans));
    st.chans = chans;
    vmm_signals = 0;
    self_signals = 0;
    info[0] = '\0';
}

static us_err_t call(uint32_t label, uint64_t slot, uint64_t which, const char *text,
                     struct us_msg *m)
{
    memset(m, 0, sizeof(*m));
    us_msg_init(m, label, 16);
    m->w[0] = slot;
    m->w[1] = which;
    if (text != NULL) {
        size_t n = strlen(text) + 1u;

        memcpy(&m->w[1], text, n);
        m->hdr.len = (uint16_t)(8u + ((n + 7u) & ~7u));
    }
    migrate_dispatch(&st, 1, m);
    return (us_err_t)m->hdr.err;
}

/* A connection: open, HELLO (answered with HEALTH), the agent's reply, close; a new one. */
static void agent_session(void)
{
    struct us_msg m;

    setup();
    up(2, US_AGENT_OPEN "kvd0\n");
    UT_EXPECT_EQ(st.agents[2].state, US_AGENT_UP);
    UT_EXPECT(strcmp(info, "kvd0: agent connected") == 0);
    up(2, "HELLO host=a boot=b apps=kvd\n");
    UT_EXPECT(strcmp(down(2), "HEALTH") == 0);
    UT_EXPECT_EQ(vmm_signals, 1);
    up(2, "HEALTH kvd=up keys=7\n");
    UT_EXPECT(strcmp(info, "kvd0: agent: HEALTH kvd=up keys=7") == 0);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_INFO, 2, US_AGENT_TEXT_HELLO, NULL, &m), US_OK);
    UT_EXPECT(m.w[0] == US_AGENT_UP && m.w[1] == 2);
    UT_EXPECT(strcmp((const char *)&m.w[2], "HELLO host=a boot=b apps=kvd") == 0);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_INFO, 2, US_AGENT_TEXT_LAST, NULL, &m), US_OK);
    UT_EXPECT(strcmp((const char *)&m.w[2], "HEALTH kvd=up keys=7") == 0);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 2, 0, "QUIESCE kvd", &m), US_OK);
    UT_EXPECT(strcmp(down(2), "QUIESCE kvd") == 0);
    up(2, US_AGENT_CLOSE "\n");
    UT_EXPECT_EQ(st.agents[2].state, US_AGENT_CLOSED);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 2, 0, "HEALTH", &m), US_ENOENT);
    up(2, "HEALTH stray\n");             /* a line with no connection is ignored */
    UT_EXPECT_EQ(st.agents[2].lines, 2); /* unchanged */
    up(2, US_AGENT_OPEN "kvd0\nHELLO again\n");
    UT_EXPECT(st.agents[2].state == US_AGENT_UP && st.agents[2].lines == 1);
    UT_EXPECT(strcmp(down(2), "HEALTH") == 0);
}

/* Bad calls get errors and change nothing. */
static void bad_calls_refused(void)
{
    struct us_msg m;
    char long_line[US_AGENT_TEXT_MAX + 1];

    setup();
    up(0, US_AGENT_OPEN "vm0\nHELLO x\n");
    (void)down(0);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_INFO, US_AGENT_CHANS, 0, NULL, &m), US_ERANGE);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_INFO, 0, 2, NULL, &m), US_EINVAL);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 1, 0, "HEALTH", &m), US_ENOENT); /* no agent */
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 0, 0, "", &m), US_EINVAL);
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 0, 0, "two\nlines", &m), US_EINVAL);
    memset(long_line, 'x', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    UT_EXPECT_EQ(call(US_MIGRATE_AGENT_SEND, 0, 0, long_line, &m), US_EINVAL);
    /* Unterminated: the whole message is text with no NUL. */
    us_msg_init(&m, US_MIGRATE_AGENT_SEND, US_MSG_MAX_LEN);
    m.w[0] = 0;
    memset(&m.w[1], 'y', US_MSG_MAX_LEN - 8u);
    migrate_dispatch(&st, 1, &m);
    UT_EXPECT_EQ(m.hdr.err, US_EINVAL);
    us_msg_init(&m, US_MIGRATE_AGENT_INFO, 8); /* short */
    migrate_dispatch(&st, 1, &m);
    UT_EXPECT(m.hdr.err != US_OK);
    UT_EXPECT(strcmp(down(0), "") == 0); /* nothing went to the agent */
    UT_EXPECT_EQ(st.agents[0].state, US_AGENT_UP);
}

/* The channel down to the vmm fills: US_ENOMEM, and nothing half-written. */
static void full_channel_refused(void)
{
    struct us_msg m;
    int ok = 0;

    setup();
    up(0, US_AGENT_OPEN "vm0\nHELLO x\n");
    while (call(US_MIGRATE_AGENT_SEND, 0, 0, "SNAPSHOT kvd /tmp/kv.snap", &m) == US_OK) {
        ok++;
    }
    UT_EXPECT_EQ(m.hdr.err, US_ENOMEM);
    UT_EXPECT_EQ(ok, (US_GUEST_RING_BYTES - 7) / 26);
    UT_EXPECT_EQ(vmm_signals, 1); /* one signal while the vmm has not drained */
    UT_EXPECT(strcmp(down(0), "HEALTH") == 0);
    for (int i = 0; i < ok; i++) {
        UT_EXPECT(strcmp(down(0), "SNAPSHOT kvd /tmp/kv.snap") == 0);
    }
    UT_EXPECT(strcmp(down(0), "") == 0);
}

/* A line is given back to the vmm only once the state that took it is sealed: an instance
 * that dies before that (a fault, `server crash`) leaves it for the next one to take again. */
static void lines_released_after_commit(void)
{
    struct us_guest_ring *r = &chans[0].up;
    static struct migrate_state sealed;
    const char recs[] = US_AGENT_OPEN "kvd0\nHELLO host=x\n";

    setup();
    sealed = st; /* the state as last sealed */
    UT_EXPECT_EQ(us_ring_put(r, recs, sizeof(recs) - 1u), 1);
    migrate_agents_pump(&st);
    UT_EXPECT_EQ(st.agents[0].state, US_AGENT_UP);
    UT_EXPECT_EQ(r->tail, 0u); /* taken, not given back */
    /* The instance dies before its commit: the next one has the sealed state, and the line. */
    st = sealed;
    migrate_agents_pump(&st);
    UT_EXPECT_EQ(st.agents[0].state, US_AGENT_UP);
    UT_EXPECT_EQ(st.agents[0].lines, 1u);
    migrate_lines_release(&st);
    UT_EXPECT_EQ(r->tail, r->head);
    UT_EXPECT_EQ(self_signals, 0u);
    /* A line that comes between the handling and the commit finds the ring not empty, so the
     * vmm does not signal: the release sees it and migrate signals itself. */
    UT_EXPECT_EQ(us_ring_put(r, "HEALTH kvd=up\n", 14), 1);
    migrate_agents_pump(&st);
    UT_EXPECT_EQ(us_ring_put(r, "HEALTH kvd=up keys=1\n", 21), 0);
    migrate_lines_release(&st);
    UT_EXPECT_EQ(self_signals, 1u);
    migrate_agents_pump(&st);
    migrate_lines_release(&st);
    UT_EXPECT_EQ(self_signals, 1u);
    UT_EXPECT_EQ(st.agents[0].lines, 3u);
    UT_EXPECT(strcmp(st.agents[0].last, "HEALTH kvd=up keys=1") == 0);
}

UT_MAIN({"agent_session", agent_session}, {"bad_calls_refused", bad_calls_refused},
        {"full_channel_refused", full_channel_refused},
        {"lines_released_after_commit", lines_released_after_commit})
