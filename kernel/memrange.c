/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A physical range taken out of use (maint remove-memory, docs/memory.md): withheld from the
 * frame pool, so that what moves out of it (a guest's RAM, re-created elsewhere by its
 * understudy) cannot come back, and audited: which frames in it are still in use, and which
 * memory objects, mapped by whom, still reach into it. */
#include <understudy/syscalls.h>
#include <uslib/string.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/memrange.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vm.h>
#include <us/arch/irq.h>
#include <us/arch/mmu.h>

#define MEMRANGE_MAX_FRAMES 65536u /* 256 MiB withheld at most */

static uint64_t held[MEMRANGE_MAX_FRAMES / 64];
static uint32_t parked_ticks; /* ticks since guests were parked for a move */

/* Guests parked for a move wait for the mover to ask again; if it does not within 5 ticks
 * (say it died), they run on where they are. */
void memrange_tick(void)
{
    if (++parked_ticks == 5) {
        vm_unpark_all();
    }
}

us_err_t memrange_offline(uint64_t base, uint64_t size)
{
    uint64_t used, free;
    us_err_t e;

    if (size == 0 || (size >> PAGE_SHIFT) > MEMRANGE_MAX_FRAMES) {
        return US_ERANGE;
    }
    /* Room: what is in use in the range must fit in what is free outside it. */
    frame_pool_count(&kmem_pool, pa_init(base), size, &used, &free);
    if (kmem_pool.free_count - free < used) {
        return US_ENOMEM;
    }
    e = frame_pool_offline(&kmem_pool, pa_init(base), size, held, MEMRANGE_MAX_FRAMES);
    if (e == US_OK) {
        US_LOG_INFO("memory 0x%llx+0x%llx withheld: %llu frames in use to move out",
                    (unsigned long long)base, (unsigned long long)size, (unsigned long long)used);
    }
    return e;
}

void memrange_online(void)
{
    vm_unpark_all();
    if (kmem_pool.off_count != 0) {
        US_LOG_INFO("the withheld memory is in use again");
        frame_pool_online(&kmem_pool);
    }
}

static void copy_name(char *out, size_t len, const char *s)
{
    size_t n = strnlen(s, len - 1u);

    memcpy(out, s, n);
    out[n] = '\0';
}

/* Who holds @m: a server that maps it, else the VM whose stage 2 maps it, else "held". */
static void holder_of(const struct memobj *m, char *out, size_t len)
{
    for (uint32_t i = 0; i < process_count; i++) {
        for (uint32_t j = 0; j < PROCESS_MAPS_MAX; j++) {
            if (processes[i].maps[j].mem == m) {
                copy_name(out, len, processes[i].name);
                return;
            }
        }
    }
    copy_name(out, len, vm_maps_memobj(m) ? "a VM" : "held");
}

/* Whether memory object @m reaches into [@lo, @hi). */
static bool reaches(const struct memobj *m, uint64_t lo, uint64_t hi)
{
    return pa_of(m->base) < hi && pa_of(m->base) + m->size > lo;
}

/* An audit's leaf: count the pages of it in the range. */
static paddr_t leaf_count(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    uint64_t lo = pa_of(pa) > r->lo ? pa_of(pa) : r->lo;
    uint64_t hi = pa_of(pa) + span < r->hi ? pa_of(pa) + span : r->hi;

    (void)va;
    r->left += (hi - lo) / PAGE_SIZE;
    return pa;
}

/* Pages of [base, base + size) any server's space or VM's stage 2 maps, however. */
static uint64_t mapped_pages(uint64_t base, uint64_t size)
{
    struct relocation r = {.lo = base, .hi = base + size, .probe = true, .leaf = leaf_count};

    for (uint32_t i = 0; i < process_count; i++) {
        arch_aspace_relocate(&processes[i].as, &r);
    }
    vm_relocate_tables(&r);
    return r.left;
}

uint32_t memrange_audit(uint64_t base, uint64_t size, uint64_t *used, uint64_t *mapped,
                        struct us_mem_holder *out, uint32_t max)
{
    uint64_t free;
    uint32_t n = 0;

    frame_pool_count(&kmem_pool, pa_init(base), size, used, &free);
    *mapped = mapped_pages(base, size);
    for (uint32_t i = 0; (i < KMEM_MEMOBJS) && n < max; i++) {
        const struct memobj *m = kmem_memobj_at(i);

        if (m == NULL || m->device || !reaches(m, base, base + size)) {
            continue;
        }
        memset(&out[n], 0, sizeof(out[n]));
        out[n].base = pa_of(m->base);
        out[n].size = m->size;
        out[n].maps = m->maps;
        holder_of(m, out[n].holder, sizeof(out[n].holder));
        n++;
    }
    return n;
}

/* One memrange_move(): the range, the memory objects that move (from -> to) and whose pages
 * stay this time, and the server whose space is being walked. Under the kernel lock. */
static struct {
    struct relocation r;
    uint64_t from[KMEM_MEMOBJS], to[KMEM_MEMOBJS]; /* physical bases; to 0: it stays */
    bool stays[KMEM_MEMOBJS];
    struct process *owner;
    uint64_t moved;
} mv;

/* The memory object over RAM that holds @pa, or held it before it moved; or -1. */
static int32_t object_at(uint64_t pa)
{
    for (uint32_t i = 0; i < KMEM_MEMOBJS; i++) {
        const struct memobj *m = kmem_memobj_at(i);

        if (m != NULL && !m->device &&
            (pa - pa_of(m->base) < m->size || (mv.to[i] != 0 && pa - mv.from[i] < m->size))) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* Where memory object @i's page at @pa is now: it follows the object if it moved. */
static paddr_t followed(int32_t i, paddr_t pa)
{
    return i >= 0 && mv.to[i] != 0 ? pa_init(mv.to[i] + (pa_of(pa) - mv.from[i])) : pa;
}

/* @count frames aligned to @align bytes, not zeroed: a copy fills them at once (a guest's RAM
 * is 192 MiB; zeroing it first would double the time its guest stays parked). */
static us_err_t frames_for_copy(uint64_t count, uint64_t align, paddr_t *out)
{
    return frame_alloc(&kmem_pool, count, align / PAGE_SIZE, out);
}

/* A leaf of a server running elsewhere: nothing of it moves now. */
static paddr_t leaf_busy(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    int32_t i = object_at(pa_of(pa));

    (void)va;
    if (i >= 0) {
        mv.stays[i] = true;
    } else {
        r->left += span / PAGE_SIZE;
    }
    return pa;
}

/* A leaf of a VM: an object that moved (its RAM, its vCPUs parked) follows; the rest stays. */
static paddr_t leaf_vm(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    (void)r, (void)va, (void)span;
    return followed(object_at(pa_of(pa)), pa);
}

/* A leaf of a server that cannot run now: an object that moved, or a frame of its own. */
static paddr_t leaf_move(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    int32_t i = object_at(pa_of(pa));
    paddr_t to;

    if (i >= 0) {
        return followed(i, pa);
    }
    if (va == ARCH_TRAMPOLINE_VA) {
        return pa; /* the kernel's image, mapped in every space */
    }
    if (frames_for_copy(span / PAGE_SIZE, span, &to) != US_OK) {
        r->left += span / PAGE_SIZE;
        return pa;
    }
    memcpy(pa_ptr(to), pa_ptr(pa), span);
    kmem_free_frames(pa, span / PAGE_SIZE);
    if (va == US_VA_IPC_BUF) {
        mv.owner->thread.msg = pa_ptr(to);
    }
    mv.moved += span / PAGE_SIZE;
    return to;
}

/* What the VMs mapping memory object @m allow: it is no VM's; every VM mapping it is parked
 * and not running (it may move); one is parked but still running (it waits); or it is a
 * guest's memory that stays. */
enum guests { NO_GUEST, GUESTS_QUIET, GUEST_RUNS, GUEST_STAYS };

static enum guests guests_of(const struct memobj *m)
{
    enum guests g = NO_GUEST;

    for (uint32_t i = 0; i < VM_MAX; i++) {
        const struct vm *vm = vm_at(i);

        for (uint32_t j = 0; vm != NULL && j < VM_MEMS_MAX; j++) {
            if (vm->mems[j] != m) {
                continue;
            }
            if (!vm->parked) {
                return GUEST_STAYS;
            }
            g = vm_running(vm) ? GUEST_RUNS : g == NO_GUEST ? GUESTS_QUIET : g;
        }
    }
    return g;
}

/* Whether memory object @m may move at all: RAM whose address was never given out (a
 * fast-MMIO page may move: its VMs' lock-free accesses are frozen meanwhile). */
static bool movable(const struct memobj *m)
{
    return !m->device && !m->slice && !m->pinned;
}

/* Park every VM whose stage 2 maps movable memory reaching into the range. */
static void park_guests(void)
{
    for (uint32_t i = 0; i < VM_MAX; i++) {
        struct vm *vm = vm_at(i);

        for (uint32_t j = 0; vm != NULL && j < VM_MEMS_MAX; j++) {
            const struct memobj *m = vm->mems[j];

            if (m != NULL && movable(m) && reaches(m, mv.r.lo, mv.r.hi)) {
                vm_park(vm);
                parked_ticks = 0;
                break;
            }
        }
    }
}

/* Copy each movable object reaching into the range that no busy server maps. */
static void move_objects(uint64_t lo, uint64_t hi)
{
    for (uint32_t i = 0; i < KMEM_MEMOBJS; i++) {
        struct memobj *m = kmem_memobj_at(i);
        enum guests g = m != NULL ? guests_of(m) : NO_GUEST;
        uint64_t pages, align;
        paddr_t to;

        if (m == NULL || !movable(m) || !reaches(m, lo, hi) || g == GUEST_STAYS) {
            continue;
        }
        pages = m->size / PAGE_SIZE;
        align = pa_of(m->base) & (~pa_of(m->base) + 1u); /* its alignment, for its blocks */
        align = align == 0 || align > (2ull << 20) ? (2ull << 20) : align;
        if (mv.stays[i] || g == GUEST_RUNS || frames_for_copy(pages, align, &to) != US_OK) {
            mv.r.left += pages;
            continue;
        }
        memcpy(pa_ptr(to), pa_ptr(m->base), m->size);
        mv.from[i] = pa_of(m->base);
        mv.to[i] = pa_of(to);
        m->base = to;
        process_boot_moved(m);
        vm_memobj_moved(m, pa_init(mv.from[i]));
        mv.moved += pages;
    }
}

uint64_t memrange_move(bool guests, uint64_t *left)
{
    uint64_t t0 = arch_counter();
    uint64_t lo = kmem_pool.base + kmem_pool.off_first * PAGE_SIZE;

    memset(&mv, 0, sizeof(mv));
    *left = 0;
    if (kmem_pool.off_count == 0) {
        return 0;
    }
    mv.r.lo = lo;
    mv.r.hi = lo + kmem_pool.off_count * PAGE_SIZE;
    /* Servers running elsewhere: their tables may move, what they map stays. */
    for (uint32_t i = 0; i < process_count; i++) {
        if (sched_is_live_elsewhere(&processes[i].thread)) {
            mv.r.leaf = leaf_busy;
            mv.r.root = false;
            arch_aspace_relocate(&processes[i].as, &mv.r);
        }
    }
    if (guests) {
        park_guests();
    }
    /* A fast-MMIO page may move: no vCPU touches one meanwhile (vm_fastmmio_nolock()). */
    for (uint32_t i = 0; i < VM_MAX; i++) {
        if (vm_at(i) != NULL) {
            vm_fastmmio_freeze(vm_at(i));
        }
    }
    move_objects(mv.r.lo, mv.r.hi);
    for (uint32_t i = 0; i < VM_MAX; i++) {
        if (vm_at(i) != NULL) {
            vm_fastmmio_thaw(vm_at(i));
        }
    }
    for (uint32_t i = 0; i < process_count; i++) {
        if (!sched_is_live_elsewhere(&processes[i].thread)) {
            mv.owner = &processes[i];
            mv.r.leaf = leaf_move;
            mv.r.root = true;
            arch_aspace_relocate(&processes[i].as, &mv.r);
        }
    }
    /* The old frames of the objects that moved stay withheld; nothing maps them now. */
    for (uint32_t i = 0; i < KMEM_MEMOBJS; i++) {
        if (mv.to[i] != 0) {
            kmem_free_frames(pa_init(mv.from[i]), kmem_memobj_at(i)->size / PAGE_SIZE);
        }
    }
    mv.r.leaf = leaf_vm;
    vm_relocate_tables(&mv.r);
    mv.moved += mv.r.moved;
    *left = mv.r.left;
    if (*left == 0) {
        vm_unpark_all(); /* what waited moved: the guests run on, on their new pages */
    }
    US_LOG_INFO("memory 0x%llx+0x%llx: %llu pages moved out (%llu tables' roots) in %llu us, %llu "
                "wait",
                (unsigned long long)mv.r.lo, (unsigned long long)(mv.r.hi - mv.r.lo),
                (unsigned long long)mv.moved, (unsigned long long)mv.r.roots,
                (unsigned long long)((arch_counter() - t0) * 1000000u / arch_counter_freq()),
                (unsigned long long)*left);
    return mv.moved;
}
