/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixed-priority scheduler: one FIFO per priority and a bitmap of non-empty levels. */
#include <us/log.h>
#include <us/sched.h>

struct cpu cpu0;

static struct thread_queue runq[SCHED_PRIOS];
static uint64_t runq_bits[SCHED_PRIOS / 64];

static void enqueue(struct thread *t)
{
    if (t->queued) {
        return;
    }
    thread_queue_push(&runq[t->prio], t);
    runq_bits[t->prio / 64] |= 1ull << (t->prio % 64);
    t->queued = true;
}

static void dequeue(struct thread *t)
{
    if (!t->queued) {
        return;
    }
    thread_queue_remove(&runq[t->prio], t);
    if (runq[t->prio].head == NULL) {
        runq_bits[t->prio / 64] &= ~(1ull << (t->prio % 64));
    }
    t->queued = false;
}

static int highest_ready(void)
{
    int w;
    for (w = (int)(SCHED_PRIOS / 64) - 1; w >= 0; w--) {
        if (runq_bits[w] != 0) {
            return w * 64 + 63 - __builtin_clzll(runq_bits[w]);
        }
    }
    return -1;
}

void sched_wake(struct thread *t)
{
    t->state = TS_RUNNING;
    if (t != this_cpu()->current) {
        enqueue(t);
    }
}

void sched_block(struct thread *t, uint32_t state)
{
    t->state = state;
    dequeue(t);
}

void sched_tick(void)
{
    this_cpu()->resched = true;
}

struct thread *sched_next(void)
{
    struct cpu *c = this_cpu();
    struct thread *cur = c->current;
    int best = highest_ready();

    if (cur != NULL && cur->state == TS_RUNNING) {
        bool keep = best < 0 || (uint32_t)best < cur->prio ||
                    ((uint32_t)best == cur->prio && !c->resched);
        if (keep) {
            c->resched = false;
            return cur;
        }
        enqueue(cur);
        best = highest_ready();
    }
    c->resched = false;
    if (best < 0) {
        return NULL;
    }
    cur = runq[best].head;
    dequeue(cur);
    return cur;
}
