/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Miscellaneous CPU hooks: cache maintenance and thread register setup. */
#pragma once

#include <stdint.h>
#include <uslib/sha256.h>

struct thread;

/** arch_cpu_relax() - a spin-wait hint (between polls of a lock held by another CPU). */
void arch_cpu_relax(void);

/** arch_sync_icache() - make instructions written through the data side visible. */
void arch_sync_icache(void);

/** arch_cpu_features() - US_CPU_* bits servers may rely on (reported in their bootinfo);
 * arch_sha256_blocks() - the CPU's SHA-256 compressor, or NULL for the C code. */
uint64_t arch_cpu_features(void);
sha256_blocks_fn *arch_sha256_blocks(void);

/** arch_thread_init_user() - registers for a server thread entering EL0 at @pc with stack
 * @sp and x0 = @arg. */
void arch_thread_init_user(struct thread *t, uint64_t pc, uint64_t sp, uint64_t arg);

/** arch_thread_make_fault() - make @t fault on its next instruction (debug crash command). */
void arch_thread_make_fault(struct thread *t);
