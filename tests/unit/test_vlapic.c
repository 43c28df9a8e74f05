/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of a vCPU's local APIC (kernel/arch/x86_64/vlapic.c) on the host: which vector is
 * taken next under the task priority and what is in service, the end of interrupt, the timer
 * in its three modes, self IPIs, and the MSR accesses refused with #GP. */
#include <stdint.h>
#include "../../kernel/arch/x86_64/vlapic.h"
#include "ut.h"

#define TPR 0x808u
#define EOI 0x80bu
#define SVR 0x80fu
#define ISR0 0x810u
#define IRR0 0x820u
#define ICR 0x830u
#define TIMER 0x832u
#define TMICT 0x838u
#define TMCCT 0x839u
#define TDCR 0x83eu
#define SELF_IPI 0x83fu

static struct x86_vlapic a;

static int wr(uint32_t msr, uint64_t v, uint64_t now)
{
    return vlapic_msr(&a, msr, true, &v, now);
}

static uint64_t rd(uint32_t msr, uint64_t now)
{
    uint64_t v = 0xdead;

    UT_EXPECT_EQ(vlapic_msr(&a, msr, false, &v, now), VLAPIC_DONE);
    return v;
}

/* Take what vlapic_next() offers, as the CPU would; -1 if nothing. */
static int take(void)
{
    int v = vlapic_next(&a);

    if (v >= 0) {
        vlapic_accept(&a, (uint32_t)v);
    }
    return v;
}

static void reset_enabled(uint32_t id)
{
    vlapic_reset(&a, id);
    UT_EXPECT_EQ(wr(SVR, 0x1ff, 0), VLAPIC_DONE);
}

static void starts_in_x2apic_mode(void)
{
    vlapic_reset(&a, 0);
    UT_EXPECT_EQ(rd(VLAPIC_BASE_MSR, 0), 0xfee00d00u); /* EN, EXTD, BSP */
    UT_EXPECT_EQ(rd(0x802, 0), 0);
    UT_EXPECT_EQ(rd(TIMER, 0), 0x10000u); /* masked */
    vlapic_reset(&a, 19);
    UT_EXPECT_EQ(rd(VLAPIC_BASE_MSR, 0), 0xfee00c00u); /* not the BSP */
    UT_EXPECT_EQ(rd(0x802, 0), 19);
    UT_EXPECT_EQ(rd(0x80d, 0), (1u << 16) | (1u << 3)); /* cluster 1, CPU 3 in it */
    UT_EXPECT_EQ(vlapic_msr(&a, 0x10u, false, &(uint64_t){0}, 0), VLAPIC_NOT_MINE);
}

static void priority_and_eoi(void)
{
    reset_enabled(0);
    UT_EXPECT_EQ(take(), -1);
    vlapic_raise(&a, 0x41);
    vlapic_raise(&a, 0x90);
    UT_EXPECT_EQ(rd(IRR0 + 2, 0), 1u << 1);  /* 0x41: word 2 of the IRR, bit 1 */
    UT_EXPECT_EQ(rd(IRR0 + 4, 0), 1u << 16); /* 0x90 */
    UT_EXPECT_EQ(take(), 0x90);
    UT_EXPECT_EQ(rd(ISR0 + 4, 0), 1u << 16);
    UT_EXPECT_EQ(take(), -1); /* 0x41's class is below the one in service */
    UT_EXPECT_EQ(rd(0x80a, 0), 0x90u);
    vlapic_raise(&a, 0x95);
    UT_EXPECT_EQ(take(), -1); /* the same class as the one in service: it waits too */
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), 0x95);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TPR, 0x50, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), -1); /* 0x41 is held back by the task priority */
    UT_EXPECT_EQ(rd(0x80a, 0), 0x50u);
    UT_EXPECT_EQ(wr(TPR, 0x30, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), 0x41);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(rd(ISR0 + 2, 0), 0);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE); /* nothing in service: harmless */
}

static void self_ipis(void)
{
    reset_enabled(3);
    UT_EXPECT_EQ(wr(SELF_IPI, 0x61, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(ICR, 0x62u | (1u << 18), 0), VLAPIC_DONE);            /* shorthand: self */
    UT_EXPECT_EQ(wr(ICR, 0x63u | (3ull << 32), 0), VLAPIC_DONE);          /* to its own ID */
    UT_EXPECT_EQ(wr(ICR, 0x64u | (4ull << 32), 0), VLAPIC_IPI);           /* another CPU's */
    UT_EXPECT_EQ(wr(ICR, 0x65u | (5u << 8) | (1u << 18), 0), VLAPIC_IPI); /* INIT: passed on */
    UT_EXPECT_EQ(wr(ICR, 0x66u | (3u << 18), 0), VLAPIC_IPI); /* all but self: passed on */
    UT_EXPECT_EQ(wr(ICR, 0x67u | (1u << 11) | (0x8ull << 32), 0), VLAPIC_DONE); /* logical: self */
    UT_EXPECT_EQ(take(), 0x67);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), 0x63);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), 0x62);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), 0x61);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), -1);
    UT_EXPECT_EQ(wr(SELF_IPI, 7, 0), VLAPIC_DONE); /* an exception's vector: an error */
    UT_EXPECT_EQ(take(), -1);
    UT_EXPECT_EQ(rd(0x828, 0), 1u << 6);
}

static void timer_tsc_deadline(void)
{
    reset_enabled(0);
    UT_EXPECT_EQ(wr(VLAPIC_TSC_DEADLINE_MSR, 5000, 0), VLAPIC_DONE); /* one-shot mode: ignored */
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
    UT_EXPECT_EQ(wr(TIMER, 0x40u | (2u << 17), 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(VLAPIC_TSC_DEADLINE_MSR, 5000, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(vlapic_deadline(&a), 5000);
    UT_EXPECT_EQ(rd(VLAPIC_TSC_DEADLINE_MSR, 0), 5000);
    vlapic_tick(&a, 4999);
    UT_EXPECT_EQ(take(), -1);
    vlapic_tick(&a, 5000);
    UT_EXPECT_EQ(take(), 0x40);
    UT_EXPECT_EQ(rd(VLAPIC_TSC_DEADLINE_MSR, 0), 0); /* fired: disarmed */
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
    /* Masked, it still fires and disarms, without an interrupt. */
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TIMER, 0x40u | (2u << 17) | 0x10000u, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(VLAPIC_TSC_DEADLINE_MSR, 6000, 0), VLAPIC_DONE);
    vlapic_tick(&a, 7000);
    UT_EXPECT_EQ(take(), -1);
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
    /* A change of mode disarms it. */
    UT_EXPECT_EQ(wr(TIMER, 0x40u | (2u << 17), 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(VLAPIC_TSC_DEADLINE_MSR, 9000, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TIMER, 0x40u, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
}

static void timer_counts(void)
{
    reset_enabled(0);
    UT_EXPECT_EQ(wr(TDCR, 0x3, 0), VLAPIC_DONE); /* divide by 16 */
    UT_EXPECT_EQ(wr(TIMER, 0x50u, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TMICT, 100, 1000), VLAPIC_DONE);
    UT_EXPECT_EQ(vlapic_deadline(&a), 1000 + 1600);
    UT_EXPECT_EQ(rd(TMCCT, 1800), 50);
    vlapic_tick(&a, 2600);
    UT_EXPECT_EQ(take(), 0x50);
    UT_EXPECT_EQ(rd(TMCCT, 2700), 0); /* one-shot: stopped */
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    /* Periodic, divide by 1: each period; periods missed are not made up. */
    UT_EXPECT_EQ(wr(TDCR, 0xb, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TIMER, 0x50u | (1u << 17), 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TMICT, 1000, 0), VLAPIC_DONE);
    vlapic_tick(&a, 1000);
    UT_EXPECT_EQ(vlapic_deadline(&a), 2000);
    UT_EXPECT_EQ(take(), 0x50);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    vlapic_tick(&a, 9500);
    UT_EXPECT_EQ(vlapic_deadline(&a), 10500);
    UT_EXPECT_EQ(take(), 0x50);
    UT_EXPECT_EQ(wr(EOI, 0, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(take(), -1);
    UT_EXPECT_EQ(wr(TMICT, 0, 9600), VLAPIC_DONE); /* a count of zero stops it */
    UT_EXPECT_EQ(vlapic_deadline(&a), UINT64_MAX);
    /* Software-disabled (the SVR's enable bit clear): the timer's interrupt is not sent. */
    UT_EXPECT_EQ(wr(SVR, 0xff, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(TMICT, 10, 0), VLAPIC_DONE);
    vlapic_tick(&a, 20);
    UT_EXPECT_EQ(take(), -1);
}

/* Which CPUs an ICR value is for: shorthands, broadcast, physical and x2APIC-logical. */
static void icr_destinations(void)
{
    UT_EXPECT(vlapic_icr_hits(1u << 18, 2, 2)); /* self */
    UT_EXPECT(!vlapic_icr_hits(1u << 18, 1, 2));
    UT_EXPECT(vlapic_icr_hits(2u << 18, 2, 2)); /* all */
    UT_EXPECT(vlapic_icr_hits(3u << 18, 1, 2)); /* all but self */
    UT_EXPECT(!vlapic_icr_hits(3u << 18, 2, 2));
    UT_EXPECT(vlapic_icr_hits(1ull << 32, 1, 0)); /* physical */
    UT_EXPECT(!vlapic_icr_hits(1ull << 32, 0, 0));
    UT_EXPECT(vlapic_icr_hits(0xffffffffull << 32, 5, 0));
    UT_EXPECT(vlapic_icr_hits((1u << 11) | (0x0003ull << 32), 1, 0)); /* cluster 0, CPUs 0, 1 */
    UT_EXPECT(!vlapic_icr_hits((1u << 11) | (0x0003ull << 32), 2, 0));
    UT_EXPECT(vlapic_icr_hits((1u << 11) | (0x10001ull << 32), 16, 0)); /* cluster 1, CPU 0 */
    UT_EXPECT(!vlapic_icr_hits((1u << 11) | (0x10001ull << 32), 0, 0));
}

static void refused_accesses(void)
{
    uint64_t v = 0;

    reset_enabled(0);
    UT_EXPECT_EQ(vlapic_msr(&a, EOI, false, &v, 0), VLAPIC_GP);      /* write-only */
    UT_EXPECT_EQ(vlapic_msr(&a, SELF_IPI, false, &v, 0), VLAPIC_GP); /* write-only */
    UT_EXPECT_EQ(wr(0x802, 5, 0), VLAPIC_GP);                        /* the ID: read-only */
    UT_EXPECT_EQ(wr(IRR0, 1, 0), VLAPIC_GP);
    UT_EXPECT_EQ(wr(TMCCT, 1, 0), VLAPIC_GP);
    UT_EXPECT_EQ(wr(EOI, 1, 0), VLAPIC_GP); /* x2APIC: a non-zero EOI is reserved */
    UT_EXPECT_EQ(vlapic_msr(&a, 0x804, false, &v, 0), VLAPIC_GP); /* reserved */
    UT_EXPECT_EQ(wr(0x8ff, 0, 0), VLAPIC_GP);
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00900u, 0), VLAPIC_GP);   /* out of x2APIC mode */
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00d00u, 0), VLAPIC_DONE); /* as it is: kept */
    UT_EXPECT_EQ(rd(VLAPIC_BASE_MSR, 0), 0xfee00d00u);
    UT_EXPECT_EQ(take(), -1); /* and nothing was raised by any of it */
}

/* An access at @off in the xAPIC window. */
static uint64_t mm(uint32_t off, bool write, uint64_t v, int want)
{
    UT_EXPECT_EQ(vlapic_mmio(&a, off, write, &v, 0), want);
    return v;
}

/* Linux's way out of x2APIC mode (disabled, then xAPIC) and the window it then uses: the ID
 * in bits 31:24, the logical ID and model, the ICR in two halves, EOI with any value, the
 * reserved registers and the x2APIC MSRs gone. */
static void xapic_window(void)
{
    uint64_t v = 0;

    vlapic_reset(&a, 1);
    UT_EXPECT_EQ(mm(0x020, false, 0, VLAPIC_NOT_MINE), 0); /* no window in x2APIC mode */
    UT_EXPECT_EQ(wr(TPR, 0x20, 0), VLAPIC_DONE);
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00400u, 0), VLAPIC_GP);   /* EXTD without EN */
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfed00000u, 0), VLAPIC_GP);   /* moved */
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00000u, 0), VLAPIC_DONE); /* disabled: reset */
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00800u, 0), VLAPIC_DONE); /* xAPIC */
    UT_EXPECT_EQ(vlapic_msr(&a, TPR, false, &v, 0), VLAPIC_GP);     /* x2APIC's MSRs gone */
    UT_EXPECT_EQ(mm(0x080, false, 0, VLAPIC_DONE), 0);              /* the TPR, reset */
    UT_EXPECT_EQ(mm(0x020, false, 0, VLAPIC_DONE), 1u << 24);
    UT_EXPECT_EQ(mm(0x0e0, false, 0, VLAPIC_DONE), 0xffffffffu); /* flat model */
    mm(0x0d0, true, 0x02000000u, VLAPIC_DONE);
    UT_EXPECT_EQ(mm(0x0d0, false, 0, VLAPIC_DONE), 0x02000000u);
    mm(0x0f0, true, 0x1ff, VLAPIC_DONE); /* enabled */
    mm(0x310, true, 1u << 24, VLAPIC_DONE);
    UT_EXPECT_EQ(mm(0x300, true, 0x45, VLAPIC_DONE), 0x0000000100000045ull); /* to itself */
    UT_EXPECT_EQ(take(), 0x45);
    UT_EXPECT_EQ(mm(0x120, false, 0, VLAPIC_DONE), 1u << 5); /* in service */
    UT_EXPECT_EQ(mm(0x0b0, true, 0x1234, VLAPIC_DONE), 0);   /* EOI: any value */
    UT_EXPECT_EQ(mm(0x120, false, 0, VLAPIC_DONE), 0u);
    mm(0x310, true, 3u << 24, VLAPIC_DONE);
    UT_EXPECT_EQ(mm(0x300, true, 0x800 | 0x46, VLAPIC_IPI), /* logical, flat: CPUs 0, 1 */
                 (0x3ull << 32) | 0x846u);
    UT_EXPECT_EQ(take(), 0x46);
    mm(0x310, true, 0xffu << 24, VLAPIC_DONE);
    UT_EXPECT_EQ(mm(0x300, true, 0x4608, VLAPIC_IPI), (0xffffffffull << 32) | 0x4608u); /* INIT */
    UT_EXPECT_EQ(mm(0x300, false, 0, VLAPIC_DONE), 0x4608u);
    UT_EXPECT_EQ(mm(0x3f0, true, 0x47, VLAPIC_DONE), 0x47u); /* no self IPI register here */
    UT_EXPECT_EQ(mm(0x040, false, 0, VLAPIC_DONE), 0u);      /* reserved: zero */
    UT_EXPECT_EQ(mm(0x084, false, 0, VLAPIC_DONE), 0u);      /* not at a register's start */
    UT_EXPECT_EQ(take(), -1);
    UT_EXPECT_EQ(wr(VLAPIC_BASE_MSR, 0xfee00c00u, 0), VLAPIC_DONE); /* back to x2APIC */
    UT_EXPECT_EQ(mm(0x020, false, 0, VLAPIC_NOT_MINE), 0);
}

UT_MAIN({"starts_in_x2apic_mode", starts_in_x2apic_mode}, {"priority_and_eoi", priority_and_eoi},
        {"self_ipis", self_ipis}, {"timer_tsc_deadline", timer_tsc_deadline},
        {"timer_counts", timer_counts}, {"refused_accesses", refused_accesses},
        {"icr_destinations", icr_destinations}, {"xapic_window", xapic_window})
