/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64's counter rate: the TSC's has no register of its own, so the kernel measures it and
 * puts it in the boot info. And the block FS points to (start.S). */
#include <understudy/cpu.h>
#include <understudy/usys.h>

/* What %fs:0x28 reads: a stack guard for code built with GCC's default (a TLS guard). Ours
 * uses __stack_chk_guard (-mstack-protector-guard=global). */
uint64_t us_tls[8] = {[5] = 0x6c1b95e3a2f4d087ull};

bool us_cpu_thread_ids_foreign(void)
{
    uint64_t fs, gs;

    __asm__ __volatile__("rdfsbase %0\n\trdgsbase %1" : "=r"(fs), "=r"(gs));
    return fs != (uint64_t)(uintptr_t)us_tls || gs != 0;
}

uint64_t us_cpu_counter_freq(void)
{
    return us_bootinfo()->counter_freq;
}
