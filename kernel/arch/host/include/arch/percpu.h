/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host "architecture" of the kernel's unit tests: the running CPU is a variable the
 * tests set (kernel/arch/host/cpu_host.c). */
#pragma once

struct cpu;
extern struct cpu *host_this_cpu;

static inline struct cpu *arch_this_cpu(void)
{
    return host_this_cpu;
}
