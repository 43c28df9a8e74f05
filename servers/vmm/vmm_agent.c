/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The agent port (vsock 1024): each VM's guest agent connects here, and its lines go up to
 * the migrate server through the agent channels (understudy/migrate.h), migrate's lines down
 * to it. The vmm only frames: it greets a HELLO with WELCOME (so the agent knows it reached
 * the node even while migrate restarts), marks each connection's start and end for migrate,
 * and keeps one agent connection per VM. docs/vsock.md has the protocol. */
#include <understudy/migrate.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm.h"

#define AGENT_PORT 1024u
#define AGENT_LINE US_AGENT_TEXT_MAX /* longer lines are cut here */
#define AGENT_LOG 120u               /* characters of a HELLO line logged */

struct agent {
    uint32_t len; /* bytes in line[] */
    uint32_t greeted;
    char line[AGENT_LINE];
};
_Static_assert(sizeof(struct agent) <= VMM_VSOCK_PRIV, "the agent's state fits a connection");
_Static_assert(US_AGENT_CHANS == VMM_CONFIG_MAX_VMS, "a channel per VM slot");

/* Put one record on VM @slot's channel up to migrate. Returns false if migrate is so far
 * behind that it does not fit. */
static bool up(struct vmm_state *st, uint32_t slot, const char *rec)
{
    int r;

    if (st->agent_chans == NULL) {
        return true; /* no migrate to tell (host tests without channels) */
    }
    r = us_ring_put(&st->agent_chans[slot].up, rec, (uint32_t)strlen(rec));
    if (r == 1) {
        (void)us_signal(US_SLOT_VMM_MIGRATE_NTFN, US_NTFN_AGENT_UP);
    }
    return r >= 0;
}

static void agent_send(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *s)
{
    if (vmm_vsock_send(st, slot, conn, (const uint8_t *)s, (uint32_t)strlen(s)) != US_OK) {
        vmm_vsock_close(st, slot, conn, "agent does not read what it is sent; connection reset");
    }
}

static bool agent_connect(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    char rec[VMM_CONFIG_NAME_LEN + 16];
    struct vmm_vm *vm = &st->vms[slot];

    if (vm->agent_conn != 0) {
        return false; /* one agent per VM: its lines are one stream to migrate */
    }
    (void)us_snprintf(rec, sizeof(rec), US_AGENT_OPEN "%s\n", st->config.vms[slot].name);
    if (!up(st, slot, rec)) {
        return false;
    }
    vm->agent_conn = conn + 1u;
    return true;
}

void vmm_agents_resync(struct vmm_state *st, struct us_msg *m)
{
    char rec[VMM_CONFIG_NAME_LEN + 16];
    uint64_t n = 0;

    for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
        if (st->vms[slot].agent_conn != 0) {
            (void)us_snprintf(rec, sizeof(rec), US_AGENT_OPEN "%s\n", st->config.vms[slot].name);
            n += up(st, slot, rec) ? 1u : 0u;
        }
    }
    us_msg_init(m, US_VMM_AGENTS_RESYNC, 8);
    m->w[0] = n;
}

static void agent_close(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    if (st->vms[slot].agent_conn == conn + 1u) {
        st->vms[slot].agent_conn = 0;
        (void)up(st, slot, US_AGENT_CLOSE "\n"); /* full: migrate sees the next open instead */
    }
}

static void agent_line(struct vmm_state *st, uint32_t slot, uint32_t conn, struct agent *a)
{
    const char *vm = st->config.vms[slot].name;
    char buf[AGENT_LINE + 1];
    uint32_t k;

    _Static_assert(AGENT_LOG < AGENT_LINE, "a logged HELLO is cut inside the line");

    if (a->len > 0 && a->line[a->len - 1] == '\r') {
        a->len--;
    }
    for (k = 0; k < a->len; k++) { /* printable only: never a channel marker */
        buf[k] = a->line[k] >= ' ' && a->line[k] <= '~' ? a->line[k] : '?';
    }
    buf[k] = '\0';
    a->len = 0;
    if (!a->greeted && strncmp(buf, "HELLO ", 6) == 0) {
        char welcome[VMM_CONFIG_NAME_LEN + 10];

        char cut = buf[AGENT_LOG]; /* logged up to AGENT_LOG characters */

        buf[AGENT_LOG] = '\0';
        US_LOG_INFO("%s: agent: %s", vm, buf);
        buf[AGENT_LOG] = cut;
        a->greeted = 1;
        (void)us_snprintf(welcome, sizeof(welcome), "WELCOME %s\n", vm);
        agent_send(st, slot, conn, welcome);
    }
    buf[k] = '\n'; /* k < AGENT_LINE, so the NUL fits */
    buf[k + 1u] = '\0';
    if (!up(st, slot, buf)) {
        vmm_vsock_close(st, slot, conn, "migrate is not reading the agent channel");
    }
}

static void agent_data(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                       uint32_t len)
{
    struct agent *a = vmm_vsock_priv(st, slot, conn);

    for (uint32_t k = 0; k < len && st->vms[slot].agent_conn == conn + 1u; k++) {
        if (b[k] == '\n') {
            agent_line(st, slot, conn, a);
        } else if (a->len < AGENT_LINE - 1u) {
            a->line[a->len++] = (char)b[k];
        }
    }
}

void vmm_agent_pump(struct vmm_state *st)
{
    char line[AGENT_LINE + 1];

    if (st->agent_chans == NULL) {
        return;
    }
    for (uint32_t slot = 0; slot < st->config.vm_count; slot++) {
        struct us_guest_ring *down = &st->agent_chans[slot].down;
        int n;

        while ((n = us_ring_line(down, line, AGENT_LINE)) >= 0) {
            uint32_t conn = st->vms[slot].agent_conn;

            if (conn == 0) {
                continue; /* the agent has gone: what was meant for it goes too */
            }
            line[n] = '\n';
            line[n + 1] = '\0';
            agent_send(st, slot, conn - 1u, line);
        }
        vmm_vsock_flush(st, slot);
    }
}

static const struct vmm_vsock_ops agent_ops = {
    .name = "agent",
    .on_connect = agent_connect,
    .on_data = agent_data,
    .on_close = agent_close,
};

void vmm_vsock_init(void)
{
    (void)vmm_vsock_listen(AGENT_PORT, &agent_ops); /* US_EEXIST on a second call */
}
