/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/sched.c: priority order, round robin, and the IPC hand-off. */
#include <string.h>
#include <us/sched.h>
#include <arch/host.h>
#include "ut.h"

static struct thread th[4];

/* Each case runs in its own process, so the run queues start empty; @cur (may be NULL) is
 * the running thread. */
static void setup(struct thread *cur)
{
    memset(th, 0, sizeof(th));
    this_cpu()->current = NULL;
    this_cpu()->handoff = NULL;
    this_cpu()->direct = NULL;
    this_cpu()->ipc_direct = 0;
    this_cpu()->resched = false;
    th[0].prio = 10;
    th[1].prio = 20;
    th[2].prio = 20;
    th[3].prio = 30;
    if (cur != NULL) {
        cur->state = TS_RUNNING;
        this_cpu()->current = cur;
    }
}

static void picks_highest_priority(void)
{
    setup(NULL);
    sched_wake(&th[0]);
    sched_wake(&th[3]);
    sched_wake(&th[1]);
    UT_EXPECT(sched_next() == &th[3]);
    this_cpu()->current = &th[3];
    sched_block(&th[3], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[1]);
    this_cpu()->current = &th[1];
    sched_block(&th[1], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[0]);
    this_cpu()->current = &th[0];
    sched_block(&th[0], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == NULL);
}

static void tick_rotates_equal_priority(void)
{
    setup(&th[1]);
    sched_wake(&th[2]);
    UT_EXPECT(sched_next() == &th[1]); /* no tick: the current keeps the CPU */
    sched_tick();
    UT_EXPECT(sched_next() == &th[2]);
    this_cpu()->current = &th[2];
    sched_tick();
    UT_EXPECT(sched_next() == &th[1]);
}

static void handoff_runs_callee_directly(void)
{
    setup(&th[0]);
    sched_block(&th[0], TS_BLOCKED_REPLY); /* a call: the caller blocks, the server wakes */
    sched_wake(&th[3]);
    UT_EXPECT(this_cpu()->handoff == &th[3]);
    UT_EXPECT(!th[3].queued);
    UT_EXPECT(sched_next() == &th[3]);
    UT_EXPECT(this_cpu()->handoff == NULL);
}

static void handoff_yields_to_queued_higher(void)
{
    setup(&th[1]);
    sched_wake(&th[0]); /* prio 10 while nothing is queued: taken as the hand-off */
    sched_wake(&th[3]); /* prio 30 is queued */
    sched_block(&th[1], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[3]);
    this_cpu()->current = &th[3];
    sched_block(&th[3], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[0]); /* the hand-off was queued, not lost */
}

static void handoff_waits_for_running_higher(void)
{
    setup(&th[3]);
    sched_wake(&th[1]); /* the prio-30 current keeps running */
    UT_EXPECT(sched_next() == &th[3]);
    UT_EXPECT(th[1].queued);
    sched_block(&th[3], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[1]);
}

static void handoff_dropped_when_blocked(void)
{
    setup(&th[1]);
    sched_wake(&th[3]);
    sched_block(&th[3], TS_STOPPED); /* e.g. the woken vCPU is stopped in the same entry */
    UT_EXPECT(this_cpu()->handoff == NULL);
    UT_EXPECT(sched_next() == &th[1]);
}

static void handoff_second_wake_is_queued(void)
{
    setup(&th[0]);
    sched_wake(&th[1]);
    sched_wake(&th[3]);
    UT_EXPECT(this_cpu()->handoff == &th[1]);
    UT_EXPECT(th[3].queued);
    sched_block(&th[0], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[3]); /* the queued higher one beats the hand-off */
    this_cpu()->current = &th[3];
    sched_block(&th[3], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[1]);
}

/* Two vCPUs of one priority and a server above them: each exit is a call to the server and a
 * reply back. The replied-to vCPU must queue behind its waiting peer, not take the CPU again. */
static void handoff_equal_priority_round_robin(void)
{
    struct thread *server = &th[3];

    setup(&th[1]);                     /* vCPU A (prio 20) runs */
    sched_wake(&th[2]);                /* vCPU B (prio 20) is ready */
    UT_EXPECT(sched_next() == &th[1]); /* A keeps its slice; B waits in the queue */
    UT_EXPECT(th[2].queued);
    /* A exits: call to the server. */
    sched_block(&th[1], TS_BLOCKED_REPLY);
    sched_wake(server);
    UT_EXPECT(sched_next() == server);
    this_cpu()->current = server;
    /* The server replies to A and waits for the next call. */
    sched_wake(&th[1]);
    UT_EXPECT(this_cpu()->handoff == NULL); /* B is queued at the same priority */
    sched_block(server, TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[2]); /* B's turn */
}

/* A call from the running thread to a waiting server above everything queued: one step, no
 * queue touched, and sched_next() gives the server. */
static void direct_switch_skips_the_queues(void)
{
    setup(&th[0]);
    th[3].state = TS_BLOCKED_RECV;
    UT_EXPECT(sched_direct(&th[0], TS_BLOCKED_REPLY, &th[3]));
    UT_EXPECT(th[0].state == TS_BLOCKED_REPLY && th[3].state == TS_RUNNING);
    UT_EXPECT(!th[0].queued && !th[3].queued && this_cpu()->handoff == NULL);
    UT_EXPECT_EQ(this_cpu()->ipc_direct, 1);
    sched_wake(&th[3]); /* already on its way: no second place */
    UT_EXPECT(!th[3].queued);
    UT_EXPECT(sched_next() == &th[3]);
    UT_EXPECT(this_cpu()->direct == NULL);
}

/* Not taken, and nothing changed, when the woken thread would not run next by the ordinary
 * rules: an equal or higher priority queued, a hand-off pending, a remote home, or a caller
 * that is not the running thread. */
static void direct_switch_refused_unless_next_by_the_rules(void)
{
    setup(&th[1]);
    sched_wake(&th[2]); /* prio 20 queued: the same as th[2]'s peer th[1] */
    th[1].state = TS_RUNNING;
    UT_EXPECT(!sched_direct(&th[3], TS_BLOCKED_REPLY, &th[0])); /* th[3] is not running */
    UT_EXPECT(!sched_direct(&th[1], TS_BLOCKED_RECV, &th[0]));  /* prio 10 below the queue */
    UT_EXPECT(th[1].state == TS_RUNNING && th[0].state == 0);
    setup(&th[0]);
    sched_wake(&th[1]); /* the hand-off */
    UT_EXPECT(!sched_direct(&th[0], TS_BLOCKED_REPLY, &th[3]));
    setup(&th[0]);
    cpus[1].index = 1;
    th[3].cpu = 1;
    UT_EXPECT(!sched_direct(&th[0], TS_BLOCKED_REPLY, &th[3]));
    UT_EXPECT_EQ(this_cpu()->ipc_direct, 0);
}

/* Something woken between the direct switch and the scheduler's pass that outranks it runs
 * first; the direct thread is queued, not lost. Blocked meanwhile, it is dropped. */
static void direct_switch_yields_to_later_wake(void)
{
    setup(&th[0]);
    UT_EXPECT(sched_direct(&th[0], TS_BLOCKED_REPLY, &th[1]));
    sched_wake(&th[3]);
    UT_EXPECT(sched_next() == &th[3]);
    UT_EXPECT(th[1].queued);
    this_cpu()->current = &th[3];
    sched_block(&th[3], TS_BLOCKED_RECV);
    UT_EXPECT(sched_next() == &th[1]);
    setup(&th[0]);
    UT_EXPECT(sched_direct(&th[0], TS_BLOCKED_REPLY, &th[3]));
    sched_block(&th[3], TS_STOPPED);
    UT_EXPECT(this_cpu()->direct == NULL);
    UT_EXPECT(sched_next() == NULL);
}

static void queue_remove_unlinks_any_position(void)
{
    struct thread_queue q = {NULL, NULL};

    setup(NULL);
    thread_queue_push(&q, &th[0]);
    thread_queue_push(&q, &th[1]);
    thread_queue_push(&q, &th[2]);
    UT_EXPECT(!thread_queue_remove(&q, &th[3]));
    UT_EXPECT(thread_queue_remove(&q, &th[1])); /* middle */
    UT_EXPECT(q.head == &th[0] && th[0].next == &th[2]);
    UT_EXPECT(thread_queue_remove(&q, &th[2])); /* tail */
    UT_EXPECT(q.tail == &th[0] && th[0].next == NULL);
    UT_EXPECT(thread_queue_remove(&q, &th[0])); /* last one */
    UT_EXPECT(q.head == NULL && q.tail == NULL);
    UT_EXPECT(thread_queue_pop(&q) == NULL);
}

/* A thread homed on CPU 1 woken from CPU 0: queued there, CPU 1 kicked if it should look. */
static void wake_remote_queues_and_kicks(void)
{
    setup(NULL);
    cpus[1].index = 1;
    th[0].cpu = 1;
    th[3].cpu = 1;
    cpus[1].current = &th[3]; /* prio 30 runs there */
    sched_wake(&th[3]);       /* already current: nothing to do */
    UT_EXPECT(!th[3].queued);
    UT_EXPECT_EQ(host_kicks[1], 0);
    sched_wake(&th[0]); /* prio 10: queued, no kick */
    UT_EXPECT(th[0].queued);
    UT_EXPECT_EQ(host_kicks[1], 0);
    cpus[1].current = NULL; /* idle: kicked */
    th[1].cpu = 1;
    sched_wake(&th[1]);
    UT_EXPECT(th[1].queued);
    UT_EXPECT_EQ(host_kicks[1], 1);
    UT_EXPECT(this_cpu()->handoff == NULL); /* never another CPU's hand-off */
}

UT_MAIN({"picks_highest_priority", picks_highest_priority},
        {"queue_remove_unlinks_any_position", queue_remove_unlinks_any_position},
        {"wake_remote_queues_and_kicks", wake_remote_queues_and_kicks},
        {"handoff_equal_priority_round_robin", handoff_equal_priority_round_robin},
        {"tick_rotates_equal_priority", tick_rotates_equal_priority},
        {"handoff_runs_callee_directly", handoff_runs_callee_directly},
        {"handoff_yields_to_queued_higher", handoff_yields_to_queued_higher},
        {"handoff_waits_for_running_higher", handoff_waits_for_running_higher},
        {"handoff_dropped_when_blocked", handoff_dropped_when_blocked},
        {"handoff_second_wake_is_queued", handoff_second_wake_is_queued},
        {"direct_switch_skips_the_queues", direct_switch_skips_the_queues},
        {"direct_switch_refused_unless_next_by_the_rules",
         direct_switch_refused_unless_next_by_the_rules},
        {"direct_switch_yields_to_later_wake", direct_switch_yields_to_later_wake})
