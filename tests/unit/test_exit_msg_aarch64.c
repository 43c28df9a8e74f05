/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of an aarch64 vCPU's exit message (kernel/arch/aarch64/exit_msg.c), built for the
 * host: the words the vmm receives, from the registers, the syndrome and the few words the
 * decode noted. Each case fills every word of the buffer with a poison first, so a word the
 * build leaves unwritten shows. */
#include <string.h>
#include <understudy/vcpu.h>
#include <us/vcpu.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>
#include "ut.h"

#define POISON 0x5a5a5a5a5a5a5a5aull

static struct vcpu v;
static struct us_msg m;

/* A vCPU 3 stopped at 0x80001000 in EL1h, x<i> = 0x100 + i, with the decode's words set. */
static void exit_of(uint64_t esr, uint64_t reason, uint64_t far, uint64_t ipa)
{
    memset(&v, 0, sizeof(v));
    memset(&m, 0x5a, sizeof(m));
    v.index = 3;
    v.thread.regs.pc = 0x80001000u;
    v.thread.regs.pstate = SPSR_EL1H;
    for (uint32_t i = 0; i < 31; i++) {
        v.thread.regs.x[i] = 0x100u + i;
    }
    v.exit_esr = esr;
    v.msg.w[US_EXIT_REASON] = reason;
    v.msg.w[US_EXIT_FAR] = far;
    v.msg.w[US_EXIT_IPA] = ipa;
    arch_vcpu_exit_msg(&v, &m);
}

/* The words every exit carries the same way. */
static void common(uint64_t esr, uint64_t reason)
{
    UT_EXPECT_EQ(m.hdr.label, US_LABEL_VCPU_EXIT);
    UT_EXPECT_EQ(m.hdr.len, US_EXIT_LEN);
    UT_EXPECT_EQ(m.w[US_EXIT_REASON], reason);
    UT_EXPECT_EQ(m.w[US_EXIT_ESR], esr);
    UT_EXPECT_EQ(m.w[US_EXIT_PC], 0x80001000u);
    UT_EXPECT_EQ(m.w[US_EXIT_CPSR], SPSR_EL1H);
    for (uint32_t i = 0; i < 8; i++) {
        UT_EXPECT_EQ(m.w[US_EXIT_X0 + i], 0x100u + i);
    }
    UT_EXPECT_EQ(m.w[US_EXIT_VCPU], 3);
    for (uint32_t i = 0; i < US_EXIT_WORDS; i++) {
        UT_EXPECT(m.w[i] != POISON);
    }
}

/* A 4-byte store of x5 (ISV, SAS 2, SRT 5, WnR) to an emulated register. */
static void mmio_write_names_register_and_value(void)
{
    uint64_t esr =
        ((uint64_t)EC_DABT_LOW << 26) | ESR_ISV | (2ull << 22) | (5ull << 16) | ESR_WNR | 0x07u;

    exit_of(esr, US_EXIT_MMIO, 0xffff000012345678u, 0x09000038u);
    common(esr, US_EXIT_MMIO);
    UT_EXPECT_EQ(m.w[US_EXIT_FAR], 0xffff000012345678u);
    UT_EXPECT_EQ(m.w[US_EXIT_IPA], 0x09000038u);
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 1);
    UT_EXPECT_EQ(m.w[US_EXIT_SIZE], 4);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 5);
    UT_EXPECT_EQ(m.w[US_EXIT_VALUE], 0x105u);
}

/* A 1-byte load into x30: a read, no WnR; the value word is the register as it stands. */
static void mmio_read_is_not_a_write(void)
{
    uint64_t esr = ((uint64_t)EC_DABT_LOW << 26) | ESR_ISV | (0ull << 22) | (30ull << 16) | 0x07u;

    exit_of(esr, US_EXIT_MMIO, 0x1000u, 0x08000004u);
    common(esr, US_EXIT_MMIO);
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_SIZE], 1);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 30);
    UT_EXPECT_EQ(m.w[US_EXIT_VALUE], 0x11eu);
}

/* MSR and MRS (EC 0x18): Rt in ISS bits 9:5, bit 0 set for a read. */
static void sysreg_direction_and_register(void)
{
    uint64_t esr = ((uint64_t)EC_SYSREG << 26) | (3ull << 20) | (7ull << 5); /* MSR, x7 */

    exit_of(esr, US_EXIT_SYSREG, 0, 0);
    common(esr, US_EXIT_SYSREG);
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 1);
    UT_EXPECT_EQ(m.w[US_EXIT_SIZE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 7);
    UT_EXPECT_EQ(m.w[US_EXIT_VALUE], 0x107u);
    exit_of(esr | 1u, US_EXIT_SYSREG, 0, 0); /* MRS */
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 7);
}

/* An HVC is no access: its arguments are x0..x7, the access words are 0. */
static void hvc_carries_only_arguments(void)
{
    uint64_t esr = ((uint64_t)EC_HVC64 << 26) | (1ull << 25);

    exit_of(esr, US_EXIT_HVC, 0, 0);
    common(esr, US_EXIT_HVC);
    UT_EXPECT_EQ(m.w[US_EXIT_FAR], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_IPA], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_SIZE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_VALUE], 0);
}

/* An EOI exit's two bitmaps: the low one in the FAR word, the high one kept in the vCPU. */
static void eoi_carries_both_bitmaps(void)
{
    exit_of(0, US_EXIT_EOI, 1ull << 33, 0);
    UT_EXPECT_EQ(m.w[US_EXIT_EOI_LO], 1ull << 33);
    UT_EXPECT_EQ(m.w[US_EXIT_EOI_HI], 0);
    v.msg.w[US_EXIT_EOI_HI] = 1ull << 6; /* INTID 70 */
    arch_vcpu_exit_msg(&v, &m);
    common(0, US_EXIT_EOI);
    UT_EXPECT_EQ(m.w[US_EXIT_EOI_LO], 1ull << 33);
    UT_EXPECT_EQ(m.w[US_EXIT_EOI_HI], 1ull << 6);
    UT_EXPECT_EQ(m.w[US_EXIT_WRITE], 0);
    UT_EXPECT_EQ(m.w[US_EXIT_REG], 0);
}

UT_MAIN({"mmio_write_names_register_and_value", mmio_write_names_register_and_value},
        {"mmio_read_is_not_a_write", mmio_read_is_not_a_write},
        {"sysreg_direction_and_register", sysreg_direction_and_register},
        {"hvc_carries_only_arguments", hvc_carries_only_arguments},
        {"eoi_carries_both_bitmaps", eoi_carries_both_bitmaps})
