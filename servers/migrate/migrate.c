/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate server handlers: ping, status and the guest agents, with state kept in the
 * restart region. */
#include <understudy/migrate.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include <understudy/vmm.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "migrate.h"

#define MIGRATE_CHANS_VA US_VA_DYNAMIC

/* Restarted without its state: the vmm says again which agents are connected, and each is
 * asked for its health, as if it had just said HELLO. */
static void resync_agents(struct migrate_state *st)
{
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    us_msg_init(&m, US_VMM_AGENTS_RESYNC, 0);
    if (migrate_vmm_call(&m) != US_OK || m.hdr.err != US_OK) {
        US_LOG_WARN("the vmm did not say which agents are connected");
        return;
    }
    migrate_agents_pump(st);
    for (uint32_t slot = 0; slot < US_AGENT_CHANS; slot++) {
        if (st->agents[slot].state == US_AGENT_UP &&
            migrate_agent_send(st, slot, "HEALTH") != US_OK) {
            US_LOG_WARN("%s: cannot ask the agent for its health", st->agents[slot].name);
        }
    }
    US_LOG_INFO("state rebuilt: %llu agent(s) connected", (unsigned long long)m.w[0]);
}

/* Where to take each channel's lines from: the last sealed state's position if it has one
 * between what the vmm saw taken and what it wrote, else what the vmm saw taken. */
static void lines_resume(struct migrate_state *st, bool recovered)
{
    for (uint32_t slot = 0; st->chans != NULL && slot < US_AGENT_CHANS; slot++) {
        const struct us_guest_ring *r = &st->chans[slot].up;
        uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
        uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

        if (recovered && st->agents[slot].up_seen - tail <= head - tail) {
            continue;
        }
        if (recovered) {
            US_LOG_WARN("agent channel %u: sealed position outside the ring; taken from the "
                        "vmm's",
                        slot);
        }
        st->agents[slot].up_seen = tail;
    }
}

us_err_t migrate_init(struct migrate_state **st, bool recovered)
{
    struct migrate_state *s = (struct migrate_state *)(uintptr_t)US_VA_STATE;

    /* us_state_start() has put back the state of the last instance, or zeroed it. */
    s->magic = MIGRATE_MAGIC;
    s->version = MIGRATE_VERSION;
    s->chans = NULL;
    if (us_mem_map(US_SLOT_MIGRATE_AGENT_CHANS, MIGRATE_CHANS_VA, US_RIGHT_READ | US_RIGHT_WRITE) ==
        US_OK) {
        s->chans = (struct us_agent_chan *)(uintptr_t)MIGRATE_CHANS_VA;
    } else {
        US_LOG_WARN("no agent channels: guest agents are out of reach");
    }
    US_LOG_INFO("up (%s start)", us_bootinfo()->restart_count ? "re" : "cold");
    if (s->maint.status.phase >= US_MAINT_PREPARE && s->maint.status.phase <= US_MAINT_COMMIT) {
        US_LOG_INFO("maint: %s: the flow goes on from its last step: %s", s->maint.status.first,
                    s->maint.status.step);
    }
    *st = s;
    lines_resume(s, recovered);
    /* Lines that came while no instance ran wait on the channels; their signal may have been
     * taken by the last one. */
    migrate_agents_pump(s);
    if (!recovered && us_bootinfo()->restart_count != 0) {
        resync_agents(s);
    }
    return US_OK;
}

us_err_t migrate_agent_send(struct migrate_state *st, uint32_t slot, const char *line)
{
    char rec[US_AGENT_TEXT_MAX + 1];
    size_t n = strlen(line);
    int r;

    if (st->chans == NULL || slot >= US_AGENT_CHANS || st->agents[slot].state != US_AGENT_UP) {
        return US_ENOENT;
    }
    if (n == 0 || n >= US_AGENT_TEXT_MAX) {
        return US_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (line[i] < ' ' || line[i] > '~') {
            return US_EINVAL;
        }
    }
    memcpy(rec, line, n);
    rec[n] = '\n';
    r = us_ring_put(&st->chans[slot].down, rec, (uint32_t)n + 1u);
    if (r == 1) {
        (void)us_signal(US_SLOT_MIGRATE_VMM_NTFN, US_NTFN_AGENT_DOWN);
    }
    return r < 0 ? US_ENOMEM : US_OK;
}

static void copy_text(char *dst, const char *src)
{
    size_t n = strlen(src);

    n = n < US_AGENT_TEXT_MAX - 1u ? n : US_AGENT_TEXT_MAX - 1u;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void agent_record(struct migrate_state *st, uint32_t slot, const char *rec)
{
    struct migrate_agent *a = &st->agents[slot];
    size_t open_len = strlen(US_AGENT_OPEN);

    if (strncmp(rec, US_AGENT_OPEN, open_len) == 0) {
        uint32_t seen = a->up_seen;

        memset(a, 0, sizeof(*a));
        a->up_seen = seen;
        a->state = US_AGENT_UP;
        (void)us_snprintf(a->name, sizeof(a->name), "%s", rec + open_len);
        US_LOG_INFO("%s: agent connected", a->name);
        migrate_maint_agent_open(st, slot);
        return;
    }
    if (strcmp(rec, US_AGENT_CLOSE) == 0) {
        a->state = US_AGENT_CLOSED;
        US_LOG_INFO("%s: agent gone", a->name);
        migrate_maint_agent_gone(st, slot);
        return;
    }
    if (a->state != US_AGENT_UP) {
        return; /* a line without its open record: the channel lost it; ignore */
    }
    a->lines++;
    if (a->lines == 1 && strncmp(rec, "HELLO ", 6) == 0) {
        copy_text(a->hello, rec);
        if (migrate_agent_send(st, slot, "HEALTH") != US_OK) {
            US_LOG_WARN("%s: cannot ask the agent for its health", a->name);
        }
        return;
    }
    copy_text(a->last, rec);
    if (strncmp(rec, "HEALTH ", 7) == 0) {
        US_LOG_INFO("%s: agent: %s", a->name, a->last);
    }
    migrate_maint_line(st, slot, a->last);
}

/* The channels whose lines were taken since their last release: all of them for a new
 * instance. Not state: a restart releases every channel at its first commit. */
static uint32_t lines_taken = (1u << US_AGENT_CHANS) - 1u;

void migrate_agents_pump(struct migrate_state *st)
{
    char rec[US_AGENT_TEXT_MAX + 8];

    for (uint32_t slot = 0; st->chans != NULL && slot < US_AGENT_CHANS; slot++) {
        uint32_t *seen = &st->agents[slot].up_seen;

        while (us_ring_line_at(&st->chans[slot].up, seen, rec, sizeof(rec)) >= 0) {
            lines_taken |= 1u << slot;
            agent_record(st, slot, rec);
        }
    }
}

void migrate_lines_release(void *ctx)
{
    struct migrate_state *st = ctx;
    bool more = false;

    for (uint32_t slot = 0; st->chans != NULL && lines_taken != 0; slot++) {
        if (lines_taken & (1u << slot)) {
            lines_taken &= ~(1u << slot);
            more |= us_ring_release(&st->chans[slot].up, st->agents[slot].up_seen);
        }
    }
    if (more) {
        (void)us_signal(US_SLOT_SELF_NTFN, US_NTFN_AGENT_UP);
    }
}

/* US_MIGRATE_AGENT_INFO and US_MIGRATE_AGENT_SEND. */
static void agent_call(struct migrate_state *st, struct us_msg *m)
{
    uint32_t label = m->hdr.label;
    us_err_t e = us_msg_check(m, 16, US_MSG_MAX_LEN);
    uint64_t slot = m->w[0], which = m->w[1];

    if (e == US_OK && slot >= US_AGENT_CHANS) {
        e = US_ERANGE;
    }
    if (e != US_OK) {
        us_msg_reply_err(m, e);
        return;
    }
    if (label == US_MIGRATE_AGENT_SEND) {
        char line[US_AGENT_TEXT_MAX];
        size_t len = m->hdr.len - 8u, n = strnlen((const char *)&m->w[1], len);

        if (n == len || n >= sizeof(line)) {
            us_msg_reply_err(m, US_EINVAL); /* unterminated or too long */
            return;
        }
        memcpy(line, &m->w[1], n + 1u);
        e = migrate_agent_send(st, (uint32_t)slot, line);
        if (e != US_OK) {
            us_msg_reply_err(m, e);
            return;
        }
        us_msg_init(m, US_MIGRATE_AGENT_SEND, 0);
        return;
    }
    if (which > US_AGENT_TEXT_LAST) {
        us_msg_reply_err(m, US_EINVAL);
        return;
    }
    us_msg_init(m, US_MIGRATE_AGENT_INFO, (uint16_t)(16u + US_AGENT_TEXT_MAX));
    m->w[0] = st->agents[slot].state;
    m->w[1] = st->agents[slot].lines;
    _Static_assert(US_AGENT_TEXT_MAX <= US_MSG_MAX_LEN - 16u, "the text fits a reply");
    memcpy(&m->w[2], which == US_AGENT_TEXT_HELLO ? st->agents[slot].hello : st->agents[slot].last,
           US_AGENT_TEXT_MAX);
}

void migrate_dispatch(struct migrate_state *st, us_badge_t badge, struct us_msg *m)
{
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
        if (badge & US_NTFN_AGENT_UP) {
            migrate_agents_pump(st);
        }
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    case US_MIGRATE_AGENT_INFO:
    case US_MIGRATE_AGENT_SEND:
        agent_call(st, m);
        return;
    case US_MIGRATE_MAINT_START:
    case US_MIGRATE_MAINT_STATUS:
    case US_MIGRATE_MAINT_ABORT:
        migrate_maint_call(st, m);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}
