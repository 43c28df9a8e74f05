/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The list-register context of vgic.c, driven by the context switch in switch.c. */
#pragma once

#include <stdint.h>

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

/** arch_guest_cntv_ctl(), arch_guest_set_cntv_ctl() - the loaded guest's CNTV_CTL_EL0, by the
 * name EL2 reaches it with (CNTV_CTL_EL02 with VHE). */
uint64_t arch_guest_cntv_ctl(void);
void arch_guest_set_cntv_ctl(uint64_t v);
