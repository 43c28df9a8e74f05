/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What servers need of the CPU itself, for x86_64 (the build picks this directory by
 * architecture: ipc/arch/<arch>/include). x86 orders stores with stores and loads with loads,
 * uncacheable device accesses included, and keeps DMA coherent with the caches: the barriers
 * only keep the compiler from reordering. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uslib/sha256.h>

/* Where a guest's RAM starts on this architecture's virtual board: 0, as on a PC, where the
 * first MiB holds what Linux needs below it (its real-mode trampoline, the BIOS areas). */
#define US_GUEST_RAM_BASE 0x0ull

/** us_cpu_counter() - the TSC, after earlier instructions (LFENCE). */
static inline uint64_t us_cpu_counter(void)
{
    uint32_t lo, hi;

    __asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/** us_cpu_counter_freq() - its ticks per second, as the kernel measured them (boot info). */
uint64_t us_cpu_counter_freq(void);

static inline void us_cpu_dma_wmb(void)
{
    __asm__ volatile("" ::: "memory");
}

static inline void us_cpu_io_wmb(void)
{
    __asm__ volatile("" ::: "memory");
}

static inline void us_cpu_io_rmb(void)
{
    __asm__ volatile("" ::: "memory");
}

/** us_cpu_clean_to_poc() - nothing to do: caches are coherent for every reader. */
static inline void us_cpu_clean_to_poc(const void *p, uint64_t size)
{
    (void)p;
    (void)size;
}

/** us_cpu_thread_ids_foreign() - whether the FS or GS base holds what this server did not
 * put there: FS is its us_tls block, GS nothing (RDFSBASE and RDGSBASE, which the kernel lets
 * ring 3 use). */
bool us_cpu_thread_ids_foreign(void);

/** us_cpu_trap() - an instruction the kernel reports as this server's fault. */
static inline void us_cpu_trap(void)
{
    __asm__ volatile("ud2");
}

/** us_cpu_cpuid() - this CPU's answer to CPUID @leaf, @sub in @r (EAX, EBX, ECX, EDX), which
 * ring 3 may ask. Returns: true (a CPU with CPUID). */
static inline bool us_cpu_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
    return true;
}

/** us_cpu_port_touch() - write port 0x80 (POST codes), which no server is given: the kernel
 * reports it as this server's fault. */
static inline void us_cpu_port_touch(void)
{
    __asm__ volatile("outb %%al, $0x80" : : "a"(0));
}

/** us_cpu_fp_mark() - @v into an SSE register (xmm15), for the check that the kernel keeps
 * each thread's FP registers (US_FAULT_FP). No clobber: servers are built with
 * -mgeneral-regs-only, so the compiler uses no SSE register (and refuses to name one). */
static inline void us_cpu_fp_mark(uint64_t v)
{
    __asm__ volatile("movq %0, %%xmm15" : : "r"(v));
}

/** us_cpu_fp_marked() - what us_cpu_fp_mark() put there, if it is still there. */
static inline uint64_t us_cpu_fp_marked(void)
{
    uint64_t v;

    __asm__ volatile("movq %%xmm15, %0" : "=r"(v));
    return v;
}

/** us_cpu_sha256_blocks() - none yet (SHA-NI would be one): the C compressor. */
static inline sha256_blocks_fn *us_cpu_sha256_blocks(void)
{
    return NULL;
}
