/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The migrate server's private interface: status, and the guest agents it talks to through
 * the agent channels the vmm shares with it (understudy/migrate.h). */
#pragma once

#include <stdbool.h>
#include <understudy/migrate.h>
#include <understudy/usys.h>
#include <understudy/vmm.h>

/* What migrate knows of one VM slot's guest agent. */
struct migrate_agent {
    uint32_t state; /* US_AGENT_* */
    /* How far its channel's lines up from the vmm are taken, as of this state: a line is
     * released to the vmm (the ring's tail) only once the state that handled it is sealed, so
     * an instance that dies before that finds it again (migrate_lines_release()). It belongs
     * to the channel, not to one connection: an agent's open record keeps it. */
    uint32_t up_seen;
    uint64_t lines; /* lines it has sent since it connected */
    char name[16];  /* the VM's, from the vmm's open record */
    char hello[US_AGENT_TEXT_MAX];
    char last[US_AGENT_TEXT_MAX];
};

/* What a maintenance flow waits for from an agent next (migrate_maint.c). */
enum migrate_expect {
    MAINT_EXPECT_NOTHING,
    MAINT_EXPECT_HEALTH,       /* the understudy: "HEALTH kvd=up ..." */
    MAINT_EXPECT_FROZEN,       /* the first: "OK frozen" (DRAIN kvd) */
    MAINT_EXPECT_SENT,         /* the first: "SENT kvd SIZE SHA256" */
    MAINT_EXPECT_FETCHED,      /* the understudy: "FETCHED kvd ..." */
    MAINT_EXPECT_SETTLED,      /* via criu, the first: "SETTLED kvd" */
    MAINT_EXPECT_CHECKPOINTED, /* via criu, the first: "CHECKPOINTED kvd SIZE SHA256" */
    MAINT_EXPECT_REVIVED,      /* via criu, the understudy: "REVIVED kvd pid=N" */
    MAINT_EXPECT_FOLLOWING,    /* via redirect, the understudy: "FOLLOWING kvd" */
    MAINT_EXPECT_REPLICATED,   /* via redirect, the first: "REPLICATED kvd BYTES" */
    MAINT_EXPECT_HANDED,       /* via redirect, the first: "HANDED kvd" */
    MAINT_EXPECT_IDLE,         /* via redirect, the first: "IDLE kvd cut=N" (after the commit) */
};

/* After a redirect's commit, how long the first instance's established clients may take to
 * finish before it is retired with them. */
#define MAINT_LINGER_S 300u

/* The maintenance flow: the one running, or the last one. */
struct migrate_maint {
    struct us_maint_status status;
    uint32_t expect;             /* enum migrate_expect */
    bool created;                /* the understudy exists: an abort retires it */
    bool held;                   /* the switch holds the address's new connections */
    bool frozen;                 /* the first instance's kvd is frozen: an abort resumes it */
    bool replicating;            /* via redirect, it streams to the understudy: an abort stops it */
    bool understudy_up;          /* its agent connected (a close before that is another's) */
    uint32_t fault;              /* US_MAINT_FAULT_* to inject */
    uint32_t crash_at;           /* US_MAINT_FAULT_CRASH: the restart count it strikes at */
    uint32_t legs_left;          /* reconfigure: the leg back is still to come */
    struct us_maint_req next;    /* ... and what it is */
    char digest[65];             /* the carried state's SHA-256, hex */
    char device[32];             /* remove-device: released after the retirement */
    uint64_t mem_base, mem_size; /* remove-memory: the range being emptied */
};

#define MIGRATE_MAGIC 0x6d696772u
#define MIGRATE_VERSION 7u

/* Everything the server keeps; lives in the restart-surviving state region. */
struct migrate_state {
    uint32_t magic;
    uint32_t version;
    uint64_t migrations;
    uint64_t requests;
    struct migrate_agent agents[US_AGENT_CHANS];
    struct us_agent_chan *chans; /* the shared channels; NULL in tests without them */
    struct migrate_maint maint;
};

/** migrate_init() - attach to the state region (taken up by us_state_start(): @recovered if
 * it holds the last instance's state) and the agent channels. Restarted without its state, it
 * asks the vmm which agents are connected. Returns: US_OK. */
us_err_t migrate_init(struct migrate_state **st, bool recovered);

/** migrate_restart_count() - how often the kernel has restarted this server (main.c). */
uint32_t migrate_restart_count(void);

/** migrate_lines_release() - after a commit: give the agent lines the state has taken back to
 * the vmm, and signal itself if more came meanwhile (the vmm signals only an empty ring). */
void migrate_lines_release(void *st);

/** migrate_dispatch() - handle one request in the IPC buffer, leaving the reply there. */
void migrate_dispatch(struct migrate_state *st, us_badge_t badge, struct us_msg *m);

/** migrate_agents_pump() - take every record the vmm has put on the agent channels
 * (US_NTFN_AGENT_UP): connections opening and closing, and the agents' lines. A new agent's
 * HELLO is answered with a HEALTH request, whose reply is logged. */
void migrate_agents_pump(struct migrate_state *st);

/** migrate_agent_send() - queue @line (NUL-terminated, no LF) for VM @slot's agent.
 * Returns: US_OK; US_ENOENT if no agent is connected; US_EINVAL for an empty, long or
 * unprintable line; US_ENOMEM if the channel is full. */
us_err_t migrate_agent_send(struct migrate_state *st, uint32_t slot, const char *line);

/** migrate_maint_call() - US_MIGRATE_MAINT_START, _STATUS or _ABORT in @m; reply in @m. */
void migrate_maint_call(struct migrate_state *st, struct us_msg *m);

/** migrate_maint_line() - a line from VM @slot's agent: it may move the flow on. */
void migrate_maint_line(struct migrate_state *st, uint32_t slot, const char *line);

/** migrate_maint_agent_open() - an agent connected in VM @slot. */
void migrate_maint_agent_open(struct migrate_state *st, uint32_t slot);

/** migrate_maint_agent_gone() - VM @slot's agent connection ended. */
void migrate_maint_agent_gone(struct migrate_state *st, uint32_t slot);

/** migrate_maint_fail() - stop the running flow before its commit and undo it: release the
 * held connections to the first instance, resume its kvd, retire the understudy. Nothing
 * happens idle, after the commit or after an end. */
void migrate_maint_fail(struct migrate_state *st, us_err_t why, const char *reason);

/** migrate_vmm_call() - send @m to the vmm and wait for its reply, which replaces it (main.c;
 * host tests supply their own vmm). Returns: the IPC error, or US_OK (then see m->hdr.err). */
us_err_t migrate_vmm_call(struct us_msg *m);

/** migrate_devmgr_call() - the same with devmgr (remove-device: who holds a device, its
 * release). devmgr calls no server, so no two servers wait on each other. */
us_err_t migrate_devmgr_call(struct us_msg *m);

/** migrate_memory_move_own() - have the kernel move the hypervisor's own pages out of the
 * withheld range (US_SERVER_CTL_MEM_MOVE), and with @guests the guests' RAM, asking again while
 * a busy server or vCPU holds some back. *@moved: pages moved. Returns: pages still held. */
uint64_t migrate_memory_move_own(bool guests, uint64_t *moved);

/** migrate_mem_ctl() - the kernel's US_SERVER_CTL_MEM_* @op on [@base, @base + @size), its
 * results (x1 to x3) in @r (may be NULL) (main.c; host tests supply their own). */
us_err_t migrate_mem_ctl(uint32_t op, uint64_t base, uint64_t size, uint64_t r[3]);

/** migrate_vm_info() - the vmm's us_vm_info of the VM in @slot. Returns: whether there is one
 * (migrate_memory.c). */
bool migrate_vm_info(uint32_t slot, struct us_vm_info *out);

/** migrate_reason() - a refusal's reason text in reply @m, or @fallback, into @why. */
void migrate_reason(const struct us_msg *m, const char *fallback, char *why, size_t why_len);

/** migrate_device_holder() - remove-device: the VM holding @req->device, whose name goes into
 * @req->vm. A device no VM holds is released at once (*@released). Refused, with @why, when
 * the holder's understudy could not serve without it: its only way to the network is the
 * device (migrate_device.c). */
us_err_t migrate_device_holder(struct us_maint_req *req, bool *released, char *why, size_t why_len);

/** migrate_device_free() - add-device: @req->device must be in the inventory, a PCI function,
 * and no one's. Returns: US_OK, or the refusal with @why. */
us_err_t migrate_device_free(const struct us_maint_req *req, char *why, size_t why_len);

/** migrate_device_remove() - devmgr releases device @name and powers its slot off. Returns:
 * US_OK, or its refusal with @why. */
us_err_t migrate_device_remove(const char *name, char *why, size_t why_len);

/** migrate_memory_start() - remove-memory's start: withhold @req's range and check what is in
 * it. Returns: US_OK with @req->vm the first VM to move, or *@done (nothing there: @why says
 * so); or the refusal, with @why (the range is given back). */
us_err_t migrate_memory_start(struct us_maint_req *req, bool *done, char *why, size_t why_len);

/** migrate_memory_next() - the first VM whose RAM reaches into [@base, @base + @size): its
 * name in @name; *@guest_frames: pages of guest RAM in the range. Returns: whether there is
 * one. */
bool migrate_memory_next(uint64_t base, uint64_t size, char name[16], uint64_t *guest_frames);
