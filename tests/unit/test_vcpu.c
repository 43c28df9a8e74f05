/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/vcpu.c: WFI sleep and wake-ups, interrupt injection across CPUs,
 * resets applied on the home CPU, and the exit path's replies. */
#include <string.h>
#include <understudy/vcpu.h>
#include <us/endpoint.h>
#include <us/lock.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include "kernel_fx.h"
#include "ut.h"

static struct process *vmm;
static struct vm *vm;

static struct vcpu *setup(uint32_t cpu_total, uint32_t home)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vcpu *v;

    kfx_init(cpu_total);
    vmm = kfx_process("vmm", 20);
    endpoint_recv(vmm->ep, &vmm->thread); /* waits for exits */
    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vcpu_create(vm, 0, vmm->ep, 1, home, &v), US_OK);
    return v;
}

/* CPU @cpu enters the kernel and leaves it to whatever it picks. */
static struct thread *pass_through_kernel(uint32_t cpu)
{
    host_run_on(cpu);
    kernel_lock();
    (void)kernel_exit();
    kernel_unlock();
    host_run_on(0);
    return cpus[cpu].current;
}

/* The vmm gets @v's exit and answers with @flags (w[VALUE] = @value, x0 = @x0). */
/* The vmm answers the exit it holds, then waits for the next one. */
static us_err_t reply_exit(uint64_t flags, uint64_t value, uint64_t x0)
{
    us_err_t e;

    us_msg_init(vmm->thread.msg, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    memset(vmm->thread.msg->w, 0, US_RESUME_LEN);
    vmm->thread.msg->w[US_RESUME_FLAGS] = flags;
    vmm->thread.msg->w[US_RESUME_VALUE] = value;
    vmm->thread.msg->w[US_RESUME_X0] = x0;
    e = kfx_reply(&vmm->thread);
    endpoint_recv(vmm->ep, &vmm->thread); /* as reply_recv: waits for the next exit */
    return e;
}

static us_err_t answer_exit(struct vcpu *v, uint64_t flags, uint64_t value, uint64_t x0)
{
    v->exit_esr = US_EXIT_HVC;
    vcpu_handle_exit(v);
    return reply_exit(flags, value, x0);
}

static void start_resets_on_first_run(void)
{
    struct vcpu *v = setup(1, 0);

    arch_regs_set(&v->thread.regs, 5, 55);
    UT_EXPECT_EQ(vcpu_start(v, 0x80000, 0x4400), US_OK);
    UT_EXPECT(v->reset_pending);
    UT_EXPECT_EQ(*host_pc(&v->thread.regs), 0); /* not yet: only its home CPU touches it */
    UT_EXPECT(pass_through_kernel(0) == &v->thread);
    UT_EXPECT(!v->reset_pending);
    UT_EXPECT_EQ(*host_pc(&v->thread.regs), 0x80000);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 0), 0x4400);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 5), 0);
    UT_EXPECT(!vcpu_settle(v)); /* nothing pending any more */
}

static void start_rejects_started(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    UT_EXPECT_EQ(vcpu_start(v, 0x1000, 0), US_EBUSY);
    UT_EXPECT_EQ(v->reset_pc, 0);
}

static void wfi_sleeps_until_kick(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    vcpu_wfi(v);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_WFI);
    UT_EXPECT(!v->thread.queued);
    UT_EXPECT_EQ(vcpu_inject(v, 27), US_OK);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    UT_EXPECT(arch_vgic_pending(v));
}

static void kick_leaves_running_vcpu(void)
{
    struct vcpu *v = setup(1, 0);

    vcpu_kick(v); /* never started: stays as it is */
    UT_EXPECT_EQ(v->thread.state, TS_INACTIVE);
}

static void tick_wakes_at_deadline(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    vcpu_wfi(v);
    v->wfi_deadline = 1000;
    vcpu_tick(999);
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_WFI);
    vcpu_tick(1000);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
}

/* The tick looks at every slot ever used, so a vCPU after others (here, in a second VM)
 * wakes at its deadline too. */
static void tick_wakes_vcpu_in_a_later_slot(void)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vcpu *first = setup(1, 0), *later;
    struct vm *second;

    UT_EXPECT_EQ(vm_create(&ctl, &second), US_OK);
    UT_EXPECT_EQ(vcpu_create(second, 0, vmm->ep, 2, 0, &later), US_OK);
    UT_EXPECT(later > first);
    UT_EXPECT_EQ(vcpu_start(later, 0, 0), US_OK);
    vcpu_wfi(later);
    later->wfi_deadline = 1000;
    vcpu_tick(1000);
    UT_EXPECT_EQ(later->thread.state, TS_RUNNING);
}

static void inject_kicks_cpu_running_it(void)
{
    struct vcpu *v = setup(2, 1);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    UT_EXPECT(pass_through_kernel(1) == &v->thread);
    host_kicks[1] = 0;
    UT_EXPECT_EQ(vcpu_inject(v, 40), US_OK);
    UT_EXPECT_EQ(host_kicks[1], 1); /* in the guest there: it must enter the kernel */
    UT_EXPECT(pass_through_kernel(1) == &v->thread);
    UT_EXPECT_EQ(v->cold.continues, 1); /* no switch: it takes the injected interrupt */
}

static void inject_rejects_bad_intid(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_inject(v, US_VIRQ_LIMIT), US_ERANGE);
    UT_EXPECT(!arch_vgic_pending(v));
}

static void ended_interrupt_is_reported_once(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    UT_EXPECT_EQ(vcpu_inject(v, 40), US_OK);
    UT_EXPECT_EQ(vcpu_inject(v, 72u | US_VIRQ_EOI), US_OK);
    host_vgic_guest_ends(v, 40); /* not asked for: no exit */
    vcpu_handle_irq(v);
    UT_EXPECT(vmm->thread.caller == NULL);
    host_vgic_guest_ends(v, 72);
    vcpu_handle_irq(v);
    UT_EXPECT(vmm->thread.caller == &v->thread);
    UT_EXPECT_EQ(v->msg.w[US_EXIT_REASON], US_EXIT_EOI);
    UT_EXPECT_EQ(v->msg.w[US_EXIT_EOI_LO], 0);
    UT_EXPECT_EQ(v->msg.w[US_EXIT_EOI_HI], 1ull << (72 - 64));
    UT_EXPECT_EQ(reply_exit(0, 0, 0), US_OK);
    vcpu_handle_irq(v); /* reported already */
    UT_EXPECT(vmm->thread.caller == NULL);
    UT_EXPECT_EQ(vcpu_inject(v, US_VIRQ_LIMIT | US_VIRQ_EOI), US_ERANGE);
}

static void exit_publishes_for_other_cpus(void)
{
    struct vcpu *v = setup(2, 1);

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    UT_EXPECT_EQ(v->cold.publishes, 1);
    UT_EXPECT(vmm->thread.caller == &v->thread);
}

static void reply_resets_vcpu(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0x1000, 0), US_OK);
    UT_EXPECT(pass_through_kernel(0) == &v->thread);
    UT_EXPECT_EQ(answer_exit(v, US_RESUME_RESET, 0x2000, 0x99), US_OK);
    UT_EXPECT(v->reset_pending);
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    cpus[0].current = &v->thread;
    host_forgets = 0;
    UT_EXPECT(pass_through_kernel(0) == &v->thread);
    UT_EXPECT_EQ(host_forgets, 1); /* its old context is dropped, the reset one loaded */
    UT_EXPECT_EQ(*host_pc(&v->thread.regs), 0x2000);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 0), 0x99);
}

static void reply_stops_vcpu(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0x1000, 0), US_OK);
    UT_EXPECT_EQ(answer_exit(v, US_RESUME_STOP, 0, 0), US_OK);
    UT_EXPECT_EQ(v->thread.state, TS_STOPPED);
    UT_EXPECT(!v->started);
    UT_EXPECT_EQ(vcpu_start(v, 0x3000, 0), US_OK);
}

static void reply_sets_register(void)
{
    struct vcpu *v = setup(1, 0);

    UT_EXPECT_EQ(vcpu_start(v, 0x1000, 0), US_OK);
    v->exit_esr = US_EXIT_MMIO;
    vcpu_handle_exit(v);
    us_msg_init(vmm->thread.msg, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    memset(vmm->thread.msg->w, 0, US_RESUME_LEN);
    vmm->thread.msg->w[US_RESUME_FLAGS] = US_RESUME_SET_REG | US_RESUME_INJECT_IRQ;
    vmm->thread.msg->w[US_RESUME_REG] = 3;
    vmm->thread.msg->w[US_RESUME_VALUE] = 0xabc;
    vmm->thread.msg->w[US_RESUME_VIRQ] = 33;
    UT_EXPECT_EQ(vcpu_apply_resume(v, vmm->thread.msg), US_OK);
    UT_EXPECT_EQ(arch_regs_get(&v->thread.regs, 3), 0xabc);
    UT_EXPECT(arch_vgic_pending(v));
}

static void stop_keeps_remote_registers_until_settled(void)
{
    struct vcpu *v = setup(2, 1), *v2;

    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    UT_EXPECT(pass_through_kernel(1) == &v->thread);
    host_kicks[1] = 0;
    vcpu_stop(v);
    UT_EXPECT_EQ(v->thread.state, TS_STOPPED);
    UT_EXPECT(v->thread.forget_pending);
    UT_EXPECT(cpus[1].settle);
    UT_EXPECT(host_kicks[1] >= 1);
    UT_EXPECT(host_held[1] == &v->thread);
    /* CPU 1's next pass drops them, then runs what it has. */
    UT_EXPECT_EQ(vcpu_create(vm, 1, vmm->ep, 1, 1, &v2), US_OK);
    UT_EXPECT_EQ(vcpu_start(v2, 0, 0), US_OK);
    UT_EXPECT(pass_through_kernel(1) == &v2->thread);
    UT_EXPECT(!v->thread.forget_pending);
    UT_EXPECT(!cpus[1].settle);
}

/* A VM whose vCPUs all live on one of several CPUs keeps its TLB maintenance on that CPU
 * (its broadcasts could reach no other); one more vCPU elsewhere ends that; with one CPU
 * there is nothing to save. */
static void local_tlbi_while_vcpus_share_a_cpu(void)
{
    struct vcpu *v2, *v3;

    (void)setup(2, 1);
    UT_EXPECT(vm->local_tlbi);
    UT_EXPECT_EQ(vcpu_create(vm, 1, vmm->ep, 1, 1, &v2), US_OK);
    UT_EXPECT(vm->local_tlbi);
    UT_EXPECT_EQ(vcpu_create(vm, 2, vmm->ep, 1, 0, &v3), US_OK);
    UT_EXPECT(!vm->local_tlbi);
    (void)setup(1, 0);
    UT_EXPECT(!vm->local_tlbi);
}

UT_MAIN({"start_resets_on_first_run", start_resets_on_first_run},
        {"local_tlbi_while_vcpus_share_a_cpu", local_tlbi_while_vcpus_share_a_cpu},
        {"start_rejects_started", start_rejects_started},
        {"wfi_sleeps_until_kick", wfi_sleeps_until_kick},
        {"kick_leaves_running_vcpu", kick_leaves_running_vcpu},
        {"tick_wakes_at_deadline", tick_wakes_at_deadline},
        {"tick_wakes_vcpu_in_a_later_slot", tick_wakes_vcpu_in_a_later_slot},
        {"inject_kicks_cpu_running_it", inject_kicks_cpu_running_it},
        {"inject_rejects_bad_intid", inject_rejects_bad_intid},
        {"ended_interrupt_is_reported_once", ended_interrupt_is_reported_once},
        {"exit_publishes_for_other_cpus", exit_publishes_for_other_cpus},
        {"reply_resets_vcpu", reply_resets_vcpu}, {"reply_stops_vcpu", reply_stops_vcpu},
        {"reply_sets_register", reply_sets_register},
        {"stop_keeps_remote_registers_until_settled", stop_keeps_remote_registers_until_settled})
