/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Thread queues and syscall results of blocked threads. */
#include <us/thread.h>

void thread_queue_push(struct thread_queue *q, struct thread *t)
{
    t->next = NULL;
    if (q->tail != NULL) {
        q->tail->next = t;
    } else {
        q->head = t;
    }
    q->tail = t;
}

struct thread *thread_queue_pop(struct thread_queue *q)
{
    struct thread *t = q->head;
    if (t != NULL) {
        q->head = t->next;
        if (q->head == NULL) {
            q->tail = NULL;
        }
        t->next = NULL;
    }
    return t;
}

bool thread_queue_remove(struct thread_queue *q, struct thread *t)
{
    struct thread *prev = NULL, *cur = q->head;

    while (cur != NULL && cur != t) {
        prev = cur;
        cur = cur->next;
    }
    if (cur == NULL) {
        return false;
    }
    if (prev != NULL) {
        prev->next = cur->next;
    } else {
        q->head = cur->next;
    }
    if (q->tail == cur) {
        q->tail = prev;
    }
    cur->next = NULL;
    return true;
}

void thread_set_result(struct thread *t, us_err_t e, uint64_t r1)
{
    arch_regs_set(&t->regs, 0, (uint64_t)e);
    arch_regs_set(&t->regs, 1, r1);
}
