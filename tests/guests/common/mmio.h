/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Single-instruction MMIO accessors for test guests. */
#pragma once

#include <stdint.h>

/*
 * Inline asm pins each access to one plain LDR/STR with a base register and no writeback,
 * so a trapping hypervisor always sees ESR_EL2.ISV = 1 (Arm ARM D17.2.40) and can emulate
 * it from the syndrome alone. A C volatile access could become a post-indexed or paired form.
 */
static inline uint32_t mmio_read32(uintptr_t addr)
{
    uint32_t v;

    __asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    __asm__ __volatile__("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}
