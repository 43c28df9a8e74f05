/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Architecture hooks used while booting. */
#pragma once

#include <us/types.h>
#include <arch/mmu.h>
#include <arch/regs.h>

struct cpu;

/** arch_early_init() - on the boot CPU, before anything else: this CPU is @c, EL2 controls,
 * early MMU. */
void arch_early_init(struct cpu *c);

/** arch_secondary_init() - on another CPU, first thing: this CPU is @c, EL2 controls, the
 * kernel's final map. */
void arch_secondary_init(struct cpu *c);

/** arch_cpu_affinity() - this CPU's MPIDR affinity fields. */
uint64_t arch_cpu_affinity(void);

/** arch_cpu_mode() - where the kernel was entered and how servers share the CPU (boot log). */
const char *arch_cpu_mode(void);

/** arch_ram_end() - the highest RAM address the kernel can map (with aarch64's VHE, servers'
 * spaces begin at 64 GiB); RAM above it is left unused. */
uint64_t arch_ram_end(void);

/** arch_secondary_entry() - physical address where a started CPU begins (x0 = its index). */
paddr_t arch_secondary_entry(void);

/** arch_image_start(), arch_image_end() - the kernel image in physical memory. */
paddr_t arch_image_start(void);
paddr_t arch_image_end(void);

/** arch_enter_first() - leave the kernel for the first time into @regs. */
_Noreturn void arch_enter_first(struct arch_regs *regs);
