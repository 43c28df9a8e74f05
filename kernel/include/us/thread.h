/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Threads: the schedulable unit. A server thread or the execution context of one vCPU. */
#pragma once

#include <understudy/msg.h>
#include <us/types.h>
#include <arch/regs.h>

struct process;
struct vcpu;
struct endpoint;
struct notification;

#define TS_INACTIVE 0u
#define TS_RUNNING 1u      /* current on a CPU, or ready in a run queue */
#define TS_BLOCKED_RECV 2u /* waiting on an endpoint (or its bound notification) */
#define TS_BLOCKED_SEND 3u /* queued on an endpoint for a receiver */
#define TS_BLOCKED_REPLY 4u
#define TS_BLOCKED_NTFN 5u
#define TS_STOPPED 6u
#define TS_FAULTED 7u
#define TS_BLOCKED_WFI 8u /* a vCPU idle in WFI until an interrupt is pending for it */
#define TS_PARKED 9u      /* a vCPU kept off its CPU while its VM's memory moves (vm_park()) */

struct thread {
    struct arch_regs regs; /* entry.S saves through this CPU's struct cpu.regs */
    struct arch_fpregs fp __attribute__((aligned(16)));
    uint32_t state;        /* TS_* */
    uint32_t prio;         /* 0..255 */
    uint32_t cpu;          /* home CPU: the only one it runs on (servers: 0) */
    bool queued;           /* in a run queue */
    bool forget_pending;   /* its home CPU must drop the state its registers hold */
    struct thread *next;   /* run-queue or endpoint-queue link */
    struct process *proc;  /* owning server; NULL for a vCPU */
    struct vcpu *vcpu;     /* non-NULL for a vCPU */
    struct us_msg *msg;    /* kernel view of the IPC buffer */
    struct thread *caller; /* who waits for this thread's reply */
    struct thread *callee; /* whose reply this thread waits for */
    struct endpoint *wait_ep;
    struct notification *wait_ntfn;
    us_badge_t send_badge; /* badge of the capability of a queued send */
};

struct thread_queue {
    struct thread *head, *tail;
};

void thread_queue_push(struct thread_queue *q, struct thread *t);
struct thread *thread_queue_pop(struct thread_queue *q);
/** thread_queue_remove() - unlink @t if it is in @q; returns whether it was. */
bool thread_queue_remove(struct thread_queue *q, struct thread *t);

/** thread_set_result() - set the syscall results a blocked thread sees when it resumes. */
void thread_set_result(struct thread *t, us_err_t e, uint64_t r1);
