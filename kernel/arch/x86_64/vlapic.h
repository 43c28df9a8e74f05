/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A vCPU's local APIC in x2APIC mode (docs/x86_64.md): the CPU-local half of a PC's interrupt
 * controller, kept in the kernel beside the vCPU as KVM's split irqchip keeps it (the IOAPIC
 * being the vmm's), for the reason the GIC's CPU interface is hardware on aarch64: its
 * registers are touched on every interrupt (the end of interrupt, the task priority) and its
 * timer must wake a halted vCPU. Plain logic over struct x86_vlapic (arch/regs.h), with the
 * time passed in, so that the unit tests run it on the host; vcpu.c puts it in the VMCB. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <arch/regs.h>

#define VLAPIC_BASE_MSR 0x1bu
#define VLAPIC_TSC_DEADLINE_MSR 0x6e0u
#define VLAPIC_BASE_ADDR 0xfee00000ull
#define VLAPIC_BASE_BSP (1ull << 8)
#define VLAPIC_BASE_EXTD (1ull << 10) /* x2APIC mode */
#define VLAPIC_BASE_EN (1ull << 11)

/* vlapic_msr()'s answers. */
#define VLAPIC_NOT_MINE 0 /* not an APIC MSR: the vmm's */
#define VLAPIC_DONE 1
#define VLAPIC_GP 2 /* a reserved register, a read of a write-only one or the reverse */
#define VLAPIC_IPI                                                                                 \
    3 /* an ICR write for other CPUs, or not fixed: *val is it (done here                          \
       * for this CPU), for the caller to deliver or pass on */

/** vlapic_reset() - @a as after INIT, already in x2APIC mode (as firmware that enabled it
 * hands a CPU over: Linux keeps it unless it sets up an I/O APIC without interrupt remapping,
 * when it goes to xAPIC mode by way of disabled), with APIC ID @id; the
 * bootstrap processor's base MSR says so when @id is 0. The timer's clock before its divider
 * is the counter's (the TSC): Linux measures it, as it would a bus clock. */
void vlapic_reset(struct x86_vlapic *a, uint32_t id);

/** vlapic_msr() - RDMSR (*@val set) or WRMSR (*@val given) of @msr at counter time @now. */
int vlapic_msr(struct x86_vlapic *a, uint32_t msr, bool write, uint64_t *val, uint64_t now);

/** vlapic_mmio() - a load (*@val set) or store (*@val given, 32 bits) at @off in the xAPIC
 * window, at counter time @now: VLAPIC_NOT_MINE outside xAPIC mode; VLAPIC_IPI with *@val
 * the ICR write in x2APIC form for the caller to deliver; VLAPIC_DONE otherwise. Reserved
 * registers read as zero and ignore writes, as a memory-mapped APIC does. */
int vlapic_mmio(struct x86_vlapic *a, uint32_t off, bool write, uint64_t *val, uint64_t now);

/** vlapic_icr_hits() - whether the ICR value @icr is for the CPU with APIC ID @id, sent by
 * the CPU @self: its shorthand, else its destination, physical or x2APIC-logical. */
bool vlapic_icr_hits(uint64_t icr, uint32_t id, uint32_t self);

/** vlapic_raise() - a fixed interrupt at @vector (16-255) for this APIC: its IRR bit. */
void vlapic_raise(struct x86_vlapic *a, uint32_t vector);

/** vlapic_extint() - the 8259s' interrupt at @vector through LINT0 (ExtINT): taken whatever the
 * priorities, and not put in service. A second before the first is taken replaces it. */
void vlapic_extint(struct x86_vlapic *a, uint32_t vector);

/** vlapic_tick() - at counter time @now, the timer's interrupt if its deadline has passed; a
 * periodic timer arms its next period. */
void vlapic_tick(struct x86_vlapic *a, uint64_t now);

#define VLAPIC_EXTINT 0x100 /* vlapic_next(): an 8259's vector, through LINT0 */

/** vlapic_next() - the vector the CPU would take next: an 8259's (with VLAPIC_EXTINT), else the
 * highest requested one whose priority class is above the task priority's and the highest in
 * service's; -1 if none. */
int vlapic_next(const struct x86_vlapic *a);

/** vlapic_accept() - the CPU took @vector (vlapic_next()'s): it moves from requested to in
 * service, or an 8259's leaves LINT0. */
void vlapic_accept(struct x86_vlapic *a, uint32_t vector);

/** vlapic_deadline() - when the timer fires next, in counter ticks; UINT64_MAX if never. */
uint64_t vlapic_deadline(const struct x86_vlapic *a);
