/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64's counter rate: the TSC's has no register of its own, so the kernel measures it and
 * puts it in the boot info. */
#include <understudy/cpu.h>
#include <understudy/usys.h>

uint64_t us_cpu_counter_freq(void)
{
    return us_bootinfo()->counter_freq;
}
