/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What servers need of the CPU itself, for aarch64 (the build picks this directory by
 * architecture: ipc/arch/<arch>/include). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uslib/sha256.h>

/* Where a guest's RAM starts on this architecture's virtual board: QEMU virt's 1 GiB. */
#define US_GUEST_RAM_BASE 0x40000000ull

/** us_cpu_counter() - the virtual counter, ordered after earlier instructions. */
static inline uint64_t us_cpu_counter(void)
{
    uint64_t v;

    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

/** us_cpu_counter_freq() - its ticks per second. */
static inline uint64_t us_cpu_counter_freq(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

/** us_cpu_dma_wmb() - memory writes before a doorbell, for a device in the outer shareable
 * domain (a virtio device's rings). */
static inline void us_cpu_dma_wmb(void)
{
    __asm__ volatile("dmb oshst" ::: "memory");
}

/** us_cpu_io_wmb() - writes complete before a device register write that makes it read
 * them (the SMMU's queues). */
static inline void us_cpu_io_wmb(void)
{
    __asm__ volatile("dsb st" ::: "memory");
}

/** us_cpu_io_rmb() - a device register read before our reads of what it wrote. */
static inline void us_cpu_io_rmb(void)
{
    __asm__ volatile("dsb ld" ::: "memory");
}

/** us_cpu_clean_to_poc() - what we wrote to [p, p + size) through a cacheable mapping
 * reaches memory, for a reader with its caches off (a guest at boot). */
static inline void us_cpu_clean_to_poc(const void *p, uint64_t size)
{
    for (uint64_t a = (uint64_t)(uintptr_t)p & ~63ull; a < (uint64_t)(uintptr_t)p + size; a += 64) {
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    }
    __asm__ volatile("dsb sy" ::: "memory");
}

/** us_cpu_thread_ids_foreign() - whether the thread ID registers a server can read (EL0's
 * TPIDR_EL0 and TPIDRRO_EL0) hold anything: servers keep none, so it was left by someone else. */
static inline bool us_cpu_thread_ids_foreign(void)
{
    uint64_t rw, ro;

    __asm__ __volatile__("mrs %0, tpidr_el0\n\tmrs %1, tpidrro_el0" : "=r"(rw), "=r"(ro));
    return rw != 0 || ro != 0;
}

/** us_cpu_trap() - an instruction the kernel reports as this server's fault. */
static inline void us_cpu_trap(void)
{
    __asm__ volatile("brk #0x5553");
}

/** us_cpu_cpuid() - no CPUID on aarch64: @r zeroed. Returns: false. */
static inline bool us_cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    (void)leaf;
    (void)sub;
    r[0] = r[1] = r[2] = r[3] = 0;
    return false;
}

/** us_cpu_port_touch() - nothing: aarch64 has no I/O ports. */
static inline void us_cpu_port_touch(void)
{
}

/** us_cpu_fp_mark() - @v into a SIMD register the compiler leaves alone (v31), for the check
 * that the kernel keeps each thread's FP registers (US_FAULT_FP). */
static inline void us_cpu_fp_mark(uint64_t v)
{
    __asm__ volatile("fmov d31, %0" : : "r"(v) : "v31");
}

/** us_cpu_fp_marked() - what us_cpu_fp_mark() put there, if it is still there. */
static inline uint64_t us_cpu_fp_marked(void)
{
    uint64_t v;

    __asm__ volatile("fmov %0, d31" : "=r"(v));
    return v;
}

/** us_cpu_sha256_blocks() - the SHA-256 instructions' compressor (lib/sha256_ce.S), for CPUs
 * with US_CPU_SHA2. */
static inline sha256_blocks_fn *us_cpu_sha256_blocks(void)
{
    return sha256_ce_blocks;
}
