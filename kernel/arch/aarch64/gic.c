/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* GICv3 physical interface for the kernel: distributor, each CPU's redistributor, and the
 * EL2 system-register CPU interface with split priority drop and deactivation. Device
 * interrupts (SPIs) go to the boot CPU, where the servers run; SGI ARCH_IRQ_KICK makes
 * another CPU enter the kernel. */
#include <us/log.h>
#include <us/sched.h>
#include <us/arch/irq.h>
#include <arch/sysreg.h>
#include "board.h"

#define GICD_CTLR 0x0000u
#define GICD_TYPER 0x0004u
#define GICD_IGROUPR 0x0080u
#define GICD_ISENABLER 0x0100u
#define GICD_ICENABLER 0x0180u
#define GICD_IPRIORITYR 0x0400u
#define GICD_ICFGR 0x0c00u
#define GICD_IROUTER 0x6000u
#define GICD_CTLR_ENABLE_G1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_RWP (1u << 31)

#define GICR_TYPER 0x0008u /* 64 bits: affinity in 63:32, Last (bit 4) */
#define GICR_WAKER 0x0014u
#define GICR_SGI 0x10000u
#define GICR_IGROUPR0 (GICR_SGI + 0x0080u)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100u)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180u)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400u)

#define IRQ_PRIO 0xa0u

static volatile uint32_t *gicd(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(PLAT_GICD_BASE + off);
}

static uint64_t gicr_base[SCHED_MAX_CPUS]; /* each CPU's redistributor frames */
static uint64_t cpu_mpidr[SCHED_MAX_CPUS];

static volatile uint32_t *gicr(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(gicr_base[this_cpu()->index] + off);
}

static uint32_t spi_count;

/* MPIDR's affinity fields, as GICR_TYPER has them (Aff3.Aff2.Aff1.Aff0 in 32 bits). */
static uint32_t affinity32(uint64_t mpidr)
{
    return (uint32_t)(((mpidr >> 8) & 0xff000000u) | (mpidr & 0xffffffu));
}

/* The redistributor whose GICR_TYPER names this CPU (GICv3 spec 12.11.40). */
static uint64_t find_redistributor(uint64_t mpidr)
{
    for (uint64_t base = PLAT_GICR_BASE; base < PLAT_GIC_END; base += PLAT_GICR_STRIDE) {
        uint64_t typer = *(volatile uint64_t *)(uintptr_t)(base + GICR_TYPER);

        if ((uint32_t)(typer >> 32) == affinity32(mpidr)) {
            return base;
        }
        if (typer & (1u << 4)) {
            break; /* Last */
        }
    }
    return 0;
}

void arch_irq_init_cpu(uint64_t mpidr)
{
    uint32_t i, index = this_cpu()->index;

    cpu_mpidr[index] = mpidr;
    gicr_base[index] = find_redistributor(mpidr);
    if (gicr_base[index] == 0) {
        klog_panic("CPU %u (MPIDR 0x%llx): no GIC redistributor", index, (unsigned long long)mpidr);
    }
    /* Wake this CPU's redistributor (GICv3 spec 12.11.42 GICR_WAKER). */
    *gicr(GICR_WAKER) &= ~(1u << 1);
    while (*gicr(GICR_WAKER) & (1u << 2)) {
    }
    *gicr(GICR_ICENABLER0) = 0xffffffffu;
    *gicr(GICR_IGROUPR0) = 0xffffffffu;
    for (i = 0; i < 32; i += 4) {
        *gicr(GICR_IPRIORITYR + i) = IRQ_PRIO * 0x01010101u;
    }

    /* System-register interface at EL2, and let EL1 use its own (virtual) one. */
    write_sysreg(icc_sre_el2, 0xfu);
    isb();
    write_sysreg(icc_pmr_el1, 0xffu);
    write_sysreg(icc_bpr1_el1, 0u);
    write_sysreg(icc_ctlr_el1, 1u << 1); /* EOImode: EOIR drops priority, DIR deactivates */
    write_sysreg(icc_igrpen1_el1, 1u);
    isb();
    arch_irq_enable(ARCH_IRQ_KICK);
}

void arch_cpu_kick(uint32_t index)
{
    uint64_t m = cpu_mpidr[index];

    if (!cpus[index].online) {
        return; /* it looks at its run queue when it joins */
    }
    /* ICC_SGI1R_EL1: Aff3 55:48, RS 47:44, Aff2 39:32, INTID 27:24, Aff1 23:16, TargetList
     * 15:0 (Aff0 mod 16 within range selector Aff0 / 16). */
    write_sysreg(icc_sgi1r_el1, (((m >> 32) & 0xffu) << 48) | (((m & 0xffu) >> 4) << 44) |
                                    (((m >> 16) & 0xffu) << 32) | ((uint64_t)ARCH_IRQ_KICK << 24) |
                                    (((m >> 8) & 0xffu) << 16) | (1ull << (m & 0xfu)));
    isb();
}

void arch_irq_init(void)
{
    uint32_t i;

    *gicd(GICD_CTLR) = 0;
    while (*gicd(GICD_CTLR) & GICD_CTLR_RWP) {
    }
    spi_count = ((*gicd(GICD_TYPER) & 0x1fu) + 1u) * 32u;
    if (spi_count > ARCH_IRQ_MAX) {
        spi_count = ARCH_IRQ_MAX;
    }
    for (i = 32; i < spi_count; i += 32) {
        *gicd(GICD_ICENABLER + i / 8) = 0xffffffffu;
        *gicd(GICD_IGROUPR + i / 8) = 0xffffffffu;
    }
    for (i = 32; i < spi_count; i += 4) {
        *gicd(GICD_IPRIORITYR + i) = IRQ_PRIO * 0x01010101u;
    }
    *gicd(GICD_CTLR) = GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1;
    while (*gicd(GICD_CTLR) & GICD_CTLR_RWP) {
    }
}

static void route_spi(uint32_t intid)
{
    volatile uint64_t *router =
        (volatile uint64_t *)(uintptr_t)(PLAT_GICD_BASE + GICD_IROUTER + 8u * intid);
    *router = cpu_mpidr[0] & 0xff00ffffffull; /* the boot CPU: IROUTER has MPIDR's layout */
}

void arch_irq_set_edge(uint32_t intid)
{
    /* GICD_ICFGR<n>: two bits per INTID, the upper one set for edge-triggered. */
    if (intid >= 32 && intid < spi_count) {
        volatile uint32_t *cfg = gicd(GICD_ICFGR + (intid / 16) * 4);

        *cfg |= 2u << (2u * (intid % 16));
    }
}

void arch_irq_enable(uint32_t intid)
{
    if (intid < 32) {
        *gicr(GICR_ISENABLER0) = 1u << intid;
    } else if (intid < spi_count) {
        route_spi(intid);
        *gicd(GICD_ISENABLER + (intid / 32) * 4) = 1u << (intid % 32);
    }
}

void arch_irq_disable(uint32_t intid)
{
    if (intid < 32) {
        *gicr(GICR_ICENABLER0) = 1u << intid;
    } else if (intid < spi_count) {
        *gicd(GICD_ICENABLER + (intid / 32) * 4) = 1u << (intid % 32);
    }
}

uint32_t arch_irq_ack(void)
{
    uint32_t intid = (uint32_t)(read_sysreg(icc_iar1_el1) & 0xffffffu);
    return intid >= 1020u ? ARCH_IRQ_NONE : intid;
}

void arch_irq_eoi(uint32_t intid)
{
    write_sysreg(icc_eoir1_el1, intid);
    isb();
}

void arch_irq_deactivate(uint32_t intid)
{
    write_sysreg(icc_dir_el1, intid);
    isb();
}

/* The EL2 physical timer (CNTHP) is the kernel's preemption clock: PPI 26 on virt. */
uint32_t arch_timer_intid(void)
{
    return 26u;
}

void arch_timer_arm(uint64_t us)
{
    uint64_t ticks = read_sysreg(cntfrq_el0) * us / 1000000u;
    write_sysreg(cnthp_cval_el2, read_sysreg(cntpct_el0) + ticks);
    write_sysreg(cnthp_ctl_el2, 1u);
    isb();
}

void arch_timer_disarm(void)
{
    write_sysreg(cnthp_ctl_el2, 2u); /* enabled bit clear, masked */
}

uint64_t arch_counter(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}

uint64_t arch_counter_relaxed(void)
{
    return read_sysreg(cntpct_el0);
}

uint64_t arch_counter_freq(void)
{
    return read_sysreg(cntfrq_el0);
}

void arch_wait_for_interrupt(void)
{
    __asm__ volatile("dsb sy\n wfi" ::: "memory");
}
