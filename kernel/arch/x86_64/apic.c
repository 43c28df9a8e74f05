/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 interrupts and time behind <us/arch/irq.h> (docs/x86_64.md): the local APIC (xAPIC,
 * at 0xfee00000) takes every interrupt and gives the tick with its timer in one-shot mode; the
 * IOAPIC (0xfec00000) routes device lines to this CPU; the TSC is the counter. The TSC's and
 * the APIC timer's rates are measured against the HPET (0xfed00000), whose period its
 * capabilities state, so no rate is assumed.
 *
 * Interrupt IDs are the generic kernel's: a vector is ID + 0x20. ID 0 (ARCH_IRQ_KICK) is the
 * kick between CPUs, ID 1 the tick, and IOAPIC line g is ID 32 + g, as a GIC's SPIs start at
 * 32. The entry records each vector taken as pending (entry.S); arch_irq_ack() hands them out
 * highest first, which is the local APIC's own priority order. */
#include <stdbool.h>
#include <stdint.h>
#include <us/log.h>
#include <us/types.h>
#include <us/arch/boot.h>
#include <us/arch/irq.h>
#include <arch/io.h>
#include "board.h"
#include "x86.h"

#define VECTOR_BASE X86_VECTOR_BASE
#define SPURIOUS_VECTOR 0xffu
#define TIMER_INTID 1u
#define GSI_INTID 32u

#define LAPIC PLAT_LAPIC_BASE
#define LAPIC_ID 0x020u
#define LAPIC_TPR 0x080u
#define LAPIC_EOI 0x0b0u
#define LAPIC_SVR 0x0f0u
#define LAPIC_LVT_TIMER 0x320u
#define LAPIC_LVT_LINT0 0x350u
#define LAPIC_LVT_LINT1 0x360u
#define LAPIC_LVT_ERROR 0x370u
#define LAPIC_IRR 0x200u
#define LAPIC_TIMER_INIT 0x380u
#define LAPIC_TIMER_CUR 0x390u
#define LAPIC_TIMER_DIV 0x3e0u
#define LAPIC_ICR_LO 0x300u
#define LAPIC_ICR_HI 0x310u
#define ICR_PENDING (1u << 12)
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define TIMER_DIV_1 0xbu

#define IOAPIC PLAT_IOAPIC_BASE
#define IOAPIC_VER 0x01u
#define IOAPIC_REDIR(pin) (0x10u + 2u * (pin))
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)

#define HPET PLAT_HPET_BASE
#define HPET_CAP 0x000u
#define HPET_CONFIG 0x010u
#define HPET_COUNTER 0x0f0u
#define HPET_ENABLE 1u
#define FS_PER_S 1000000000000000ull
#define CALIBRATE_US 2000u

static uint32_t ioapic_pins;
static uint32_t edge[1]; /* IOAPIC lines made edge-triggered (arch_irq_set_edge()), a bit each */
static uint64_t tsc_hz, timer_hz;
/* Each CPU's TSC times (struct x86_percpu): when the scheduler's tick is due (arch_timer_arm()),
 * and when its APIC timer fires, which is sooner if a guest's timer asked for it
 * (x86_timer_by()). */

static volatile uint32_t *reg32(uint64_t base, uint32_t off)
{
    return (volatile uint32_t *)pa_ptr(pa_init(base + off));
}

static uint32_t lapic_read(uint32_t off)
{
    return *reg32(LAPIC, off);
}

static void lapic_write(uint32_t off, uint32_t v)
{
    *reg32(LAPIC, off) = v;
}

static uint32_t ioapic_read(uint32_t r)
{
    *reg32(IOAPIC, 0) = r;
    return *reg32(IOAPIC, 0x10);
}

static void ioapic_write(uint32_t r, uint32_t v)
{
    *reg32(IOAPIC, 0) = r;
    *reg32(IOAPIC, 0x10) = v;
}

static uint64_t hpet_read(uint32_t off)
{
    return *(volatile uint64_t *)pa_ptr(pa_init(HPET + off));
}

/* Line @pin's redirection: its vector, level-triggered unless made edge, to this CPU's APIC. */
static void ioapic_route(uint32_t pin, bool masked)
{
    uint32_t lo = (VECTOR_BASE + GSI_INTID + pin) | (masked ? REDIR_MASKED : 0) |
                  ((edge[0] >> pin & 1u) ? 0 : REDIR_LEVEL);

    ioapic_write(IOAPIC_REDIR(pin) + 1, (uint32_t)arch_cpu_affinity() << 24);
    ioapic_write(IOAPIC_REDIR(pin), lo);
}

/* This CPU's local APIC ID: what names it to the IOAPIC and to other CPUs. */
uint64_t arch_cpu_affinity(void)
{
    return lapic_read(LAPIC_ID) >> 24;
}

void arch_irq_init(void)
{
    ioapic_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xffu) + 1;
    ioapic_pins = ioapic_pins < 32 ? ioapic_pins : 32;
    for (uint32_t pin = 0; pin < ioapic_pins; pin++) {
        ioapic_route(pin, true);
    }
}

/* The TSC's and the APIC timer's rates over CALIBRATE_US of the HPET. */
static bool calibrate(void)
{
    uint64_t cap = hpet_read(HPET_CAP), period = cap >> 32, h0, t0, t1, want;
    uint32_t left;

    if (cap == ~0ull || period == 0 || period > 100000000ull) {
        return false; /* no HPET, or one slower than 10 MHz: the rates would be guesses */
    }
    *(volatile uint64_t *)pa_ptr(pa_init(HPET + HPET_CONFIG)) =
        hpet_read(HPET_CONFIG) | HPET_ENABLE;
    want = CALIBRATE_US * (FS_PER_S / 1000000u) / period;
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | (VECTOR_BASE + TIMER_INTID));
    h0 = hpet_read(HPET_COUNTER);
    t0 = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
    while (hpet_read(HPET_COUNTER) - h0 < want) {
        __asm__ volatile("pause");
    }
    left = lapic_read(LAPIC_TIMER_CUR);
    t1 = rdtsc();
    lapic_write(LAPIC_TIMER_INIT, 0);
    tsc_hz = (t1 - t0) * (1000000u / CALIBRATE_US);
    timer_hz = (0xffffffffull - left) * (1000000u / CALIBRATE_US);
    return tsc_hz != 0 && timer_hz != 0;
}

void x86_time_init(void)
{
    if (!calibrate()) {
        klog_panic("no HPET to measure the TSC and the APIC timer against");
    }
}

void arch_irq_init_cpu(uint64_t apic_id)
{
    x86_this_percpu()->apic_id = (uint32_t)apic_id;
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
}

static void line_mask(uint32_t intid, bool masked)
{
    if (intid == TIMER_INTID) {
        lapic_write(LAPIC_LVT_TIMER, (masked ? LVT_MASKED : 0) | (VECTOR_BASE + TIMER_INTID));
    } else if (intid >= GSI_INTID && intid - GSI_INTID < ioapic_pins) {
        ioapic_route(intid - GSI_INTID, masked);
    }
}

void arch_irq_enable(uint32_t intid)
{
    line_mask(intid, false);
}

void arch_irq_disable(uint32_t intid)
{
    line_mask(intid, true);
}

void arch_irq_set_edge(uint32_t intid)
{
    if (intid >= GSI_INTID && intid - GSI_INTID < ioapic_pins) {
        edge[0] |= 1u << (intid - GSI_INTID);
    }
}

/* Whether @intid is a level-triggered IOAPIC line. */
static bool level_line(uint32_t intid)
{
    return intid >= GSI_INTID && intid - GSI_INTID < ioapic_pins &&
           !(edge[0] >> (intid - GSI_INTID) & 1u);
}

/* The highest vector taken and not yet handed out; the spurious vector is dropped (it needs
 * no end of interrupt). A level-triggered line stays masked until arch_irq_deactivate(): it
 * would otherwise come again as soon as the end of interrupt is written. An edge-triggered one
 * stays open, as the IOAPIC would lose an edge that came while it was masked. */
static bool early_timer(void);

uint32_t arch_irq_ack(void)
{
    struct x86_percpu *p = x86_this_percpu();

    for (int w = 3; w >= 0; w--) {
        while (p->pending[w] != 0) {
            uint32_t v = (uint32_t)w * 64u + 63u - (uint32_t)__builtin_clzll(p->pending[w]);
            uint32_t intid = v - VECTOR_BASE;

            p->pending[w] &= ~(1ull << (v & 63u));
            if (v == SPURIOUS_VECTOR || v < VECTOR_BASE) {
                continue;
            }
            if (intid == TIMER_INTID && p->overdue != 0) {
                US_LOG_WARN("CPU %u: idle found its timer %llu us overdue, not raised: set again",
                            p->index, (unsigned long long)(p->overdue * 1000000u / tsc_hz));
                p->overdue = 0;
            }
            if (intid == TIMER_INTID && early_timer()) {
                continue;
            }
            if (level_line(intid)) {
                line_mask(intid, true);
            }
            return intid;
        }
    }
    return ARCH_IRQ_NONE;
}

void arch_irq_eoi(uint32_t intid)
{
    (void)intid;
    lapic_write(LAPIC_EOI, 0);
}

void arch_irq_deactivate(uint32_t intid)
{
    if (level_line(intid)) {
        line_mask(intid, false);
    }
}

uint32_t arch_timer_intid(void)
{
    return TIMER_INTID;
}

/* The APIC timer to fire @tsc_ticks of the TSC from now. */
static void timer_in(uint64_t tsc_ticks)
{
    uint64_t count = tsc_ticks * (timer_hz / 1000u) / (tsc_hz / 1000u);

    lapic_write(LAPIC_TIMER_INIT, count == 0            ? 1
                                  : count > 0xffffffffu ? 0xffffffffu
                                                        : (uint32_t)count);
}

void arch_timer_arm(uint64_t us)
{
    struct x86_percpu *p = x86_this_percpu();
    uint64_t ticks = us * (tsc_hz / 1000000u);

    p->tick_due = p->armed_at = rdtsc() + ticks;
    timer_in(ticks);
}

void arch_timer_disarm(void)
{
    struct x86_percpu *p = x86_this_percpu();

    p->tick_due = p->armed_at = UINT64_MAX;
    lapic_write(LAPIC_TIMER_INIT, 0);
}

void x86_timer_by(uint64_t tsc)
{
    struct x86_percpu *p = x86_this_percpu();
    uint64_t now = rdtsc();

    if (tsc < p->armed_at) {
        p->armed_at = tsc;
        timer_in(tsc > now ? tsc - now : 0);
    }
}

void x86_irq_recheck(void)
{
    lapic_write(LAPIC_TPR, 0); /* unchanged; the write makes the APIC re-evaluate its IRR */
}

void x86_ipi(uint32_t apic_id, uint32_t icr)
{
    while (lapic_read(LAPIC_ICR_LO) & ICR_PENDING) {
        __asm__ volatile("pause");
    }
    lapic_write(LAPIC_ICR_HI, apic_id << 24);
    lapic_write(LAPIC_ICR_LO, icr);
}

/* Weak: the first stage has no vCPUs to wake (the kernel's is in kernel.c). */
__attribute__((weak)) void x86_timer_early(uint64_t now)
{
    (void)now;
}

/* The timer fired before the tick was due, for a guest's deadline (x86_timer_by()): it is
 * ended here and set again for the tick, and the vCPUs whose deadline passed are woken; the
 * generic kernel sees no tick. */
static bool early_timer(void)
{
    struct x86_percpu *p = x86_this_percpu();
    uint64_t now = rdtsc();

    if (now >= p->tick_due) {
        return false;
    }
    lapic_write(LAPIC_EOI, 0);
    p->armed_at = p->tick_due;
    if (p->tick_due != UINT64_MAX) {
        timer_in(p->tick_due - now);
    }
    x86_timer_early(now);
    return true;
}

uint64_t arch_counter(void)
{
    __asm__ volatile("lfence" ::: "memory"); /* not before the instructions above it */
    return rdtsc();
}

uint64_t arch_counter_relaxed(void)
{
    return rdtsc();
}

uint64_t arch_counter_freq(void)
{
    return tsc_hz;
}

uint64_t x86_timer_hz(void)
{
    return timer_hz;
}

/* A CPU about to sleep needs its timer to wake it. Under QEMU 7.2 the tick's interrupt was
 * seen lost twice (docs/x86_64.md): once left in the IRR unsignalled (x86_irq_recheck() now
 * follows the VMRUNs that lost it), once expired and never seen in the IRR, ISR or pending
 * bitmap, cause not found. Either stops the tick for good on an idle CPU. So a timer already due
 * whose interrupt is not taken yet is mended here: the APIC told again if the vector waits in its
 * IRR, else the timer set to fire at once (if the interrupt was only on its way, one more is
 * harmless). The latter is reported by arch_irq_ack(), under the kernel lock, once it is more than
 * ten ticks late: QEMU's main thread, which raises the timer, is often 10-30 ms late on two busy
 * vCPUs, while the lost tick above was 1.3 s late. A vector waiting in the IRR is not reported: a
 * vCPU thread the host did not run for a while looks the same. */
static void tick_check(struct x86_percpu *p)
{
    const uint32_t v = VECTOR_BASE + TIMER_INTID;
    uint64_t now = rdtsc();
    bool in_irr;

    if (now < p->armed_at || (p->pending[v / 64u] >> (v % 64u) & 1u)) {
        return; /* set for later (or never: UINT64_MAX), or taken */
    }
    in_irr = (lapic_read(LAPIC_IRR + v / 32u * 0x10u) >> (v % 32u) & 1u) != 0;
    if (in_irr) {
        x86_irq_recheck();
        return;
    }
    timer_in(0);
    if (now - p->armed_at > tsc_hz / 10u) {
        p->overdue = now - p->armed_at;
    }
}

/* Interrupts on for exactly one instruction's window: STI holds them off until after HLT, so
 * one arriving in between still wakes it; the entry records it and returns here. */
void arch_wait_for_interrupt(void)
{
    tick_check(x86_this_percpu());
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}
