/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/irq.c and the interrupt entry of kernel/main.c: routes to
 * notifications, the preemption tick, the guests' timer and kicks. */
#include <string.h>
#include <us/irq.h>
#include <us/notification.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/irq.h>
#include "kernel_fx.h"
#include "ut.h"

static struct process *srv;

static void setup(void)
{
    kfx_init(1);
    srv = kfx_process("srv", 20);
}

static void route_signals_until_acked(void)
{
    struct irq_route *r;

    setup();
    UT_EXPECT_EQ(irq_route_create(48, srv->ntfn, 0x10, &r), US_OK);
    UT_EXPECT(host_irq_enabled(48));
    srv->ntfn->bound = NULL;
    notification_wait(srv->ntfn, &srv->thread);
    host_irq_raise(48);
    kernel_irq();
    UT_EXPECT_EQ(srv->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(kfx_r(&srv->thread, 1), 0x10);
    UT_EXPECT(r->active);
    UT_EXPECT_EQ(host_irq_deactivations(48), 0); /* masked until the server acknowledges */
    UT_EXPECT_EQ(irq_route_ack(r), US_OK);
    UT_EXPECT_EQ(host_irq_deactivations(48), 1);
}

static void route_rejects_non_spi(void)
{
    struct irq_route *r;

    setup();
    UT_EXPECT_EQ(irq_route_create(31, srv->ntfn, 1, &r), US_ERANGE);
    UT_EXPECT_EQ(irq_route_create(ARCH_IRQ_MAX, srv->ntfn, 1, &r), US_ERANGE);
    UT_EXPECT_EQ(irq_route_create(40, srv->ntfn, 0, &r), US_ERANGE);
    UT_EXPECT(!host_irq_enabled(31) && !host_irq_enabled(40));
}

static void route_rejects_routed_intid(void)
{
    struct irq_route *r;

    setup();
    UT_EXPECT_EQ(irq_route_create(40, srv->ntfn, 1, &r), US_OK);
    UT_EXPECT_EQ(irq_route_create(40, srv->ntfn, 2, &r), US_EEXIST);
}

static void route_reports_full_table(void)
{
    struct irq_route *r;
    uint32_t i;

    setup();
    for (i = 0; i < 32; i++) {
        UT_EXPECT_EQ(irq_route_create(32 + i, srv->ntfn, 1, &r), US_OK);
    }
    UT_EXPECT_EQ(irq_route_create(32 + i, srv->ntfn, 1, &r), US_ENOMEM);
}

static void tick_rearms_and_reschedules(void)
{
    setup();
    this_cpu()->resched = false;
    host_irq_raise(HOST_TIMER_INTID);
    kernel_irq();
    UT_EXPECT(this_cpu()->resched);
    UT_EXPECT_EQ(host_timer_disarms, 1);
    UT_EXPECT_EQ(host_timer_armed_us, 10000);
    UT_EXPECT_EQ(host_irq_deactivations(HOST_TIMER_INTID), 1);
}

static void tick_wakes_sleeping_vcpu(void)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vm *vm;
    struct vcpu *v;

    setup();
    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vcpu_create(vm, 0, srv->ep, 0, 0, &v), US_OK);
    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    vcpu_wfi(v);
    v->wfi_deadline = 5000;
    host_counter = 4999;
    UT_EXPECT(irq_handle() == false);
    host_irq_raise(HOST_TIMER_INTID);
    kernel_irq();
    UT_EXPECT_EQ(v->thread.state, TS_BLOCKED_WFI);
    host_counter = 5000;
    host_irq_raise(HOST_TIMER_INTID);
    kernel_irq();
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
}

static void vtimer_wakes_its_vcpu(void)
{
    static struct vm_control ctl = {.quota = 1u << 20};
    struct vm *vm;
    struct vcpu *v;

    setup();
    UT_EXPECT_EQ(vm_create(&ctl, &vm), US_OK);
    UT_EXPECT_EQ(vcpu_create(vm, 0, srv->ep, 0, 0, &v), US_OK);
    UT_EXPECT_EQ(vcpu_start(v, 0, 0), US_OK);
    vcpu_wfi(v);
    host_vtimer_vcpu = v;
    host_irq_raise(HOST_VTIMER_INTID);
    UT_EXPECT(!irq_handle());
    UT_EXPECT_EQ(v->thread.state, TS_RUNNING);
    UT_EXPECT_EQ(host_irq_deactivations(HOST_VTIMER_INTID), 1);
    host_vtimer_vcpu = NULL; /* no vCPU context live: nothing to wake */
    host_irq_raise(HOST_VTIMER_INTID);
    UT_EXPECT(!irq_handle());
    UT_EXPECT_EQ(host_irq_deactivations(HOST_VTIMER_INTID), 2);
}

static void kick_and_stray_interrupts_are_deactivated(void)
{
    setup();
    host_irq_raise(ARCH_IRQ_KICK);
    host_irq_raise(700);
    host_irq_raise(HOST_TIMER_INTID);
    UT_EXPECT(irq_handle()); /* all taken in one pass; the tick among them */
    UT_EXPECT_EQ(host_irq_deactivations(ARCH_IRQ_KICK), 1);
    UT_EXPECT_EQ(host_irq_deactivations(700), 1);
    UT_EXPECT(strstr(host_uart, "unexpected interrupt 700") != NULL);
    UT_EXPECT(strstr(host_uart, "interrupt 0") == NULL);
}

UT_MAIN({"route_signals_until_acked", route_signals_until_acked},
        {"route_rejects_non_spi", route_rejects_non_spi},
        {"route_rejects_routed_intid", route_rejects_routed_intid},
        {"route_reports_full_table", route_reports_full_table},
        {"tick_rearms_and_reschedules", tick_rearms_and_reschedules},
        {"tick_wakes_sleeping_vcpu", tick_wakes_sleeping_vcpu},
        {"vtimer_wakes_its_vcpu", vtimer_wakes_its_vcpu},
        {"kick_and_stray_interrupts_are_deactivated", kick_and_stray_interrupts_are_deactivated})
