/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server processes: an EL0 address space, a handle table and one thread, started from the
 * boot manifest. */
#pragma once

#include <understudy/manifest.h>
#include <understudy/syscalls.h>
#include <us/cap.h>
#include <us/thread.h>
#include <arch/mmu.h>

struct endpoint;
struct notification;
struct memobj;

#define PROCESS_MAX US_MANIFEST_MAX_SERVERS
/* US_SYS_MEM_MAP mappings a process may hold: the vmm makes 4 per VM (US_VM_MAX) and 4 more. */
#define PROCESS_MAPS_MAX 48u
/* Ticks (10 ms each) of CPU time a server may spend on one message before the watchdog takes
 * it to have hung: far above the longest real one (creating a VM copies its kernel). */
#define PROCESS_WATCHDOG_TICKS 200u

/* A memory object US_SYS_MEM_MAP mapped, so US_SYS_MEM_UNMAP can find it. */
struct process_map {
    struct memobj *mem; /* NULL: a free entry */
    uint64_t va;
};

struct process {
    char name[US_SERVER_NAME_LEN];
    uint32_t index;
    uint32_t state; /* US_SERVER_* */
    uint32_t restarts;
    uint32_t faults;
    bool recovers;    /* it rebuilds from its state region (US_SYS_RECOVERS): a fault restarts it */
    bool served;      /* it replied to a request since it last started */
    bool restart_due; /* the operator asked for a restart while it was mid-message */
    uint32_t recv_epoch;  /* times it came back to wait for a message */
    uint32_t watch_epoch; /* recv_epoch when the watchdog last saw it come back */
    uint32_t watch_ticks; /* ticks it was seen running since then */
    uint32_t hangs;       /* restarts by the watchdog */
    uint64_t restart_at;  /* arch_counter() at its last restart, until it waits again; or 0 */
    uint64_t fault_addr;
    uint64_t fault_esr;
    uint64_t fault_pc;
    struct cap_table caps;
    struct aspace as;
    struct thread thread;
    struct endpoint *ep;
    struct notification *ntfn;
    struct memobj *state_mem;
    struct process_map maps[PROCESS_MAPS_MAX];
    const struct us_manifest_server *manifest;
};

extern struct process processes[PROCESS_MAX];
extern uint32_t process_count;

/** process_boot_bundle_size() - bytes of the boot bundle the servers were started from. */
uint64_t process_boot_bundle_size(void);

/** process_boot_all() - create and start every server of the manifest in the bundle.
 * Returns: US_OK; US_ECORRUPT for a bad manifest or ELF; US_ENOMEM; other errors from the
 * object constructors. Nothing is started unless every server could be built. */
us_err_t process_boot_all(const void *bundle, uint64_t bundle_size, paddr_t dtb, uint64_t dtb_size);

/** process_fault() - the server took an exception it cannot survive: stop it, report it and
 * fail the IPC that waits on it. The rest of the system keeps running. */
void process_fault(struct process *p, uint64_t esr, uint64_t far, uint64_t pc);

/** process_restart() - stop @p wherever it is (its callers get US_EABORT, a vCPU's exit
 * waits for the next instance) and reload it from the boot image: its writable segments, stack,
 * heap and IPC buffer as at boot, its own mappings gone, its capabilities and state region
 * kept; restart_count in its bootinfo says so. @p may be the caller itself.
 * Returns: US_OK; US_ENOTSUP if @p never said it recovers; US_EBUSY if it is running on another
 * CPU this instant (ask again); US_ECORRUPT if its image no longer checks (it stays stopped). */
us_err_t process_restart(struct process *p);

/** process_boot_moved() - memory object @m moved (memrange_move()): if it is the boot bundle,
 * the kernel reads servers' images from its new place. */
void process_boot_moved(const struct memobj *m);

/** process_revoke() - remove every @kind capability to @obj from every process, so no
 * handle can reach an object that is going away. */
void process_revoke(uint32_t kind, const void *obj);

/** process_map() - map all of @m at @va in @p's space with US_RIGHT_* @rights, and record it.
 * Returns: US_OK; US_ENOMEM when @p's table of mappings is full (nothing mapped); else as
 * arch_aspace_map(). */
/** process_waits() - @p comes back to wait for a message (its sign of life for the
 * watchdog); the first time after a restart, the time the restart took is logged. A restart
 * asked while it was preempted mid-message happens here, at the message boundary.
 * Returns: true if @p was restarted (its thread starts again at its entry: do not block it). */
bool process_waits(struct process *p);

/** process_watch() - the tick's watchdog, for the thread this CPU was running (or NULL):
 * a server that recovers and has spent PROCESS_WATCHDOG_TICKS ticks of CPU time on one
 * message without coming back to wait is taken to have hung, and is restarted. */
void process_watch(struct thread *cur);

us_err_t process_map(struct process *p, struct memobj *m, vaddr_t va, uint32_t rights);

/** process_unmap() - remove every mapping process_map() made of @m in @p's space.
 * Returns: US_OK; US_ENOENT if @p maps none. */
us_err_t process_unmap(struct process *p, struct memobj *m);

/** process_of() - the process a thread belongs to; NULL for vCPUs. */
static inline struct process *process_of(struct thread *t)
{
    return t->proc;
}
