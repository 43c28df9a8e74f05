/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixed-priority preemptive scheduler with round robin inside a priority. */
#pragma once

#include <us/thread.h>

#define SCHED_PRIOS 256u
#define SCHED_SLICE_US 10000u

struct cpu {
    struct thread *current;
    struct thread *idle_prev; /* last thread before the CPU went idle */
    struct thread *handoff;   /* woken by IPC, runs next without queueing (see sched.c) */
    bool resched;             /* slice expired or a higher priority became ready */
    uint32_t index;
};

extern struct cpu cpu0;

static inline struct cpu *this_cpu(void)
{
    return &cpu0;
}

/** sched_wake() - make @t runnable (TS_RUNNING): queued, or kept as this CPU's hand-off
 * candidate when nothing queued outranks it. */
void sched_wake(struct thread *t);

/** sched_block() - take @t off the run queue with a blocked @state. */
void sched_block(struct thread *t, uint32_t state);

/** sched_next() - choose what runs when the kernel returns: the current thread while it is
 * runnable and no higher priority waits, otherwise the best queued thread; NULL when idle. */
struct thread *sched_next(void);

/** sched_tick() - time slice of the current thread ended. */
void sched_tick(void);
