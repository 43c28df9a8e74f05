/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The maintenance flows as transactions (docs/maintenance.md).
 *
 * A flow is a state machine in the state region, moved on by two kinds of event: the
 * operator's requests (start, abort) and the lines the two instances' agents send. migrate
 * never waits for an agent: it asks, records what it expects, and returns to its loop. Its
 * calls go to the vmm only (create, retire, the switch's service address), which never calls
 * migrate, so no two servers wait on each other (docs/ipc-graph.md).
 *
 * upgrade-app is the same with the understudy running a new image of the application (its
 * agent fetches it from the bundle through the vmm). reconfigure is two legs of it: to an
 * understudy configured as the VM is, then back to the VM made anew with its new configuration
 * (memory, vCPUs, command line, images).
 *
 * upgrade-os, via restart:
 *   prepare   the vmm creates the understudy, a twin of the first instance on the network
 *             (same address, standby); its agent must report its application up.
 *   transfer  the switch holds new connections to the address; the first agent drains kvd
 *             (its clients finish) and freezes it, saves and uploads its state to the vmm's
 *             carry service; the understudy's agent downloads it, checks its SHA-256 and
 *             loads it.
 *   commit    the switch makes the understudy the address's active twin and releases what it
 *             held, to it.
 *   retire    the vmm retires the first instance.
 * Before the commit any failure, a lost agent or `maint abort` undoes what was done: the
 * switch releases the held connections to the first instance, its kvd resumes with all its
 * data, and the understudy is retired.
 *
 * upgrade-os, via redirect (nothing is held or frozen):
 *   transfer  the understudy's kvd follows; the first's streams its state, then every write,
 *             through the vmm's relay, until the follower has loaded the state.
 *   commit    the first kvd hands over (the follower becomes the primary, and the first
 *             forwards its own clients' requests to it); the switch makes the understudy the
 *             active twin: new connections go to it, established ones finish on the first.
 *   retire    once the first's clients are gone (or MAINT_LINGER_S has passed). */
#include <understudy/migrate.h>
#include <understudy/slots.h>
#include <understudy/vmm.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "migrate.h"

/* One request to the vmm in @m (label and length set); the reply replaces it. */
static us_err_t vmm_call(struct us_msg *m, uint32_t label, uint16_t len)
{
    us_err_t e;

    us_msg_init(m, label, len);
    e = migrate_vmm_call(m);
    return e != US_OK ? e : (us_err_t)m->hdr.err;
}

static us_err_t net_service_flags(uint32_t op, uint32_t a, uint32_t b, uint32_t flags)
{
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    m.w[0] = op;
    m.w[1] = a;
    m.w[2] = b;
    m.w[3] = flags;
    return vmm_call(&m, US_VMM_NET_SERVICE, 32);
}

static us_err_t net_service(uint32_t op, uint32_t a, uint32_t b)
{
    return net_service_flags(op, a, b, 0);
}

static us_err_t retire(uint32_t slot)
{
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    m.w[0] = slot;
    return vmm_call(&m, US_VMM_VM_RETIRE, 8);
}

/* The vmm keeps the carried state until it is fetched in full; a flow's end gives back its
 * memory whatever happened to it. */
static void drop_carried(void)
{
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    (void)vmm_call(&m, US_VMM_CARRY_DROP, 0);
}

/* Record the step under way and log it. */
static void step(struct migrate_state *st, const char *fmt, const char *arg)
{
    struct migrate_maint *x = &st->maint;

    us_snprintf(x->status.step, sizeof(x->status.step), fmt, arg);
    US_LOG_INFO("maint: %s: %s", x->status.first, x->status.step);
}

static void ask(struct migrate_state *st, uint32_t slot, const char *line, uint32_t expect)
{
    if (migrate_agent_send(st, slot, line) != US_OK) {
        migrate_maint_fail(st, US_EABORT, "an agent cannot be reached");
        return;
    }
    st->maint.expect = expect;
}

void migrate_maint_fail(struct migrate_state *st, us_err_t why, const char *reason)
{
    struct migrate_maint *x = &st->maint;
    struct us_maint_status *s = &x->status;

    if (s->phase != US_MAINT_PREPARE && s->phase != US_MAINT_TRANSFER) {
        return; /* nothing to undo: idle, ended, or past the commit */
    }
    if (x->held) {
        (void)net_service(US_NET_SVC_RELEASE, s->first_slot, 0);
        x->held = false;
    }
    if (x->frozen) {
        /* via criu the process is stopped after its checkpoint, else kvd is frozen */
        (void)migrate_agent_send(st, s->first_slot,
                                 s->via == US_MAINT_VIA_CRIU ? "CONTINUE kvd" : "RESUME kvd");
        x->frozen = false;
    }
    if (x->replicating) {
        (void)migrate_agent_send(st, s->first_slot, "ALONE kvd");
        x->replicating = false;
    }
    if (x->created) {
        (void)retire(s->understudy_slot);
        x->created = false;
    }
    drop_carried();
    if (s->flow == US_MAINT_REMOVE_MEMORY) {
        (void)migrate_mem_ctl(US_SERVER_CTL_MEM_ONLINE, 0, 0, NULL); /* in use again */
    }
    s->phase = US_MAINT_ABORTED;
    s->result = (uint32_t)why;
    x->expect = MAINT_EXPECT_NOTHING;
    step(st, "%s; the first instance serves with all its data", reason);
}

/* The understudy's name: the first's with "-b" added, or taken off again. */
static void understudy_name(const char *first, char out[16])
{
    size_t n = strlen(first);

    if (n > 2 && strcmp(first + n - 2, "-b") == 0) {
        memcpy(out, first, n - 2);
        out[n - 2] = '\0';
        return;
    }
    n = n < 13 ? n : 13;
    memcpy(out, first, n);
    memcpy(out + n, "-b", 3);
}

static bool field_ok(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

/* One leg: the understudy of the VM whose agent is in @slot, made from @req. On failure @why
 * says why (the vmm's reason when it refused). */
static us_err_t begin_leg(struct migrate_state *st, const struct us_maint_req *req, uint32_t slot,
                          char *why, size_t why_len)
{
    struct migrate_maint *x = &st->maint;
    struct us_vm_create *c;
    struct us_msg call;
    us_err_t e;

    memset(x, 0, sizeof(*x));
    x->fault = req->fault;
    x->crash_at = migrate_restart_count();
    x->status.flow = req->flow;
    x->status.via = req->via;
    x->status.first_slot = slot;
    memcpy(x->status.first, req->vm, sizeof(req->vm));
    understudy_name(req->vm, x->status.understudy);
    memset(&call, 0, sizeof(call));
    c = (struct us_vm_create *)(void *)call.w;
    memcpy(c->name, x->status.understudy, sizeof(c->name));
    memcpy(c->base, req->vm, sizeof(c->base));
    memcpy(c->kernel, req->kernel, sizeof(c->kernel));
    memcpy(c->initrd, req->initrd, sizeof(c->initrd));
    memcpy(c->bootargs, req->append, sizeof(c->bootargs));
    if (req->flow == US_MAINT_ADD_DEVICE) {
        memcpy(c->passthrough, req->device, sizeof(c->passthrough));
    }
    c->mem_size = req->mem_size;
    c->vcpus = req->vcpus;
    c->flags = US_VM_CREATE_TWIN | US_VM_CREATE_APPEND;
    e = vmm_call(&call, US_VMM_VM_CREATE, sizeof(*c));
    if (e != US_OK) {
        migrate_reason(&call, "the understudy was not created", why, why_len);
        x->status.phase = US_MAINT_ABORTED;
        x->status.result = (uint32_t)e;
        step(st, "refused: %s", why);
        return e;
    }
    x->status.understudy_slot = (uint32_t)call.w[0];
    x->created = true;
    x->status.phase = US_MAINT_PREPARE;
    x->expect = MAINT_EXPECT_HEALTH;
    step(st, "understudy %s boots", x->status.understudy);
    return US_OK;
}

/* The agent channel of VM @name, its agent up; or -1. */
static int32_t agent_of(const struct migrate_state *st, const char *name)
{
    int32_t a = -1;

    for (uint32_t i = 0; i < US_AGENT_CHANS; i++) {
        if (st->agents[i].state == US_AGENT_UP && strcmp(st->agents[i].name, name) == 0) {
            a = (int32_t)i;
        }
    }
    return a;
}

static void start(struct migrate_state *st, struct us_msg *m)
{
    struct migrate_maint *x = &st->maint;
    struct us_maint_req req, leg, range;
    char why[96];
    int32_t a;
    us_err_t e;

    if (m->hdr.len != sizeof(req)) {
        us_msg_reply_why(m, US_ETRUNC, "malformed request");
        return;
    }
    memcpy(&req, m->w, sizeof(req));
    if (!field_ok(req.vm, sizeof(req.vm)) || !field_ok(req.kernel, sizeof(req.kernel)) ||
        !field_ok(req.initrd, sizeof(req.initrd)) || !field_ok(req.append, sizeof(req.append)) ||
        !field_ok(req.device, sizeof(req.device)) || req.flow < US_MAINT_UPGRADE_OS ||
        req.flow > US_MAINT_REMOVE_MEMORY) {
        us_msg_reply_why(m, US_EINVAL, "malformed request");
        return;
    }
    if (x->status.phase >= US_MAINT_PREPARE && x->status.phase <= US_MAINT_COMMIT) {
        us_msg_reply_why(m, US_EBUSY, "a flow is already running (maint status; maint abort)");
        return;
    }
#ifdef US_DEBUG
    if (req.fault > US_MAINT_FAULT_CRASH) {
#else
    if (req.fault != US_MAINT_FAULT_NONE) {
#endif
        us_msg_reply_why(m, US_EINVAL, "unknown fault, or fault injection in a release build");
        return;
    }
    if ((req.via != US_MAINT_VIA_RESTART && req.via != US_MAINT_VIA_CRIU &&
         req.via != US_MAINT_VIA_REDIRECT && req.via != US_MAINT_VIA_COPY) ||
        (req.via == US_MAINT_VIA_COPY && req.flow != US_MAINT_REMOVE_MEMORY)) {
        us_msg_reply_why(m, US_EINVAL,
                         "unknown mechanism (via=restart, via=redirect, via=criu; via=copy for "
                         "remove-memory)");
        return;
    }
    if (req.via == US_MAINT_VIA_REDIRECT && req.fault == US_MAINT_FAULT_CORRUPT) {
        us_msg_reply_why(m, US_EINVAL,
                         "fault=corrupt needs a carried state (via=restart or via=criu)");
        return;
    }
    if (req.flow == US_MAINT_REMOVE_DEVICE) {
        bool released;

        e = migrate_device_holder(&req, &released, why, sizeof(why));
        if (e != US_OK) {
            us_msg_reply_why(m, e, why);
            return;
        }
        if (released) {
            US_LOG_INFO("maint: %s: no VM holds it: released, its slot powered off: it may be "
                        "pulled",
                        req.device);
            us_msg_reply_why(m, US_OK, "no VM held it: released at once; it may be pulled");
            return;
        }
    }
    range = req;
    if (req.flow == US_MAINT_REMOVE_MEMORY) {
        bool done;

        e = migrate_memory_start(&req, &done, why, sizeof(why));
        if (e != US_OK || done) {
            US_LOG_INFO("maint: memory 0x%llx+0x%llx: %s", (unsigned long long)range.base,
                        (unsigned long long)range.mem_size, why);
            us_msg_reply_why(m, e, why);
            return;
        }
        req.mem_size = 0; /* the understudy's memory is the VM's */
    }
    if (req.flow == US_MAINT_ADD_DEVICE) {
        e = migrate_device_free(&req, why, sizeof(why));
        if (e != US_OK) {
            us_msg_reply_why(m, e, why);
            return;
        }
    }
    a = agent_of(st, req.vm);
    if (a < 0) {
        us_msg_reply_why(m, US_ENOENT, "no VM of that name with its agent connected");
        return;
    }
    /* reconfigure: first to an understudy configured as the VM is, then back to the VM
     * made anew with the new configuration (commit() starts the second leg). */
    leg = req;
    if (req.flow == US_MAINT_RECONFIGURE) {
        memset(leg.kernel, 0, sizeof(leg.kernel));
        memset(leg.initrd, 0, sizeof(leg.initrd));
        memset(leg.append, 0, sizeof(leg.append));
        leg.mem_size = 0;
        leg.vcpus = 0;
    }
    e = begin_leg(st, &leg, (uint32_t)a, why, sizeof(why));
    if (e != US_OK) {
        if (req.flow == US_MAINT_REMOVE_MEMORY) {
            (void)migrate_mem_ctl(US_SERVER_CTL_MEM_ONLINE, 0, 0, NULL);
        }
        us_msg_reply_why(m, e, why);
        return;
    }
    x->mem_base = range.base;
    x->mem_size = range.mem_size;
    memcpy(x->device, req.device, sizeof(x->device));
    if (req.flow == US_MAINT_RECONFIGURE) {
        x->next = req;
        memcpy(x->next.vm, x->status.understudy, sizeof(x->next.vm));
        x->legs_left = 1;
    }
    us_msg_init(m, US_MIGRATE_MAINT_START, 0);
}

static void abort_flow(struct migrate_state *st, struct us_msg *m)
{
    uint32_t phase = st->maint.status.phase;

    if (phase == US_MAINT_PREPARE || phase == US_MAINT_TRANSFER) {
        migrate_maint_fail(st, US_EABORT, "aborted by the operator");
        us_msg_init(m, US_MIGRATE_MAINT_ABORT, 0);
        return;
    }
    us_msg_reply_why(m, phase == US_MAINT_COMMIT ? US_EBUSY : US_ENOENT,
                     phase == US_MAINT_COMMIT ? "past the commit: the understudy serves already"
                                              : "no flow is running");
}

static void request(struct migrate_state *st, struct us_msg *m, uint32_t label)
{
    switch (label) {
    case US_MIGRATE_MAINT_START:
        start(st, m);
        return;
    case US_MIGRATE_MAINT_ABORT:
        abort_flow(st, m);
        return;
    default:
        us_msg_init(m, US_MIGRATE_MAINT_STATUS, sizeof(st->maint.status));
        memcpy(m->w, &st->maint.status, sizeof(st->maint.status));
        return;
    }
}

void migrate_maint_call(struct migrate_state *st, struct us_msg *m)
{
    uint32_t label = m->hdr.label;

    /* The calls a request makes to the vmm and devmgr go through the IPC buffer, which @m
     * is: the reply carries the request's label, whatever they left in it. */
    request(st, m, label);
    m->hdr.label = label;
}

/* remove-memory, a VM moved out: the next one whose RAM is in the range, or the audit. */
static void memory_next(struct migrate_state *st)
{
    struct migrate_maint *x = &st->maint;
    uint64_t base = x->mem_base, size = x->mem_size, guest, moved, r[3] = {0, 0, 0};
    struct us_maint_req next;
    char name[16], text[120];
    int32_t a;

    if (migrate_memory_next(base, size, name, &guest)) {
        memset(&next, 0, sizeof(next));
        next.flow = US_MAINT_REMOVE_MEMORY;
        next.via = x->status.via;
        memcpy(next.vm, name, sizeof(next.vm));
        a = agent_of(st, name);
        if (a < 0 || begin_leg(st, &next, (uint32_t)a, text, sizeof(text)) != US_OK) {
            step(st,
                 "%s was not moved out of the range: its agent is not up, or its understudy "
                 "was refused",
                 name);
            return;
        }
        x->mem_base = base; /* begin_leg() started the record afresh */
        x->mem_size = size;
        return;
    }
    (void)migrate_memory_move_own(false, &moved); /* what a busy server held back at first */
    (void)migrate_mem_ctl(US_SERVER_CTL_MEM_AUDIT, base, size, r);
    if (r[0] == 0 && r[1] == 0 && r[2] == 0) {
        us_snprintf(text, sizeof(text),
                    "memory 0x%llx+0x%llx: no page in use, no mapping into it: it may be removed",
                    (unsigned long long)base, (unsigned long long)size);
    } else {
        us_snprintf(text, sizeof(text),
                    "memory 0x%llx+0x%llx: %llu pages still in use, %llu mapped",
                    (unsigned long long)base, (unsigned long long)size, (unsigned long long)r[0],
                    (unsigned long long)r[2]);
    }
    step(st, "%s", text);
}

/* After the commit: retire the first instance; then a reconfigure's leg back, if any. */
static void finish(struct migrate_state *st)
{
    struct migrate_maint *x = &st->maint;
    struct us_maint_status *s = &x->status;
    us_err_t e;

    x->expect = MAINT_EXPECT_NOTHING;
    step(st, "%s serves; retiring the first instance", s->understudy);
    e = retire(s->first_slot);
    x->frozen = false;
    drop_carried();
    if (s->flow == US_MAINT_REMOVE_DEVICE && e == US_OK) {
        /* The first instance, and with it the vmm's hold (stage 2, interrupt) on the device,
         * is gone: devmgr releases it (SMMU, its own record) and powers its slot off. */
        char why[80];

        if (migrate_device_remove(x->device, why, sizeof(why)) == US_OK) {
            step(st, "%s released, its slot powered off: it may be pulled", x->device);
        } else {
            step(st, "%s not released: see devmgr's log", x->device);
            US_LOG_WARN("maint: %s: not released: %s", x->device, why);
        }
    }
    s->phase = US_MAINT_DONE;
    s->result = (uint32_t)e;
    st->migrations++;
    step(st, e == US_OK ? "done: %s serves" : "done: %s serves (retiring the first failed)",
         s->understudy);
    if (s->flow == US_MAINT_REMOVE_MEMORY && e == US_OK) {
        memory_next(st);
    }
    if (x->legs_left > 0) {
        struct us_maint_req next = x->next;
        uint32_t slot = s->understudy_slot;
        char why[96];

        /* The second leg of a reconfigure: a failure in it leaves the application on
         * the understudy, which serves with all the data. */
        if (begin_leg(st, &next, slot, why, sizeof(why)) != US_OK) {
            step(st, "the reconfigured instance was not created: %s", why);
        }
    }
}

/* The understudy has the application's state: cut over, then retire the first instance. Via
 * redirect the first still serves its established connections, and retires once they end. */
static void commit(struct migrate_state *st)
{
    struct migrate_maint *x = &st->maint;
    struct us_maint_status *s = &x->status;
    bool redirect = s->via == US_MAINT_VIA_REDIRECT;
    /* Via redirect the first instance keeps every connection it had, even one idle since the
     * understudy appeared (the switch never saw it). */
    us_err_t e = net_service_flags(US_NET_SVC_CUTOVER, s->first_slot, s->understudy_slot,
                                   redirect ? US_NET_SVC_KEEP_OLD : 0);
    char req[32];

    if (e != US_OK) {
        migrate_maint_fail(st, e, "the switch refused the cut-over");
        return;
    }
    s->phase = US_MAINT_COMMIT;
    x->expect = MAINT_EXPECT_NOTHING;
    x->replicating = false;
    if (!redirect) {
        (void)net_service(US_NET_SVC_FORGET, s->first_slot, 0);
    }
    (void)net_service(US_NET_SVC_RELEASE, s->first_slot, 0);
    x->held = false;
    if (!redirect) {
        finish(st);
        return;
    }
    step(st, "%s takes new connections; the first's established ones finish there", s->understudy);
    us_snprintf(req, sizeof(req), "LINGER kvd %u", MAINT_LINGER_S);
    if (migrate_agent_send(st, s->first_slot, req) != US_OK) {
        finish(st); /* its agent is gone: nothing to wait for */
        return;
    }
    x->expect = MAINT_EXPECT_IDLE;
}

/* Debug builds: the fault the test asked for, once the state is in the vmm. Returns US_OK to
 * go on (the fault shows later), anything else when the flow has already been undone. */
static us_err_t inject_transfer_fault(struct migrate_state *st)
{
    struct migrate_maint *x = &st->maint;
    struct us_msg m;

    memset(&m, 0, sizeof(m));
    if (x->fault == US_MAINT_FAULT_CORRUPT) {
        step(st, "flipping a byte of the carried state (fault injection)", "");
        (void)vmm_call(&m, US_VMM_CARRY_FLIP, 0);
    } else if (x->fault == US_MAINT_FAULT_KILL) {
        step(st, "destroying the understudy (fault injection)", "");
        (void)retire(x->status.understudy_slot);
        x->created = false;
        x->expect = MAINT_EXPECT_NOTHING;
        /* Its agent's channel closes, as for any death: migrate_maint_agent_gone() undoes
         * the flow when that record arrives. */
        return US_EABORT;
    }
    return US_OK;
}

/* The decimal number at *@p (0 if none); *@p moves past it. */
static uint64_t take_u64(const char **p)
{
    uint64_t v = 0;

    while (**p >= '0' && **p <= '9') {
        v = v * 10u + (uint64_t)(*(*p)++ - '0');
    }
    return v;
}

/* "SIZE SHA256" after "SENT kvd " or "CHECKPOINTED kvd ": what was carried. */
static bool parse_sent(struct migrate_state *st, const char *p)
{
    uint64_t size = take_u64(&p);

    if (*p != ' ' || strlen(p + 1) != 64) {
        return false;
    }
    st->maint.status.bytes = size;
    memcpy(st->maint.digest, p + 1, 65);
    return true;
}

void migrate_maint_line(struct migrate_state *st, uint32_t slot, const char *line)
{
    struct migrate_maint *x = &st->maint;
    struct us_maint_status *s = &x->status;
    char req[96];

    if (s->phase == US_MAINT_COMMIT && x->expect == MAINT_EXPECT_IDLE && slot == s->first_slot &&
        (strncmp(line, "IDLE kvd", 8) == 0 || strncmp(line, "ERR", 3) == 0)) {
        if (strcmp(line, "IDLE kvd cut=0") != 0) {
            step(st, "the first instance's clients did not all finish (%s)", line);
        }
        finish(st);
        return;
    }
    if (s->phase != US_MAINT_PREPARE && s->phase != US_MAINT_TRANSFER) {
        return;
    }
    if (slot != s->first_slot && slot != s->understudy_slot) {
        return;
    }
    if (strncmp(line, "ERR", 3) == 0 && x->expect != MAINT_EXPECT_NOTHING) {
        us_snprintf(req, sizeof(req), "an agent refused: %s", line + (line[3] == ' ' ? 4 : 3));
        migrate_maint_fail(st, US_EABORT, req);
        return;
    }
    switch (x->expect) {
    case MAINT_EXPECT_HEALTH:
        if (slot == s->understudy_slot && strncmp(line, "HEALTH kvd=down", 15) == 0) {
            migrate_maint_fail(st, US_EABORT, "the understudy's application did not start");
            return;
        }
        if (slot == s->understudy_slot && strncmp(line, "HEALTH kvd=up", 13) == 0) {
            s->phase = US_MAINT_TRANSFER;
            if (s->via == US_MAINT_VIA_REDIRECT) {
                step(st, "%s's kvd follows", s->understudy);
                ask(st, s->understudy_slot, "FOLLOW kvd", MAINT_EXPECT_FOLLOWING);
                return;
            }
            if (net_service(US_NET_SVC_HOLD, s->first_slot, 0) != US_OK) {
                migrate_maint_fail(st, US_EABORT, "the switch cannot hold the address");
                return;
            }
            x->held = true;
            /* Handshakes already under way finish first. Neither kvd's FREEZE IDLE nor criu
             * sees a connection in SYN_RECV; once its last ACK came, it would wait in a frozen
             * kvd's queue, and its client for an answer nobody gives. */
            step(st, "new connections held; %s's open ones settle", s->first);
            ask(st, s->first_slot, "SETTLE kvd", MAINT_EXPECT_SETTLED);
        }
        return;
    case MAINT_EXPECT_FROZEN:
        if (slot == s->first_slot && strncmp(line, "OK frozen", 9) == 0) {
            x->frozen = true;
            if (x->fault == US_MAINT_FAULT_CRASH && migrate_restart_count() == x->crash_at) {
                /* Dies with the line taken but the state that took it not sealed: the next
                 * instance must find the line again (restart.md). Once: it restarts. */
                us_fatal("maint: died having read OK frozen (fault injection)");
            }
            if (x->fault == US_MAINT_FAULT_STALL) {
                x->expect = MAINT_EXPECT_NOTHING;
                step(st, "kvd frozen on %s; stalled here (fault injection)", s->first);
                return;
            }
            step(st, "kvd frozen on %s; sending its state", s->first);
            ask(st, s->first_slot, "SEND kvd", MAINT_EXPECT_SENT);
        }
        return;
    case MAINT_EXPECT_SENT:
        if (slot == s->first_slot && strncmp(line, "SENT kvd ", 9) == 0) {
            if (!parse_sent(st, line + 9)) {
                migrate_maint_fail(st, US_ECORRUPT, "malformed SENT line");
                return;
            }
            if (inject_transfer_fault(st) != US_OK) {
                return;
            }
            us_snprintf(req, sizeof(req), "FETCH kvd %s", x->digest);
            step(st, "state carried; %s loads it", s->understudy);
            ask(st, s->understudy_slot, req, MAINT_EXPECT_FETCHED);
        }
        return;
    case MAINT_EXPECT_FETCHED:
        if (slot == s->understudy_slot && strncmp(line, "FETCHED kvd ", 12) == 0) {
            commit(st);
        }
        return;
    case MAINT_EXPECT_SETTLED:
        /* A process moving with its connections: their frames wait too. */
        if (slot == s->first_slot && strcmp(line, "SETTLED kvd") == 0) {
            if (s->via != US_MAINT_VIA_CRIU) {
                step(st, "draining %s's kvd", s->first);
                ask(st, s->first_slot, "DRAIN kvd", MAINT_EXPECT_FROZEN);
                return;
            }
            if (net_service(US_NET_SVC_HOLD, s->first_slot, US_NET_SVC_HOLD_ALL) != US_OK) {
                migrate_maint_fail(st, US_EABORT, "the switch cannot hold the address");
                return;
            }
            step(st, "every frame for the address held; checkpointing %s's kvd", s->first);
            ask(st, s->first_slot, "CHECKPOINT kvd", MAINT_EXPECT_CHECKPOINTED);
        }
        return;
    case MAINT_EXPECT_CHECKPOINTED:
        if (slot == s->first_slot && strncmp(line, "CHECKPOINTED kvd ", 17) == 0) {
            x->frozen = true; /* an abort sends CONTINUE, in case it was left stopped */
            if (!parse_sent(st, line + 17)) {
                migrate_maint_fail(st, US_ECORRUPT, "malformed CHECKPOINTED line");
                return;
            }
            if (inject_transfer_fault(st) != US_OK) {
                return;
            }
            us_snprintf(req, sizeof(req), "REVIVE kvd %s", x->digest);
            step(st, "process carried; %s restores it", s->understudy);
            ask(st, s->understudy_slot, req, MAINT_EXPECT_REVIVED);
        }
        return;
    case MAINT_EXPECT_REVIVED:
        if (slot == s->understudy_slot && strncmp(line, "REVIVED kvd ", 12) == 0) {
            commit(st);
        }
        return;
    case MAINT_EXPECT_FOLLOWING:
        if (slot == s->understudy_slot && strcmp(line, "FOLLOWING kvd") == 0) {
            x->replicating = true; /* from the request on: an abort stops it */
            step(st, "%s's kvd streams its state and writes to the follower", s->first);
            ask(st, s->first_slot, "REPLICATE kvd", MAINT_EXPECT_REPLICATED);
        }
        return;
    case MAINT_EXPECT_REPLICATED:
        if (slot == s->first_slot && strncmp(line, "REPLICATED kvd ", 15) == 0) {
            const char *p = line + 15;

            s->bytes = take_u64(&p);
            if (x->fault == US_MAINT_FAULT_STALL) {
                x->expect = MAINT_EXPECT_NOTHING;
                step(st, "%s follows; stalled here (fault injection)", s->understudy);
                return;
            }
            if (inject_transfer_fault(st) != US_OK) {
                return;
            }
            step(st, "%s follows; the first instance hands over", s->understudy);
            ask(st, s->first_slot, "HANDOVER kvd", MAINT_EXPECT_HANDED);
        }
        return;
    case MAINT_EXPECT_HANDED:
        if (slot == s->first_slot && strcmp(line, "HANDED kvd") == 0) {
            commit(st);
        }
        return;
    default:
        return;
    }
}

void migrate_maint_agent_open(struct migrate_state *st, uint32_t slot)
{
    struct migrate_maint *x = &st->maint;

    if (x->status.phase == US_MAINT_PREPARE && slot == x->status.understudy_slot) {
        x->understudy_up = true;
    }
}

void migrate_maint_agent_gone(struct migrate_state *st, uint32_t slot)
{
    const struct us_maint_status *s = &st->maint.status;

    if (s->phase == US_MAINT_COMMIT && st->maint.expect == MAINT_EXPECT_IDLE &&
        slot == s->first_slot) {
        finish(st); /* the lingering first instance went on its own: retire what is left */
        return;
    }
    /* The understudy's slot may have held a VM retired just before (a reconfigure's first
     * instance): that agent's close is not the understudy's. */
    if ((s->phase == US_MAINT_PREPARE || s->phase == US_MAINT_TRANSFER) &&
        (slot == s->first_slot || (slot == s->understudy_slot && st->maint.understudy_up))) {
        migrate_maint_fail(st, US_EABORT,
                           slot == s->first_slot ? "the first instance's agent is gone"
                                                 : "the understudy's agent is gone");
    }
}
