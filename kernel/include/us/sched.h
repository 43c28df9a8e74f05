/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixed-priority preemptive scheduler with round robin inside a priority, one run queue per
 * CPU. Every thread has a home CPU (struct thread.cpu) and runs nowhere else: servers on
 * CPU 0, each vCPU where its vmm placed it. A thread made runnable from another CPU is queued
 * on its home and that CPU is interrupted if it should look again. */
#pragma once

#include <us/thread.h>
#include <arch/percpu.h>

#define SCHED_PRIOS 256u
#define SCHED_SLICE_US 10000u
#define SCHED_MAX_CPUS 8u

struct cpu {
    struct arch_regs *regs;   /* first: entry.S saves into it (the current thread's) */
    struct thread *current;   /* NULL while idle */
    struct thread *idle_prev; /* last thread before the CPU went idle */
    struct thread *handoff;   /* woken by IPC, runs next without queueing (see sched.c) */
    struct thread *direct;    /* sched_direct(): runs next, the current thread blocked */
    bool resched;             /* slice expired or a higher priority became ready */
    bool online;
    uint32_t index;
    uint64_t guest_entries; /* returns into a vCPU: where the guests ran */
    uint64_t tlbi_local;    /* guests' TLB maintenance done on this CPU alone (vm.local_tlbi) */
    uint64_t to_server;     /* switches into a server thread: what batching saves */
    uint64_t ran[3];        /* counter ticks in guests, servers, idle (CPU_RAN_*, cpu_charge()) */
    uint64_t nolock;        /* guest traps finished without the kernel lock (this CPU only) */
    uint64_t ipc_direct;    /* IPC legs that switched directly (sched_direct()) */
    uint64_t ran_since;     /* when ran[ran_kind] was last charged (from the CPU's join) */
    uint32_t ran_kind;
    bool settle; /* another CPU asked it to drop registers (arch_cpu_settle()) */
    struct thread_queue runq[SCHED_PRIOS];
    uint64_t runq_bits[SCHED_PRIOS / 64];
    uint64_t runq_words; /* bit w: runq_bits[w] != 0 */
};

#define CPU_RAN_GUEST 0u
#define CPU_RAN_SERVER 1u
#define CPU_RAN_IDLE 2u

extern struct cpu cpus[SCHED_MAX_CPUS];
extern uint32_t cpu_count; /* CPUs brought up */

/** arch_cpu_kick() - interrupt CPU @index so that it enters the kernel and schedules again. */
void arch_cpu_kick(uint32_t index);

static inline struct cpu *this_cpu(void)
{
    return arch_this_cpu();
}

/** sched_wake() - make @t runnable (TS_RUNNING) on its home CPU: queued, or kept as this
 * CPU's hand-off candidate when nothing queued outranks it. A remote home is kicked if it
 * idles or runs something of lower priority. */
void sched_wake(struct thread *t);

/** sched_block() - take @t off its run queue with a blocked @state; if @t is running on
 * another CPU, that CPU is kicked to stop it. */
void sched_block(struct thread *t, uint32_t state);

/** sched_is_live_elsewhere() - whether @t is current on a CPU other than this one (its registers
 * may be in that CPU, not in memory). */
bool sched_is_live_elsewhere(const struct thread *t);

/** sched_next() - choose what runs when the kernel returns: the current thread while it is
 * runnable and no higher priority waits, otherwise the best queued thread; NULL when idle. */
struct thread *sched_next(void);

/** sched_direct() - IPC's direct switch: the current thread @from blocks in @state and @to,
 * which waited for it and lives on this CPU, is what sched_next() returns, with no pass
 * through the run queues, if nothing queued or handed off outranks or equals it.
 * Returns: true if so; false if nothing changed (the caller blocks and wakes as usual). */
bool sched_direct(struct thread *from, uint32_t state, struct thread *to);

/** sched_tick() - time slice of the current thread ended. */
void sched_tick(void);
