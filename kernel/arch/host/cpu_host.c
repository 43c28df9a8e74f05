/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's CPUs: the running CPU is a variable the tests set, kicks are
 * counted, and thread registers are plain memory. */
#include <stdio.h>
#include <stdlib.h>
#include <us/sched.h>
#include <us/arch/cpu.h>
#include <arch/host.h>

_Static_assert(HOST_MAX_CPUS == SCHED_MAX_CPUS, "host.h mirrors sched.h");

uint32_t host_kicks[SCHED_MAX_CPUS];
struct cpu *host_this_cpu = &cpus[0];
struct thread *host_faulting;

void host_cpus_init(uint32_t count)
{
    for (uint32_t i = 0; i < SCHED_MAX_CPUS; i++) {
        cpus[i].index = i;
        cpus[i].online = i < count;
        cpus[i].ran_since = host_counter; /* as cpu_join() does: idle from here */
        cpus[i].ran_kind = CPU_RAN_IDLE;
    }
    cpu_count = count;
    host_this_cpu = &cpus[0];
}

void host_run_on(uint32_t index)
{
    host_this_cpu = &cpus[index];
}

void arch_cpu_kick(uint32_t index)
{
    host_kicks[index]++;
}

/* One thread of the host runs every "CPU": a spin would never end. */
void arch_cpu_relax(void)
{
    fprintf(stderr, "host: kernel lock contended in a single-threaded test\n");
    abort();
}

void arch_sync_icache(void)
{
}

uint64_t arch_cpu_features(void)
{
    return 0;
}

sha256_blocks_fn *arch_sha256_blocks(void)
{
    return NULL;
}

void arch_thread_init_user(struct thread *t, uint64_t pc, uint64_t sp, uint64_t arg)
{
    *host_pc(&t->regs) = pc;
    *host_sp(&t->regs) = sp;
    arch_regs_set(&t->regs, 0, arg);
}

void arch_thread_make_fault(struct thread *t)
{
    host_faulting = t;
    *host_pc(&t->regs) = UINT64_MAX;
}
