/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* migrate's maintenance transaction (servers/migrate/migrate_maint.c) against a fake vmm and
 * fake agents: the happy path step by step, refusals, abort at each phase, a lost agent, an
 * agent's ERR (a state failing its checksum included). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <understudy/devmgr.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include <understudy/vmm.h>
#include "migrate.h"
#include "ut.h"

#define HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct migrate_state st;
static struct us_agent_chan chans[US_AGENT_CHANS];
static char calls[1024]; /* the vmm's calls, as "create kvd0-b<-kvd0 hold 0 ..." */
static us_err_t create_answer;
static uint32_t fault;                  /* what request() asks to inject */
static uint32_t create_slot;            /* where the fake vmm puts the next VM */
static uint32_t flow;                   /* what request() starts */
static uint64_t hold_flags;             /* w[2] of the last HOLD */
static const char *device;              /* remove-device: what request() names */
static uint32_t vm_devices;             /* what the fake vmm says VM 0 sees */
static char created_pt[32];             /* the passed-through function the last create asked for */
static uint64_t range_base, range_size; /* remove-memory: what request() names */
static us_err_t offline_answer;         /* the fake kernel's answer to withholding */
static uint64_t audit_used;             /* and its audit's pages in use */
static uint64_t audit_mapped;           /* and the pages anything maps there */
static uint64_t move_left;              /* pages its moves leave: one fewer each time asked */
static uint32_t moves;                  /* times it was asked to move the hypervisor's pages */
static uint64_t move_flags;             /* with which US_MEM_MOVE_* the last time */
static bool vm0_retired;

#include "migrate_fx.h"

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    (void)ntfn, (void)bits;
    return US_OK;
}

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level, (void)fmt;
}

static void note(const char *fmt, ...)
{
    size_t n = strlen(calls);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
    va_end(ap);
}

/* A fake kernel for remove-memory. */
us_err_t us_yield(void)
{
    return US_OK;
}

us_err_t migrate_mem_ctl(uint32_t op, uint64_t base, uint64_t size, uint64_t r[3])
{
    (void)base, (void)size;
    switch (op) {
    case US_SERVER_CTL_MEM_OFFLINE:
        note("offline ");
        return offline_answer;
    case US_SERVER_CTL_MEM_ONLINE:
        note("online ");
        return US_OK;
    case US_SERVER_CTL_MEM_MOVE:
        moves++;
        move_flags = base;
        r[0] = 2;
        r[1] = move_left > 0 ? move_left-- : 0;
        return US_OK;
    default:
        r[0] = audit_used;
        r[1] = 0;
        r[2] = audit_mapped;
        return US_OK;
    }
}

/* A fake devmgr: pci-01:00.0 is passed through to VM 0, pci-02:00.0 is no VM's. */
us_err_t migrate_devmgr_call(struct us_msg *m)
{
    const char *name = (const char *)m->w;

    switch (m->hdr.label) {
    case US_DEVMGR_PT_HOLDER:
        if (strcmp(name, "pci-01:00.0") == 0) {
            us_msg_init(m, m->hdr.label, 8);
            m->w[0] = 0;
            return US_OK;
        }
        us_msg_reply_why(m, strcmp(name, "pci-02:00.0") == 0 ? US_ERANGE : US_ENOENT,
                         strcmp(name, "pci-02:00.0") == 0 ? "no VM holds it" : "no such device");
        return US_OK;
    case US_DEVMGR_REMOVE:
        note("remove %s ", name);
        us_msg_init(m, m->hdr.label, 8);
        m->w[0] = 1;
        return US_OK;
    default:
        UT_EXPECT(0);
        return US_ENOTSUP;
    }
}

us_err_t migrate_vmm_call(struct us_msg *m)
{
    static const char *const ops[] = {"?", "hold", "release", "cutover", "forget", "status"};
    const struct us_vm_create *c = (const struct us_vm_create *)(const void *)m->w;

    switch (m->hdr.label) {
    case US_VMM_VM_CREATE:
        UT_EXPECT_EQ(m->hdr.len, sizeof(*c));
        note("create %s<-%s/%s/%s/%x ", c->name, c->base, c->initrd, c->bootargs, c->flags);
        memcpy(created_pt, c->passthrough, sizeof(created_pt));
        if (create_answer != US_OK) {
            us_msg_init(m, m->hdr.label, 32);
            strcpy((char *)m->w, "not enough free memory for 9 MiB");
            m->hdr.err = (uint32_t)create_answer;
            return US_OK;
        }
        us_msg_init(m, m->hdr.label, 8);
        m->w[0] = create_slot;
        return US_OK;
    case US_VMM_VM_RETIRE:
        note("retire %llu ", (unsigned long long)m->w[0]);
        vm0_retired |= m->w[0] == 0;
        break;
    case US_VMM_VM_INFO: {
        struct us_vm_info *info = (struct us_vm_info *)(void *)m->w;

        uint64_t slot = m->w[0];

        if (slot > 1 || (slot == 0 && vm0_retired)) {
            us_msg_reply_err(m, US_ENOENT);
            return US_OK;
        }
        memset(info, 0, sizeof(*info));
        strcpy(info->name, slot == 0 ? "kvd0" : "kvd0-b");
        info->state = US_VM_STATE_RUNNING;
        info->devices = vm_devices;
        info->mem_size = 16u << 20;
        info->ram_pa = slot == 0 ? 0x50000000u : 0x70000000u;
        us_msg_init(m, m->hdr.label, sizeof(*info));
        return US_OK;
    }
    case US_VMM_CARRY_FLIP:
        note("flip ");
        break;
    case US_VMM_CARRY_DROP:
        note("drop ");
        break;
    case US_VMM_NET_SERVICE:
        UT_EXPECT(m->w[0] >= 1 && m->w[0] <= 5);
        if (m->w[0] == US_NET_SVC_HOLD) {
            hold_flags = m->w[2];
        }
        note("%s %llu ", ops[m->w[0] <= 5 ? m->w[0] : 0], (unsigned long long)m->w[1]);
        break;
    default:
        UT_EXPECT(0);
    }
    us_msg_init(m, m->hdr.label, 0);
    return US_OK;
}

/* kvd0's agent up in slot 0, its HEALTH request taken. */
static void setup(void)
{
    memset(&st, 0, sizeof(st));
    memset(chans, 0, sizeof(chans));
    st.chans = chans;
    calls[0] = '\0';
    create_answer = US_OK;
    fault = US_MAINT_FAULT_NONE;
    create_slot = 1;
    flow = US_MAINT_UPGRADE_OS;
    hold_flags = 99; /* each HOLD sets it */
    device = "";
    vm_devices = US_GUEST_DEV_VIRTIO_NET | US_GUEST_DEV_PCIE;
    range_base = range_size = 0;
    offline_answer = US_OK;
    audit_used = 0;
    vm0_retired = false;
    restarts = 0;
    up(0, US_AGENT_OPEN "kvd0\nHELLO host=a boot=b apps=kvd\n");
    UT_EXPECT(strcmp(down(0), "HEALTH") == 0);
}

static us_err_t request(uint32_t label, const char *vm, uint32_t via, struct us_msg *m)
{
    struct us_maint_req r;

    memset(&r, 0, sizeof(r));
    r.fault = fault;
    r.flow = flow;
    r.via = via;
    strcpy(r.vm, vm);
    strcpy(r.device, device);
    r.base = range_base;
    if (range_size != 0) {
        r.mem_size = range_size;
    }
    strcpy(r.initrd, "initramfs-next");
    strcpy(r.append, "x=1");
    memset(m, 0, sizeof(*m));
    us_msg_init(m, label, label == US_MIGRATE_MAINT_START ? sizeof(r) : 0);
    memcpy(m->w, &r, sizeof(r));
    migrate_dispatch(&st, 1, m);
    return (us_err_t)m->hdr.err;
}

static const struct us_maint_status *status(void)
{
    static struct us_msg m;

    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_STATUS, "", 0, &m), US_OK);
    return (const struct us_maint_status *)(const void *)m.w;
}

/* Through the understudy's HEALTH: the switch holds, kvd0 is asked to drain. */
static void to_transfer(void)
{
    struct us_msg m;

    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT(strcmp(calls, "create kvd0-b<-kvd0/initramfs-next/x=1/3 ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_PREPARE);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO host=a boot=c apps=kvd\n");
    UT_EXPECT(strcmp(down(1), "HEALTH") == 0);
    up(0, "HEALTH kvd=up keys=9\n"); /* the first one's: not what the flow waits for */
    UT_EXPECT_EQ(status()->phase, US_MAINT_PREPARE);
    up(1, "HEALTH kvd=up keys=0\n");
    UT_EXPECT_EQ(status()->phase, US_MAINT_TRANSFER);
    UT_EXPECT(strstr(calls, "hold 0 ") != NULL);
    UT_EXPECT_EQ(hold_flags, 0); /* new connections only: established ones finish */
    UT_EXPECT(strcmp(down(0), "SETTLE kvd") == 0); /* handshakes under way finish first */
    up(0, "SETTLED kvd\n");
    UT_EXPECT_EQ(hold_flags, 0); /* still new connections only: no second hold */
    UT_EXPECT(strcmp(down(0), "DRAIN kvd") == 0);
}

static void restart_flow_happy_path(void)
{
    const struct us_maint_status *s;

    setup();
    to_transfer();
    up(0, "OK frozen\n");
    UT_EXPECT(strcmp(down(0), "SEND kvd") == 0);
    up(0, "SENT kvd 12345 " HEX "\n");
    UT_EXPECT(strcmp(down(1), "FETCH kvd " HEX) == 0);
    calls[0] = '\0';
    up(1, "FETCHED kvd LOADED 9\n");
    UT_EXPECT(strcmp(calls, "cutover 0 forget 0 release 0 retire 0 drop ") == 0);
    s = status();
    UT_EXPECT_EQ(s->phase, US_MAINT_DONE);
    UT_EXPECT_EQ(s->result, US_OK);
    UT_EXPECT_EQ(s->bytes, 12345);
    UT_EXPECT(strcmp(s->first, "kvd0") == 0 && strcmp(s->understudy, "kvd0-b") == 0);
    UT_EXPECT_EQ(st.migrations, 1);
    up(0, US_AGENT_CLOSE "\n"); /* the retired instance's agent goes: nothing to undo */
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
}

/* remove-device: the application of the VM holding the device moves to an understudy (which
 * the vmm makes without it); after the retirement devmgr releases the device. */
static void remove_device_flow(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_REMOVE_DEVICE;
    device = "pci-09:00.0";
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_ENOENT);
    UT_EXPECT(strcmp((const char *)m.w, "no such device") == 0);
    device = "pci-02:00.0"; /* no VM holds it: released at once, no flow */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT(strstr((const char *)m.w, "released at once") != NULL);
    UT_EXPECT(strcmp(calls, "remove pci-02:00.0 ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_IDLE);
    device = "pci-01:00.0";
    vm_devices = US_GUEST_DEV_PCIE; /* its only network is the device */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "kvd0 reaches the network only through it") != NULL);
    vm_devices |= US_GUEST_DEV_VIRTIO_NET;
    calls[0] = '\0';
    to_transfer();
    up(0, "OK frozen\n");
    up(0, "SENT kvd 12345 " HEX "\n");
    calls[0] = '\0';
    up(1, "FETCHED kvd LOADED 9\n");
    UT_EXPECT(strcmp(calls, "cutover 0 forget 0 release 0 retire 0 drop remove pci-01:00.0 ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
    UT_EXPECT(strstr(status()->step, "done: kvd0-b serves") != NULL);
}

/* add-device: the understudy is created with the free device; a held one is refused. */
static void add_device_flow(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_ADD_DEVICE;
    device = "pci-01:00.0"; /* VM 0 holds it */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "a VM holds it already") != NULL);
    device = "pci-09:00.0";
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_ENOENT);
    UT_EXPECT(calls[0] == '\0');
    device = "pci-02:00.0";
    to_transfer();
    UT_EXPECT(strcmp(created_pt, "pci-02:00.0") == 0);
    up(0, "OK frozen\n");
    up(0, "SENT kvd 12345 " HEX "\n");
    calls[0] = '\0';
    up(1, "FETCHED kvd LOADED 9\n");
    UT_EXPECT(strcmp(calls, "cutover 0 forget 0 release 0 retire 0 drop ") == 0); /* it stays */
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
}

/* remove-memory: withheld, kvd0 (whose RAM is in the range) moves out, the audit is clean. */
static void remove_memory_flow(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_REMOVE_MEMORY;
    range_base = 0x50000000;
    range_size = 16u << 20;
    offline_answer = US_ENOMEM;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_ENOMEM);
    UT_EXPECT(strstr((const char *)m.w, "no room to evacuate into") != NULL);
    offline_answer = US_OK;
    audit_used = 4096 + 3; /* kvd0's 4096 pages, and 3 of the hypervisor's */
    calls[0] = '\0';
    moves = 0;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "3 pages there cannot move: the kernel's image") != NULL);
    UT_EXPECT(strcmp(calls, "offline online ") == 0); /* given back */
    UT_EXPECT_EQ(moves, 1);                           /* what could move was moved first */
    /* A server running elsewhere each time it is asked: its pages wait, then it is refused. */
    range_base = 0x90000000; /* no VM there */
    audit_used = 900;        /* all of it waiting */
    move_left = 1000;
    moves = 0;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "belong to a server or vCPU that kept running") != NULL);
    UT_EXPECT_EQ(moves, 64);
    audit_used = 0;
    move_left = 0;
    audit_mapped = 1; /* a mapping into free frames: refused, whatever made it */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "1 pages there are mapped, though none is in use") != NULL);
    audit_mapped = 0;
    move_left = 3; /* ... or it stops in time */
    moves = 0;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT_EQ(moves, 4);
    UT_EXPECT(strstr((const char *)m.w, "8 pages moved out, nothing else in use there") != NULL);
    UT_EXPECT_EQ(move_flags, 0); /* via=restart: the guests' RAM stays */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_COPY, &m), US_OK);
    UT_EXPECT_EQ(move_flags, US_MEM_MOVE_GUESTS); /* via=copy: copied under them */
    flow = US_MAINT_UPGRADE_OS;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_COPY, &m), US_EINVAL);
    UT_EXPECT(strstr((const char *)m.w, "via=copy for remove-memory") != NULL);
    flow = US_MAINT_REMOVE_MEMORY;
    range_base = 0x50000000;
    audit_used = 4096;
    calls[0] = '\0';
    /* via=copy, but kvd0's RAM did not move (say a device may reach it): it moves as restart */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_COPY, &m), US_OK);
    UT_EXPECT(strncmp(calls, "offline create kvd0-b<-kvd0/", 28) == 0);
    UT_EXPECT_EQ(status()->via, US_MAINT_VIA_RESTART);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO host=a boot=c apps=kvd\n");
    up(1, "HEALTH kvd=up keys=0\n");
    up(0, "SETTLED kvd\n");
    up(0, "OK frozen\n");
    up(0, "SENT kvd 12345 " HEX "\n");
    audit_used = 0; /* kvd0's RAM, freed, stays withheld */
    up(1, "FETCHED kvd LOADED 9\n");
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
    UT_EXPECT(strstr(status()->step, "no page in use, no mapping into it: it may be removed") !=
              NULL);
    UT_EXPECT(strstr(calls, "online") == NULL); /* the range stays out */
}

/* An aborted remove-memory gives the range back. */
static void remove_memory_aborted(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_REMOVE_MEMORY;
    range_base = 0x50000000;
    range_size = 16u << 20;
    audit_used = 4096;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strstr(calls, "online") != NULL);
}

/* Aborted, the first instance keeps the device: nothing is released. */
static void remove_device_aborted(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_REMOVE_DEVICE;
    device = "pci-01:00.0";
    to_transfer();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strstr(calls, "remove") == NULL);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
}

static void refusals(void)
{
    struct us_msg m;

    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "nosuch", US_MAINT_VIA_RESTART, &m), US_ENOENT);
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", 77, &m), US_EINVAL);
    UT_EXPECT(strstr((const char *)m.w, "unknown mechanism") != NULL);
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_ENOENT);
    UT_EXPECT(strstr((const char *)m.w, "no flow") != NULL);
    us_msg_init(&m, US_MIGRATE_MAINT_START, 8); /* short */
    migrate_dispatch(&st, 1, &m);
    UT_EXPECT_EQ(m.hdr.err, US_ETRUNC);
    UT_EXPECT(calls[0] == '\0'); /* the vmm was never asked */
    create_answer = US_ENOMEM;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_ENOMEM);
    UT_EXPECT(strcmp((const char *)m.w, "not enough free memory for 9 MiB") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
    create_answer = US_OK;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_EBUSY);
    UT_EXPECT(strstr((const char *)m.w, "already running") != NULL);
}

static void abort_in_prepare(void)
{
    struct us_msg m;

    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
    calls[0] = '\0';
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strcmp(calls, "retire 1 drop ") == 0); /* nothing held, nothing frozen */
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
    UT_EXPECT_EQ(status()->result, US_EABORT);
    UT_EXPECT(strcmp(down(0), "") == 0);
}

static void abort_in_transfer(void)
{
    struct us_msg m;

    setup();
    to_transfer();
    up(0, "OK frozen\n");
    (void)down(0);
    calls[0] = '\0';
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT(strcmp(down(0), "RESUME kvd") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
    up(0, "SENT kvd 1 " HEX "\n"); /* late: ignored */
    UT_EXPECT(strcmp(down(1), "") == 0);
    /* A new flow may start now. */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
}

/* via criu: every frame held, the process checkpointed and revived; an abort continues it. */
static void criu_flow(void)
{
    struct us_msg m;

    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_CRIU, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\n");
    (void)down(1);
    /* New connections wait while the open ones settle, then every frame. */
    UT_EXPECT(strstr(calls, "hold 0 ") != NULL);
    UT_EXPECT_EQ(hold_flags, 0);
    UT_EXPECT(strcmp(down(0), "SETTLE kvd") == 0);
    up(0, "SETTLED kvd\n");
    UT_EXPECT_EQ(hold_flags, US_NET_SVC_HOLD_ALL);
    UT_EXPECT(strcmp(down(0), "CHECKPOINT kvd") == 0);
    up(0, "CHECKPOINTED kvd 4096 " HEX "\n");
    UT_EXPECT(strcmp(down(1), "REVIVE kvd " HEX) == 0);
    calls[0] = '\0';
    up(1, "REVIVED kvd pid=77\n");
    UT_EXPECT(strcmp(calls, "cutover 0 forget 0 release 0 retire 0 drop ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
    UT_EXPECT_EQ(status()->bytes, 4096);

    setup(); /* the restore fails: the stopped process runs on */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_CRIU, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\n");
    (void)down(1);
    (void)down(0);
    up(0, "SETTLED kvd\n");
    (void)down(0);
    up(0, "CHECKPOINTED kvd 4096 " HEX "\n");
    (void)down(1);
    calls[0] = '\0';
    up(1, "ERR criu restore failed (/run/ck-in/restore.log)\n");
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT(strcmp(down(0), "CONTINUE kvd") == 0);
    UT_EXPECT(strstr(status()->step, "criu restore failed") != NULL);

    setup(); /* connections that never settle: nothing was checkpointed, the first serves */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_CRIU, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\n");
    (void)down(1);
    UT_EXPECT(strcmp(down(0), "SETTLE kvd") == 0);
    calls[0] = '\0';
    up(0, "ERR 1 connection(s) to kvd still opening after 2000 ms\n");
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT_EQ(hold_flags, 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
}

/* via redirect: nothing held or frozen; the understudy follows, the first hands over, the
 * switch cuts over, and the first retires once its clients are gone. */
static void redirect_flow(void)
{
    struct us_msg m;

    setup();
    fault = US_MAINT_FAULT_CORRUPT; /* nothing is carried to corrupt */
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_REDIRECT, &m), US_EINVAL);
    fault = US_MAINT_FAULT_NONE;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_REDIRECT, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\n");
    UT_EXPECT(strcmp(down(1), "HEALTH") == 0);
    UT_EXPECT(strcmp(down(1), "FOLLOW kvd") == 0);
    UT_EXPECT(strstr(calls, "hold") == NULL);
    up(1, "FOLLOWING kvd\n");
    UT_EXPECT(strcmp(down(0), "REPLICATE kvd") == 0);
    up(0, "REPLICATED kvd 777\n");
    UT_EXPECT(strcmp(down(0), "HANDOVER kvd") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_TRANSFER);
    calls[0] = '\0';
    up(0, "HANDED kvd\n");
    /* Established connections stay tracked to kvd0: no forget, no retire yet. */
    UT_EXPECT(strcmp(calls, "cutover 0 release 0 ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_COMMIT);
    UT_EXPECT(strcmp(down(0), "LINGER kvd 300") == 0);
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_EBUSY);
    up(1, "IDLE kvd cut=0\n"); /* not the first's: ignored */
    UT_EXPECT_EQ(status()->phase, US_MAINT_COMMIT);
    calls[0] = '\0';
    up(0, "IDLE kvd cut=0\n");
    UT_EXPECT(strcmp(calls, "retire 0 drop ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
    UT_EXPECT_EQ(status()->bytes, 777);

    /* An abort while the first replicates stops it there; the understudy goes. */
    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_REDIRECT, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\nFOLLOWING kvd\n");
    UT_EXPECT(strcmp(down(0), "REPLICATE kvd") == 0);
    calls[0] = '\0';
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strcmp(calls, "retire 1 drop ") == 0);
    UT_EXPECT(strcmp(down(0), "ALONE kvd") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);

    /* The follower fails to load the state: the same undo. */
    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_REDIRECT, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\nFOLLOWING kvd\n");
    (void)down(0);
    up(0, "ERR the follower was lost: STATS role=lost\n");
    UT_EXPECT(strcmp(down(0), "ALONE kvd") == 0);
    UT_EXPECT(strstr(status()->step, "follower was lost") != NULL);

    /* After the commit, the lingering first instance's agent going ends the flow. */
    setup();
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_REDIRECT, &m), US_OK);
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\nFOLLOWING kvd\n");
    up(0, "REPLICATED kvd 1\nHANDED kvd\n");
    calls[0] = '\0';
    up(0, US_AGENT_CLOSE "\n");
    UT_EXPECT(strcmp(calls, "retire 0 drop ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
}

/* upgrade-app: an understudy whose new application image did not start stops the flow. */
static void understudy_app_down(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_UPGRADE_APP;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
    calls[0] = '\0';
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=down\n");
    UT_EXPECT(strcmp(calls, "retire 1 drop ") == 0);
    UT_EXPECT(strstr(status()->step, "application did not start") != NULL);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
}

static void understudy_lost_in_transfer(void)
{
    setup();
    to_transfer();
    up(0, "OK frozen\n");
    calls[0] = '\0';
    up(1, US_AGENT_CLOSE "\n");
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT(strstr(status()->step, "understudy's agent is gone") != NULL);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
}

static void bad_state_refused(void)
{
    setup();
    to_transfer();
    up(0, "OK frozen\n");
    up(0, "SENT kvd 12 " HEX "\n");
    calls[0] = '\0';
    up(1, "ERR downloaded state fails its sha256\n");
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT(strstr(status()->step, "fails its sha256") != NULL);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
    setup();
    to_transfer();
    up(0, "OK frozen\n");
    up(0, "SENT kvd 12 tooshort\n"); /* malformed */
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);
    UT_EXPECT_EQ(status()->result, US_ECORRUPT);
}

/* Debug builds inject faults where a test could not otherwise be sure to hit them. */
static void injected_faults(void)
{
    struct us_msg m;

    setup();
    fault = 9;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_EINVAL);
    fault = US_MAINT_FAULT_CORRUPT;
    to_transfer();
    up(0, "OK frozen\n");
    (void)down(0);
    calls[0] = '\0';
    up(0, "SENT kvd 12 " HEX "\n");
    UT_EXPECT(strcmp(calls, "flip ") == 0);
    UT_EXPECT(strcmp(down(1), "FETCH kvd " HEX) == 0); /* the understudy must notice */
    up(1, "ERR downloaded state fails its sha256\n");
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);

    setup();
    fault = US_MAINT_FAULT_KILL;
    to_transfer();
    up(0, "OK frozen\n");
    (void)down(0);
    calls[0] = '\0';
    up(0, "SENT kvd 12 " HEX "\n");
    UT_EXPECT(strcmp(calls, "retire 1 ") == 0);
    UT_EXPECT(strcmp(down(1), "") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_TRANSFER); /* until the death is noticed */
    up(1, US_AGENT_CLOSE "\n");
    UT_EXPECT(strcmp(calls, "retire 1 release 0 drop ") == 0); /* not retired twice */
    UT_EXPECT(strcmp(down(0), "RESUME kvd") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_ABORTED);

    setup();
    fault = US_MAINT_FAULT_STALL;
    to_transfer();
    up(0, "OK frozen\n");
    UT_EXPECT(strcmp(down(0), "") == 0); /* no SEND: stalled */
    UT_EXPECT(strstr(status()->step, "stalled") != NULL);
    calls[0] = '\0';
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_ABORT, "", 0, &m), US_OK);
    UT_EXPECT(strcmp(calls, "release 0 retire 1 drop ") == 0);
    UT_EXPECT(strcmp(down(0), "RESUME kvd") == 0);
}

/* reconfigure: out to an understudy as kvd0 is, back to kvd0 made anew with the changes. */
static void reconfigure_two_legs(void)
{
    struct us_msg m;

    setup();
    flow = US_MAINT_RECONFIGURE;
    UT_EXPECT_EQ(request(US_MIGRATE_MAINT_START, "kvd0", US_MAINT_VIA_RESTART, &m), US_OK);
    UT_EXPECT(strcmp(calls, "create kvd0-b<-kvd0///3 ") == 0); /* no change on the way out */
    up(1, US_AGENT_OPEN "kvd0-b\nHELLO x\nHEALTH kvd=up keys=0\n");
    (void)down(1);
    UT_EXPECT(strcmp(down(0), "SETTLE kvd") == 0);
    up(0, "SETTLED kvd\n");
    UT_EXPECT(strcmp(down(0), "DRAIN kvd") == 0);
    up(0, "OK frozen\nSENT kvd 5 " HEX "\n");
    UT_EXPECT(strcmp(down(0), "SEND kvd") == 0);
    UT_EXPECT(strcmp(down(1), "FETCH kvd " HEX) == 0);
    create_slot = 0; /* kvd0's slot, free once it is retired */
    calls[0] = '\0';
    up(1, "FETCHED kvd LOADED 9\n");
    UT_EXPECT(strcmp(calls, "cutover 0 forget 0 release 0 retire 0 drop "
                            "create kvd0<-kvd0-b/initramfs-next/x=1/3 ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_PREPARE);
    UT_EXPECT(strcmp(status()->first, "kvd0-b") == 0 && status()->flow == US_MAINT_RECONFIGURE);
    up(0, US_AGENT_CLOSE "\n" US_AGENT_OPEN "kvd0\nHELLO y\nHEALTH kvd=up keys=0\n");
    (void)down(0);
    UT_EXPECT(strcmp(down(1), "SETTLE kvd") == 0);
    up(1, "SETTLED kvd\n");
    UT_EXPECT(strcmp(down(1), "DRAIN kvd") == 0);
    up(1, "OK frozen\nSENT kvd 5 " HEX "\n");
    UT_EXPECT(strcmp(down(0), "FETCH kvd " HEX) == 0);
    calls[0] = '\0';
    up(0, "FETCHED kvd LOADED 9\n");
    UT_EXPECT(strcmp(calls, "cutover 1 forget 1 release 1 retire 1 drop ") == 0);
    UT_EXPECT_EQ(status()->phase, US_MAINT_DONE);
    UT_EXPECT(strcmp(status()->understudy, "kvd0") == 0);
    UT_EXPECT_EQ(st.migrations, 2);
}

/* fault=crash: migrate dies having read "OK frozen", its state not sealed since. The restarted
 * instance has the sealed state and finds the line again on the channel. */
static void crash_before_seal(void)
{
    static struct migrate_state sealed;

    setup();
    fault = US_MAINT_FAULT_CRASH;
    to_transfer();
    sealed = st;
    UT_EXPECT(us_ring_put(&chans[0].up, "OK frozen\n", 10) >= 0);
    if (setjmp(died) == 0) {
        migrate_agents_pump(&st);
        UT_EXPECT(0); /* it must die */
    }
    UT_EXPECT_EQ(chans[0].up.tail, sealed.agents[0].up_seen); /* the line is not given back */
    st = sealed;
    restarts++;
    migrate_agents_pump(&st);
    migrate_lines_release(&st);
    UT_EXPECT(strcmp(down(0), "SEND kvd") == 0);
    UT_EXPECT(st.maint.frozen);
    UT_EXPECT_EQ(chans[0].up.tail, chans[0].up.head);
}

UT_MAIN({"restart_flow_happy_path", restart_flow_happy_path}, {"refusals", refusals},
        {"crash_before_seal", crash_before_seal}, {"remove_device_flow", remove_device_flow},
        {"remove_device_aborted", remove_device_aborted}, {"add_device_flow", add_device_flow},
        {"remove_memory_flow", remove_memory_flow},
        {"remove_memory_aborted", remove_memory_aborted}, {"abort_in_prepare", abort_in_prepare},
        {"abort_in_transfer", abort_in_transfer},
        {"understudy_lost_in_transfer", understudy_lost_in_transfer},
        {"bad_state_refused", bad_state_refused}, {"injected_faults", injected_faults},
        {"reconfigure_two_legs", reconfigure_two_legs},
        {"understudy_app_down", understudy_app_down}, {"criu_flow", criu_flow},
        {"redirect_flow", redirect_flow})
