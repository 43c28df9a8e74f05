/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for giving memory back: US_SYS_MEM_UNMAP, US_SYS_MEM_FREE, and the mapping counts
 * of memory objects that server spaces, VMs' stage 2 and fast-MMIO entries hold. */
#include <string.h>
#include <understudy/syscalls.h>
#include <understudy/vcpu.h>
#include <us/kmem.h>
#include <us/lock.h>
#include <us/syscall.h>
#include <us/memobj.h>
#include <us/memrange.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include "kernel_fx.h"
#include "ut.h"

/* Slots of a: */
#define A_CTL 2u  /* VM control, QUOTA */
#define A_UART 3u /* an MMIO window */
#define A_NTFN 4u /* own notification, send */
#define A_BOOT 5u /* RAM from the boot manifest (no quota) */
#define A_EP 6u   /* own endpoint, receive */

#define QUOTA (4u << 20)
#define VA US_VA_DYNAMIC
#define RW (US_RIGHT_READ | US_RIGHT_WRITE)

static struct process *a, *b;
static struct vm_control ctl = {.quota = QUOTA};

static void setup_cpus(uint32_t cpu_total)
{
    struct memobj *uart, *boot;

    kfx_init(cpu_total);
    a = kfx_process("a", 10);
    b = kfx_process("b", 10);
    ctl.used = 0;
    kfx_grant(a, A_CTL, US_CAPK_VM_CONTROL, 0, &ctl, 0);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x09000000), PAGE_SIZE, true, &uart), US_OK);
    kfx_grant(a, A_UART, US_CAPK_MEMORY, RW, uart, 0);
    kfx_grant(a, A_NTFN, US_CAPK_NOTIFICATION, US_RIGHT_SEND, a->ntfn, 0);
    UT_EXPECT_EQ(memobj_create_ram(PAGE_SIZE, PAGE_SIZE, &boot), US_OK);
    kfx_grant(a, A_BOOT, US_CAPK_MEMORY, RW, boot, 0);
    kfx_grant(a, A_EP, US_CAPK_ENDPOINT, US_RIGHT_RECV, a->ep, 0);
}

static void setup(void)
{
    setup_cpus(1);
}

static uint64_t sys(struct process *p, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                    uint64_t a3)
{
    return kfx_sys(&p->thread, nr, a0, a1, a2, a3, 0, 0);
}

/* A RAM memory handle of a, @size bytes from its quota. */
static uint64_t new_mem(uint64_t size)
{
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, size, 0, 0), US_OK);
    return kfx_r(&a->thread, 1);
}

static struct memobj *mem_of(uint64_t h)
{
    return a->caps.slot[h].obj;
}

/* A VM handle of a. */
static uint64_t new_vm(void)
{
    UT_EXPECT_EQ(sys(a, US_SYS_VM_CREATE, A_CTL, 0, 0, 0), US_OK);
    return kfx_r(&a->thread, 1);
}

static bool mapped(const struct process *p, uint64_t va)
{
    paddr_t pa;

    return arch_aspace_translate(&p->as, va_init(va), false, &pa) == US_OK;
}

static void unmap_removes_mapping(void)
{
    uint64_t h;

    setup();
    h = new_mem(2 * PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    UT_EXPECT(mapped(a, VA + PAGE_SIZE));
    UT_EXPECT_EQ(mem_of(h)->maps, 1);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT(!mapped(a, VA));
    UT_EXPECT(!mapped(a, VA + PAGE_SIZE));
    UT_EXPECT_EQ(mem_of(h)->maps, 0);
    /* The range is free again, for this object or another. */
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, VA + PAGE_SIZE, US_RIGHT_READ, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA + 2 * PAGE_SIZE, US_RIGHT_READ, 0), US_OK);
}

/* Every mapping of the object in the caller's space goes, nothing else does. */
static void unmap_removes_every_mapping(void)
{
    uint64_t h, other;

    setup();
    h = new_mem(2u << 20); /* a 2 MiB block on aarch64 */
    other = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA + (4u << 20), US_RIGHT_READ, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, other, VA + (2u << 20), RW, 0), US_OK);
    UT_EXPECT_EQ(mem_of(h)->maps, 2);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT(!mapped(a, VA));
    UT_EXPECT(!mapped(a, VA + (2u << 20) - PAGE_SIZE));
    UT_EXPECT(!mapped(a, VA + (4u << 20)));
    UT_EXPECT(mapped(a, VA + (2u << 20)));
    UT_EXPECT_EQ(mem_of(h)->maps, 0);
    UT_EXPECT_EQ(mem_of(other)->maps, 1);
}

static void unmap_rejects_unmapped(void)
{
    uint64_t h;

    setup();
    h = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_ENOENT);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_ENOENT);
    /* Only the caller's own mappings: b's copy of the capability unmaps nothing of a's. */
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    kfx_grant(b, 20, US_CAPK_MEMORY, RW, mem_of(h), 0);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_UNMAP, 20, 0, 0, 0), US_ENOENT);
    UT_EXPECT(mapped(a, VA));
    UT_EXPECT_EQ(mem_of(h)->maps, 1);
}

static void unmap_rejects_bad_handle(void)
{
    uint64_t h;

    setup();
    h = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, A_CTL, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, 40, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, US_CAP_SLOTS, 0, 0, 0), US_ERANGE);
    UT_EXPECT(mapped(a, VA));
    UT_EXPECT_EQ(mem_of(h)->maps, 1);
}

/* A full table of mappings refuses the next one before mapping anything, once the arguments
 * are found good: bad ones still give their own errors. */
static void map_rejects_full_table(void)
{
    uint64_t h;

    setup();
    h = new_mem(PAGE_SIZE);
    for (uint64_t i = 0; i < PROCESS_MAPS_MAX; i++) {
        UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA + i * PAGE_SIZE, US_RIGHT_READ, 0), US_OK);
    }
    UT_EXPECT_EQ(mem_of(h)->maps, PROCESS_MAPS_MAX);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, VA - PAGE_SIZE, US_RIGHT_READ, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, US_VA_USER_TOP, US_RIGHT_READ, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, VA + (1u << 30), 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_CTL, VA + (1u << 30), US_RIGHT_READ, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, VA + (1u << 30), US_RIGHT_READ, 0), US_ENOMEM);
    UT_EXPECT(!mapped(a, VA + (1u << 30)));
    UT_EXPECT_EQ(mem_of(A_BOOT)->maps, 0);
    /* Unmapping makes room again. */
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, A_BOOT, VA + (1u << 30), US_RIGHT_READ, 0), US_OK);
    UT_EXPECT(mapped(a, VA + (1u << 30)));
}

static void vm_map_rejects_full_table(void)
{
    uint64_t hvm, h;
    struct vm *vm;
    paddr_t pa;

    setup();
    hvm = new_vm();
    vm = a->caps.slot[hvm].obj;
    h = new_mem(PAGE_SIZE);
    for (uint64_t i = 0; i < VM_MEMS_MAX; i++) {
        UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, h, i * PAGE_SIZE, US_RIGHT_READ), US_OK);
    }
    UT_EXPECT_EQ(mem_of(h)->maps, VM_MEMS_MAX);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, A_UART, 0x40000000, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, A_UART, 0x40000000, US_RIGHT_READ), US_ENOMEM);
    UT_EXPECT_EQ(arch_stage2_translate(&vm->s2, ipa_init(0x40000000), &pa), US_ERANGE);
    UT_EXPECT_EQ(mem_of(A_UART)->maps, 0);
}

static void free_rejects_mapped_in_server(void)
{
    uint64_t h, free_count;

    setup();
    h = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    free_count = kmem_pool.free_count;
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(a->caps.slot[h].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count);
    UT_EXPECT_EQ(ctl.used, PAGE_SIZE);
    UT_EXPECT(mapped(a, VA));
    /* Mapped by another server only. */
    kfx_grant(b, 20, US_CAPK_MEMORY, RW, mem_of(h), 0);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_MAP, 20, VA, US_RIGHT_READ, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_UNMAP, 20, 0, 0, 0), US_OK);
    UT_EXPECT(!mapped(b, VA));
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count + 1);
}

/* A VM's stage 2 and fast-MMIO entries hold the memory until the VM's tables are freed. */
static void free_rejects_mapped_in_vm(void)
{
    uint64_t hvm, hram, hfast, free_count;

    setup();
    free_count = kmem_pool.free_count;
    hvm = new_vm();
    hram = new_mem(2 * PAGE_SIZE);
    hfast = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, hram, 0x40000000, RW | US_RIGHT_EXEC), US_OK);
    UT_EXPECT_EQ(kfx_sys(&a->thread, US_SYS_VM_FASTMMIO, hvm, 0x9000000,
                         US_FASTMMIO_RING | (5u << 8), hfast, 0, A_NTFN),
                 US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, hram, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, hfast, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, hram, 0, 0, 0), US_ENOENT); /* not the caller's */
    UT_EXPECT_EQ(sys(a, US_SYS_VM_DESTROY, hvm, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(mem_of(hram)->maps, 0);
    UT_EXPECT_EQ(mem_of(hfast)->maps, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, hram, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, hfast, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count);
    UT_EXPECT_EQ(ctl.used, 0);
}

/* Removing or replacing a fast-MMIO entry drops its hold on the page. */
static void free_after_fastmmio_removed(void)
{
    uint64_t hvm, h1, h2;

    setup();
    hvm = new_vm();
    h1 = new_mem(PAGE_SIZE);
    h2 = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(
        kfx_sys(&a->thread, US_SYS_VM_FASTMMIO, hvm, 0x9000000, US_FASTMMIO_WORD, h1, 0, 0), US_OK);
    UT_EXPECT_EQ(
        kfx_sys(&a->thread, US_SYS_VM_FASTMMIO, hvm, 0x9000000, US_FASTMMIO_WORD, h2, 0, 0), US_OK);
    UT_EXPECT_EQ(mem_of(h2)->maps, 1);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h1, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h2, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(kfx_sys(&a->thread, US_SYS_VM_FASTMMIO, hvm, 0x9000000, US_FASTMMIO_NONE, 0, 0, 0),
                 US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h2, 0, 0, 0), US_OK);
}

/* VM @hvm's vCPU 0, created on CPU 1 and started at @pc, which CPU 1 now runs in the guest. */
static struct vcpu *in_guest_on_cpu1(uint64_t hvm, uint64_t pc)
{
    struct vcpu *v;
    uint64_t hv;

    UT_EXPECT_EQ(kfx_sys(&a->thread, US_SYS_VCPU_CREATE, hvm, 0, A_EP, 0, 1, 0), US_OK);
    hv = kfx_r(&a->thread, 1);
    v = a->caps.slot[hv].obj;
    UT_EXPECT_EQ(sys(a, US_SYS_VCPU_START, hv, pc, 0, 0), US_OK);
    host_run_on(1);
    kernel_lock();
    (void)kernel_exit();
    kernel_unlock();
    host_run_on(0);
    UT_EXPECT(cpus[1].current == &v->thread); /* CPU 1 is in the guest */
    return v;
}

/* The VM's tables, and so its mappings, outlive vm_destroy while another CPU runs it. */
static void free_waits_for_dying_vm(void)
{
    uint64_t hvm, h;

    setup_cpus(2);
    hvm = new_vm();
    h = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, h, 0, RW), US_OK);
    (void)in_guest_on_cpu1(hvm, 0x80000);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_DESTROY, hvm, 0, 0, 0), US_OK);
    UT_EXPECT(vm_reap_pending);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_EBUSY);
    cpus[1].current = NULL; /* it left */
    vm_reap();
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
}

/* The frames go back to the pool and the size to the quota: the whole quota can be had again,
 * and still not a page more. */
static void free_returns_frames_and_quota(void)
{
    uint64_t h, free_count;

    setup();
    free_count = kmem_pool.free_count;
    h = new_mem(QUOTA);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count - QUOTA / PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0, 0), US_ENOMEM);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_UNMAP, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count);
    UT_EXPECT_EQ(ctl.used, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, QUOTA + PAGE_SIZE, 0, 0), US_ENOMEM);
    h = new_mem(QUOTA);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_ALLOC, A_CTL, PAGE_SIZE, 0, 0), US_ENOMEM);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count);
}

/* Every capability to the memory goes, in every process; the others stay. */
static void free_revokes_every_handle(void)
{
    uint64_t h;
    struct memobj *m;

    setup();
    h = new_mem(PAGE_SIZE);
    m = mem_of(h);
    kfx_grant(a, 40, US_CAPK_MEMORY, US_RIGHT_READ, m, 0);
    kfx_grant(b, 20, US_CAPK_MEMORY, RW, m, 0);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
    UT_EXPECT(!m->in_use);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, h, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, 40, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_INFO, 20, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_MAP, 20, VA, US_RIGHT_READ, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(a->caps.slot[A_UART].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(a->caps.slot[A_BOOT].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(a->caps.slot[A_CTL].kind, US_CAPK_VM_CONTROL);
}

/* Checked before anything changes: the handle's kind, its write right, where the memory came
 * from. */
static void free_rejects_bad_handles(void)
{
    uint64_t h, free_count;

    setup();
    h = new_mem(PAGE_SIZE);
    kfx_grant(a, 40, US_CAPK_MEMORY, US_RIGHT_READ, mem_of(h), 0);
    free_count = kmem_pool.free_count;
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, US_CAP_SLOTS, 0, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, A_CTL, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, 41, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, 40, 0, 0, 0), US_ECAP); /* read only */
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, A_UART, 0, 0, 0), US_ENOTSUP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, A_BOOT, 0, 0, 0), US_ENOTSUP);
    UT_EXPECT_EQ(kmem_pool.free_count, free_count);
    UT_EXPECT_EQ(ctl.used, PAGE_SIZE);
    UT_EXPECT_EQ(a->caps.slot[h].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(a->caps.slot[40].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(a->caps.slot[A_UART].kind, US_CAPK_MEMORY);
    UT_EXPECT_EQ(a->caps.slot[A_BOOT].kind, US_CAPK_MEMORY);
    UT_EXPECT(mem_of(A_BOOT)->in_use);
}

/* A slice of a device window: what a stage 2 maps of one BAR; freed once no VM maps it. */
static void slice_maps_part_of_window(void)
{
    struct memobj *win;
    uint64_t h, hvm, hram;

    setup();
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x10000000), 4 * PAGE_SIZE, true, &win), US_OK);
    kfx_grant(a, 7, US_CAPK_MEMORY, RW, win, 0);
    kfx_grant(a, 40, US_CAPK_MEMORY, US_RIGHT_READ, win, 0);
    hram = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, 4 * PAGE_SIZE, PAGE_SIZE, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, PAGE_SIZE, 4 * PAGE_SIZE, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, PAGE_SIZE, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, 1, PAGE_SIZE, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, ~0ull, 2, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 40, 0, PAGE_SIZE, 0), US_ECAP); /* read only */
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, hram, 0, PAGE_SIZE, 0), US_ENOTSUP);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_SLICE, 7, PAGE_SIZE, 2 * PAGE_SIZE, 0), US_OK);
    h = kfx_r(&a->thread, 1);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, h, US_MEM_INFO_PA, 0, 0), US_OK);
    UT_EXPECT_EQ(kfx_r(&a->thread, 1), 2 * PAGE_SIZE);
    UT_EXPECT_EQ(kfx_r(&a->thread, 2), 0x10000000 + PAGE_SIZE);
    UT_EXPECT(mem_of(h)->device);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, h, 0x10001000, RW), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, 7, 0, 0, 0), US_ENOTSUP); /* the window itself stays */
    UT_EXPECT_EQ(sys(a, US_SYS_VM_DESTROY, hvm, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_FREE, h, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, h, 0, 0, 0), US_ECAP);
    UT_EXPECT(win->in_use);
}

/* Withhold @m's frames, as maint remove-memory does. */
static void withhold(const struct memobj *m)
{
    UT_EXPECT_EQ(memrange_offline(pa_of(m->base), m->size), US_OK);
}

/* The audit of @range_of's frames: those in use, and (*@mapped) those any space maps. */
static uint64_t audit(const struct memobj *range_of, uint64_t *mapped)
{
    struct us_mem_holder h[4];
    uint64_t used;

    (void)memrange_audit(pa_of(range_of->base), range_of->size, &used, mapped, h, 4);
    return used;
}

static uint64_t in_use(const struct memobj *range_of)
{
    uint64_t mapped;

    return audit(range_of, &mapped);
}

static uint64_t mapped_in(const struct memobj *range_of)
{
    uint64_t mapped;

    (void)audit(range_of, &mapped);
    return mapped;
}

/* A server's memory object moves out of the withheld range: its contents with it, the
 * server's mapping follows, the old frames stay withheld and the audit finds them unused. */
static void move_takes_server_object_out(void)
{
    struct memobj m0, *m;
    uint64_t left, h;
    paddr_t pa;

    setup();
    h = new_mem(2 * PAGE_SIZE);
    m = mem_of(h);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    memset(pa_ptr(m->base), 0x5a, 2 * PAGE_SIZE);
    m0 = *m;
    withhold(m);
    UT_EXPECT_EQ(in_use(&m0), 2);
    UT_EXPECT_EQ(mapped_in(&m0), 2);
    UT_EXPECT_EQ(memrange_move(false, &left), 2);
    UT_EXPECT_EQ(left, 0);
    UT_EXPECT(pa_of(m->base) != pa_of(m0.base));
    UT_EXPECT_EQ(((uint8_t *)pa_ptr(m->base))[2 * PAGE_SIZE - 1], 0x5a);
    UT_EXPECT_EQ(arch_aspace_translate(&a->as, va_init(VA + PAGE_SIZE), true, &pa), US_OK);
    UT_EXPECT_EQ(pa_of(pa), pa_of(m->base) + PAGE_SIZE);
    UT_EXPECT_EQ(in_use(&m0), 0);
    UT_EXPECT_EQ(mapped_in(&m0), 0);              /* no mapping of any kind into it */
    UT_EXPECT_EQ(memrange_move(false, &left), 0); /* nothing left to move */
    memrange_online();
}

/* A server's own frame (its IPC buffer): copied, remapped, and the kernel's view follows. */
static void move_takes_ipc_buffer_out(void)
{
    struct memobj range = {0};
    uint64_t left;
    paddr_t pa;

    setup();
    UT_EXPECT_EQ(arch_aspace_translate(&a->as, va_init(US_VA_IPC_BUF), true, &pa), US_OK);
    range.base = pa;
    range.size = PAGE_SIZE;
    kfx_msg(&a->thread, 77, 8, 0x1234);
    withhold(&range);
    UT_EXPECT_EQ(memrange_move(false, &left), 1);
    UT_EXPECT_EQ(left, 0);
    UT_EXPECT_EQ(arch_aspace_translate(&a->as, va_init(US_VA_IPC_BUF), true, &pa), US_OK);
    UT_EXPECT(pa_of(pa) != pa_of(range.base));
    UT_EXPECT(a->thread.msg == pa_ptr(pa));
    UT_EXPECT_EQ(a->thread.msg->hdr.label, 77);
    UT_EXPECT_EQ(a->thread.msg->w[0], 0x1234);
    UT_EXPECT_EQ(in_use(&range), 0);
    UT_EXPECT_EQ(mapped_in(&range), 0);
    memrange_online();
}

/* What a server running on another CPU maps waits; it moves once that server stops. */
static void move_waits_for_busy_server(void)
{
    struct memobj m0, *m;
    uint64_t left, h;

    setup_cpus(2);
    h = new_mem(PAGE_SIZE);
    m = mem_of(h);
    kfx_grant(b, 20, US_CAPK_MEMORY, RW, m, 0);
    UT_EXPECT_EQ(sys(b, US_SYS_MEM_MAP, 20, VA, RW, 0), US_OK);
    m0 = *m;
    withhold(m);
    b->thread.cpu = 1;
    cpus[1].current = &b->thread; /* b runs on CPU 1 this instant */
    UT_EXPECT_EQ(memrange_move(false, &left), 0);
    UT_EXPECT_EQ(left, 1);
    UT_EXPECT_EQ(pa_of(m->base), pa_of(m0.base));
    cpus[1].current = NULL;
    UT_EXPECT_EQ(memrange_move(false, &left), 1);
    UT_EXPECT_EQ(left, 0);
    UT_EXPECT_EQ(in_use(&m0), 0);
    memrange_online();
}

/* Withhold @m's frames, move, and expect all of them still there and in use. */
static void expect_stays(const struct memobj *m)
{
    struct memobj m0 = *m;
    uint64_t left;

    withhold(m);
    UT_EXPECT_EQ(memrange_move(false, &left), 0);
    UT_EXPECT_EQ(left, 0);
    UT_EXPECT_EQ(pa_of(m->base), pa_of(m0.base));
    UT_EXPECT_EQ(in_use(&m0), m0.size / PAGE_SIZE);
    UT_EXPECT_EQ(mapped_in(&m0), m0.size / PAGE_SIZE); /* by a, or by the VM */
    memrange_online();
}

/* Never moved: memory whose address a server asked for (a device may use it) and a guest's
 * RAM. They stay in the range and the audit keeps counting them. */
static void move_leaves_pinned_and_guest_memory(void)
{
    uint64_t hp, hg, hvm;

    setup();
    hp = new_mem(PAGE_SIZE);
    hg = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, hp, VA, RW, 0), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_INFO, hp, US_MEM_INFO_PA, 0, 0), US_OK);
    expect_stays(mem_of(hp));
    hvm = new_vm();
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, hg, 0x40000000, RW), US_OK);
    expect_stays(mem_of(hg));
}

/* With the guests: a guest's RAM is copied while its vCPUs are parked, its stage 2 and the
 * vmm's mapping follow, and it runs on. A vCPU in the guest on another CPU is taken off first:
 * its RAM waits for the next call. */
static void move_takes_guest_ram_under_parked_guest(void)
{
    struct memobj m0, *m;
    uint64_t hvm, h, left;
    struct vcpu *v;
    paddr_t pa;

    setup_cpus(2);
    hvm = new_vm();
    h = new_mem(4 * PAGE_SIZE);
    m = mem_of(h);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, h, 0x40000000, RW), US_OK);
    UT_EXPECT_EQ(sys(a, US_SYS_MEM_MAP, h, VA, RW, 0), US_OK);
    v = in_guest_on_cpu1(hvm, 0x40000000);
    memset(pa_ptr(m->base), 0xa5, m->size);
    m0 = *m;
    withhold(m);
    UT_EXPECT_EQ(memrange_move(false, &left), 0); /* without the guests: it stays */
    UT_EXPECT_EQ(memrange_move(true, &left), 0);
    UT_EXPECT_EQ(left, 4);
    UT_EXPECT_EQ(v->thread.state, TS_PARKED); /* taken off CPU 1 */
    cpus[1].current = NULL;                   /* CPU 1 noticed */
    UT_EXPECT_EQ(memrange_move(true, &left), 4);
    UT_EXPECT_EQ(left, 0);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING); /* it runs on */
    UT_EXPECT(pa_of(m->base) != pa_of(m0.base));
    UT_EXPECT_EQ(((uint8_t *)pa_ptr(m->base))[m->size - 1], 0xa5);
    UT_EXPECT_EQ(arch_stage2_translate(&((struct vm *)a->caps.slot[hvm].obj)->s2,
                                       ipa_init(0x40000000 + PAGE_SIZE), &pa),
                 US_OK);
    UT_EXPECT_EQ(pa_of(pa), pa_of(m->base) + PAGE_SIZE);
    UT_EXPECT_EQ(arch_aspace_translate(&a->as, va_init(VA), false, &pa), US_OK);
    UT_EXPECT_EQ(pa_of(pa), pa_of(m->base));
    UT_EXPECT_EQ(in_use(&m0), 0);
    UT_EXPECT_EQ(mapped_in(&m0), 0);
    memrange_online();
}

/* A guest parked for a move the mover does not come back for runs on after 5 ticks. */
static void parked_guest_released_by_tick(void)
{
    uint64_t hvm, h, left;
    struct vcpu *v;

    setup_cpus(2);
    hvm = new_vm();
    h = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(a, US_SYS_VM_MAP, hvm, h, 0x40000000, RW), US_OK);
    v = in_guest_on_cpu1(hvm, 0x40000000);
    withhold(mem_of(h));
    UT_EXPECT_EQ(memrange_move(true, &left), 0);
    UT_EXPECT_EQ(v->thread.state, TS_PARKED);
    cpus[1].current = NULL;
    for (uint32_t i = 0; i < 4; i++) {
        memrange_tick();
    }
    UT_EXPECT_EQ(v->thread.state, TS_PARKED);
    memrange_tick();
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    memrange_online();
}

UT_MAIN({"unmap_removes_mapping", unmap_removes_mapping},
        {"unmap_removes_every_mapping", unmap_removes_every_mapping},
        {"unmap_rejects_unmapped", unmap_rejects_unmapped},
        {"unmap_rejects_bad_handle", unmap_rejects_bad_handle},
        {"map_rejects_full_table", map_rejects_full_table},
        {"vm_map_rejects_full_table", vm_map_rejects_full_table},
        {"free_rejects_mapped_in_server", free_rejects_mapped_in_server},
        {"free_rejects_mapped_in_vm", free_rejects_mapped_in_vm},
        {"free_after_fastmmio_removed", free_after_fastmmio_removed},
        {"free_waits_for_dying_vm", free_waits_for_dying_vm},
        {"free_returns_frames_and_quota", free_returns_frames_and_quota},
        {"free_revokes_every_handle", free_revokes_every_handle},
        {"free_rejects_bad_handles", free_rejects_bad_handles},
        {"slice_maps_part_of_window", slice_maps_part_of_window},
        {"move_takes_server_object_out", move_takes_server_object_out},
        {"move_takes_ipc_buffer_out", move_takes_ipc_buffer_out},
        {"move_waits_for_busy_server", move_waits_for_busy_server},
        {"move_leaves_pinned_and_guest_memory", move_leaves_pinned_and_guest_memory},
        {"move_takes_guest_ram_under_parked_guest", move_takes_guest_ram_under_parked_guest},
        {"parked_guest_released_by_tick", parked_guest_released_by_tick})
