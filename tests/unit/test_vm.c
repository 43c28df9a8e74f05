/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/vm.c and the VM and vCPU system calls: stage-2 mapping, every
 * documented error, and vm_destroy's revocation and late freeing while another CPU still runs
 * one of the VM's vCPUs. */
#include <string.h>
#include <understudy/syscalls.h>
#include <understudy/vcpu.h>
#include <us/endpoint.h>
#include <us/kmem.h>
#include <us/lock.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include "kernel_fx.h"
#include "ut.h"

/* The vmm's slots. */
#define S_EP 0u   /* own endpoint, receive */
#define S_NTFN 1u /* own notification, send */
#define S_CTL 2u  /* VM control */
#define S_SEND 3u /* own endpoint, send only */
#define S_UART 4u /* an MMIO window */

static struct process *vmm, *peer;
static struct vm_control ctl = {.quota = 8u << 20};

static void setup(uint32_t cpu_total)
{
    struct memobj *uart;

    kfx_init(cpu_total);
    vmm = kfx_process("vmm", 20);
    peer = kfx_process("peer", 10);
    kfx_grant(vmm, S_EP, US_CAPK_ENDPOINT, US_RIGHT_RECV, vmm->ep, 0);
    kfx_grant(vmm, S_NTFN, US_CAPK_NOTIFICATION, US_RIGHT_SEND, vmm->ntfn, 0);
    kfx_grant(vmm, S_CTL, US_CAPK_VM_CONTROL, 0, &ctl, 0);
    kfx_grant(vmm, S_SEND, US_CAPK_ENDPOINT, US_RIGHT_SEND, vmm->ep, 0);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x0a000000), PAGE_SIZE, true, &uart), US_OK);
    kfx_grant(vmm, S_UART, US_CAPK_MEMORY, US_RIGHT_READ | US_RIGHT_WRITE, uart, 0);
}

static uint64_t sys(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                    uint64_t a5)
{
    return kfx_sys(&vmm->thread, nr, a0, a1, a2, a3, a4, a5);
}

static uint64_t r1(void)
{
    return kfx_r(&vmm->thread, 1);
}

static struct vm *vm_of(uint64_t h)
{
    return vmm->caps.slot[h].obj;
}

static struct vcpu *vcpu_of(uint64_t h)
{
    return vmm->caps.slot[h].obj;
}

/* A VM handle of the vmm. */
static uint64_t new_vm(void)
{
    UT_EXPECT_EQ(sys(US_SYS_VM_CREATE, S_CTL, 0, 0, 0, 0, 0), US_OK);
    return r1();
}

/* A vCPU handle of VM @hvm, index @index, on CPU @cpu. */
static uint64_t new_vcpu(uint64_t hvm, uint64_t index, uint64_t cpu)
{
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, index, S_EP, 7, cpu, 0), US_OK);
    return r1();
}

/* A RAM memory handle of @size bytes. */
static uint64_t new_mem(uint64_t size)
{
    UT_EXPECT_EQ(sys(US_SYS_MEM_ALLOC, S_CTL, size, 0, 0, 0, 0), US_OK);
    return r1();
}

/* CPU @cpu enters the kernel and leaves it to whatever it picks. */
static void pass_through_kernel(uint32_t cpu)
{
    host_run_on(cpu);
    kernel_lock();
    (void)kernel_exit();
    kernel_unlock();
    host_run_on(0);
}

static void vm_create_returns_handle_and_vmid(void)
{
    uint64_t h1, h2;

    setup(1);
    h1 = new_vm();
    UT_EXPECT_EQ(kfx_r(&vmm->thread, 2), vm_of(h1)->vmid);
    h2 = new_vm();
    UT_EXPECT(h1 >= 16 && h2 >= 16 && h1 != h2);
    UT_EXPECT_EQ(vmm->caps.slot[h1].kind, US_CAPK_VM);
    UT_EXPECT(vm_of(h1)->vmid != 0 && vm_of(h1)->vmid != vm_of(h2)->vmid);
    UT_EXPECT(vm_of(h1)->ctl == &ctl);
}

static void vm_create_rejects_wrong_kind(void)
{
    setup(1);
    UT_EXPECT_EQ(sys(US_SYS_VM_CREATE, S_EP, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(r1(), US_INVALID_CAP);
}

static void vm_create_rejects_full_table(void)
{
    uint64_t free_before;

    setup(1);
    for (us_cap_t h = 16; h < US_CAP_SLOTS; h++) {
        kfx_grant(vmm, h, US_CAPK_KLOG, 0, &ctl, 0);
    }
    free_before = kmem_pool.free_count;
    UT_EXPECT_EQ(sys(US_SYS_VM_CREATE, S_CTL, 0, 0, 0, 0, 0), US_ENOMEM);
    UT_EXPECT_EQ(kmem_pool.free_count, free_before);
}

static void vm_create_rejects_ninth_vm(void)
{
    setup(1);
    for (uint32_t i = 0; i < VM_MAX; i++) {
        new_vm();
    }
    UT_EXPECT_EQ(sys(US_SYS_VM_CREATE, S_CTL, 0, 0, 0, 0, 0), US_ENOMEM);
}

/* Every VM the vmm's configuration may hold, each with all its vCPUs, fits the kernel's
 * pools and one process's handle table (the pool had 16 vCPUs for 8 x 8 configurable). */
static void vcpu_create_fills_largest_config(void)
{
    setup(1);
    for (uint32_t i = 0; i < VM_MAX; i++) {
        uint64_t hvm = new_vm();

        for (uint32_t j = 0; j < VM_MAX_VCPUS; j++) {
            UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, j, S_EP, 7, 0, 0), US_OK);
        }
    }
}

static void vm_create_reports_enomem_without_frames(void)
{
    struct vm *vm;
    paddr_t pa;

    setup(1);
    while (kmem_frames(1, &pa) == US_OK) {
    }
    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_ENOMEM);
}

static void vm_map_maps_memory(void)
{
    uint64_t hvm, hm;
    paddr_t pa;

    setup(1);
    hvm = new_vm();
    hm = new_mem(2 * PAGE_SIZE);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0x40000000, US_RIGHT_READ | US_RIGHT_WRITE, 0, 0),
                 US_OK);
    UT_EXPECT_EQ(arch_stage2_translate(&vm_of(hvm)->s2, ipa_init(0x40001010), &pa), US_OK);
    UT_EXPECT_EQ(pa_of(pa), pa_of(((struct memobj *)vmm->caps.slot[hm].obj)->base) + 0x1010);
    UT_EXPECT_EQ(arch_stage2_translate(&vm_of(hvm)->s2, ipa_init(0x40002000), &pa), US_ERANGE);
    /* A guest may map its memory writable and executable: its own business. */
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0x50000000, US_RIGHT_ALL & 7u, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, S_UART, 0x09000000, US_RIGHT_READ, 0, 0), US_OK);
}

static void vm_map_rejects_bad_rights(void)
{
    uint64_t hvm, hm;

    setup(1);
    hvm = new_vm();
    hm = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0, 0, 0, 0), US_EINVAL);
    /* The rights argument is decoded before the capabilities: a bad one is EINVAL, not a
     * missing right on the memory capability (ECAP). */
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0, US_RIGHT_READ | US_RIGHT_SEND, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0, US_RIGHT_ALL + 1, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, S_EP, 0, US_RIGHT_SEND, 0, 0), US_EINVAL);
}

static void vm_map_rejects_missing_right(void)
{
    uint64_t hvm;

    setup(1);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, S_UART, 0, US_RIGHT_EXEC, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, S_EP, 0, US_RIGHT_READ, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, S_CTL, S_UART, 0, US_RIGHT_READ, 0, 0), US_ECAP);
}

static void vm_map_rejects_bad_ipa(void)
{
    uint64_t hvm, hm;

    setup(1);
    hvm = new_vm();
    hm = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 1ull << ARCH_IPA_BITS, US_RIGHT_READ, 0, 0),
                 US_ERANGE);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0x1008, US_RIGHT_READ, 0, 0), US_EINVAL);
}

static void vm_map_rejects_mapped_ipa(void)
{
    uint64_t hvm, hm;

    setup(1);
    hvm = new_vm();
    hm = new_mem(2 * PAGE_SIZE);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0x10000, US_RIGHT_READ, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, hm, 0x11000, US_RIGHT_READ, 0, 0), US_EEXIST);
}

static void vcpu_create_returns_handle(void)
{
    uint64_t hvm, hv;
    struct vcpu *v;

    setup(2);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 3, S_EP, 7 | US_BADGE_VCPU, 1, 0), US_OK);
    hv = r1();
    UT_EXPECT_EQ(vmm->caps.slot[hv].kind, US_CAPK_VCPU);
    v = vcpu_of(hv);
    UT_EXPECT(v->vm == vm_of(hvm));
    UT_EXPECT(vm_of(hvm)->vcpus[3] == v);
    UT_EXPECT_EQ(v->index, 3);
    UT_EXPECT_EQ(v->thread.cpu, 1);
    UT_EXPECT(v->handler == vmm->ep);
    UT_EXPECT_EQ(v->badge, 7 | US_BADGE_VCPU); /* the kernel's bit, whatever was asked */
    UT_EXPECT_EQ(v->thread.state, TS_INACTIVE);
}

static void vcpu_create_rejects_bad_index(void)
{
    uint64_t hvm;

    setup(1);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, VM_MAX_VCPUS, S_EP, 0, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 1ull << 32, S_EP, 0, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(r1(), US_INVALID_CAP);
}

static void vcpu_create_rejects_offline_cpu(void)
{
    uint64_t hvm;

    setup(2);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_EP, 0, 2, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_EP, 0, 1ull << 32, 0), US_ERANGE);
}

static void vcpu_create_rejects_send_only_endpoint(void)
{
    uint64_t hvm;

    setup(1);
    hvm = new_vm();
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_SEND, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_NTFN, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, S_EP, 0, S_EP, 0, 0, 0), US_ECAP);
}

static void vcpu_create_rejects_taken_index(void)
{
    uint64_t hvm;

    setup(1);
    hvm = new_vm();
    new_vcpu(hvm, 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_EP, 0, 0, 0), US_EEXIST);
}

static void vcpu_create_rejects_full_table(void)
{
    uint64_t hvm;

    setup(1);
    hvm = new_vm();
    for (us_cap_t h = 16; h < US_CAP_SLOTS; h++) {
        if (vmm->caps.slot[h].kind == US_CAPK_NONE) {
            kfx_grant(vmm, h, US_CAPK_KLOG, 0, &ctl, 0);
        }
    }
    UT_EXPECT_EQ(sys(US_SYS_VCPU_CREATE, hvm, 0, S_EP, 0, 0, 0), US_ENOMEM);
    UT_EXPECT(vm_of(hvm)->vcpus[0] == NULL);
}

/* Every vCPU object is taken, or freed but not yet dropped by the CPU that ran it. */
static void vcpu_create_rejects_exhausted_pool(void)
{
    struct vm *vms[VM_MAX], *last;
    struct vcpu *v;
    uint32_t i, j;

    setup(2);
    for (i = 0; i < VM_MAX; i++) {
        UT_EXPECT_EQ(vm_create(&ctl, &vms[i]), US_OK);
        for (j = 0; j < VM_MAX_VCPUS; j++) {
            UT_EXPECT_EQ(vcpu_create(vms[i], j, vmm->ep, 0, 1, &v), US_OK);
        }
    }
    UT_EXPECT_EQ(vm_create(&ctl, &last), US_ENOMEM);
    /* VM 0's vCPUs ran on CPU 1, which still holds their registers when it is destroyed. */
    for (j = 0; j < VM_MAX_VCPUS; j++) {
        host_held[1] = &vms[0]->vcpus[j]->thread;
        vcpu_stop(vms[0]->vcpus[j]);
        UT_EXPECT(host_held[1]->forget_pending);
    }
    vm_destroy(vms[0]);
    UT_EXPECT_EQ(vm_create(&ctl, &last), US_OK);
    UT_EXPECT_EQ(vcpu_create(last, 0, vmm->ep, 0, 0, &v), US_ENOMEM);
}

static void vcpu_start_runs_guest(void)
{
    uint64_t hv;
    struct vcpu *v;

    setup(2);
    hv = new_vcpu(new_vm(), 0, 1);
    v = vcpu_of(hv);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv, 0x80000, 0x44000000, 0, 0, 0), US_OK);
    UT_EXPECT(v->started);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    UT_EXPECT(v->thread.queued); /* on CPU 1's queue */
    UT_EXPECT_EQ(host_kicks[1], 1);
    pass_through_kernel(1);
    UT_EXPECT(cpus[1].current == &v->thread);
    UT_EXPECT_EQ(*host_pc(&v->thread.regs), 0x80000);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 0), 0x44000000);
    UT_EXPECT_EQ(cpus[1].guest_entries, 1);
}

static void vcpu_start_rejects_started(void)
{
    uint64_t hv;

    setup(1);
    hv = new_vcpu(new_vm(), 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0), US_EBUSY);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, S_EP, 0, 0, 0, 0, 0), US_ECAP);
}

static void vcpu_stop_stops_guest(void)
{
    uint64_t hv;

    setup(1);
    hv = new_vcpu(new_vm(), 0, 0);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_STOP, hv, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(vcpu_of(hv)->thread.state, TS_STOPPED);
    UT_EXPECT(!vcpu_of(hv)->thread.queued);
    UT_EXPECT(!vcpu_of(hv)->started);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0), US_OK); /* may start again */
    UT_EXPECT_EQ(sys(US_SYS_VCPU_STOP, S_CTL, 0, 0, 0, 0, 0), US_ECAP);
}

static void vcpu_inject_makes_interrupt_pending(void)
{
    uint64_t hv;

    setup(1);
    hv = new_vcpu(new_vm(), 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_INJECT, hv, 33, 0, 0, 0, 0), US_OK);
    UT_EXPECT(arch_vgic_pending(vcpu_of(hv)));
}

static void vcpu_inject_rejects_bad_intid(void)
{
    uint64_t hv;

    setup(1);
    hv = new_vcpu(new_vm(), 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_INJECT, hv, US_VIRQ_LIMIT, 0, 0, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_INJECT, hv, UINT64_MAX, 0, 0, 0, 0), US_ERANGE);
    UT_EXPECT(!arch_vgic_pending(vcpu_of(hv)));
    UT_EXPECT_EQ(sys(US_SYS_VCPU_INJECT, S_CTL, 1, 0, 0, 0, 0), US_ECAP);
}

static void vm_fastmmio_sets_entries(void)
{
    uint64_t hvm, hm, v = 0;

    setup(1);
    hvm = new_vm();
    hm = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(
        sys(US_SYS_VM_FASTMMIO, hvm, 0x9000000, US_FASTMMIO_RING | (5u << 8), hm, 0, S_NTFN),
        US_OK);
    UT_EXPECT(vm_fastmmio_access(vm_of(hvm), 0x9000000, true, &v));
    vm_fastmmio_tick(); /* the bit the syscall named reaches the notification */
    UT_EXPECT_EQ(vmm->ntfn->bits, 1u << 5);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0x9000018, US_FASTMMIO_WORD, hm, 0, 0), US_OK);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0x9000018, US_FASTMMIO_NONE, 0, 0, 0), US_OK);
    UT_EXPECT(!vm_fastmmio_access(vm_of(hvm), 0x9000018, false, &v));
}

static void vm_fastmmio_rejects_bad_kind_word(void)
{
    uint64_t hvm, hm;

    setup(1);
    hvm = new_vm();
    hm = new_mem(PAGE_SIZE);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_RING | (64u << 8), hm, 0, S_NTFN),
                 US_EINVAL);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_WORD | (1u << 14), hm, 0, 0),
                 US_EINVAL);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, 7, hm, 0, 0), US_EINVAL);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_WORD, hm, 8, 0), US_EINVAL);
}

static void vm_fastmmio_rejects_missing_caps(void)
{
    uint64_t hvm, hm;

    setup(1);
    hvm = new_vm();
    hm = new_mem(PAGE_SIZE);
    vmm->caps.slot[hm].rights = US_RIGHT_READ;
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_WORD, hm, 0, 0), US_ECAP);
    vmm->caps.slot[hm].rights = US_RIGHT_READ | US_RIGHT_WRITE;
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_RING, hm, 0, S_EP), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, S_CTL, 0, US_FASTMMIO_NONE, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_FASTMMIO, hvm, 0, US_FASTMMIO_NONE, 0, 0, 0), US_ENOENT);
}

static void vm_destroy_frees_tables_at_once(void)
{
    uint64_t free_before, hvm, hv;
    struct vm *vm;

    setup(1);
    free_before = kmem_pool.free_count;
    hvm = new_vm();
    vm = vm_of(hvm);
    hv = new_vcpu(hvm, 0, 0);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    UT_EXPECT(kmem_pool.free_count < free_before);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(host_s2_frees, 1);
    UT_EXPECT_EQ(kmem_pool.free_count, free_before);
    UT_EXPECT(!vm->in_use);
    UT_EXPECT(!vm->dying);
    UT_EXPECT(!vm_reap_pending);
    UT_EXPECT_EQ(vmm->caps.slot[hvm].kind, US_CAPK_NONE);
    UT_EXPECT_EQ(vmm->caps.slot[hv].kind, US_CAPK_NONE);
}

static void vm_destroy_revokes_every_handle(void)
{
    uint64_t hvm, hv0, hv1;
    struct vcpu *v0;

    setup(1);
    hvm = new_vm();
    hv0 = new_vcpu(hvm, 0, 0);
    hv1 = new_vcpu(hvm, 5, 0);
    v0 = vcpu_of(hv0);
    /* Copies in the vmm's own table and in another process's. */
    kfx_grant(vmm, 40, US_CAPK_VCPU, US_RIGHT_READ, v0, 0);
    kfx_grant(peer, 20, US_CAPK_VCPU, US_RIGHT_ALL, vcpu_of(hv1), 0);
    kfx_grant(peer, 21, US_CAPK_VM, US_RIGHT_ALL, vm_of(hvm), 0);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv0, 0x1000, 0, 0, 0, 0), US_OK);

    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(v0->thread.state, TS_STOPPED);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv0, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, 40, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv1, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_INJECT, hv1, 1, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_STOP, hv1, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_MAP, hvm, S_UART, 0, US_RIGHT_READ, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(kfx_sys(&peer->thread, US_SYS_VCPU_START, 20, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(kfx_sys(&peer->thread, US_SYS_VM_DESTROY, 21, 0, 0, 0, 0, 0), US_ECAP);
    /* Other capabilities stay. */
    UT_EXPECT_EQ(vmm->caps.slot[S_CTL].kind, US_CAPK_VM_CONTROL);
    UT_EXPECT_EQ(vmm->caps.slot[S_UART].kind, US_CAPK_MEMORY);
}

static void vm_destroy_rejects_wrong_kind(void)
{
    uint64_t hv;

    setup(1);
    hv = new_vcpu(new_vm(), 0, 0);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hv, 0, 0, 0, 0, 0), US_ECAP);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, US_CAP_SLOTS, 0, 0, 0, 0, 0), US_ERANGE);
    UT_EXPECT_EQ(vcpu_of(hv)->vm->in_use, true);
}

static void vm_destroy_drops_pending_exit(void)
{
    uint64_t hvm, hv;
    struct vcpu *v;

    setup(1);
    hvm = new_vm();
    hv = new_vcpu(hvm, 0, 0);
    v = vcpu_of(hv);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    sys(US_SYS_RECV, S_EP, 0, 0, 0, 0, 0);
    v->exit_esr = US_EXIT_HVC;
    vcpu_handle_exit(v); /* the vmm holds the exit */
    UT_EXPECT(vmm->thread.caller == &v->thread);
    vmm->thread.state = TS_RUNNING; /* it runs and destroys the VM instead of replying */
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT(vmm->thread.caller == NULL);
    us_msg_init(vmm->thread.msg, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    UT_EXPECT_EQ(kfx_reply(&vmm->thread), US_ENOENT);
}

static void vm_destroy_unqueues_waiting_exit(void)
{
    uint64_t hvm, hv;
    struct vcpu *v;

    setup(1);
    hvm = new_vm();
    hv = new_vcpu(hvm, 0, 0);
    v = vcpu_of(hv);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    v->exit_esr = US_EXIT_HVC;
    vcpu_handle_exit(v); /* the vmm is not receiving: queued */
    UT_EXPECT(vmm->ep->senders.head == &v->thread);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT(vmm->ep->senders.head == NULL);
    sys(US_SYS_RECV, S_EP, 0, 0, 0, 0, 0);
    UT_EXPECT_EQ(vmm->thread.state, TS_BLOCKED_RECV);
}

/* The deferred path: CPU 1 is in the guest when CPU 0 destroys its VM. */
static void vm_destroy_waits_for_remote_cpu(void)
{
    uint64_t free_mid, hvm, hv, hvm2, hv2;
    struct vcpu *v;
    struct vm *vm;

    setup(2);
    hvm = new_vm();
    vm = vm_of(hvm);
    hv = new_vcpu(hvm, 0, 1);
    v = vcpu_of(hv);
    sys(US_SYS_VCPU_START, hv, 0x80000, 0, 0, 0, 0);
    pass_through_kernel(1);
    UT_EXPECT(cpus[1].current == &v->thread);
    host_kicks[1] = 0;

    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(host_s2_frees, 0); /* CPU 1 may be walking the tables */
    UT_EXPECT(vm->dying);
    UT_EXPECT(vm->in_use);
    UT_EXPECT(vm_reap_pending);
    UT_EXPECT(host_kicks[1] >= 1); /* told to leave */
    UT_EXPECT_EQ(v->thread.state, TS_STOPPED);
    UT_EXPECT_EQ(sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0), US_ECAP);

    /* A new VM meanwhile: its slot is another, the dying one is still not freed. */
    hvm2 = new_vm();
    UT_EXPECT(vm_of(hvm2) != vm);
    UT_EXPECT_EQ(host_s2_frees, 0);
    hv2 = new_vcpu(hvm2, 0, 1);
    UT_EXPECT(vcpu_of(hv2) != v); /* not the dying VM's vCPU object */
    sys(US_SYS_VCPU_START, hv2, 0x80000, 0, 0, 0, 0);
    free_mid = kmem_pool.free_count;

    /* CPU 1 takes the kick: it switches to the other guest, and the VM can go. */
    pass_through_kernel(1);
    UT_EXPECT(cpus[1].current == &vcpu_of(hv2)->thread);
    UT_EXPECT_EQ(host_s2_frees, 1);
    UT_EXPECT_EQ(host_s2_freed_live, 0);
    UT_EXPECT(!vm->in_use);
    UT_EXPECT(!vm->dying);
    UT_EXPECT(!v->in_use);
    UT_EXPECT(!vm_reap_pending);
    UT_EXPECT_EQ(kmem_pool.free_count, free_mid + 1);
}

static const struct vm *idle_vm;
static uint64_t idle_h2;

/* While CPU 1 idles, "CPU 0" creates a VM (which reaps) and gives CPU 1 a vCPU to run. */
static void cpu0_works_while_cpu1_idles(void)
{
    uint64_t hvm2;

    host_run_on(0);
    kernel_lock();
    UT_EXPECT(cpus[1].current == NULL);
    hvm2 = new_vm();
    UT_EXPECT_EQ(host_s2_frees, 1);    /* reaped first: no CPU runs it any more */
    UT_EXPECT(vm_of(hvm2) == idle_vm); /* and its slot is the one given out */
    idle_h2 = new_vcpu(hvm2, 0, 1);
    sys(US_SYS_VCPU_START, idle_h2, 0, 0, 0, 0, 0);
    kernel_unlock();
    host_run_on(1);
}

static void vm_destroy_frees_once_remote_cpu_idles(void)
{
    uint64_t hvm, hv;

    setup(2);
    hvm = new_vm();
    idle_vm = vm_of(hvm);
    hv = new_vcpu(hvm, 0, 1);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    pass_through_kernel(1);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT_EQ(host_s2_frees, 0);
    host_wfi_hook = cpu0_works_while_cpu1_idles;
    pass_through_kernel(1); /* nothing to run there: it idles until CPU 0 hands it a vCPU */
    UT_EXPECT_EQ(host_wfis, 1);
    UT_EXPECT_EQ(host_s2_frees, 1);
    UT_EXPECT_EQ(host_s2_freed_live, 0);
    UT_EXPECT(cpus[1].current == &vcpu_of(idle_h2)->thread);
}

static void vm_destroy_reuses_vcpu_after_settle(void)
{
    uint64_t hvm, hv;
    struct vcpu *v, *v2;

    setup(2);
    hvm = new_vm();
    hv = new_vcpu(hvm, 0, 1);
    v = vcpu_of(hv);
    sys(US_SYS_VCPU_START, hv, 0, 0, 0, 0, 0);
    pass_through_kernel(1);
    UT_EXPECT_EQ(sys(US_SYS_VM_DESTROY, hvm, 0, 0, 0, 0, 0), US_OK);
    UT_EXPECT(v->thread.forget_pending); /* CPU 1 still holds its registers */
    UT_EXPECT(cpus[1].settle);
    cpus[1].current = NULL; /* as if it went idle */
    vm_reap();
    UT_EXPECT(!v->in_use);
    /* A free but unsettled vCPU object is not handed out again. */
    UT_EXPECT_EQ(vcpu_create(vm_of(new_vm()), 0, vmm->ep, 0, 0, &v2), US_OK);
    UT_EXPECT(v2 != v);
    host_run_on(1);
    arch_cpu_settle();
    host_run_on(0);
    UT_EXPECT(!v->thread.forget_pending);
    UT_EXPECT(!cpus[1].settle);
}

UT_MAIN({"vm_create_returns_handle_and_vmid", vm_create_returns_handle_and_vmid},
        {"vm_create_rejects_wrong_kind", vm_create_rejects_wrong_kind},
        {"vm_create_rejects_full_table", vm_create_rejects_full_table},
        {"vm_create_rejects_ninth_vm", vm_create_rejects_ninth_vm},
        {"vcpu_create_fills_largest_config", vcpu_create_fills_largest_config},
        {"vm_create_reports_enomem_without_frames", vm_create_reports_enomem_without_frames},
        {"vm_map_maps_memory", vm_map_maps_memory},
        {"vm_map_rejects_bad_rights", vm_map_rejects_bad_rights},
        {"vm_map_rejects_missing_right", vm_map_rejects_missing_right},
        {"vm_map_rejects_bad_ipa", vm_map_rejects_bad_ipa},
        {"vm_map_rejects_mapped_ipa", vm_map_rejects_mapped_ipa},
        {"vcpu_create_returns_handle", vcpu_create_returns_handle},
        {"vcpu_create_rejects_bad_index", vcpu_create_rejects_bad_index},
        {"vcpu_create_rejects_offline_cpu", vcpu_create_rejects_offline_cpu},
        {"vcpu_create_rejects_send_only_endpoint", vcpu_create_rejects_send_only_endpoint},
        {"vcpu_create_rejects_taken_index", vcpu_create_rejects_taken_index},
        {"vcpu_create_rejects_full_table", vcpu_create_rejects_full_table},
        {"vcpu_create_rejects_exhausted_pool", vcpu_create_rejects_exhausted_pool},
        {"vcpu_start_runs_guest", vcpu_start_runs_guest},
        {"vcpu_start_rejects_started", vcpu_start_rejects_started},
        {"vcpu_stop_stops_guest", vcpu_stop_stops_guest},
        {"vcpu_inject_makes_interrupt_pending", vcpu_inject_makes_interrupt_pending},
        {"vcpu_inject_rejects_bad_intid", vcpu_inject_rejects_bad_intid},
        {"vm_fastmmio_sets_entries", vm_fastmmio_sets_entries},
        {"vm_fastmmio_rejects_bad_kind_word", vm_fastmmio_rejects_bad_kind_word},
        {"vm_fastmmio_rejects_missing_caps", vm_fastmmio_rejects_missing_caps},
        {"vm_destroy_frees_tables_at_once", vm_destroy_frees_tables_at_once},
        {"vm_destroy_revokes_every_handle", vm_destroy_revokes_every_handle},
        {"vm_destroy_rejects_wrong_kind", vm_destroy_rejects_wrong_kind},
        {"vm_destroy_drops_pending_exit", vm_destroy_drops_pending_exit},
        {"vm_destroy_unqueues_waiting_exit", vm_destroy_unqueues_waiting_exit},
        {"vm_destroy_waits_for_remote_cpu", vm_destroy_waits_for_remote_cpu},
        {"vm_destroy_frees_once_remote_cpu_idles", vm_destroy_frees_once_remote_cpu_idles},
        {"vm_destroy_reuses_vcpu_after_settle", vm_destroy_reuses_vcpu_after_settle})
