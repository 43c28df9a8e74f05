/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The server-side runtime: syscall wrappers, the IPC buffer, boot info and logging. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <understudy/abi.h>
#include <understudy/errors.h>
#include <understudy/manifest.h>
#include <understudy/msg.h>
#include <understudy/syscalls.h>

/** us_ipc() - this thread's IPC buffer: messages are built and received here. */
static inline struct us_ipc_buf *us_ipc(void)
{
    return (struct us_ipc_buf *)(uintptr_t)US_VA_IPC_BUF;
}

static inline struct us_msg *us_msgbuf(void)
{
    return &us_ipc()->msg;
}

static inline const struct us_bootinfo *us_bootinfo(void)
{
    return (const struct us_bootinfo *)(uintptr_t)US_VA_BOOTINFO;
}

/* Every wrapper returns the kernel's us_err_t; results go out through pointers (may be NULL
 * where noted). The errors each call can return are listed in kernel/include/us/ headers and
 * docs/syscalls.md. */
us_err_t us_log_write(uint32_t level, const char *s, size_t n);
us_err_t us_call(us_cap_t ep);
/** us_ask() - the request in the IPC buffer to @ep, as a client stub: a reply under another
 * label than the request's is refused (US_ECORRUPT, logged); if @retry (the request may be
 * done twice), a call that fails because the server restarted (US_EABORT) or a refused reply
 * is asked again, a few times. Returns: the call's error, else the reply's hdr.err. */
us_err_t us_ask(us_cap_t ep, bool retry);
/** us_fault_hang() - the fault injector's hang (US_FAULT_HANG): log it, then spin without
 * answering anything, until the kernel's watchdog restarts the server. */
_Noreturn void us_fault_hang(void);
us_err_t us_reply_recv(us_cap_t ep, us_badge_t *badge);
us_err_t us_recv(us_cap_t ep, us_badge_t *badge);
us_err_t us_signal(us_cap_t ntfn, uint64_t bits);
us_err_t us_wait(us_cap_t ntfn, uint64_t *bits);
us_err_t us_poll(us_cap_t ntfn, uint64_t *bits);
us_err_t us_yield(void);
us_err_t us_recovers(void);
us_err_t us_irq_ack(us_cap_t irq);
us_err_t us_mem_alloc(us_cap_t vm_control, uint64_t size, us_cap_t *mem);
us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights);
us_err_t us_mem_unmap(us_cap_t mem);
us_err_t us_mem_free(us_cap_t mem);
/** us_mem_slice() - a new capability (@slice) for bytes [@offset, @offset + @size) of the
 * device window @mem (write right): what a stage 2 may map of it, e.g. one BAR of a PCI
 * function passed through. US_ENOTSUP for RAM; US_EINVAL for a range outside it or not page
 * aligned. us_mem_free() drops a slice mapped nowhere. */
us_err_t us_mem_slice(us_cap_t mem, uint64_t offset, uint64_t size, us_cap_t *slice);
/** us_mem_info() - @mem's size, and its physical address when @pa is not NULL: that pins it
 * where it is (US_MEM_INFO_PA). */
us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa);
/** us_mem_where() - @mem's physical address now, for a report: it may move later. */
us_err_t us_mem_where(us_cap_t mem, uint64_t *pa);
us_err_t us_vm_create(us_cap_t vm_control, us_cap_t *vm, uint32_t *vmid);
us_err_t us_vm_map(us_cap_t vm, us_cap_t mem, uint64_t ipa, uint32_t rights);
us_err_t us_vm_destroy(us_cap_t vm);
us_err_t us_vcpu_create(us_cap_t vm, uint32_t index, us_cap_t ep, us_badge_t badge, uint32_t cpu,
                        us_cap_t *vcpu);
us_err_t us_vcpu_start(us_cap_t vcpu, uint64_t pc, uint64_t x0);
us_err_t us_vcpu_stop(us_cap_t vcpu);
us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid);
us_err_t us_vm_fastmmio(us_cap_t vm, uint64_t ipa, uint32_t kind, us_cap_t mem, uint64_t offset,
                        us_cap_t ntfn);
us_err_t us_server_ctl(us_cap_t ctl, uint32_t op, uint32_t index, uint64_t *r1);
/** us_server_ctl_mem() - US_SERVER_CTL_MEM_* on [@base, @base + @size); its results (x1 to x3)
 * in @r (may be NULL). */
us_err_t us_server_ctl_mem(us_cap_t ctl, uint32_t op, uint64_t base, uint64_t size, uint64_t r[3]);
us_err_t us_klog_read(us_cap_t klog, uint64_t cursor, uint64_t max, uint64_t *next,
                      uint64_t *count);

/** us_syscall_raw() - issue syscall @nr with six arguments; for tests of the kernel's input
 * checks. @out receives x1..x3 (may be NULL). */
us_err_t us_syscall_raw(uint64_t nr, const uint64_t args[6], uint64_t out[3]);

/** us_logf() - format a line and append it to the kernel log under this server's name. */
void us_logf(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define US_LOG_ERR(...) us_logf(US_LOG_LEVEL_ERR, __VA_ARGS__)
#define US_LOG_WARN(...) us_logf(US_LOG_LEVEL_WARN, __VA_ARGS__)
#define US_LOG_INFO(...) us_logf(US_LOG_LEVEL_INFO, __VA_ARGS__)
#define US_LOG_DBG(...) us_logf(US_LOG_LEVEL_DBG, __VA_ARGS__)

/** us_fatal() - log and stop this server by faulting: the kernel reports it, others go on. */
_Noreturn void us_fatal(const char *what);

#define US_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            us_fatal("CHECK failed: " #cond);                                                      \
        }                                                                                          \
    } while (0)

/* A server's handler of one message in @m from the sender badged @badge; it leaves the reply
 * in @m and never blocks (see docs/ipc-graph.md for the calls it may make). */
typedef void us_serve_fn(void *ctx, us_badge_t badge, struct us_msg *m);

/** us_serve_step() - one turn of a server loop: @fn handles the message in @m (this thread's
 * IPC buffer) from *@badge, then reply and wait on @ep for the next, whose badge goes to
 * *@badge. A refused reply is logged at ERR and the server waits afresh: no message is
 * handled twice. */
void us_serve_step(us_cap_t ep, us_serve_fn *fn, void *ctx, struct us_msg *m, us_badge_t *badge);

/** us_serve() - wait on @ep for the first message, then us_serve_step() forever. */
_Noreturn void us_serve(us_cap_t ep, us_serve_fn *fn, void *ctx);

/* A server's state region at US_VA_STATE: its live state is the first @size bytes, kept as
 * uslib/state.h says (a sealed copy of it as of the last message handled). */
struct us_state_desc {
    uint64_t size;
    uint32_t magic;
    uint32_t version;
    /* Called with the server's ctx after each commit (may be NULL): input the committed state
     * has taken can now be released to its producers (us_ring_release()). */
    void (*committed)(void *ctx);
};

/** us_sha256_fast() - hash with the CPU's SHA-256 instructions from now on, when it has them
 * and they agree with the C code on a test buffer (else an ERR line, and the C code stays).
 * us_state_start() calls it: every message's seal is a SHA-256 of the whole state. */
void us_sha256_fast(void);

/** us_state_start() - take up the state region: the state as of the last message the previous
 * instance handled, after a restart; zeroed on a cold start, or when that copy fails its
 * checks (logged at ERR: the server rebuilds what it can). Then tell the kernel that this
 * server recovers, so that a fault restarts it.
 * Returns: STATE_COLD, STATE_RECOVERED or STATE_CORRUPT (uslib/state.h). */
int us_state_start(const struct us_state_desc *sd);

/** us_state_refusal() - why us_state_start() refused the region (its ERR line's reason), for a
 * server whose log is not yet shown when it starts (the console). Returns: NULL if it did not. */
const char *us_state_refusal(void);

/** us_serve_state() - us_serve(), committing the state after each message handled. Debug
 * builds also answer US_LABEL_STATE_FLIP (the fault tests' corrupt region). */
_Noreturn void us_serve_state(us_cap_t ep, us_serve_fn *fn, void *ctx,
                              const struct us_state_desc *sd);
