/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What server code needs of the CPU, for its unit tests and fuzz harnesses on the build
 * machine: full fences where the target orders memory, no device, no counter of its own. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uslib/sha256.h>
#include <stdlib.h>

/* Where a guest's RAM starts: the unit tests model aarch64's board (QEMU virt's 1 GiB). */
#define US_GUEST_RAM_BASE 0x40000000ull

/** us_cpu_counter(), us_cpu_counter_freq() - a counter and its rate: the test that links code
 * reading them defines them, so that it sets the time. */
uint64_t us_cpu_counter(void);
uint64_t us_cpu_counter_freq(void);

static inline void us_cpu_dma_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void us_cpu_io_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void us_cpu_io_rmb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void us_cpu_clean_to_poc(const void *p, uint64_t size)
{
    (void)p;
    (void)size;
}

static inline void us_cpu_trap(void)
{
    abort();
}

/* As aarch64's: the host model has no CPUID to show a guest. */
static inline bool us_cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    (void)leaf;
    (void)sub;
    r[0] = r[1] = r[2] = r[3] = 0;
    return false;
}

static inline void us_cpu_port_touch(void)
{
}

/* No register to keep on the host: the FP check is the target's (US_FAULT_FP). */
static inline void us_cpu_fp_mark(uint64_t v)
{
    (void)v;
}

static inline uint64_t us_cpu_fp_marked(void)
{
    return 0;
}

static inline sha256_blocks_fn *us_cpu_sha256_blocks(void)
{
    return NULL;
}
