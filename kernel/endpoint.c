/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Synchronous IPC: a call blocks the sender until the receiver replies; one copy each way. */
#include <uslib/string.h>
#include <us/endpoint.h>
#include <us/log.h>
#include <us/notification.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/arch/vcpu.h>

/* Both are 16-byte aligned: pairs of words, without memcpy()'s checks. Exactly the message's
 * bytes: the rest of the sender's buffer is not the receiver's to see. */
void ipc_copy(struct us_msg *dst, const struct us_msg *src)
{
    typedef unsigned __int128 __attribute__((may_alias)) pair_t;
    pair_t *dp = (pair_t *)(void *)dst;
    const pair_t *sp = (const pair_t *)(const void *)src;
    uint32_t n = (uint32_t)sizeof(struct us_msg_hdr) + src->hdr.len, i = 0;

    for (; i + 64u <= n; i += 64u, dp += 4, sp += 4) {
        dp[0] = sp[0];
        dp[1] = sp[1];
        dp[2] = sp[2];
        dp[3] = sp[3];
    }
    if (i + 32u <= n) {
        dp[0] = sp[0];
        dp[1] = sp[1];
        dp += 2;
        sp += 2;
        i += 32u;
    }
    if (i + 16u <= n) {
        *dp++ = *sp++;
        i += 16u;
    }
    if (i + 8u <= n) {
        *(uint64_t *)(void *)dp = *(const uint64_t *)(const void *)sp;
        i += 8u;
    }
    if (i < n) {
        memcpy((char *)dst + i, (const char *)src + i, n - i); /* the last 1-7 bytes */
    }
}

static bool owner_dead(const struct endpoint *ep)
{
    return ep->owner != NULL && ep->owner->state == US_SERVER_FAULTED;
}

/* Hand @s's message to @r; @s now waits for @r's reply. A vCPU's exit message is built in
 * @r's buffer: it is never copied. */
static void deliver(struct thread *s, struct thread *r, us_badge_t badge)
{
    if (s->vcpu != NULL) {
        arch_vcpu_exit_msg(s->vcpu, r->msg);
    } else {
        ipc_copy(r->msg, s->msg);
    }
    thread_set_result(r, US_OK, badge);
    r->caller = s;
    r->wait_ep = NULL;
    s->callee = r;
    s->wait_ep = NULL;
    if (!sched_direct(s, TS_BLOCKED_REPLY, r)) {
        sched_block(s, TS_BLOCKED_REPLY);
        sched_wake(r);
    }
}

static void wake(struct thread *t)
{
    if (t != NULL) {
        sched_wake(t);
    }
}

us_err_t endpoint_call(struct endpoint *ep, struct thread *t, us_badge_t badge)
{
    if (t->msg->hdr.len > US_MSG_MAX_LEN) {
        return US_TRACE(US_ETRUNC);
    }
    if (owner_dead(ep) && t->vcpu == NULL) {
        return US_EABORT;
    }
    if (ep->receivers.head != NULL) {
        deliver(t, thread_queue_pop(&ep->receivers), badge);
        return US_OK;
    }
    t->send_badge = badge;
    t->wait_ep = ep;
    thread_queue_push(&ep->senders, t);
    sched_block(t, TS_BLOCKED_SEND);
    return US_OK;
}

/* A server that receives again without replying drops its caller: fail it rather than
 * leave it blocked for ever. A vCPU stops, as it cannot be told. */
static void drop_caller(struct thread *t)
{
    struct thread *c = t->caller;

    t->caller = NULL;
    c->callee = NULL;
    if (c->vcpu != NULL) {
        US_LOG_WARN("%s dropped an exit of a vCPU; it stops", t->proc ? t->proc->name : "?");
        vcpu_stop(c->vcpu);
        return;
    }
    thread_set_result(c, US_EABORT, 0);
    sched_wake(c);
}

void endpoint_recv_after_reply(struct endpoint *ep, struct thread *t, struct thread *replied)
{
    struct thread *s;

    if (t->caller != NULL) {
        drop_caller(t);
    }
    if (ep->bound != NULL && ep->bound->bits != 0) {
        wake(replied);
        us_msg_init(t->msg, US_LABEL_NOTIFY, 0);
        thread_set_result(t, US_OK, notification_poll(ep->bound));
        return;
    }
    s = thread_queue_pop(&ep->senders);
    if (s != NULL) {
        wake(replied);
        deliver(s, t, s->send_badge);
        return;
    }
    t->wait_ep = ep;
    thread_queue_push(&ep->receivers, t);
    /* Nothing for @t: the CPU can go straight back to the thread it answered. */
    if (replied == NULL || !sched_direct(t, TS_BLOCKED_RECV, replied)) {
        sched_block(t, TS_BLOCKED_RECV);
        wake(replied);
    }
}

void endpoint_recv(struct endpoint *ep, struct thread *t)
{
    endpoint_recv_after_reply(ep, t, NULL);
}

us_err_t endpoint_reply_held(struct thread *t, struct thread **held)
{
    struct thread *c = t->caller;
    us_err_t e;

    *held = NULL;
    if (c == NULL) {
        return US_TRACE(US_ENOENT);
    }
    e = t->msg->hdr.len > US_MSG_MAX_LEN ? US_TRACE(US_ETRUNC) : US_OK;
    if (e == US_OK && c->vcpu != NULL) {
        e = vcpu_apply_resume(c->vcpu, t->msg);
    } else if (e == US_OK) {
        ipc_copy(c->msg, t->msg);
        thread_set_result(c, US_OK, 0);
    }
    t->caller = NULL;
    c->callee = NULL;
    if (e != US_OK && c->vcpu != NULL && t->proc != NULL) {
        /* A reply the vCPU cannot take: its exit is delivered again, as after a restart. */
        c->wait_ep = t->proc->ep;
        thread_queue_push(&t->proc->ep->senders, c);
        c->state = TS_BLOCKED_SEND;
        return e;
    }
    if (e != US_OK) {
        thread_set_result(c, US_EABORT, 0); /* nobody waits for a reply that will not come */
    }
    if (c->state == TS_BLOCKED_REPLY) {
        *held = c;
    }
    return e;
}

void endpoint_abort_owner(struct endpoint *ep)
{
    struct thread_queue keep = {NULL, NULL};
    struct thread *s;

    while ((s = thread_queue_pop(&ep->senders)) != NULL) {
        if (s->vcpu != NULL) {
            thread_queue_push(&keep, s);
            continue;
        }
        s->wait_ep = NULL;
        thread_set_result(s, US_EABORT, 0);
        sched_wake(s);
    }
    ep->senders = keep;
    ep->receivers.head = NULL;
    ep->receivers.tail = NULL;
}
