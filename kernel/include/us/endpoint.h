/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Synchronous IPC endpoints: call, reply-and-receive, receive. */
#pragma once

#include <us/thread.h>

struct endpoint {
    struct thread_queue senders;   /* threads blocked in call, waiting for a receiver */
    struct thread_queue receivers; /* threads blocked in recv */
    struct notification *bound;    /* woken receivers may get notification bits instead */
    struct process *owner;         /* the server that receives on it */
    bool in_use;
};

/** endpoint_call() - @t sends its message to @ep with @badge and waits for the reply.
 * Returns: US_OK (the thread is blocked or its message delivered); US_ETRUNC if the message
 * header's length is out of bounds; US_EABORT if the endpoint's owner has faulted. */
us_err_t endpoint_call(struct endpoint *ep, struct thread *t, us_badge_t badge);

/** endpoint_recv() - @t waits on @ep, or takes a queued sender or pending notification bits. */
void endpoint_recv(struct endpoint *ep, struct thread *t);

/** endpoint_recv_after_reply() - endpoint_recv() for a server that just answered @replied
 * (NULL: nobody) with endpoint_reply_held(): @replied is woken, or, when @t blocks and
 * nothing queued outranks @replied, this CPU switches to it directly (sched_direct()). */
void endpoint_recv_after_reply(struct endpoint *ep, struct thread *t, struct thread *replied);

/** endpoint_reply_held() - @t replies to its caller with its message. The caller it makes
 * runnable is returned in @held (NULL if none), not woken: the server's receive decides how
 * it runs. Returns: US_OK; US_ENOENT if nobody waits for a reply; US_ETRUNC for a bad
 * length; US_EINVAL if a vCPU resume message is malformed. On an error nobody is left
 * waiting: a client's call fails with US_EABORT, a vCPU's exit is queued on @t's endpoint
 * again. */
us_err_t endpoint_reply_held(struct thread *t, struct thread **held);

/** endpoint_abort_owner() - the owner of @ep died: fail queued senders with US_EABORT,
 * except vCPUs, which keep waiting. */
void endpoint_abort_owner(struct endpoint *ep);

/** ipc_copy() - copy a message between threads' buffers; hdr.len already validated. */
void ipc_copy(struct us_msg *dst, const struct us_msg *src);
