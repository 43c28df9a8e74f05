/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The list-register context of vgic.c, driven by the context switch in switch.c. */
#pragma once

struct vcpu;

/** arch_vgic_save() / arch_vgic_load() - move @v's list registers, VMCR and active
 * priorities out of / into the hardware (only when another vCPU takes the CPU). */
void arch_vgic_save(struct vcpu *v);
void arch_vgic_load(struct vcpu *v);

/** arch_vgic_enter() - about to run the live vCPU @v: refill waiting interrupts, enable. */
void arch_vgic_enter(struct vcpu *v);

/** arch_vgic_leave() - a server runs next: signal nothing virtual. */
void arch_vgic_leave(void);

/** arch_vgic_forget() - @v is going away: if its context is live, clear it. */
void arch_vgic_forget(struct vcpu *v);
