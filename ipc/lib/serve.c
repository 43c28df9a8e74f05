/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Every server's receive/dispatch/reply loop, so each handles a refused reply the same way. */
#include <stdbool.h>
#include <understudy/cpu.h>
#include <understudy/usys.h>

/* Reply with what is in the IPC buffer and wait on @ep for the next message. */
static void reply_and_wait(us_cap_t ep, us_badge_t *badge)
{
    us_err_t e = us_reply_recv(ep, badge);

    if (e != US_OK) {
        /* The kernel refused our reply (too long, or a malformed vCPU resume) and did not
         * receive: the buffer still holds the message just handled, which must not be
         * dispatched again. An Understudy bug, but the server keeps serving. */
        US_LOG_ERR("reply refused: %s", us_err_name(e));
        US_CHECK(us_recv(ep, badge) == US_OK);
    }
}

static bool garble_next; /* the next reply is scrambled (US_FAULT_GARBLE) */

_Noreturn void us_fault_hang(void)
{
    US_LOG_WARN("hanging (fault injection): no answer from here on");
    for (;;) {
        __asm__ volatile("" ::: "memory");
    }
}

/* Debug builds: US_LABEL_FAULT, answered here for every server. Returns false for any other
 * message. */
static bool fault_request(struct us_msg *m, us_badge_t badge)
{
    uint64_t kind = us_msg_check(m, 8, 8) == US_OK ? m->w[0] : 0;

    if (m->hdr.label != US_LABEL_FAULT || (badge & US_BADGE_VCPU) || kind == US_FAULT_EXHAUST) {
        return false; /* the server's own, if it has memory to exhaust */
    }
#ifdef US_DEBUG
    if (kind == US_FAULT_HANG) {
        us_fault_hang();
    }
    if (kind == US_FAULT_PORTS) {
        US_LOG_WARN("touching an I/O port not given (fault injection)");
        us_cpu_port_touch();
        us_msg_reply_err(m, US_ENOTSUP); /* no port space, or the kernel let it through */
        return true;
    }
    if (kind == US_FAULT_FP) {
        us_cpu_fp_mark(0xa5a5a5a5a5a5a5a5ull); /* what a caller that lost its registers reads */
        us_msg_init(m, US_LABEL_FAULT, 0);
        return true;
    }
    if (kind == US_FAULT_GARBLE) {
        US_LOG_WARN("the next reply will be garbled (fault injection)");
        garble_next = true;
        us_msg_init(m, US_LABEL_FAULT, 0);
        return true;
    }
    us_msg_reply_err(m, US_EINVAL);
#else
    us_msg_reply_err(m, US_ENOTSUP);
#endif
    return true;
}

/* The reply in @m, scrambled: a label nobody asked with, words turned over. */
static void garble(struct us_msg *m)
{
    m->hdr.label ^= 0x5a5au;
    for (uint32_t i = 0; i < m->hdr.len / 8u && i < US_MSG_MAX_LEN / 8u; i++) {
        m->w[i] = ~m->w[i] * 0x9e3779b97f4a7c15ull;
    }
}

void us_serve_step(us_cap_t ep, us_serve_fn *fn, void *ctx, struct us_msg *m, us_badge_t *badge)
{
    /* A notification has nobody to reply to: the garbling waits for a reply that reaches
     * someone, or the fault would vanish unseen. */
    bool to_someone = m->hdr.label != US_LABEL_NOTIFY;

    if (m->hdr.label == US_LABEL_ECHO && !(*badge & US_BADGE_VCPU)) {
        us_msg_init(m, US_LABEL_ECHO, 0);
    } else if (!fault_request(m, *badge)) {
        fn(ctx, *badge, m);
        if (garble_next && to_someone) {
            garble_next = false;
            garble(m);
        }
    }
    reply_and_wait(ep, badge);
}

_Noreturn void us_serve(us_cap_t ep, us_serve_fn *fn, void *ctx)
{
    us_badge_t badge;

    US_CHECK(us_recv(ep, &badge) == US_OK);
    for (;;) {
        us_serve_step(ep, fn, ctx, us_msgbuf(), &badge);
    }
}
