/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Several CPUs on x86_64 (docs/x86_64.md): each other CPU the MADT lists is started by INIT
 * and SIPI into a real-mode page below 1 MiB (head.S's ap_tramp), the CPUs kick each other
 * with a fixed IPI, and a changed map is shot down on the CPUs that may hold it.
 *
 * The shootdown. Aarch64 broadcasts its TLB maintenance; x86 has no such instruction, so the
 * CPU that changed a map (under the kernel lock) bumps a generation and waits until no other
 * CPU is still outside the kernel (in ring 3 or a guest) on translations older than it: each
 * CPU outside is sent the kick, whose entry brings it in. A CPU inside the kernel needs no
 * wait, as it goes out only through x86_outside(), which catches up with the generation first,
 * and a guest's nested translations are dropped at its next VMRUN (its ASID's count moved). */
#include <uslib/string.h>
#include <us/log.h>
#include <us/platform.h>
#include <us/sched.h>
#include <us/arch/irq.h>
#include <arch/io.h>
#include <arch/tlb.h>
#include "x86.h"

#define AP_TRAMPOLINE 0x8000u /* below 1 MiB, outside the RAM region the kernel takes */
#define ICR_FIXED 0x4000u     /* fixed delivery, level asserted */
#define ICR_INIT 0x4500u
#define ICR_SIPI 0x4600u
#define INIT_WAIT_US 10000u     /* the MP specification's wait after INIT */
#define START_WAIT_US 1000000u  /* for each SIPI: the CPU reaching C, under emulation too */
#define AP_GIVEN_UP 0xffffffffu /* x86_ap_index for a CPU that came too late: it stops */

void x86_ap_main(uint32_t index);
void ksecondary(uint32_t index);

extern const uint8_t ap_tramp[], ap_tramp_end[];
extern uint64_t x86_ap_stack, x86_ap_index; /* head.S's, read by ap_long */

static uint32_t ap_up;   /* set by the CPU being started once it has its stack and index */
static uint64_t tlb_gen; /* the shootdown generation, moved under the kernel lock */

void x86_smp_prepare(void)
{
    memcpy(pa_ptr(pa_init(AP_TRAMPOLINE)), ap_tramp, (size_t)(ap_tramp_end - ap_tramp));
}

static bool wait_up(uint64_t us)
{
    uint64_t end = rdtsc() + us * (arch_counter_freq() / 1000000u);

    while (__atomic_load_n(&ap_up, __ATOMIC_ACQUIRE) == 0) {
        if (rdtsc() >= end) {
            return false;
        }
        __asm__ volatile("pause");
    }
    return true;
}

us_err_t x86_cpu_start(uint32_t apic_id, uint32_t index)
{
    x86_ap_index = index;
    x86_ap_stack = x86_entry_stack_top(index);
    __atomic_store_n(&ap_up, 0, __ATOMIC_SEQ_CST);
    x86_ipi(apic_id, ICR_INIT);
    (void)wait_up(INIT_WAIT_US); /* nothing sets it: the wait itself */
    for (uint32_t sipi = 0; sipi < 2; sipi++) {
        x86_ipi(apic_id, ICR_SIPI | AP_TRAMPOLINE >> 12);
        if (wait_up(START_WAIT_US)) {
            return US_OK;
        }
    }
    x86_ap_index = AP_GIVEN_UP;
    US_LOG_WARN("CPU with APIC ID %u did not start: going on without it", apic_id);
    return US_ETIMEOUT;
}

/* head.S's ap_long, on the entry stack x86_cpu_start() chose: the kernel's own map, then the
 * generic kernel's start of a CPU. */
void x86_ap_main(uint32_t index)
{
    while (index == AP_GIVEN_UP) {
        __asm__ volatile("cli; hlt"); /* nobody counts on it: it stays halted */
    }
    x86_mmu_load_kernel();
    __atomic_store_n(&ap_up, 1, __ATOMIC_RELEASE);
    ksecondary(index);
}

/* q35's CPUs start through the local APIC; @entry is always head.S's ap_tramp. */
us_err_t plat_cpu_on(uint64_t apic_id, paddr_t entry, uint64_t arg)
{
    (void)entry;
    return x86_cpu_start((uint32_t)apic_id, (uint32_t)arg);
}

void arch_cpu_kick(uint32_t index)
{
    US_CHECK(index < cpu_count);
    if (cpus[index].online) {
        x86_ipi(x86_percpu_of(index)->apic_id, ICR_FIXED | (X86_VECTOR_BASE + ARCH_IRQ_KICK));
    }
}

void x86_shootdown(void)
{
    struct x86_percpu *me = x86_this_percpu();

    if (cpu_count < 2) {
        return;
    }
    me->tlb_seen = __atomic_add_fetch(&tlb_gen, 1, __ATOMIC_SEQ_CST); /* flushed here already */
    for (uint32_t i = 0; i < cpu_count; i++) {
        if (i != me->index && __atomic_load_n(&x86_percpu_of(i)->outside, __ATOMIC_SEQ_CST)) {
            arch_cpu_kick(i);
        }
    }
    for (uint32_t i = 0; i < cpu_count; i++) {
        while (i != me->index && __atomic_load_n(&x86_percpu_of(i)->outside, __ATOMIC_ACQUIRE)) {
            __asm__ volatile("pause");
        }
    }
}

/* With one CPU nobody shoots down, nor waits: both marks are skipped. */
void x86_inside(void)
{
    if (cpu_count < 2) {
        return;
    }
    __atomic_store_n(&x86_this_percpu()->outside, 0, __ATOMIC_RELEASE);
}

void x86_outside(void)
{
    struct x86_percpu *p = x86_this_percpu();
    uint64_t gen;

    if (cpu_count < 2) {
        return;
    }
    __atomic_store_n(&p->outside, 1, __ATOMIC_SEQ_CST);
    gen = __atomic_load_n(&tlb_gen, __ATOMIC_SEQ_CST);
    if (p->tlb_seen != gen) {
        p->tlb_seen = gen;
        x86_write_cr3(x86_read_cr3()); /* the current space's translations; others' go at load */
    }
}
