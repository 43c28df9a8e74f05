/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's boot hooks: the kernel image is wherever a test says, and
 * entering the first thread hands control back to the test. */
#include <stdio.h>
#include <stdlib.h>
#include <us/sched.h>
#include <us/arch/boot.h>
#include <arch/host.h>

paddr_t host_image_start, host_image_end;
void (*host_enter_first_hook)(struct arch_regs *regs);

void arch_early_init(struct cpu *c)
{
    host_this_cpu = c;
}

void arch_secondary_init(struct cpu *c)
{
    host_this_cpu = c;
}

const char *arch_cpu_mode(void)
{
    return "host model";
}

uint64_t arch_ram_end(void)
{
    return UINT64_MAX;
}

uint64_t arch_cpu_affinity(void)
{
    return this_cpu()->index;
}

paddr_t arch_secondary_entry(void)
{
    return pa_init(0x1000);
}

paddr_t arch_image_start(void)
{
    return host_image_start;
}

paddr_t arch_image_end(void)
{
    return host_image_end;
}

_Noreturn void arch_enter_first(struct arch_regs *regs)
{
    if (host_enter_first_hook != NULL) {
        host_enter_first_hook(regs);
    }
    fprintf(stderr, "host: entered the first thread with no test to return to\n");
    abort();
}
