/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixed-priority scheduler: one FIFO per priority and a bitmap of non-empty levels.
 *
 * IPC hand-off: a call or reply wakes exactly one thread and (usually) blocks the current one.
 * The woken thread is then kept aside in cpu->handoff instead of being queued, if it outranks
 * everything queued, and sched_next() returns it directly unless something queued since or the
 * still-running current thread outranks it. That saves a queue push and pop per IPC leg, the hot
 * path of every guest exit. */
#include <us/log.h>
#include <us/sched.h>

struct cpu cpu0;

static struct thread_queue runq[SCHED_PRIOS];
static uint64_t runq_bits[SCHED_PRIOS / 64];
static uint64_t runq_words; /* bit w: runq_bits[w] != 0 */
_Static_assert(SCHED_PRIOS / 64 <= 64, "runq_words has a bit per runq_bits word");

static void enqueue(struct thread *t)
{
    if (t->queued) {
        return;
    }
    thread_queue_push(&runq[t->prio], t);
    runq_bits[t->prio / 64] |= 1ull << (t->prio % 64);
    runq_words |= 1ull << (t->prio / 64);
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
        if (runq_bits[t->prio / 64] == 0) {
            runq_words &= ~(1ull << (t->prio / 64));
        }
    }
    t->queued = false;
}

/* Two count-leading-zeros, no loop: it runs on every IPC leg. */
static int highest_ready(void)
{
    int w;

    if (runq_words == 0) {
        return -1;
    }
    w = 63 - __builtin_clzll(runq_words);
    return w * 64 + 63 - __builtin_clzll(runq_bits[w]);
}

void sched_wake(struct thread *t)
{
    struct cpu *c = this_cpu();

    t->state = TS_RUNNING;
    if (t == c->current || t == c->handoff) {
        return;
    }
    /* Strictly above everything queued: an equal peer waits its turn in the FIFO, or two
     * vCPUs that exit often would hand the CPU to each other's exclusion. */
    if (c->handoff == NULL && !t->queued && (int)t->prio > highest_ready()) {
        c->handoff = t;
        return;
    }
    enqueue(t);
}

void sched_block(struct thread *t, uint32_t state)
{
    struct cpu *c = this_cpu();

    t->state = state;
    if (c->handoff == t) {
        c->handoff = NULL;
    }
    dequeue(t);
}

void sched_tick(void)
{
    this_cpu()->resched = true;
}

/* The hand-off candidate if nothing queued outranks it (else it joins the queue). */
static struct thread *take_handoff(struct cpu *c)
{
    struct thread *h = c->handoff;

    c->handoff = NULL;
    if (h != NULL && (int)h->prio < highest_ready()) {
        enqueue(h);
        return NULL;
    }
    return h;
}

struct thread *sched_next(void)
{
    struct cpu *c = this_cpu();
    struct thread *cur = c->current;
    struct thread *h = take_handoff(c);
    int best = h != NULL ? (int)h->prio : highest_ready();

    if (cur != NULL && cur->state == TS_RUNNING) {
        bool keep =
            best < 0 || (uint32_t)best < cur->prio || ((uint32_t)best == cur->prio && !c->resched);
        if (keep) {
            if (h != NULL) {
                enqueue(h);
            }
            c->resched = false;
            return cur;
        }
        enqueue(cur); /* best >= cur->prio: the hand-off, if any, still goes first */
        if (h == NULL) {
            best = highest_ready();
        }
    }
    c->resched = false;
    if (h != NULL) {
        return h;
    }
    if (best < 0) {
        return NULL;
    }
    cur = runq[best].head;
    dequeue(cur);
    return cur;
}
