/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Architecture hooks used while booting. */
#pragma once

#include <us/types.h>
#include <arch/mmu.h>
#include <arch/regs.h>

/** arch_early_init() - EL2 controls, early MMU, exception vectors; before anything else. */
void arch_early_init(void);

/** arch_image_start(), arch_image_end() - the kernel image in physical memory. */
paddr_t arch_image_start(void);
paddr_t arch_image_end(void);

/** arch_enter_first() - leave the kernel for the first time into @regs. */
_Noreturn void arch_enter_first(struct arch_regs *regs);
