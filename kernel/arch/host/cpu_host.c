/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host "architecture" of the kernel's unit tests: CPU 0 is the running CPU, and kicks
 * are counted so tests can see them. */
#include <us/sched.h>

uint32_t host_kicks[SCHED_MAX_CPUS];
struct cpu *host_this_cpu = &cpus[0];

void arch_cpu_kick(uint32_t index)
{
    host_kicks[index]++;
}
