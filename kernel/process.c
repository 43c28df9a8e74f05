/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server processes: built from the boot manifest, loaded from the bundle, granted caps. */
#include <understudy/slots.h>
#include <uslib/bundle_parse.h>
#include <uslib/manifest_parse.h>
#include <uslib/string.h>
#include <us/elf.h>
#include <us/endpoint.h>
#include <us/irq.h>
#include <us/klog.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vm.h>
#include <us/arch/cpu.h>
#include <us/arch/irq.h>
#include <us/arch/mmu.h>
#include <us/arch/vcpu.h>
#include <us/platform.h>

struct process processes[PROCESS_MAX];
uint32_t process_count;

#define STACK_PAGES 16u
#define HEAP_VA 0x0000002800000000ull
#define SHARED_MAX US_MANIFEST_MAX_SHARED

/* Objects behind KLOG and SERVER_CTL capabilities carry no state of their own. */
static uint32_t klog_token, server_ctl_token;
static struct memobj *shared[SHARED_MAX];

static struct {
    const void *bundle;
    uint64_t bundle_size;
    struct memobj *bundle_mem;
    struct memobj *dtb_mem;
} boot;

/* Map fresh zeroed frames at @va; return them. */
static us_err_t map_fresh(struct process *p, uint64_t va, uint64_t pages, uint32_t rights,
                          paddr_t *out)
{
    paddr_t pa;
    us_err_t e = kmem_frames(pages, &pa);

    if (e != US_OK) {
        return e;
    }
    e = arch_aspace_map(&p->as, va_init(va), pa, pages * PAGE_SIZE, rights);
    if (e != US_OK) {
        kmem_free_frames(pa, pages);
        return e;
    }
    if (out != NULL) {
        *out = pa;
    }
    return US_OK;
}

static us_err_t make_memcap_object(const struct us_manifest_cap *c, struct memobj **m)
{
    switch (c->kind) {
    case US_MCAP_MMIO:
        if (!plat_mmio_allowed(c->arg0, c->arg1)) {
            return US_TRACE(US_ERANGE);
        }
        return memobj_create_window(pa_init(c->arg0), c->arg1, true, m);
    case US_MCAP_BUNDLE:
        *m = boot.bundle_mem;
        return US_OK;
    case US_MCAP_PLATFORM_DTB:
        *m = boot.dtb_mem;
        return *m != NULL ? US_OK : US_ENOENT; /* a board booted without a device tree */
    case US_MCAP_SHARED:
        if (c->arg0 >= SHARED_MAX) {
            return US_TRACE(US_ERANGE);
        }
        if (shared[c->arg0] == NULL) {
            us_err_t e =
                memobj_create_ram(align_up(c->arg1, PAGE_SIZE), PAGE_SIZE, &shared[c->arg0]);
            if (e != US_OK) {
                return e;
            }
        }
        *m = shared[c->arg0];
        return US_OK;
    default:
        return US_TRACE(US_EINVAL);
    }
}

static us_err_t grant(struct process *p, const struct us_manifest_cap *c)
{
    struct process *target = c->arg0 < process_count ? &processes[c->arg0] : NULL;
    struct irq_route *route;
    struct vm_control *ctl;
    struct memobj *m;
    us_err_t e;

    switch (c->kind) {
    case US_MCAP_ENDPOINT:
        if (target == NULL) {
            return US_TRACE(US_ERANGE);
        }
        return cap_install(&p->caps, c->slot, US_CAPK_ENDPOINT, c->rights, target->ep, c->arg1);
    case US_MCAP_NOTIFICATION:
        if (target == NULL) {
            return US_TRACE(US_ERANGE);
        }
        return cap_install(&p->caps, c->slot, US_CAPK_NOTIFICATION, c->rights, target->ntfn, 0);
    case US_MCAP_IRQ:
        if (c->arg1 & US_MCAP_IRQ_EDGE) {
            arch_irq_set_edge((uint32_t)c->arg0); /* before irq_route_create() enables it */
        }
        e = irq_route_create((uint32_t)c->arg0, p->ntfn, 1ull << (c->arg1 & 63u), &route);
        if (e != US_OK) {
            return e;
        }
        return cap_install(&p->caps, c->slot, US_CAPK_IRQ, c->rights, route, 0);
    case US_MCAP_VM_CONTROL:
        ctl = kmem_vm_control_alloc();
        if (ctl == NULL) {
            return US_ENOMEM;
        }
        ctl->quota = c->arg0;
        ctl->used = 0;
        return cap_install(&p->caps, c->slot, US_CAPK_VM_CONTROL, c->rights, ctl, 0);
    case US_MCAP_KLOG:
        klog_set_reader(p->ntfn, US_NTFN_KLOG);
        return cap_install(&p->caps, c->slot, US_CAPK_KLOG, c->rights, &klog_token, 0);
    case US_MCAP_SERVER_CTL:
        return cap_install(&p->caps, c->slot, US_CAPK_SERVER_CTL, c->rights, &server_ctl_token, 0);
    case US_MCAP_IOPORT: /* a property of the space: the slot stays empty */
        return arch_io_grant(&p->as, c->arg0, c->arg1);
    default:
        e = make_memcap_object(c, &m);
        if (e != US_OK) {
            return e;
        }
        return cap_install(&p->caps, c->slot, US_CAPK_MEMORY, c->rights, m, 0);
    }
}

static us_err_t build_space(struct process *p, const struct us_manifest_server *ms)
{
    const struct us_bundle_entry *img;
    struct us_bootinfo *bi;
    paddr_t ipc, info, state;
    uint64_t entry, frames;
    us_err_t e;

    e = bundle_parse_find(boot.bundle, boot.bundle_size, ms->image, &img);
    if (e != US_OK || img->type != US_BUNDLE_SERVER) {
        US_LOG_ERR("server %s: no server image '%s' in the bundle", ms->name, ms->image);
        return US_ECORRUPT;
    }
    e = bundle_parse_verify_entry(boot.bundle, boot.bundle_size, img);
    if (e != US_OK) {
        US_LOG_ERR("server %s: image '%s' fails its sha256", ms->name, ms->image);
        return e;
    }
    e = arch_aspace_init(&p->as, (uint16_t)(p->index + 1));
    if (e != US_OK) {
        return e;
    }
    e = elf_load(bundle_parse_data(boot.bundle, img), img->size, &p->as, US_VA_IPC_BUF, &entry,
                 &frames);
    if (e != US_OK) {
        US_LOG_ERR("server %s: ELF image rejected: %s", ms->name, us_err_name(e));
        return e;
    }
    if ((e = map_fresh(p, US_VA_STACK_TOP - STACK_PAGES * PAGE_SIZE, STACK_PAGES,
                       US_RIGHT_READ | US_RIGHT_WRITE, NULL)) != US_OK ||
        (e = map_fresh(p, US_VA_IPC_BUF, 1, US_RIGHT_READ | US_RIGHT_WRITE, &ipc)) != US_OK ||
        (e = map_fresh(p, US_VA_BOOTINFO, 1, US_RIGHT_READ, &info)) != US_OK) {
        return e;
    }
    if (ms->heap_pages != 0 && (e = map_fresh(p, HEAP_VA, ms->heap_pages,
                                              US_RIGHT_READ | US_RIGHT_WRITE, NULL)) != US_OK) {
        return e;
    }
    if (ms->state_pages != 0) {
        e = memobj_create_ram(ms->state_pages * PAGE_SIZE, PAGE_SIZE, &p->state_mem);
        if (e != US_OK) {
            return e;
        }
        state = p->state_mem->base;
        e = arch_aspace_map(&p->as, va_init(US_VA_STATE), state, p->state_mem->size,
                            US_RIGHT_READ | US_RIGHT_WRITE);
        if (e != US_OK) {
            return e;
        }
    }
    bi = pa_ptr(info);
    bi->abi_revision = US_ABI_REVISION;
    bi->server_index = p->index;
    bi->restart_count = p->restarts;
    bi->cpu_count = cpu_count;
    bi->cpu_features = arch_cpu_features();
    bi->counter_freq = arch_counter_freq();
    bi->state_size = (uint64_t)ms->state_pages * PAGE_SIZE;
    bi->heap_base = ms->heap_pages != 0 ? HEAP_VA : 0;
    bi->heap_size = (uint64_t)ms->heap_pages * PAGE_SIZE;
    memcpy(bi->name, p->name, sizeof(bi->name));
    p->thread.msg = pa_ptr(ipc);
    arch_thread_init_user(&p->thread, entry, US_VA_STACK_TOP, US_VA_BOOTINFO);
    return US_OK;
}

uint64_t process_boot_bundle_size(void)
{
    return boot.bundle_size;
}

void process_boot_moved(const struct memobj *m)
{
    if (m == boot.bundle_mem) {
        boot.bundle = pa_ptr(m->base);
    }
}

/* Kernel-side copies of the boot data servers may map: page-aligned, frames of their own. */
static us_err_t make_boot_windows(const void *bundle, uint64_t bundle_size, paddr_t dtb,
                                  uint64_t dtb_size)
{
    paddr_t pa;
    us_err_t e;

    if (is_aligned(pa_of(pa_from_ptr(bundle)), PAGE_SIZE)) {
        e = memobj_create_window(pa_from_ptr(bundle), align_up(bundle_size, PAGE_SIZE), false,
                                 &boot.bundle_mem);
    } else {
        e = kmem_frames(align_up(bundle_size, PAGE_SIZE) / PAGE_SIZE, &pa);
        if (e == US_OK) {
            memcpy(pa_ptr(pa), bundle, bundle_size);
            boot.bundle = pa_ptr(pa);
            e = memobj_create_window(pa, align_up(bundle_size, PAGE_SIZE), false, &boot.bundle_mem);
        }
    }
    if (e != US_OK || dtb_size == 0) {
        return e; /* no device tree (q35): no window for it */
    }
    e = kmem_frames(align_up(dtb_size, PAGE_SIZE) / PAGE_SIZE, &pa);
    if (e != US_OK) {
        return e;
    }
    memcpy(pa_ptr(pa), pa_ptr(dtb), dtb_size);
    return memobj_create_window(pa, align_up(dtb_size, PAGE_SIZE), false, &boot.dtb_mem);
}

static us_err_t check_manifest(const void **man, uint64_t *man_size)
{
    struct bundle_parse_diag bd;
    struct manifest_parse_diag md;
    const struct us_bundle_entry *ent;
    us_err_t e;

    e = bundle_parse_check_diag(boot.bundle, boot.bundle_size, false, &bd);
    if (e != US_OK) {
        US_LOG_ERR("bundle rejected: %s (entry %u): %s", bd.why, bd.entry, us_err_name(e));
        return e;
    }
    e = bundle_parse_find(boot.bundle, boot.bundle_size, "manifest", &ent);
    if (e != US_OK || ent->type != US_BUNDLE_MANIFEST) {
        US_LOG_ERR("bundle rejected: no boot manifest");
        return US_ECORRUPT;
    }
    e = bundle_parse_verify_entry(boot.bundle, boot.bundle_size, ent);
    if (e != US_OK) {
        US_LOG_ERR("bundle rejected: manifest fails its sha256");
        return e;
    }
    *man = bundle_parse_data(boot.bundle, ent);
    *man_size = ent->size;
    e = manifest_parse_check_diag(*man, *man_size, &md);
    if (e != US_OK) {
        US_LOG_ERR("manifest rejected: %s (server %u cap %u)", md.why, md.server, md.cap);
    }
    return e;
}

us_err_t process_boot_all(const void *bundle, uint64_t bundle_size, paddr_t dtb, uint64_t dtb_size)
{
    const struct us_manifest_hdr *mh;
    const void *man;
    uint64_t man_size;
    uint32_t i, k;
    us_err_t e;

    boot.bundle = bundle;
    boot.bundle_size = bundle_size;
    e = check_manifest(&man, &man_size);
    if (e != US_OK) {
        return e;
    }
    e = make_boot_windows(bundle, bundle_size, dtb, dtb_size);
    if (e != US_OK) {
        return e;
    }
    mh = man;
    process_count = mh->server_count;
    /* Endpoints and notifications first, so any cap can name any server. */
    for (i = 0; i < process_count; i++) {
        struct process *p = &processes[i];
        const struct us_manifest_server *ms;

        (void)manifest_parse_server(man, man_size, i, &ms);
        memset(p, 0, sizeof(*p));
        memcpy(p->name, ms->name, sizeof(p->name));
        p->name[sizeof(p->name) - 1] = '\0';
        p->index = i;
        p->manifest = ms;
        p->ep = kmem_endpoint_alloc();
        p->ntfn = kmem_notification_alloc();
        if (p->ep == NULL || p->ntfn == NULL) {
            return US_ENOMEM;
        }
        p->ep->owner = p;
        p->ep->bound = p->ntfn;
        p->ntfn->bound = p->ep;
        p->thread.proc = p;
        p->thread.prio = ms->priority;
        cap_table_init(&p->caps);
    }
    for (i = 0; i < process_count; i++) {
        struct process *p = &processes[i];
        e = build_space(p, p->manifest);
        if (e != US_OK) {
            return e;
        }
        for (k = 0; k < p->manifest->cap_count; k++) {
            e = grant(p, &p->manifest->caps[k]);
            if (e != US_OK) {
                US_LOG_ERR("server %s: cap slot %u (%s) not granted: %s", p->name,
                           p->manifest->caps[k].slot,
                           manifest_parse_kind_name(p->manifest->caps[k].kind), us_err_name(e));
                return e;
            }
        }
    }
    for (i = 0; i < process_count; i++) {
        processes[i].state = US_SERVER_RUNNING;
        sched_wake(&processes[i].thread);
        US_LOG_INFO("server %s started (priority %u)", processes[i].name, processes[i].thread.prio);
    }
    return US_OK;
}

/* Stop @p's thread wherever it waits, and fail what waits on it: a client learns its call
 * failed (it may call again), a vCPU queues again so the next instance sees its exit once more. */
static void detach(struct process *p)
{
    struct thread *t = &p->thread;
    struct thread *c = t->caller;

    if (t->wait_ep != NULL) {
        thread_queue_remove(&t->wait_ep->receivers, t);
        thread_queue_remove(&t->wait_ep->senders, t);
        t->wait_ep = NULL;
    }
    if (t->wait_ntfn != NULL) {
        t->wait_ntfn->waiter = NULL;
        t->wait_ntfn = NULL;
    }
    if (t->callee != NULL) {
        t->callee->caller = NULL;
        t->callee = NULL;
    }
    sched_block(t, TS_FAULTED);
    arch_thread_forget(t);
    if (c != NULL) {
        t->caller = NULL;
        c->callee = NULL;
        if (c->vcpu != NULL) {
            c->wait_ep = p->ep;
            thread_queue_push(&p->ep->senders, c);
            c->state = TS_BLOCKED_SEND;
        } else {
            thread_set_result(c, US_EABORT, 0);
            sched_wake(c);
        }
    }
    endpoint_abort_owner(p->ep);
    p->state = US_SERVER_FAULTED;
}

/* Zero @pages pages at @va of @p's space (mapped at boot, writable). */
static void zero_pages(struct process *p, uint64_t va, uint64_t pages)
{
    paddr_t pa;

    for (uint64_t i = 0; i < pages; i++) {
        if (arch_aspace_translate(&p->as, va_init(va + i * PAGE_SIZE), true, &pa) == US_OK) {
            memset(pa_ptr(pa), 0, PAGE_SIZE);
        }
    }
}

/* @p, detached, as it was at boot but for its capabilities and state region. */
static us_err_t reload(struct process *p)
{
    const struct us_bundle_entry *img;
    struct us_bootinfo *bi;
    uint64_t entry, t0 = arch_counter();
    paddr_t pa;
    /* Not hashed again: the bundle was checked whole at boot and no server may write it.
     * Hashing the image took the kernel lock for up to 28 ms per restart under emulation. */
    us_err_t e = bundle_parse_find(boot.bundle, boot.bundle_size, p->manifest->image, &img);

    if (e == US_OK) {
        e = elf_reload(bundle_parse_data(boot.bundle, img), img->size, &p->as, US_VA_IPC_BUF,
                       &entry);
    }
    if (e != US_OK || arch_aspace_translate(&p->as, va_init(US_VA_BOOTINFO), false, &pa) != US_OK) {
        US_LOG_ERR("server %s: image '%s' unusable (%s): not restarted", p->name,
                   p->manifest->image, us_err_name(e));
        return US_ECORRUPT;
    }
    /* What it mapped itself goes; the objects stay, held by its capabilities. */
    for (uint32_t i = 0; i < PROCESS_MAPS_MAX; i++) {
        struct memobj *m = p->maps[i].mem;

        if (m != NULL) {
            arch_aspace_unmap(&p->as, va_init(p->maps[i].va), m->size);
            p->maps[i].mem = NULL;
            m->maps--;
        }
    }
    zero_pages(p, US_VA_STACK_TOP - STACK_PAGES * PAGE_SIZE, STACK_PAGES);
    zero_pages(p, US_VA_IPC_BUF, 1);
    zero_pages(p, HEAP_VA, p->manifest->heap_pages);
    arch_sync_icache();
    bi = pa_ptr(pa);
    bi->restart_count = ++p->restarts;
    p->restart_at = t0 | 1u; /* never 0; the reload itself is part of the recovery */
    arch_thread_init_user(&p->thread, entry, US_VA_STACK_TOP, US_VA_BOOTINFO);
    p->served = false;
    p->state = US_SERVER_RUNNING;
    sched_wake(&p->thread);
    US_LOG_INFO("server %s restarted from the boot image (restart %u)", p->name, p->restarts);
    return US_OK;
}

us_err_t process_restart(struct process *p)
{
    if (!p->recovers) {
        return US_ENOTSUP;
    }
    if (p->state == US_SERVER_RUNNING) {
        if (sched_is_live_elsewhere(&p->thread)) {
            return US_EBUSY;
        }
        /* Preempted in the middle of a message, its state region's seal may be half written:
         * it restarts when it next waits for one (process_waits()). */
        if (p->thread.state == TS_RUNNING && &p->thread != this_cpu()->current) {
            p->restart_due = true;
            return US_OK;
        }
        detach(p);
    }
    return reload(p);
}

void process_fault(struct process *p, uint64_t esr, uint64_t far, uint64_t pc)
{
    bool restarts = p->recovers && p->served;

    if (!restarts) {
        klog_reader_lost(p->ntfn); /* the console stays down: the operator sees these lines */
    }
    p->faults++;
    p->fault_addr = far;
    p->fault_esr = esr;
    p->fault_pc = pc;
    US_LOG_ERR("server %s faulted: " ARCH_FAULT_FMT "; other servers and guests keep running",
               p->name, (unsigned long long)pc, (unsigned long long)far, (unsigned long long)esr);
    detach(p);
    /* One that faults before it has served anything since it started would only fault again:
     * it waits for the operator (server restart). */
    if (restarts) {
        (void)reload(p);
    } else if (p->recovers) {
        US_LOG_ERR("server %s faulted before serving a request: not restarted", p->name);
    }
}

bool process_waits(struct process *p)
{
    if (p->restart_due) {
        p->restart_due = false;
        detach(p);
        (void)reload(p); /* it starts again at its entry point */
        return true;
    }
    p->recv_epoch++;
    if (p->restart_at != 0) {
        uint64_t ns = (arch_counter() - p->restart_at) * 1000000000ull / arch_counter_freq();

        /* Under QEMU's -icount shift=0 a nanosecond is an instruction (bench/). */
        US_LOG_INFO("server %s waits for requests again %llu ns after its restart", p->name,
                    (unsigned long long)ns);
        p->restart_at = 0;
    }
    return false;
}

void process_watch(struct thread *cur)
{
    struct process *p = cur != NULL ? cur->proc : NULL;

    if (p == NULL || !p->recovers || !p->served || p->state != US_SERVER_RUNNING) {
        return;
    }
    if (p->watch_epoch != p->recv_epoch) {
        p->watch_epoch = p->recv_epoch;
        p->watch_ticks = 0;
        return;
    }
    if (++p->watch_ticks < PROCESS_WATCHDOG_TICKS) {
        return;
    }
    p->hangs++;
    US_LOG_ERR("server %s stopped answering: %u ticks on one message; restarted (watchdog)",
               p->name, p->watch_ticks);
    p->watch_ticks = 0;
    detach(p);
    (void)reload(p);
}

us_err_t process_map(struct process *p, struct memobj *m, vaddr_t va, uint32_t rights)
{
    struct process_map *free = NULL;
    us_err_t e;

    for (uint32_t i = 0; i < PROCESS_MAPS_MAX && free == NULL; i++) {
        free = p->maps[i].mem == NULL ? &p->maps[i] : NULL;
    }
    if (free == NULL) {
        return US_ENOMEM;
    }
    e = arch_aspace_map(&p->as, va, m->base, m->size, rights | (m->device ? MAP_DEVICE : 0u));
    if (e == US_OK) {
        *free = (struct process_map){m, va_of(va)};
        m->maps++;
    }
    return e;
}

us_err_t process_unmap(struct process *p, struct memobj *m)
{
    us_err_t e = US_ENOENT;

    for (uint32_t i = 0; i < PROCESS_MAPS_MAX; i++) {
        if (p->maps[i].mem == m) {
            arch_aspace_unmap(&p->as, va_init(p->maps[i].va), m->size);
            p->maps[i].mem = NULL;
            m->maps--;
            e = US_OK;
        }
    }
    return e;
}

void process_revoke(uint32_t kind, const void *obj)
{
    for (uint32_t i = 0; i < process_count; i++) {
        (void)cap_revoke(&processes[i].caps, kind, obj);
    }
}
