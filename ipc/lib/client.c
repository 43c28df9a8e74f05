/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The client side of a call: what a caller does when its server restarts under it or answers
 * with something that is not an answer (docs/restart.md). */
#include <stdbool.h>
#include <understudy/usys.h>
#include <uslib/string.h>

/* Calls of one request in all: a server's restart takes a few milliseconds, and each try
 * waits until the new instance is back to receive. */
#define ASK_TRIES 8u

us_err_t us_ask(us_cap_t ep, bool retry)
{
    struct us_msg *m = us_msgbuf();
    struct us_msg req;
    uint32_t label = m->hdr.label;
    size_t n = sizeof(m->hdr) + (m->hdr.len <= US_MSG_MAX_LEN ? m->hdr.len : 0u);
    us_err_t e;

    memcpy(&req, m, n);
    for (uint32_t i = 1;; i++) {
        e = us_call(ep);
        if (e == US_OK && m->hdr.label != label) {
            US_LOG_WARN("a reply to label 0x%x came back as label 0x%x: refused", label,
                        m->hdr.label);
            e = US_ECORRUPT;
        }
        if (e == US_OK) {
            return (us_err_t)m->hdr.err;
        }
        /* US_EABORT: the server died or restarted before it answered. Asked again only if the
         * request may be done twice. */
        if (!retry || i == ASK_TRIES || (e != US_EABORT && e != US_ECORRUPT)) {
            return e;
        }
        memcpy(m, &req, n);
        (void)us_yield();
    }
}
