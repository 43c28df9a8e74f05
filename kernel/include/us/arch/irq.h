/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Interrupt controller and timer hooks each architecture provides. */
#pragma once

#include <stdint.h>

#define ARCH_IRQ_NONE 0xffffffffu
#define ARCH_IRQ_MAX 1020u
#define ARCH_IRQ_KICK 0u /* the SGI one CPU sends another to make it enter the kernel */

/** arch_irq_init() - the distributor, once, on the boot CPU. */
void arch_irq_init(void);
/** arch_irq_init_cpu() - this CPU's redistributor and CPU interface; @mpidr is its
 * affinity. Interrupts it enables from then on are this CPU's (PPIs, SGIs). */
void arch_irq_init_cpu(uint64_t mpidr);
void arch_irq_enable(uint32_t intid);
/** arch_irq_set_edge() - SPI @intid is edge-triggered (its device pulses the line). */
void arch_irq_set_edge(uint32_t intid);
void arch_irq_disable(uint32_t intid);
/** arch_irq_ack() - acknowledge the highest pending interrupt; ARCH_IRQ_NONE if none. */
uint32_t arch_irq_ack(void);
/** arch_irq_eoi() - drop the running priority; the interrupt stays active. */
void arch_irq_eoi(uint32_t intid);
/** arch_irq_deactivate() - the interrupt may fire again. */
void arch_irq_deactivate(uint32_t intid);

/** arch_timer_intid() - the interrupt of the kernel's own preemption timer. */
/** arch_vgic_init() - list registers cleared, the guests' virtual timer PPI enabled. */
void arch_vgic_init(void);
/** arch_vtimer_intid() - the physical PPI of the guests' virtual timer. */
uint32_t arch_vtimer_intid(void);

/** arch_vgic_maint_intid() - the physical PPI of the GIC's maintenance interrupt. */
uint32_t arch_vgic_maint_intid(void);
struct vcpu;
/** arch_vtimer_fire() - that PPI fired: mask the timer, make it pending in its vCPU.
 * Returns: that vCPU (NULL if no vCPU context is live). */
struct vcpu *arch_vtimer_fire(void);

uint32_t arch_timer_intid(void);
/** arch_timer_arm() - fire the preemption timer after @us microseconds. */
void arch_timer_arm(uint64_t us);
void arch_timer_disarm(void);
uint64_t arch_counter(void);
/* The same without ordering against earlier instructions (no ISB): for accounting. */
uint64_t arch_counter_relaxed(void);
uint64_t arch_counter_freq(void);
/** arch_wait_for_interrupt() - idle until an interrupt is pending (interrupts stay masked). */
void arch_wait_for_interrupt(void);
