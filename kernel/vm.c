/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* VMs: VMID allocation and stage-2 mapping of memory objects. */
#include <understudy/abi.h>
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/cpu.h>
#include <us/arch/mmu.h>

static struct vm vms[VM_MAX];
bool vm_reap_pending;

us_err_t vm_create(struct vm_control *ctl, struct vm **out)
{
    uint32_t i, j;
    us_err_t e;

    if (vm_reap_pending) {
        vm_reap(); /* a destroyed VM's slot may be free by now */
    }
    for (i = 0; i < VM_MAX; i++) {
        if (!vms[i].in_use) {
            break;
        }
    }
    if (i == VM_MAX) {
        return US_ENOMEM;
    }
    /* VMID 0 belongs to the servers' EL1&0 regime. */
    e = arch_stage2_init(&vms[i].s2, (uint16_t)(i + 1));
    if (e != US_OK) {
        return e;
    }
    vms[i].vmid = i + 1;
    vms[i].ctl = ctl;
    vms[i].in_use = true;
    for (j = 0; j < VM_MAX_VCPUS; j++) {
        vms[i].vcpus[j] = NULL;
    }
    memset(vms[i].fast, 0, sizeof(vms[i].fast));
    vms[i].fast_end = 0;
    memset(vms[i].mems, 0, sizeof(vms[i].mems));
    vms[i].parked = false;
    *out = &vms[i];
    return US_OK;
}

bool vm_maps_memobj(const struct memobj *m)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        for (uint32_t j = 0; vms[i].in_use && j < VM_MEMS_MAX; j++) {
            if (vms[i].mems[j] == m) {
                return true;
            }
        }
    }
    return false;
}

void vm_memobj_moved(const struct memobj *m, paddr_t from)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        for (uint32_t j = 0; vms[i].in_use && j < VM_FASTMMIO_MAX; j++) {
            struct vm_fastmmio *f = &vms[i].fast[j];

            if (f->kind != US_FASTMMIO_NONE && f->mem == m) {
                f->page = pa_ptr(pa_add(m->base, pa_of(pa_from_ptr(f->page)) - pa_of(from)));
            }
        }
    }
}

us_err_t vm_map(struct vm *vm, struct memobj *m, ipa_t ipa, uint32_t rights)
{
    uint32_t i;
    us_err_t e;

    US_ASSERT(rights != 0 && (rights & ~(US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC)) == 0);
    for (i = 0; i < VM_MEMS_MAX && vm->mems[i] != NULL; i++) {
    }
    if (i == VM_MEMS_MAX) {
        return US_ENOMEM;
    }
    e = arch_stage2_map(&vm->s2, ipa, m->base, m->size, rights | (m->device ? MAP_DEVICE : 0u));
    if (e == US_OK) {
        vm->mems[i] = m;
        m->maps++;
    }
    return e;
}

/* Empty fast-MMIO entry @f, dropping its mapping of a memory object. */
/* kind and ipa are read without the gate (fast_covers()): stored whole. */
static void fast_clear(struct vm_fastmmio *f)
{
    if (f->kind != US_FASTMMIO_NONE) {
        f->mem->maps--;
        __atomic_store_n(&f->kind, US_FASTMMIO_NONE, __ATOMIC_RELAXED);
    }
}

/* Whether any CPU is still running one of @vm's vCPUs (it may be in the guest right now,
 * with VTTBR_EL2 pointing at the VM's tables). */
bool vm_running(const struct vm *vm)
{
    for (uint32_t c = 0; c < cpu_count; c++) {
        const struct thread *t = cpus[c].current;

        if (t != NULL && t->vcpu != NULL && t->vcpu->vm == vm) {
            return true;
        }
    }
    return false;
}

static void vm_release(struct vm *vm)
{
    for (uint32_t j = 0; j < VM_MAX_VCPUS; j++) {
        if (vm->vcpus[j] != NULL) {
            vm->vcpus[j]->in_use = false;
            vm->vcpus[j] = NULL;
        }
    }
    arch_stage2_free(&vm->s2);
    for (uint32_t j = 0; j < VM_MEMS_MAX; j++) {
        if (vm->mems[j] != NULL) {
            vm->mems[j]->maps--;
            vm->mems[j] = NULL;
        }
    }
    for (uint32_t j = 0; j < VM_FASTMMIO_MAX; j++) {
        fast_clear(&vm->fast[j]);
    }
    vm->dying = false;
    vm->in_use = false;
}

struct vm *vm_at(uint32_t i)
{
    return i < VM_MAX && vms[i].in_use && !vms[i].dying ? &vms[i] : NULL;
}

void vm_park(struct vm *vm)
{
    for (uint32_t j = 0; j < VM_MAX_VCPUS; j++) {
        if (vm->vcpus[j] != NULL && vm->vcpus[j]->thread.state == TS_RUNNING) {
            sched_block(&vm->vcpus[j]->thread, TS_PARKED); /* kicks the CPU running it */
        }
    }
    vm->parked = true;
}

void vm_unpark_all(void)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        for (uint32_t j = 0; vms[i].parked && j < VM_MAX_VCPUS; j++) {
            if (vms[i].vcpus[j] != NULL && vms[i].vcpus[j]->thread.state == TS_PARKED) {
                sched_wake(&vms[i].vcpus[j]->thread);
            }
        }
        vms[i].parked = false;
    }
}

void vm_relocate_tables(struct relocation *r)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        struct vm *vm = vm_at(i);

        if (vm != NULL) {
            /* A vCPU running elsewhere has the root in VTTBR_EL2: the root waits for a pass
             * when none runs. The tables below it may move under a running guest. */
            r->root = !vm_running(vm);
            arch_stage2_relocate(&vm->s2, r);
        }
    }
}

void vm_destroy(struct vm *vm)
{
    for (uint32_t j = 0; j < VM_MAX_VCPUS; j++) {
        if (vm->vcpus[j] != NULL) {
            vcpu_stop(vm->vcpus[j]);
            process_revoke(US_CAPK_VCPU, vm->vcpus[j]);
        }
    }
    process_revoke(US_CAPK_VM, vm);
    vm->dying = true;
    vm_reap_pending = true;
    vm_reap();
}

void vm_reap(void)
{
    bool waiting = false;

    for (uint32_t i = 0; i < VM_MAX; i++) {
        if (!vms[i].dying) {
            continue;
        }
        if (vm_running(&vms[i])) {
            waiting = true;
        } else {
            vm_release(&vms[i]);
        }
    }
    vm_reap_pending = waiting;
}

/* Past the last entry in use: where the scan without the gate stops. */
static void fast_bound(struct vm *vm)
{
    uint32_t end = VM_FASTMMIO_MAX;

    while (end > 0 && vm->fast[end - 1].kind == US_FASTMMIO_NONE) {
        end--;
    }
    __atomic_store_n(&vm->fast_end, end, __ATOMIC_RELAXED);
}

/* W1C entries cover two words: the status and its acknowledge. */
static inline bool w1c_covers(uint64_t at, uint64_t ipa)
{
    return ipa - at <= 4u && ipa % 4u == 0;
}

us_err_t vm_fastmmio_set(struct vm *vm, uint64_t ipa, uint32_t kind, struct memobj *m,
                         uint64_t offset, struct notification *n, uint64_t bit, uint32_t index)
{
    struct vm_fastmmio *free = NULL;
    bool signals = kind == US_FASTMMIO_RING || kind == US_FASTMMIO_BELL;
    uint32_t i;

    if (kind > US_FASTMMIO_BELL ||
        (kind != US_FASTMMIO_NONE &&
         (m == NULL || m->device || offset % PAGE_SIZE != 0 || offset > m->size ||
          m->size - offset < PAGE_SIZE || (signals && (n == NULL || bit == 0)) ||
          index >= US_FASTMMIO_ISRS))) {
        return US_TRACE(US_EINVAL);
    }
    for (i = 0; i < VM_FASTMMIO_MAX; i++) {
        if (vm->fast[i].kind != US_FASTMMIO_NONE && vm->fast[i].ipa == ipa) {
            free = &vm->fast[i]; /* replaced (or removed) */
            break;
        }
        if (vm->fast[i].kind == US_FASTMMIO_NONE && free == NULL) {
            free = &vm->fast[i];
        }
    }
    if (kind == US_FASTMMIO_NONE) {
        if (free == NULL || free->kind == US_FASTMMIO_NONE) {
            return US_ENOENT;
        }
        vm_fastmmio_freeze(vm);
        fast_clear(free);
        fast_bound(vm);
        vm_fastmmio_thaw(vm);
        return US_OK;
    }
    if (free == NULL) {
        return US_ENOMEM;
    }
    vm_fastmmio_freeze(vm);
    fast_clear(free);
    m->maps++;
    free->bit = bit;
    free->index = index;
    free->page = (struct us_fastmmio_page *)pa_ptr(pa_add(m->base, offset));
    free->ntfn = n;
    free->mem = m;
    __atomic_store_n(&free->ipa, ipa, __ATOMIC_RELAXED);
    __atomic_store_n(&free->kind, kind, __ATOMIC_RELAXED);
    fast_bound(vm);
    vm_fastmmio_thaw(vm);
    return US_OK;
}

void vm_fastmmio_freeze(struct vm *vm)
{
    __atomic_store_n(&vm->fast_frozen, true, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&vm->fast_users, __ATOMIC_SEQ_CST) != 0) {
        arch_cpu_relax(); /* a few instructions on another CPU, which takes no lock */
    }
}

void vm_fastmmio_thaw(struct vm *vm)
{
    __atomic_store_n(&vm->fast_frozen, false, __ATOMIC_SEQ_CST);
}

/* The kinds of entry @f that never signal (W1C, a WORD read, LATCH): they touch only words of
 * its page, so they are finished with or without the kernel lock. */
static inline __attribute__((always_inline)) bool
fast_nolock_one(const struct vm_fastmmio *f, uint64_t ipa, bool write, uint64_t *value)
{
    struct us_fastmmio_page *p = f->page;

    if (f->kind == US_FASTMMIO_W1C && w1c_covers(f->ipa, ipa)) {
        if (write) {
            (void)__atomic_fetch_and(&p->isr[f->index], ~(uint32_t)*value, __ATOMIC_ACQ_REL);
        } else {
            *value = __atomic_load_n(&p->isr[f->index], __ATOMIC_ACQUIRE);
        }
        return true;
    }
    if (f->ipa != ipa) {
        return false;
    }
    if (f->kind == US_FASTMMIO_WORD && !write) {
        *value = __atomic_load_n(&p->word, __ATOMIC_ACQUIRE);
        return true;
    }
    if (f->kind == US_FASTMMIO_LATCH) {
        if (write) {
            __atomic_store_n(&p->latch, (uint32_t)*value, __ATOMIC_RELEASE);
        } else {
            *value = __atomic_load_n(&p->latch, __ATOMIC_ACQUIRE);
        }
        return true;
    }
    return false;
}

/* Whether entry @f covers an access at @ipa (W1C: its two words). */
static bool fast_covers(const struct vm_fastmmio *f, uint64_t ipa)
{
    uint32_t kind = __atomic_load_n(&f->kind, __ATOMIC_RELAXED);
    uint64_t at = __atomic_load_n(&f->ipa, __ATOMIC_RELAXED);

    return kind != US_FASTMMIO_NONE && (kind == US_FASTMMIO_W1C ? w1c_covers(at, ipa) : ipa == at);
}

enum vm_fast vm_fastmmio_nolock(struct vm *vm, uint64_t ipa, bool write, uint64_t *value)
{
    uint32_t i = 0, end = __atomic_load_n(&vm->fast_end, __ATOMIC_RELAXED);
    bool done = false;

    /* A first look without the gate, at words an entry's writer may be changing: only to
     * tell an address no entry covers (most exits) from one that may have an entry. A stale
     * look sends the access to the vmm, which emulates every register it hands out. */
    while (i < end && !fast_covers(&vm->fast[i], ipa)) {
        i++;
    }
    if (i == end) {
        return VM_FAST_NONE;
    }
    /* Announce, then look for a writer (which announces, then looks for us): one of the two
     * sees the other, so no access runs while fast[] or a page changes. */
    __atomic_fetch_add(&vm->fast_users, 1u, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&vm->fast_frozen, __ATOMIC_SEQ_CST)) {
        done = fast_nolock_one(&vm->fast[i], ipa, write, value);
    }
    __atomic_fetch_sub(&vm->fast_users, 1u, __ATOMIC_SEQ_CST);
    return done ? VM_FAST_DONE : VM_FAST_LOCKED;
}

void vm_fastmmio_tick(void)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        for (uint32_t j = 0; vms[i].in_use && j < vms[i].fast_end; j++) {
            const struct vm_fastmmio *f = &vms[i].fast[j];

            if (f->kind == US_FASTMMIO_RING &&
                __atomic_load_n(&f->page->head, __ATOMIC_ACQUIRE) !=
                    __atomic_load_n(&f->page->tail, __ATOMIC_ACQUIRE)) {
                notification_signal(f->ntfn, f->bit);
            }
        }
    }
}

bool vm_fastmmio_access(struct vm *vm, uint64_t ipa, bool write, uint64_t *value)
{
    for (uint32_t i = 0; i < vm->fast_end; i++) { /* the writers hold the lock too */
        struct vm_fastmmio *f = &vm->fast[i];
        struct us_fastmmio_page *p = f->page;
        uint32_t head, tail;

        if (fast_nolock_one(f, ipa, write, value)) {
            return true; /* W1C, a WORD read, LATCH */
        }
        if (f->kind == US_FASTMMIO_NONE || f->ipa != ipa) {
            continue;
        }
        if (f->kind == US_FASTMMIO_BELL) {
            if (!write || *value >= 32u) {
                return false; /* the vmm answers what is not a queue's doorbell */
            }
            if (__atomic_fetch_or(&p->bell[f->index], 1u << *value, __ATOMIC_ACQ_REL) == 0) {
                notification_signal(f->ntfn, f->bit);
            }
            return true;
        }
        if (f->kind != US_FASTMMIO_RING || !write) {
            return false; /* a WORD write, a RING read */
        }
        head = p->head;
        tail = __atomic_load_n(&p->tail, __ATOMIC_ACQUIRE);
        if (head - tail >= US_FASTMMIO_RING_BYTES) {
            return false; /* full: the vmm takes the ring, then this write, in order */
        }
        p->ring[head % US_FASTMMIO_RING_BYTES] = (uint8_t)*value;
        __atomic_store_n(&p->head, head + 1u, __ATOMIC_RELEASE);
        /* Batched: the tick signals a ring that holds bytes (vm_fastmmio_tick()), and only a
         * ring filling up signals at once. Signalling the first byte made the vmm preempt the
         * guest for it, and the console the vmm: two servers a byte of a kernel's log. */
        if (head + 1u - tail == US_FASTMMIO_RING_BYTES / 2u) {
            notification_signal(f->ntfn, f->bit);
        }
        return true;
    }
    return false;
}
