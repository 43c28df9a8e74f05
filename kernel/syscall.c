/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* System calls: decode (capabilities, lengths, ranges) without side effects, then invoke. */
#include <understudy/slots.h>
#include <understudy/syscalls.h>
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/endpoint.h>
#include <us/irq.h>
#include <us/klog.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/memrange.h>
#include <us/notification.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/cpu.h>
#include <us/arch/mmu.h>

/* Capabilities the kernel hands out at run time go from here up. */

static uint64_t arg(const struct thread *t, uint32_t i)
{
    return arch_regs_get(&t->regs, i);
}

static void ret(struct thread *t, us_err_t e, uint64_t r1)
{
    thread_set_result(t, e, r1);
}

static us_err_t lookup(struct thread *t, uint32_t i, uint32_t kind, uint32_t rights,
                       struct cap **out)
{
    uint64_t h = arg(t, i);
    if (h >= US_CAP_SLOTS) {
        return US_TRACE(US_ERANGE);
    }
    return cap_lookup(&t->proc->caps, (us_cap_t)h, kind, rights, out);
}

/* The object of argument 0's capability if that is of @kind with @rights; else *@e says why. */
static void *obj0(struct thread *t, uint32_t kind, uint32_t rights, us_err_t *e)
{
    struct cap *c;

    *e = lookup(t, 0, kind, rights, &c);
    return *e == US_OK ? c->obj : NULL;
}

static void sys_log(struct thread *t)
{
    char buf[US_LOG_MAX_LEN + US_SERVER_NAME_LEN + 2];
    uint64_t va = arg(t, 0), len = arg(t, 1), level = arg(t, 2), i;
    uint64_t n = strnlen(t->proc->name, US_SERVER_NAME_LEN);

    if (len > US_LOG_MAX_LEN) {
        ret(t, US_ETRUNC, 0);
        return;
    }
    if (level > US_LOG_LEVEL_DBG) {
        ret(t, US_EINVAL, 0);
        return;
    }
    memcpy(buf, t->proc->name, n);
    buf[n++] = '|';
    buf[n++] = ' ';
    for (i = 0; i < len; i++) {
        paddr_t pa;
        if (arch_aspace_translate(&t->proc->as, va_init(va + i), false, &pa) != US_OK) {
            ret(t, US_ERANGE, 0);
            return;
        }
        buf[n + i] = *(const char *)pa_ptr(pa);
        if (buf[n + i] == '\n' || buf[n + i] == '\0') {
            buf[n + i] = ' ';
        }
    }
    klog_printf((uint32_t)level, "%.*s", (int)(n + len), buf);
    ret(t, US_OK, 0);
}

static void sys_call(struct thread *t)
{
    struct cap *c;
    us_err_t e = lookup(t, 0, US_CAPK_ENDPOINT, US_RIGHT_SEND, &c);

    if (e == US_OK) {
        e = endpoint_call(c->obj, t, c->badge);
        if (e == US_OK) {
            return; /* results arrive with the reply */
        }
    }
    ret(t, e, 0);
}

static void sys_reply_recv(struct thread *t)
{
    struct cap *c;
    struct thread *replied;
    bool restarted;
    us_err_t e = lookup(t, 0, US_CAPK_ENDPOINT, US_RIGHT_RECV, &c);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    e = endpoint_reply_held(t, &replied);
    t->proc->served = true; /* past its start: a fault from now on restarts it */
    restarted = process_waits(t->proc);
    if (restarted || (e != US_OK && e != US_ENOENT)) {
        if (replied != NULL) {
            sched_wake(replied);
        }
        if (!restarted) {
            ret(t, e, 0);
        }
        return;
    }
    endpoint_recv_after_reply(c->obj, t, replied);
}

static void sys_recv(struct thread *t)
{
    struct cap *c;
    us_err_t e = lookup(t, 0, US_CAPK_ENDPOINT, US_RIGHT_RECV, &c);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    if (!process_waits(t->proc)) {
        endpoint_recv(c->obj, t);
    }
}

static void sys_signal(struct thread *t)
{
    us_err_t e;
    struct notification *n = obj0(t, US_CAPK_NOTIFICATION, US_RIGHT_SEND, &e);

    if (e == US_OK) {
        notification_signal(n, arg(t, 1));
    }
    ret(t, e, 0);
}

static void sys_wait(struct thread *t)
{
    us_err_t e;
    struct notification *n = obj0(t, US_CAPK_NOTIFICATION, US_RIGHT_RECV, &e);

    if (e == US_OK) {
        notification_wait(n, t);
    } else {
        ret(t, e, 0);
    }
}

static void sys_poll(struct thread *t)
{
    us_err_t e;
    struct notification *n = obj0(t, US_CAPK_NOTIFICATION, US_RIGHT_RECV, &e);

    ret(t, e, e == US_OK ? notification_poll(n) : 0);
}

static void sys_recovers(struct thread *t)
{
    t->proc->recovers = true;
    ret(t, US_OK, 0);
}

static void sys_yield(struct thread *t)
{
    sched_tick();
    ret(t, US_OK, 0);
}

static void sys_irq_ack(struct thread *t)
{
    us_err_t e;
    struct irq_route *r = obj0(t, US_CAPK_IRQ, 0, &e);

    ret(t, e == US_OK ? irq_route_ack(r) : e, 0);
}

static void install_dynamic(struct thread *t, uint32_t kind, uint32_t rights, void *obj,
                            us_err_t *e, us_cap_t *h)
{
    *e = cap_alloc_slot(&t->proc->caps, US_SLOT_DYNAMIC_FIRST, h);
    if (*e == US_OK) {
        *e = cap_install(&t->proc->caps, *h, kind, rights, obj, 0);
    }
}

static void sys_mem_alloc(struct thread *t)
{
    struct memobj *m;
    uint64_t size = arg(t, 1);
    us_cap_t h;
    us_err_t e;
    struct vm_control *ctl = obj0(t, US_CAPK_VM_CONTROL, 0, &e);

    if (e != US_OK) {
        goto out;
    }
    if (size == 0 || !is_aligned(size, PAGE_SIZE)) {
        e = US_TRACE(US_EINVAL);
        goto out;
    }
    if (size > ctl->quota - ctl->used ||
        cap_alloc_slot(&t->proc->caps, US_SLOT_DYNAMIC_FIRST, &h)) {
        e = US_ENOMEM;
        goto out;
    }
    e = memobj_create_ram(size, size >= (2ull << 20) ? (2ull << 20) : PAGE_SIZE, &m);
    if (e != US_OK) {
        goto out;
    }
    ctl->used += size;
    m->ctl = ctl;
    install_dynamic(t, US_CAPK_MEMORY, US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC, m, &e, &h);
out:
    ret(t, e, e == US_OK ? h : US_INVALID_CAP);
}

/* The rights a mapping may ask for: at least one of read, write and execute, nothing else. */
static bool map_rights_valid(uint64_t rights)
{
    return rights != 0 &&
           (rights & ~(uint64_t)(US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC)) == 0;
}

static void sys_mem_map(struct thread *t)
{
    struct cap *c;
    uint64_t va = arg(t, 1), rights = arg(t, 2);
    us_err_t e;

    if (!map_rights_valid(rights)) {
        ret(t, US_TRACE(US_EINVAL), 0);
        return;
    }
    e = lookup(t, 0, US_CAPK_MEMORY, (uint32_t)rights, &c);
    if (e == US_OK && (va < US_VA_DYNAMIC || va >= US_VA_USER_TOP)) {
        e = US_TRACE(US_ERANGE);
    }
    if (e == US_OK) {
        e = process_map(t->proc, c->obj, va_init(va), (uint32_t)rights);
    }
    ret(t, e, 0);
}

static void sys_mem_unmap(struct thread *t)
{
    us_err_t e;
    struct memobj *m = obj0(t, US_CAPK_MEMORY, 0, &e);

    ret(t, e == US_OK ? process_unmap(t->proc, m) : e, 0);
}

/* Only memory US_SYS_MEM_ALLOC charged to a quota goes back, and only once nothing maps it. */
static void sys_mem_free(struct thread *t)
{
    us_err_t e;
    struct memobj *m = obj0(t, US_CAPK_MEMORY, US_RIGHT_WRITE, &e);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    if (m->ctl == NULL && !m->slice) {
        e = US_TRACE(US_ENOTSUP);
    } else if (m->maps != 0) {
        e = US_EBUSY;
    } else {
        memobj_free(m); /* revokes this capability with every other one to it */
    }
    ret(t, e, 0);
}

static void sys_mem_slice(struct thread *t)
{
    struct memobj *m, *s = NULL;
    struct cap *c;
    uint64_t off = arg(t, 1), size = arg(t, 2);
    us_cap_t h = US_INVALID_CAP;
    us_err_t e = lookup(t, 0, US_CAPK_MEMORY, US_RIGHT_WRITE, &c);

    if (e == US_OK) {
        m = c->obj;
        if (!m->device) {
            e = US_TRACE(US_ENOTSUP);
        } else if (size == 0 || off >= m->size || size > m->size - off) {
            e = US_TRACE(US_EINVAL);
        } else {
            e = memobj_create_window(pa_init(pa_of(m->base) + off), size, true, &s);
        }
    }
    if (e == US_OK) {
        s->slice = true;
        install_dynamic(t, US_CAPK_MEMORY, US_RIGHT_READ | US_RIGHT_WRITE, s, &e, &h);
        if (e != US_OK) {
            s->in_use = false;
        }
    }
    ret(t, e, e == US_OK ? h : US_INVALID_CAP);
}

static void sys_mem_info(struct thread *t)
{
    us_err_t e;
    struct memobj *m = obj0(t, US_CAPK_MEMORY, 0, &e);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    if (arg(t, 1) & (US_MEM_INFO_PA | US_MEM_INFO_PEEK)) {
        /* Whoever knows where it is may give it to a device, unless it only reports it. */
        m->pinned = m->pinned || (arg(t, 1) & US_MEM_INFO_PA) != 0;
        arch_regs_set(&t->regs, 2, pa_of(m->base));
    }
    ret(t, US_OK, m->size);
}

static void sys_vm_create(struct thread *t)
{
    struct cap *c;
    struct vm *vm;
    us_cap_t h = US_INVALID_CAP;
    us_err_t e = lookup(t, 0, US_CAPK_VM_CONTROL, 0, &c);

    if (e == US_OK && cap_alloc_slot(&t->proc->caps, US_SLOT_DYNAMIC_FIRST, &h) != US_OK) {
        e = US_ENOMEM;
    }
    if (e == US_OK) {
        e = vm_create(c->obj, &vm);
    }
    if (e == US_OK) {
        install_dynamic(t, US_CAPK_VM, US_RIGHT_ALL, vm, &e, &h);
        arch_regs_set(&t->regs, 2, vm->vmid);
    }
    ret(t, e, h);
}

static void sys_vm_map(struct thread *t)
{
    struct cap *cv, *cm;
    uint64_t rights = arg(t, 3);
    us_err_t e = map_rights_valid(rights) ? lookup(t, 0, US_CAPK_VM, 0, &cv) : US_TRACE(US_EINVAL);

    if (e == US_OK) {
        e = lookup(t, 1, US_CAPK_MEMORY, (uint32_t)rights, &cm);
    }
    if (e == US_OK) {
        e = vm_map(cv->obj, cm->obj, ipa_init(arg(t, 2)), (uint32_t)rights);
    }
    ret(t, e, 0);
}

static void sys_vm_destroy(struct thread *t)
{
    us_err_t e;
    struct vm *vm = obj0(t, US_CAPK_VM, 0, &e);

    if (e == US_OK) {
        vm_destroy(vm); /* revokes this capability with every other one to the VM */
    }
    ret(t, e, 0);
}

static void sys_vcpu_create(struct thread *t)
{
    struct cap *cv, *ce;
    struct vcpu *v;
    us_cap_t h = US_INVALID_CAP;
    uint64_t index = arg(t, 1);
    us_err_t e = lookup(t, 0, US_CAPK_VM, 0, &cv);

    /* Exits go only to an endpoint the caller itself receives on. */
    if (e == US_OK) {
        e = lookup(t, 2, US_CAPK_ENDPOINT, US_RIGHT_RECV, &ce);
    }
    if (e == US_OK && (index >= VM_MAX_VCPUS || arg(t, 4) >= cpu_count)) {
        e = US_TRACE(US_ERANGE);
    }
    if (e == US_OK && cap_alloc_slot(&t->proc->caps, US_SLOT_DYNAMIC_FIRST, &h) != US_OK) {
        e = US_ENOMEM;
    }
    if (e == US_OK) {
        e = vcpu_create(cv->obj, (uint32_t)index, ce->obj, arg(t, 3) & ~US_BADGE_VCPU,
                        (uint32_t)arg(t, 4), &v);
    }
    if (e == US_OK) {
        install_dynamic(t, US_CAPK_VCPU, US_RIGHT_ALL, v, &e, &h);
    }
    ret(t, e, h);
}

static void sys_vcpu_start(struct thread *t)
{
    us_err_t e;
    struct vcpu *v = obj0(t, US_CAPK_VCPU, 0, &e);

    ret(t, e == US_OK ? vcpu_start(v, arg(t, 1), arg(t, 2)) : e, 0);
}

static void sys_vcpu_stop(struct thread *t)
{
    us_err_t e;
    struct vcpu *v = obj0(t, US_CAPK_VCPU, 0, &e);

    if (e == US_OK) {
        vcpu_stop(v);
    }
    ret(t, e, 0);
}

static void sys_vcpu_inject(struct thread *t)
{
    us_err_t e;
    struct vcpu *v = obj0(t, US_CAPK_VCPU, 0, &e);

    ret(t, e == US_OK ? vcpu_inject(v, arg(t, 1)) : e, 0);
}

static void server_info(struct process *p, struct us_server_info *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->name, p->name, sizeof(out->name));
    out->state = p->state;
    out->priority = p->thread.prio;
    out->restarts = p->restarts;
    out->faults = p->faults;
    out->fault_addr = p->fault_addr;
    out->fault_esr = p->fault_esr;
    out->frames = p->as.table_frames;
}

static us_err_t crash(struct process *p)
{
#ifdef US_DEBUG
    struct thread *t = &p->thread;

    if (p->state != US_SERVER_RUNNING || sched_is_live_elsewhere(t)) {
        return US_EBUSY; /* running on another CPU: its saved registers are not its own now */
    }
    if (t->wait_ep != NULL) {
        thread_queue_remove(&t->wait_ep->receivers, t);
        t->wait_ep = NULL;
    }
    if (t->wait_ntfn != NULL) {
        t->wait_ntfn->waiter = NULL;
        t->wait_ntfn = NULL;
    }
    arch_thread_make_fault(t);
    if (t->state != TS_RUNNING) {
        sched_wake(t);
    }
    return US_OK;
#else
    (void)p;
    return US_ENOTSUP;
#endif
}

static void sys_server_ctl(struct thread *t)
{
    struct cap *c;
    uint64_t op = arg(t, 1), idx = arg(t, 2);
    us_err_t e = lookup(t, 0, US_CAPK_SERVER_CTL, 0, &c);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    if (op == US_SERVER_CTL_COUNT) {
        ret(t, US_OK, process_count);
        return;
    }
    if (op == US_SERVER_CTL_MEM) {
        ret(t, idx <= US_MEM_BOOT_IMAGE ? US_OK : US_ERANGE,
            idx == US_MEM_FREE_FRAMES    ? kmem_pool.free_count
            : idx == US_MEM_TOTAL_FRAMES ? kmem_pool.frame_count
            : idx == US_MEM_BOOT_IMAGE   ? process_boot_bundle_size()
                                         : 0);
        return;
    }
    if (op == US_SERVER_CTL_MEM_OFFLINE) {
        ret(t, memrange_offline(idx, arg(t, 3)), 0);
        return;
    }
    if (op == US_SERVER_CTL_MEM_ONLINE) {
        ret(t, kmem_pool.off_count != 0 ? US_OK : US_ENOENT, 0);
        memrange_online();
        return;
    }
    if (op == US_SERVER_CTL_MEM_AUDIT) {
        uint64_t used, mapped;
        uint32_t n = memrange_audit(idx, arg(t, 3), &used, &mapped,
                                    (struct us_mem_holder *)(void *)t->msg->w, US_MEM_HOLDERS);

        us_msg_init(t->msg, 0, (uint16_t)(n * sizeof(struct us_mem_holder)));
        ret(t, US_OK, used);
        arch_regs_set(&t->regs, 2, n);
        arch_regs_set(&t->regs, 3, mapped);
        return;
    }
    if (op == US_SERVER_CTL_MEM_MOVE) {
        uint64_t left, moved = memrange_move((idx & US_MEM_MOVE_GUESTS) != 0, &left);

        ret(t, kmem_pool.off_count != 0 ? US_OK : US_ENOENT, moved);
        arch_regs_set(&t->regs, 2, left);
        return;
    }
    if (op == US_SERVER_CTL_CPU) {
        const struct cpu *pc = idx < cpu_count ? &cpus[idx] : NULL;
        uint64_t sel = arg(t, 3), out[3] = {0, 0, 0};

        if (pc != NULL && sel == US_CPU_COUNTS) {
            out[0] = pc->guest_entries, out[1] = pc->tlbi_local, out[2] = pc->to_server;
        } else if (pc != NULL && sel == US_CPU_TIMES) {
            memcpy(out, pc->ran, sizeof(out));
        } else if (pc != NULL && sel == US_CPU_FAST) {
            out[0] = pc->nolock, out[1] = pc->ipc_direct;
        }
        ret(t, pc == NULL ? US_ERANGE : sel > US_CPU_FAST ? US_EINVAL : US_OK, out[0]);
        arch_regs_set(&t->regs, 2, out[1]);
        arch_regs_set(&t->regs, 3, out[2]);
        return;
    }
    if (idx >= process_count) {
        ret(t, US_ERANGE, 0);
        return;
    }
    switch (op) {
    case US_SERVER_CTL_INFO:
        server_info(&processes[idx], (struct us_server_info *)(void *)t->msg->w);
        us_msg_init(t->msg, 0, sizeof(struct us_server_info));
        ret(t, US_OK, 0);
        return;
    case US_SERVER_CTL_CRASH:
        ret(t, crash(&processes[idx]), 0);
        return;
    case US_SERVER_CTL_RESTART:
        e = process_restart(&processes[idx]);
        /* Restarted itself: it starts again at its entry point, with nothing to return to. */
        if (e != US_OK || &processes[idx].thread != t) {
            ret(t, e, 0);
        }
        return;
    default:
        ret(t, US_ENOTSUP, 0);
        return;
    }
}

static void sys_klog_read(struct thread *t)
{
    struct us_ipc_buf *b = (struct us_ipc_buf *)(void *)t->msg;
    uint64_t max = arg(t, 2), next, n;
    struct cap *c;
    us_err_t e = lookup(t, 0, US_CAPK_KLOG, 0, &c);

    if (e != US_OK) {
        ret(t, e, 0);
        return;
    }
    if (max > sizeof(b->data)) {
        max = sizeof(b->data);
    }
    n = klog_read(arg(t, 1), (char *)b->data, max, &next);
    ret(t, US_OK, next);
    arch_regs_set(&t->regs, 2, n);
}

static void sys_vm_fastmmio(struct thread *t)
{
    uint64_t kind = arg(t, 2) & 0xffu, bit = (arg(t, 2) >> 8) & 0x3fu, index = arg(t, 2) >> 14;
    struct cap *cv, *cm = NULL, *cn = NULL;
    us_err_t e = lookup(t, 0, US_CAPK_VM, 0, &cv);

    if (e == US_OK && (index >= US_FASTMMIO_ISRS ||
                       (index != 0 && kind != US_FASTMMIO_W1C && kind != US_FASTMMIO_BELL))) {
        e = US_TRACE(US_EINVAL);
    }
    if (e == US_OK && kind != US_FASTMMIO_NONE) {
        e = lookup(t, 3, US_CAPK_MEMORY, US_RIGHT_READ | US_RIGHT_WRITE, &cm);
    }
    if (e == US_OK && (kind == US_FASTMMIO_RING || kind == US_FASTMMIO_BELL)) {
        e = lookup(t, 5, US_CAPK_NOTIFICATION, US_RIGHT_SEND, &cn);
    }
    if (e == US_OK) {
        e = vm_fastmmio_set(cv->obj, arg(t, 1), (uint32_t)kind, cm != NULL ? cm->obj : NULL,
                            arg(t, 4), cn != NULL ? cn->obj : NULL, 1ull << bit, (uint32_t)index);
    }
    ret(t, e, 0);
}

typedef void (*syscall_fn)(struct thread *t);

static const syscall_fn syscall_table[US_SYS_COUNT] = {
#define US_SYSCALL(nr, argc, name, desc) [nr] = sys_##name,
#include <understudy/syscalls.def>
#undef US_SYSCALL
};

void syscall_dispatch(struct thread *t)
{
    uint64_t nr = arch_regs_get(&t->regs, ARCH_SYSCALL_NR_REG);

#ifdef US_TRACE_SYSCALLS
    US_LOG_DBG("%s: syscall %llu (0x%llx, 0x%llx, 0x%llx)", t->proc->name, (unsigned long long)nr,
               (unsigned long long)arg(t, 0), (unsigned long long)arg(t, 1),
               (unsigned long long)arg(t, 2));
#endif
    if (nr >= US_SYS_COUNT) {
        ret(t, US_ENOTSUP, 0);
        return;
    }
    syscall_table[nr](t);
}
