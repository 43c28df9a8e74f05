/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* console server: drives the UART (uart_<name>.c), prints the kernel log, routes guest consoles,
 * and backs the shell's commands with IPC to vmm and devmgr and server-control syscalls. */
#include <understudy/cpu.h>
#include <understudy/devmgr.h>
#include <understudy/migrate.h>
#include <understudy/slots.h>
#include <understudy/vmm.h>
#include <uslib/string.h>
#include <uslib/state.h>
#include "console.h"

static void be_write(void *ctx, const char *s, size_t n)
{
    console_uart_write(ctx, s, n);
}

/* One request to a server; the reply is left in the IPC buffer. */
/* A request already in the IPC buffer. Questions are asked again if the server restarts
 * under them; what changes the system (create, retire, start a flow, typed input) is not. */
static us_err_t ask(us_cap_t ep, uint32_t label, uint16_t len)
{
    bool change = label == US_VMM_VM_CREATE || label == US_VMM_VM_RETIRE ||
                  label == US_VMM_GUEST_IN || label == US_MIGRATE_MAINT_START ||
                  label == US_MIGRATE_MAINT_ABORT || label == US_DEVMGR_REMOVE;

    us_msg_init(us_msgbuf(), label, len);
    return us_ask(ep, !change);
}

static us_err_t be_vm_count(void *ctx, uint32_t *n)
{
    us_err_t e = ask(US_SLOT_VMM_EP, US_VMM_VM_COUNT, 0);
    (void)ctx;
    *n = e == US_OK ? (uint32_t)us_msgbuf()->w[0] : 0;
    return e;
}

static us_err_t be_vm_info(void *ctx, uint32_t slot, struct us_vm_info *out)
{
    us_err_t e;
    (void)ctx;
    us_msgbuf()->w[0] = slot;
    e = ask(US_SLOT_VMM_EP, US_VMM_VM_INFO, 8);
    if (e == US_OK && us_msgbuf()->hdr.len < sizeof(*out)) {
        e = US_ETRUNC;
    }
    if (e == US_OK) {
        memcpy(out, us_msgbuf()->w, sizeof(*out));
    }
    return e;
}

/* The reason text a refusal from the vmm carries, if any. */
/* The text a reply carries (a refusal's reason, or a note) into @why. */
static void text_of(char *why, size_t why_len)
{
    const struct us_msg *m = us_msgbuf();
    size_t n = m->hdr.len < why_len ? m->hdr.len : why_len - 1u;

    why[0] = '\0';
    if (n > 0 && m->hdr.len <= US_MSG_MAX_LEN) {
        memcpy(why, m->w, n);
        why[n] = '\0';
    }
}

static void why_of(us_err_t e, char *why, size_t why_len)
{
    why[0] = '\0';
    if (e != US_OK) {
        text_of(why, why_len);
    }
}

static us_err_t be_vm_create(void *ctx, const struct us_vm_create *req, uint32_t *slot, char *why,
                             size_t why_len)
{
    us_err_t e;

    (void)ctx;
    memcpy(us_msgbuf()->w, req, sizeof(*req));
    e = ask(US_SLOT_VMM_EP, US_VMM_VM_CREATE, sizeof(*req));
    if (e == US_OK && us_msgbuf()->hdr.len < 8) {
        e = US_ETRUNC;
    }
    *slot = e == US_OK ? (uint32_t)us_msgbuf()->w[0] : 0;
    why_of(e, why, why_len);
    return e;
}

static us_err_t be_vm_retire(void *ctx, uint32_t slot, char *why, size_t why_len)
{
    us_err_t e;

    (void)ctx;
    us_msgbuf()->w[0] = slot;
    e = ask(US_SLOT_VMM_EP, US_VMM_VM_RETIRE, 8);
    why_of(e, why, why_len);
    return e;
}

static us_err_t be_maint_start(void *ctx, const struct us_maint_req *req, char *why, size_t why_len)
{
    us_err_t e;

    (void)ctx;
    memcpy(us_msgbuf()->w, req, sizeof(*req));
    e = ask(US_SLOT_MIGRATE_EP, US_MIGRATE_MAINT_START, sizeof(*req));
    text_of(why, why_len); /* a refusal's reason, or what was done at once */
    return e;
}

static us_err_t be_mem_online(void *ctx)
{
    (void)ctx;
    return us_server_ctl_mem(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_MEM_ONLINE, 0, 0, NULL);
}

static us_err_t be_mem_audit(void *ctx, uint64_t base, uint64_t size, uint64_t *used,
                             uint64_t *mapped, struct us_mem_holder *out, uint32_t *n)
{
    uint64_t r[3] = {0, 0, 0};
    us_err_t e =
        us_server_ctl_mem(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_MEM_AUDIT, base, size, r);

    (void)ctx;
    *used = r[0];
    *mapped = r[2];
    *n = r[1] < US_MEM_HOLDERS ? (uint32_t)r[1] : US_MEM_HOLDERS;
    if (e == US_OK) {
        memcpy(out, us_msgbuf()->w, *n * sizeof(*out));
    }
    return e;
}

static us_err_t be_maint_status(void *ctx, struct us_maint_status *out)
{
    us_err_t e = ask(US_SLOT_MIGRATE_EP, US_MIGRATE_MAINT_STATUS, 0);

    (void)ctx;
    if (e == US_OK && us_msgbuf()->hdr.len < sizeof(*out)) {
        e = US_ETRUNC;
    }
    if (e == US_OK) {
        memcpy(out, us_msgbuf()->w, sizeof(*out));
    }
    return e;
}

static us_err_t be_maint_abort(void *ctx, char *why, size_t why_len)
{
    us_err_t e = ask(US_SLOT_MIGRATE_EP, US_MIGRATE_MAINT_ABORT, 0);

    (void)ctx;
    why_of(e, why, why_len);
    return e;
}

static us_err_t be_server_count(void *ctx, uint32_t *n)
{
    uint64_t v = 0;
    us_err_t e = us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_COUNT, 0, &v);
    (void)ctx;
    *n = (uint32_t)v;
    return e;
}

static us_err_t be_server_info(void *ctx, uint32_t idx, struct us_server_info *out)
{
    us_err_t e = us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_INFO, idx, NULL);
    (void)ctx;
    if (e == US_OK) {
        memcpy(out, us_msgbuf()->w, sizeof(*out));
    }
    return e;
}

static us_err_t be_cpu_stats(void *ctx, uint32_t cpu, uint64_t r[8])
{
    us_err_t e =
        us_server_ctl_mem(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_CPU, cpu, US_CPU_COUNTS, r);

    (void)ctx;
    uint64_t fast[3];

    if (e == US_OK) {
        e = us_server_ctl_mem(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_CPU, cpu, US_CPU_TIMES,
                              r + 3);
    }
    if (e == US_OK) {
        e = us_server_ctl_mem(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_CPU, cpu, US_CPU_FAST,
                              fast);
        r[6] = fast[0];
        r[7] = fast[1];
    }
    return e;
}

static us_err_t be_mem_stats(void *ctx, struct console_mem_stats *out)
{
    uint64_t free = 0, total = 0, image = 0;
    us_err_t e =
        us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_MEM, US_MEM_FREE_FRAMES, &free);

    (void)ctx;
    if (e == US_OK) {
        e = us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_MEM, US_MEM_TOTAL_FRAMES,
                          &total);
    }
    if (e == US_OK) {
        e = us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, US_SERVER_CTL_MEM, US_MEM_BOOT_IMAGE, &image);
    }
    out->total = total * US_PAGE_SIZE;
    out->free = free * US_PAGE_SIZE;
    out->boot_image = image;
    return e;
}

/* server_ctl @op on server @idx. US_EBUSY means it is running on another CPU this instant;
 * it soon waits again, so the console asks again. */
static us_err_t server_ctl_retry(uint32_t op, uint32_t idx)
{
    us_err_t e = US_EBUSY;

    for (uint32_t tries = 0; tries < 1000 && e == US_EBUSY; tries++) {
        e = us_server_ctl(US_SLOT_CONSOLE_SERVER_CTL, op, idx, NULL);
        if (e == US_EBUSY) {
            (void)us_yield();
        }
    }
    return e;
}

static us_err_t be_server_crash(void *ctx, uint32_t idx)
{
    (void)ctx;
    return server_ctl_retry(US_SERVER_CTL_CRASH, idx);
}

static us_err_t be_server_restart(void *ctx, uint32_t idx)
{
    (void)ctx;
    return server_ctl_retry(US_SERVER_CTL_RESTART, idx);
}

/* Debug builds: flip a byte of server @idx's committed state, then restart it; it must refuse
 * the region and start afresh. */
static us_err_t be_server_corrupt(void *ctx, uint32_t idx)
{
    struct us_msg *m = us_msgbuf();
    us_err_t e;

    if (idx == us_bootinfo()->server_index) {
        /* Its own: no call to itself (it would wait for itself). */
        state_flip((void *)(uintptr_t)US_VA_STATE, us_bootinfo()->state_size,
                   sizeof(struct console_kept));
        return be_server_restart(ctx, idx);
    }
    us_msg_init(m, US_LABEL_STATE_FLIP, 0);
    e = us_call(US_SLOT_CONSOLE_EP + idx);
    if (e == US_OK && m->hdr.err != US_OK) {
        e = (us_err_t)m->hdr.err;
    }
    return e == US_OK ? be_server_restart(ctx, idx) : e;
}

/* Debug builds: US_FAULT_* @kind injected into server @idx. A hang ends when the watchdog
 * has restarted the server, which fails this call with US_EABORT: the expected answer. */
static us_err_t be_server_fault(void *ctx, uint32_t idx, uint32_t kind)
{
    struct us_msg *m = us_msgbuf();
    us_err_t e;

    if (kind == US_FAULT_FP && idx != us_bootinfo()->server_index) {
        struct console_state *st = ctx;

        /* The check is the next instance's (fp_check()). This one owns the FP registers as it
         * restarts, which is where a kernel that forgot them would leave them open. */
        st->kept->fp_check = idx + 1u;
        state_commit((void *)(uintptr_t)US_VA_STATE, us_bootinfo()->state_size,
                     sizeof(struct console_kept), CONSOLE_MAGIC, CONSOLE_VERSION);
        us_cpu_fp_mark(0);
        e = be_server_restart(ctx, us_bootinfo()->server_index); /* returns only if refused */
        st->kept->fp_check = 0;
        return e;
    }
    if (idx == us_bootinfo()->server_index) {
#ifdef US_DEBUG
        if (kind == US_FAULT_HANG) {
            us_fault_hang();
        }
#endif
        return US_ENOTSUP; /* its own next reply: the console is called by nobody */
    }
    us_msg_init(m, US_LABEL_FAULT, 8);
    m->w[0] = kind;
    e = us_call(US_SLOT_CONSOLE_EP + idx);
    if (e == US_OK && m->hdr.err != US_OK) {
        e = (us_err_t)m->hdr.err;
    }
    return kind == US_FAULT_HANG && e == US_EABORT ? US_OK : e;
}

static us_err_t be_hw_remove(void *ctx, const char *name, uint32_t *n, char *why, size_t why_len)
{
    size_t len = strlen(name) + 1u;
    us_err_t e;

    (void)ctx;
    *n = 0;
    if (len > US_DEV_NAME_LEN) {
        why_of(US_OK, why, why_len);
        return US_ENOENT; /* no device has a name that long */
    }
    memcpy(us_msgbuf()->w, name, len);
    e = ask(US_SLOT_DEVMGR_EP, US_DEVMGR_REMOVE, (uint16_t)len);
    if (e == US_OK && us_msgbuf()->hdr.len >= 8) {
        *n = (uint32_t)us_msgbuf()->w[0];
    }
    why_of(e, why, why_len);
    return e;
}

static us_err_t be_dev_count(void *ctx, uint32_t *n)
{
    us_err_t e = ask(US_SLOT_DEVMGR_EP, US_DEVMGR_DEV_COUNT, 0);
    (void)ctx;
    *n = e == US_OK ? (uint32_t)us_msgbuf()->w[0] : 0;
    return e;
}

static us_err_t be_dev_info(void *ctx, uint32_t idx, struct us_dev_info *out)
{
    us_err_t e;
    (void)ctx;
    us_msgbuf()->w[0] = idx;
    e = ask(US_SLOT_DEVMGR_EP, US_DEVMGR_DEV_INFO, 8);
    if (e == US_OK && us_msgbuf()->hdr.len < sizeof(*out)) {
        e = US_ETRUNC;
    }
    if (e == US_OK) {
        memcpy(out, us_msgbuf()->w, sizeof(*out));
    }
    return e;
}

static us_err_t be_guest_hide(void *ctx, uint32_t slot, uint32_t mask, bool hide, uint32_t *hidden)
{
    us_err_t e;
    (void)ctx;
    us_msgbuf()->w[0] = slot;
    us_msgbuf()->w[1] = mask;
    us_msgbuf()->w[2] = hide ? 1u : 0u;
    e = ask(US_SLOT_DEVMGR_EP, US_DEVMGR_GUEST_HIDE, 24);
    if (e == US_OK && us_msgbuf()->hdr.len < 8) {
        e = US_ETRUNC;
    }
    if (e == US_OK) {
        *hidden = (uint32_t)us_msgbuf()->w[0];
    }
    return e;
}

/* Offer the held guest input to the vmm, oldest first, until it has no more room: it signals
 * US_NTFN_GUEST_IN_ROOM when the guest reads, and the rest goes then. Nothing typed for a
 * guest is dropped while it keeps reading; an error drops what is held, and is shown. */
static us_err_t send_held(struct console_state *st)
{
    us_err_t e = US_OK;

    while (st->held_n > 0 && e == US_OK) {
        struct us_msg *m = us_msgbuf();
        uint32_t k = st->held_n < US_MSG_MAX_LEN - 16u ? st->held_n : US_MSG_MAX_LEN - 16u;
        uint32_t taken = 0;

        m->w[0] = st->held_vmid;
        m->w[1] = k;
        memcpy(&m->w[2], st->held, k);
        e = ask(US_SLOT_VMM_EP, US_VMM_GUEST_IN, (uint16_t)(16u + k));
        if (m->hdr.len >= 8 && m->w[0] <= k) {
            taken = (uint32_t)m->w[0];
        }
        memmove(st->held, st->held + taken, st->held_n - taken);
        st->held_n -= taken;
        if (e == US_OK && taken < k) {
            return US_OK; /* the guest's input is full: the rest waits for its room */
        }
    }
    st->held_n = 0;
    return e;
}

/* send_held() when no operator's keystroke waits on the answer: a failure goes to the log. */
static void send_held_logged(struct console_state *st)
{
    uint32_t vmid = st->held_vmid;
    us_err_t e = send_held(st);

    if (e != US_OK) {
        US_LOG_WARN("guest input held for vm %u not delivered: %s", vmid, us_err_name(e));
    }
}

static us_err_t be_guest_input(void *ctx, uint32_t vmid, const char *bytes, size_t n)
{
    struct console_state *st = ctx;

    if (st->held_n > 0 && st->held_vmid != vmid) {
        send_held_logged(st); /* another guest's bytes first */
    }
    if (n > CONSOLE_INPUT_HELD - st->held_n || (st->held_n > 0 && st->held_vmid != vmid)) {
        return US_EBUSY; /* the guest has not read what it was sent: these are not kept */
    }
    memcpy(st->held + st->held_n, bytes, n);
    st->held_n += (uint32_t)n;
    st->held_vmid = vmid;
    return send_held(st);
}

static void pump_klog(struct console_state *st)
{
    uint64_t next, n;

    for (;;) {
        if (us_klog_read(US_SLOT_CONSOLE_KLOG, st->kept->klog_cursor, sizeof(us_ipc()->data), &next,
                         &n) != US_OK) {
            return;
        }
        st->kept->klog_cursor = next;
        if (n == 0) {
            return;
        }
        (void)console_shell_log(&st->shell, (const char *)us_ipc()->data, n);
    }
}

static void pump_uart(struct console_state *st)
{
    char buf[64];
    size_t n;

    while ((n = console_uart_read(st, buf, sizeof(buf))) > 0) {
        (void)console_shell_input(&st->shell, buf, n);
    }
    (void)us_irq_ack(US_SLOT_CONSOLE_IRQ);
}

static void pump_guests(struct console_state *st)
{
    uint32_t i;

    for (i = 0; i < US_GUEST_RINGS; i++) {
        struct us_guest_ring *r = &st->rings[i];
        uint32_t tail = r->tail, head;
        char buf[128];

        /* Publish the tail, then look at the head again: the vmm signals only when it saw
         * the ring empty, so a byte it added meanwhile is ours to take now. */
        while ((head = __atomic_load_n(&r->head, __ATOMIC_SEQ_CST)) != tail) {
            size_t n = 0;
            while (tail != head && n < sizeof(buf)) {
                buf[n++] = (char)r->buf[tail % US_GUEST_RING_BYTES];
                tail++;
            }
            __atomic_store_n(&r->tail, tail, __ATOMIC_SEQ_CST);
            (void)console_shell_guest_output(&st->shell, i, buf, n);
        }
        /* The vmm holds back a transfer until this ring has room: it has now. */
        if (__atomic_exchange_n(&r->want_room, 0u, __ATOMIC_SEQ_CST) != 0) {
            (void)us_signal(US_SLOT_CONSOLE_VMM_NTFN, US_NTFN_RING_ROOM);
        }
    }
}

/* `server fpcheck NAME`, in the instance its restart started, before it first waits: a mark
 * in an FP register must survive a call to NAME, whose runtime writes that register. */
static void fp_check(struct console_kept *kept)
{
    uint32_t idx = kept->fp_check - 1u;
    uint64_t mine = us_cpu_counter() * 0x9e3779b97f4a7c15ull, got;
    struct us_msg *m = us_msgbuf();
    us_err_t e;

    kept->fp_check = 0;
    us_cpu_fp_mark(mine);
    us_msg_init(m, US_LABEL_FAULT, 8);
    m->w[0] = US_FAULT_FP;
    e = us_ask(US_SLOT_CONSOLE_EP + idx, false); /* lib code: no FP register of its own */
    got = us_cpu_fp_marked();
    if (e != US_OK) {
        US_LOG_ERR("fpcheck: server %u did not answer: %s", idx, us_err_name(e));
    } else if (got != mine) {
        US_LOG_ERR("fpcheck: FP registers lost across a call after the restart: %#llx became "
                   "%#llx",
                   (unsigned long long)mine, (unsigned long long)got);
    } else {
        US_LOG_INFO("fpcheck: FP registers kept across a call after the restart");
    }
}

us_err_t console_init(struct console_state *st, struct console_kept *kept, bool recovered)
{
    struct console_shell_backend be = {
        .ctx = st,
        .write = be_write,
        .vm_count = be_vm_count,
        .vm_info = be_vm_info,
        .vm_create = be_vm_create,
        .vm_retire = be_vm_retire,
        .maint_start = be_maint_start,
        .maint_status = be_maint_status,
        .maint_abort = be_maint_abort,
        .server_count = be_server_count,
        .server_info = be_server_info,
        .server_crash = be_server_crash,
        .server_restart = be_server_restart,
#ifdef US_DEBUG
        .server_corrupt = be_server_corrupt,
        .server_fault = be_server_fault,
#endif
        .dev_count = be_dev_count,
        .dev_info = be_dev_info,
        .mem_stats = be_mem_stats,
        .cpu_stats = be_cpu_stats,
        .guest_hide = be_guest_hide,
        .hw_remove = be_hw_remove,
        .mem_audit = be_mem_audit,
        .mem_online = be_mem_online,
        .guest_input = be_guest_input,
#ifdef US_DEBUG
        .debug_badipc = console_badipc,
        .debug_ipcbench = console_ipcbench,
        .debug = true,
#endif
    };
    us_err_t e;

    if (recovered && kept->fp_check != 0) {
        fp_check(kept);
    }
    e = console_uart_init(st);
    if (e != US_OK) {
        return e;
    }
    e = us_mem_map(US_SLOT_CONSOLE_GUEST_RINGS, CONSOLE_RINGS_VA, US_RIGHT_READ | US_RIGHT_WRITE);
    if (e != US_OK) {
        return e;
    }
    st->rings = (struct us_guest_ring *)(uintptr_t)CONSOLE_RINGS_VA;
    e = console_shell_init(&st->shell, &be);
    if (e != US_OK) {
        return e;
    }
    /* Take the UART from the kernel: from here on its log comes through us (after a restart,
     * from where the last instance stopped, so nothing logged meanwhile is missed). */
    st->kept = kept;
    if (!recovered) {
        kept->klog_cursor = UINT64_MAX;
    }
    pump_klog(st);
    if (!recovered && us_bootinfo()->restart_count != 0) {
        /* us_state_start() logged it before there was a place in the log to print from. */
        const char *why = us_state_refusal();

        US_LOG_ERR("state region refused after restart %u: %s; kernel log lines of the restart "
                   "are not shown",
                   us_bootinfo()->restart_count, why != NULL ? why : "no reason given");
    }
    US_LOG_INFO("up: operator shell on the UART");
    pump_klog(st);
    console_shell_start(&st->shell);
    console_uart_rx_on(st);
    pump_uart(st);
    return US_OK;
}

void console_dispatch(struct console_state *st, us_badge_t badge, struct us_msg *m)
{
    switch (m->hdr.label) {
    case US_LABEL_NOTIFY:
        if (badge & US_NTFN_KLOG) {
            pump_klog(st);
        }
        if (badge & US_NTFN_GUEST_OUT) {
            pump_guests(st);
        }
        if (badge & US_NTFN_GUEST_IN_ROOM) {
            send_held_logged(st);
        }
        if (badge & US_NTFN_UART) {
            pump_uart(st);
        }
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    case US_LABEL_PING:
        us_msg_init(m, US_LABEL_PING, 8);
        memcpy(m->w, "console", 8);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}
