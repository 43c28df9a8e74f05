/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixed-priority scheduler: one FIFO per priority and a bitmap of non-empty levels.
 *
 * IPC hand-off: a call or reply wakes exactly one thread and (usually) blocks the current one.
 * The woken thread is then kept aside in cpu->handoff instead of being queued, if it outranks
 * everything queued, and sched_next() returns it directly unless something queued since or the
 * still-running current thread outranks it. That saves a queue push and pop per IPC leg, the hot
 * path of every guest exit.
 *
 * Direct switch (seL4's IPC fast path does the same): when the thread that wakes the other one
 * is the current thread and blocks at once (a call to a waiting server, a reply-and-receive
 * with nothing to receive), sched_direct() records the woken thread as cpu->direct in one step,
 * with no wake, block or queue work, and sched_next() returns it.
 *
 * Everything here runs under the kernel lock; a CPU only ever runs threads of its own queue. */
#include <us/log.h>
#include <us/sched.h>

struct cpu cpus[SCHED_MAX_CPUS];
uint32_t cpu_count = 1;

_Static_assert(SCHED_PRIOS / 64 <= 64, "runq_words has a bit per runq_bits word");

static void enqueue(struct cpu *c, struct thread *t)
{
    if (t->queued) {
        return;
    }
    thread_queue_push(&c->runq[t->prio], t);
    c->runq_bits[t->prio / 64] |= 1ull << (t->prio % 64);
    c->runq_words |= 1ull << (t->prio / 64);
    t->queued = true;
}

static void dequeue(struct cpu *c, struct thread *t)
{
    if (!t->queued) {
        return;
    }
    thread_queue_remove(&c->runq[t->prio], t);
    if (c->runq[t->prio].head == NULL) {
        c->runq_bits[t->prio / 64] &= ~(1ull << (t->prio % 64));
        if (c->runq_bits[t->prio / 64] == 0) {
            c->runq_words &= ~(1ull << (t->prio / 64));
        }
    }
    t->queued = false;
}

/* Two count-leading-zeros, no loop: it runs on every IPC leg. */
static int highest_ready(const struct cpu *c)
{
    int w;

    if (c->runq_words == 0) {
        return -1;
    }
    w = 63 - __builtin_clzll(c->runq_words);
    return w * 64 + 63 - __builtin_clzll(c->runq_bits[w]);
}

static struct cpu *home(const struct thread *t)
{
    return &cpus[t->cpu];
}

bool sched_is_live_elsewhere(const struct thread *t)
{
    struct cpu *h = home(t);

    return h != this_cpu() && h->current == t;
}

/* @t became runnable on a remote home @h: queue it, and interrupt @h if it should choose
 * again (it idles, or runs something @t outranks). */
static void wake_remote(struct cpu *h, struct thread *t)
{
    if (t == h->current) {
        return;
    }
    enqueue(h, t);
    if (h->current == NULL || t->prio > h->current->prio) {
        arch_cpu_kick(h->index);
    }
}

void sched_wake(struct thread *t)
{
    struct cpu *c = this_cpu();

    t->state = TS_RUNNING;
    if (home(t) != c) {
        wake_remote(home(t), t);
        return;
    }
    if (t == c->current || t == c->handoff || t == c->direct) {
        return;
    }
    /* Strictly above everything queued: an equal peer waits its turn in the FIFO, or two
     * vCPUs that exit often would hand the CPU to each other's exclusion. */
    if (c->handoff == NULL && !t->queued && (int)t->prio > highest_ready(c)) {
        c->handoff = t;
        return;
    }
    enqueue(c, t);
}

void sched_block(struct thread *t, uint32_t state)
{
    struct cpu *h = home(t);

    t->state = state;
    if (h->handoff == t) {
        h->handoff = NULL;
    }
    if (h->direct == t) {
        h->direct = NULL;
    }
    dequeue(h, t);
    if (sched_is_live_elsewhere(t)) {
        arch_cpu_kick(h->index); /* it is running there: make that CPU notice */
    }
}

bool sched_direct(struct thread *from, uint32_t state, struct thread *to)
{
    struct cpu *c = this_cpu();

    if (from != c->current || from->queued || to->cpu != c->index || c->handoff != NULL ||
        c->direct != NULL || to->queued || (int)to->prio <= highest_ready(c)) {
        return false;
    }
    from->state = state;
    to->state = TS_RUNNING;
    c->direct = to;
    c->ipc_direct++;
    return true;
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
    if (h != NULL && (int)h->prio < highest_ready(c)) {
        enqueue(c, h);
        return NULL;
    }
    return h;
}

/* sched_next() but for a direct switch's thread still ahead of everything. */
static __attribute__((noinline)) struct thread *next_slow(struct cpu *c)
{
    struct thread *cur = c->current;
    struct thread *h = c->direct;
    int best;

    if (h != NULL) { /* something woken since outranks it: it queues */
        c->direct = NULL;
        enqueue(c, h);
    }
    h = take_handoff(c);
    best = h != NULL ? (int)h->prio : highest_ready(c);

    if (cur != NULL && cur->state == TS_RUNNING) {
        bool keep =
            best < 0 || (uint32_t)best < cur->prio || ((uint32_t)best == cur->prio && !c->resched);
        if (keep) {
            if (h != NULL) {
                enqueue(c, h);
            }
            c->resched = false;
            return cur;
        }
        enqueue(c, cur); /* best >= cur->prio: the hand-off, if any, still goes first */
        if (h == NULL) {
            best = highest_ready(c);
        }
    }
    c->resched = false;
    if (h != NULL) {
        return h;
    }
    if (best < 0) {
        return NULL;
    }
    cur = c->runq[best].head;
    dequeue(c, cur);
    return cur;
}

/* The direct switch's thread is taken here without a frame: it is the hot path of every IPC. */
struct thread *sched_next(void)
{
    struct cpu *c = this_cpu();
    struct thread *d = c->direct;

    if (d != NULL && c->handoff == NULL && (int)d->prio > highest_ready(c)) {
        c->direct = NULL;
        c->resched = false;
        return d;
    }
    return next_slow(c);
}
