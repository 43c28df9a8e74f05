/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel lock (us/lock.h): a ticket lock, fair between CPUs. */
#include <stdint.h>
#include <us/lock.h>
#include <us/arch/cpu.h>

static struct {
    uint32_t next;  /* ticket of the next CPU to arrive */
    uint32_t owner; /* ticket being served */
} klock;

void kernel_lock(void)
{
    uint32_t ticket = __atomic_fetch_add(&klock.next, 1u, __ATOMIC_RELAXED);

    while (__atomic_load_n(&klock.owner, __ATOMIC_ACQUIRE) != ticket) {
        arch_cpu_relax();
    }
}

void kernel_unlock(void)
{
    __atomic_store_n(&klock.owner, klock.owner + 1u, __ATOMIC_RELEASE);
}
