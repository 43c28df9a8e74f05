/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's interrupt controller and timers: a FIFO of pending INTIDs the
 * tests fill, and counters in place of the hardware's side effects. */
#include <stdio.h>
#include <stdlib.h>
#include <us/arch/irq.h>
#include <arch/host.h>

uint64_t host_counter;
uint64_t host_timer_armed_us;
uint32_t host_timer_disarms;
struct vcpu *host_vtimer_vcpu;
void (*host_wfi_hook)(void);
uint32_t host_wfis;

static uint32_t pending[64];
static uint32_t pending_head, pending_tail;
static bool enabled[ARCH_IRQ_MAX];
static uint32_t deactivations[ARCH_IRQ_MAX];

void host_irq_raise(uint32_t intid)
{
    if (pending_tail - pending_head >= 64u) {
        abort();
    }
    pending[pending_tail++ % 64u] = intid;
}

bool host_irq_enabled(uint32_t intid)
{
    return intid < ARCH_IRQ_MAX && enabled[intid];
}

uint32_t host_irq_deactivations(uint32_t intid)
{
    return intid < ARCH_IRQ_MAX ? deactivations[intid] : 0;
}

void arch_irq_init(void)
{
}

void arch_irq_init_cpu(uint64_t mpidr)
{
    (void)mpidr;
}

void arch_irq_enable(uint32_t intid)
{
    enabled[intid] = true;
}

void arch_irq_set_edge(uint32_t intid)
{
    (void)intid; /* the host model's lines have no trigger mode */
}

void arch_irq_disable(uint32_t intid)
{
    enabled[intid] = false;
}

uint32_t arch_irq_ack(void)
{
    if (pending_head == pending_tail) {
        return ARCH_IRQ_NONE;
    }
    return pending[pending_head++ % 64u];
}

void arch_irq_eoi(uint32_t intid)
{
    (void)intid;
}

void arch_irq_deactivate(uint32_t intid)
{
    if (intid < ARCH_IRQ_MAX) {
        deactivations[intid]++;
    }
}

void arch_vgic_init(void)
{
}

uint32_t arch_vtimer_intid(void)
{
    return HOST_VTIMER_INTID;
}

uint32_t arch_vgic_maint_intid(void)
{
    return HOST_MAINT_INTID;
}

struct vcpu *arch_vtimer_fire(void)
{
    return host_vtimer_vcpu;
}

uint32_t arch_timer_intid(void)
{
    return HOST_TIMER_INTID;
}

void arch_timer_arm(uint64_t us)
{
    host_timer_armed_us = us;
}

void arch_timer_disarm(void)
{
    host_timer_disarms++;
}

uint64_t arch_counter(void)
{
    return host_counter;
}

uint64_t arch_counter_relaxed(void)
{
    return host_counter;
}

uint64_t arch_counter_freq(void)
{
    return 1000000u;
}

void arch_wait_for_interrupt(void)
{
    if (host_wfi_hook == NULL || ++host_wfis > HOST_WFI_MAX) {
        fprintf(stderr, "host: waiting for an interrupt nothing will raise\n");
        abort();
    }
    host_wfi_hook();
}
