/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Interrupt dispatch: the preemption timer for the scheduler, SPIs to notifications. */
#include <us/irq.h>
#include <us/log.h>
#include <us/notification.h>
#include <us/vcpu.h>
#include <us/sched.h>
#include <us/arch/irq.h>
#include <us/arch/vcpu.h>

static struct irq_route routes[32];
static struct irq_route *by_intid[ARCH_IRQ_MAX];

us_err_t irq_route_create(uint32_t intid, struct notification *n, uint64_t bit,
                          struct irq_route **out)
{
    uint32_t i;

    if (intid < 32 || intid >= ARCH_IRQ_MAX || bit == 0) {
        return US_TRACE(US_ERANGE);
    }
    if (by_intid[intid] != NULL) {
        return US_TRACE(US_EEXIST);
    }
    for (i = 0; i < ARRAY_SIZE(routes); i++) {
        if (!routes[i].in_use) {
            routes[i] = (struct irq_route){intid, n, bit, true, false};
            by_intid[intid] = &routes[i];
            arch_irq_enable(intid);
            *out = &routes[i];
            return US_OK;
        }
    }
    return US_ENOMEM;
}

us_err_t irq_route_ack(struct irq_route *r)
{
    if (r->active) {
        r->active = false;
        arch_irq_deactivate(r->intid);
    }
    return US_OK;
}

bool irq_handle(void)
{
    bool tick = false;
    uint32_t intid;

    while ((intid = arch_irq_ack()) != ARCH_IRQ_NONE) {
        arch_irq_eoi(intid);
        if (intid == arch_vtimer_intid()) {
            struct vcpu *v = arch_vtimer_fire(); /* masks the guest's timer: safe to deactivate */

            if (v != NULL) {
                vcpu_kick(v);
            }
            arch_irq_deactivate(intid);
            continue;
        }
        if (intid == arch_vgic_maint_intid()) {
            (void)arch_vgic_maintenance(); /* the vCPU reports the ends as it leaves the IRQ */
            arch_irq_deactivate(intid);
            continue;
        }
        if (intid == arch_timer_intid()) {
            arch_timer_disarm(); /* level-triggered: quiet it before it can fire again */
            arch_irq_deactivate(intid);
            tick = true;
            continue;
        }
        if (intid < ARCH_IRQ_MAX && by_intid[intid] != NULL) {
            /* Stays active (masked) until the server acknowledges it. */
            by_intid[intid]->active = true;
            notification_signal(by_intid[intid]->ntfn, by_intid[intid]->bit);
            continue;
        }
        if (intid == ARCH_IRQ_KICK) {
            arch_irq_deactivate(intid); /* entering the kernel was the point */
            continue;
        }
        US_LOG_WARN("unexpected interrupt %u", intid);
        arch_irq_deactivate(intid);
    }
    return tick;
}
