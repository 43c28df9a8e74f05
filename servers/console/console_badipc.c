/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The malformed-IPC battery behind `debug badipc` (debug builds only): real syscalls with bad
 * handles, lengths, labels and capabilities, each checked against the error the kernel or
 * server documents; and what a server must never see of the guests that share its CPU. */
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <understudy/vmm.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "console.h"

struct badipc_run {
    char *out;
    size_t len, used;
    uint32_t pass, total;
};

static void expect(struct badipc_run *r, const char *what, us_err_t got, us_err_t want)
{
    int n;
    bool ok = got == want;

    r->total++;
    r->pass += ok ? 1u : 0u;
    if (r->used >= r->len) {
        return;
    }
    n = us_snprintf(r->out + r->used, r->len - r->used, "badipc: %-28s got %-11s want %-11s %s\n",
                    what, us_err_name(got), us_err_name(want), ok ? "ok" : "FAIL");
    if (n > 0) {
        r->used += (size_t)n;
        if (r->used > r->len) {
            r->used = r->len;
        }
    }
}

/* Call vmm with a hand-built header; the reply's err field is the server's verdict. */
static us_err_t call_vmm(uint32_t label, uint32_t len, us_err_t *server_err)
{
    struct us_msg *m = us_msgbuf();
    us_err_t e;

    m->hdr.label = label;
    m->hdr.len = (uint16_t)len;
    m->hdr.flags = 0;
    m->hdr.err = 0;
    m->hdr.cap = US_INVALID_CAP;
    e = us_call(US_SLOT_VMM_EP);
    *server_err = e == US_OK ? (us_err_t)m->hdr.err : US_OK;
    return e;
}

/* US_OK if a server's thread ID registers are clear: the kernel must not leave the last
 * guest's in them (servers keep no thread pointer of their own). */
static us_err_t thread_regs_clear(void)
{
    return us_cpu_thread_ids_foreign() ? US_EEXIST : US_OK;
}

us_err_t console_badipc(void *ctx, char *out, size_t len)
{
    struct badipc_run r = {out, len, 0, 0, 0};
    const uint64_t bad_args[6] = {0, 0, 0, 0, 0, 0};
    us_err_t srv;
    us_cap_t vm;
    uint64_t v;

    (void)ctx;
    out[0] = '\0';
    expect(&r, "call: handle out of range", us_call(999), US_ERANGE);
    expect(&r, "call: empty slot", us_call(40), US_ECAP);
    expect(&r, "call: memory cap as endpoint", us_call(US_SLOT_CONSOLE_GUEST_RINGS), US_ECAP);
    expect(&r, "recv: send-only endpoint", us_recv(US_SLOT_VMM_EP, NULL), US_ECAP);
    expect(&r, "vm_create: no vm_control cap", us_vm_create(US_SLOT_CONSOLE_KLOG, &vm, NULL),
           US_ECAP);
    expect(&r, "signal: endpoint as ntfn", us_signal(US_SLOT_VMM_EP, 1), US_ECAP);
    expect(&r, "call: oversized length", call_vmm(US_VMM_VM_COUNT, 5000, &srv), US_ETRUNC);
    expect(&r, "vmm: unknown label", call_vmm(0xdead, 0, &srv) == US_OK ? srv : US_EINVAL,
           US_ENOTSUP);
    expect(&r, "vmm: truncated vm_info",
           call_vmm(US_VMM_VM_INFO, 0, &srv) == US_OK ? srv : US_EINVAL, US_ETRUNC);
    expect(&r, "vmm: vm_info slot 999",
           (us_msgbuf()->w[0] = 999, call_vmm(US_VMM_VM_INFO, 8, &srv) == US_OK ? srv : US_EINVAL),
           US_ENOENT);
    expect(&r, "vmm: truncated vm_create",
           call_vmm(US_VMM_VM_CREATE, 16, &srv) == US_OK ? srv : US_EINVAL, US_ETRUNC);
    expect(
        &r, "vmm: vm_create unterminated name",
        (memset(us_msgbuf()->w, 'A', sizeof(struct us_vm_create)),
         call_vmm(US_VMM_VM_CREATE, sizeof(struct us_vm_create), &srv) == US_OK ? srv : US_EINVAL),
        US_EINVAL);
    expect(
        &r, "vmm: vm_retire slot 999",
        (us_msgbuf()->w[0] = 999, call_vmm(US_VMM_VM_RETIRE, 8, &srv) == US_OK ? srv : US_EINVAL),
        US_ENOENT);
    expect(&r, "syscall: unknown number", us_syscall_raw(999, bad_args, NULL), US_ENOTSUP);
    expect(&r, "log: unmapped buffer", us_log_write(US_LOG_LEVEL_INFO, (const char *)16, 8),
           US_ERANGE);
    expect(&r, "log: oversized", us_log_write(US_LOG_LEVEL_INFO, "x", 100000), US_ETRUNC);
    /* The UART's window; on x86_64 the UART is behind ports and nothing is mapped there. */
    expect(&r, "log: buffer in MMIO",
           us_log_write(US_LOG_LEVEL_INFO, (const char *)(uintptr_t)CONSOLE_UART_VA, 8), US_ERANGE);
    expect(&r, "isolation: guest tpidr regs", thread_regs_clear(), US_OK);
    expect(&r, "mem_map: below dynamic VAs",
           us_mem_map(US_SLOT_CONSOLE_GUEST_RINGS, 0x1000, US_RIGHT_READ), US_ERANGE);
    expect(&r, "mem_map: W+X",
           us_mem_map(US_SLOT_CONSOLE_GUEST_RINGS, US_VA_DYNAMIC + 0x800000,
                      US_RIGHT_WRITE | US_RIGHT_EXEC | US_RIGHT_READ),
           US_ECAP);
    expect(&r, "server_ctl: index 99",
           us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_INFO, 99, &v), US_ERANGE);
    expect(&r, "reply_recv: no recv right", us_reply_recv(US_SLOT_DEVMGR_EP, NULL), US_ECAP);
    if (r.used < r.len) {
        (void)us_snprintf(out + r.used, r.len - r.used, "badipc: %u/%u ok\n", r.pass, r.total);
    }
    return US_OK;
}
