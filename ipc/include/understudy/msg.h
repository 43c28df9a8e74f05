/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* IPC message layout: the per-thread IPC buffer that call/reply/recv copy between threads. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <understudy/abi.h>
#include <understudy/errors.h>

#define US_MSG_WORDS 30u
#define US_MSG_MAX_LEN (US_MSG_WORDS * 8u)

/* hdr.len counts payload bytes in w[]; the kernel copies exactly hdr.len bytes. */
struct us_msg_hdr {
    uint32_t label; /* protocol-specific request or reply label */
    uint16_t len;   /* payload bytes, at most US_MSG_MAX_LEN */
    uint16_t flags; /* US_MSGF_* */
    uint32_t err;   /* replies: a us_err_t; requests: 0 */
    uint32_t cap;   /* reserved for capability transfer; US_INVALID_CAP */
};
_Static_assert(sizeof(struct us_msg_hdr) == 16, "us_msg_hdr is ABI");

struct us_msg {
    _Alignas(16) struct us_msg_hdr hdr; /* 16: copied a pair of words at a time (lib/string.c) */
    uint64_t w[US_MSG_WORDS];
};
_Static_assert(sizeof(struct us_msg) == 256, "us_msg is ABI");

/* Page at US_VA_IPC_BUF in every server thread. */
struct us_ipc_buf {
    struct us_msg msg;
    uint8_t data[US_PAGE_SIZE - sizeof(struct us_msg)]; /* scratch owned by the thread */
};
_Static_assert(sizeof(struct us_ipc_buf) == 4096, "us_ipc_buf is one page");

/* Labels below this are reserved for protocol-independent meanings. */
#define US_LABEL_VCPU_EXIT 1u /* the kernel's exit message, see vcpu.h */
#define US_LABEL_PING 2u      /* every server answers with US_OK and its name in data */
/* recv returns this label when the endpoint's bound notification fired instead of a call;
 * the badge result then holds the notification bits. */
#define US_LABEL_NOTIFY 3u
/* Debug builds, servers that keep state (us_serve_state()): flip a byte of the committed state,
 * which the next restart must then refuse; US_ENOTSUP otherwise. */
#define US_LABEL_STATE_FLIP 4u
/* Debug builds, every server (its runtime answers, docs/restart.md): the fault injector.
 * w[0] is US_FAULT_HANG (the server spins without answering, until the kernel's watchdog
 * restarts it), US_FAULT_GARBLE (its next reply, to whoever, gets a wrong label and
 * scrambled words) or US_FAULT_EXHAUST (handled by the server itself; US_ENOTSUP from one
 * that allocates nothing); US_ENOTSUP in release builds. */
#define US_LABEL_FAULT 5u
#define US_FAULT_HANG 1u
#define US_FAULT_GARBLE 2u
#define US_FAULT_EXHAUST 3u /* passed to the server: one with a memory quota takes all of it */
/* The server touches an I/O port it was not given (port 0x80), which faults it; US_ENOTSUP on
 * an architecture without ports, or if the access went through. */
#define US_FAULT_PORTS 4u
/* The server's runtime writes a SIMD register (us_cpu_fp_mark()) and answers: a caller's own
 * FP registers must not show it (`server fpcheck`). */
#define US_FAULT_FP 5u
/* Every server's runtime answers with an empty US_OK reply, before the server's handler and
 * without sealing its state: what the IPC itself costs (`debug ipcbench`). */
#define US_LABEL_ECHO 6u
#define US_LABEL_PROTO_BASE 0x100u

/** us_msg_check() - validate a received header before any field is used.
 * @len_min, @len_max: payload bounds the label requires.
 * Returns: US_OK, or US_ETRUNC when hdr.len is outside [len_min, len_max] or the buffer. */
static inline us_err_t us_msg_check(const struct us_msg *m, uint32_t len_min, uint32_t len_max)
{
    if (m->hdr.len > US_MSG_MAX_LEN || m->hdr.len < len_min || m->hdr.len > len_max) {
        return US_ETRUNC;
    }
    return US_OK;
}

static inline void us_msg_init(struct us_msg *m, uint32_t label, uint16_t len)
{
    m->hdr.label = label;
    m->hdr.len = len;
    m->hdr.flags = 0;
    m->hdr.err = 0;
    m->hdr.cap = US_INVALID_CAP;
}

/** us_msg_reply_err() - turn the request in @m into an empty reply carrying @err. */
static inline void us_msg_reply_err(struct us_msg *m, us_err_t err)
{
    us_msg_init(m, m->hdr.label, 0);
    m->hdr.err = (uint32_t)err;
}

/** us_msg_reply_why() - turn the request in @m into a refusal: @err, and @why as one
 * NUL-terminated text (cut to fit), for the operator to read. */
static inline void us_msg_reply_why(struct us_msg *m, us_err_t err, const char *why)
{
    size_t n = __builtin_strlen(why);

    n = n < US_MSG_MAX_LEN - 1u ? n : US_MSG_MAX_LEN - 1u;
    us_msg_init(m, m->hdr.label, (uint16_t)(n + 1u));
    __builtin_memcpy(m->w, why, n);
    ((char *)m->w)[n] = '\0';
    m->hdr.err = (uint32_t)err;
}
