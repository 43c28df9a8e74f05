/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The system-register bits the aarch64 kernel uses (shared with the unit tests' shim). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Arm ARM D13.2.69 MDCR_EL2: the PMU's and the debug registers' EL1/EL0 accesses trap to EL2
 * (TPMCR, TPM; TDA for the breakpoint, watchpoint and MDSCR_EL1 group; TDOSA for the OS lock
 * and power-down registers; TDRA for the ROM address register). */
#define MDCR_TPMCR (1ull << 5)
#define MDCR_TPM (1ull << 6)
#define MDCR_TDA (1ull << 9)
#define MDCR_TDOSA (1ull << 10)
#define MDCR_TDRA (1ull << 11)
#define MDCR_EL2_VALUE (MDCR_TPMCR | MDCR_TPM | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA)

/* Arm ARM D13.2.46 HCR_EL2. */
#define HCR_VM (1ull << 0)
#define HCR_SWIO (1ull << 1)
#define HCR_FMO (1ull << 3)
#define HCR_IMO (1ull << 4)
#define HCR_AMO (1ull << 5)
#define HCR_FB (1ull << 9)
#define HCR_BSU_IS (1ull << 10)
#define HCR_TWI (1ull << 13)
#define HCR_TWE (1ull << 14)
#define HCR_TSC (1ull << 19)
#define HCR_TTLB (1ull << 25)
#define HCR_TGE (1ull << 27)
#define HCR_RW (1ull << 31)
#define HCR_E2H (1ull << 34)
#define HCR_SERVER (HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO | HCR_TSC)
#define HCR_GUEST                                                                                  \
    (HCR_RW | HCR_TSC | HCR_TWI | HCR_TWE | HCR_AMO | HCR_IMO | HCR_FMO | HCR_SWIO | HCR_VM |      \
     HCR_FB | HCR_BSU_IS)
/* With VHE a server runs with the guest's controls plus TGE (so the EL2&0 regime, stage 2
 * off, its exceptions and interrupts to EL2): a guest <-> server switch then changes none of
 * the bits (VM among them) that make QEMU drop every translation it holds. */
#define HCR_SERVER_VHE (HCR_GUEST | HCR_E2H | HCR_TGE)

/* CNTHCTL_EL2 (Arm ARM D19.2.27): without VHE, EL1PCTEN is bit 0 and EL1PCEN bit 1; with it
 * they move to bits 10 and 11, and bits 0 and 1 give EL0 of the EL2&0 regime (servers) the
 * physical and virtual counters. */
#define CNTHCTL_EL1PCTEN 1ull
#define CNTHCTL_VHE_EL0VCTEN (1ull << 1)
#define CNTHCTL_VHE_EL1PCTEN (1ull << 10)

/* SCTLR of the servers' regime (SCTLR_EL1 without VHE, SCTLR_EL2 with): M, C, SA, SA0, I,
 * DZE, UCT, nTWI, nTWE, WXN, UCI and the RES1 bits. */
#define SCTLR_WXN (1ull << 19)
#define SCTLR_SERVER                                                                               \
    ((1ull << 0) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 12) | (1ull << 14) |         \
     (1ull << 15) | (1ull << 16) | (1ull << 18) | SCTLR_WXN | (1ull << 26) | 0x30d00800ull)

/* TCR of the servers' regime (TCR_EL1 without VHE, TCR_EL2 with): T0SZ=25 (39 bits), WBWA,
 * inner shareable, 4K, EPD1 (no TTBR1 walks), IPS 40 bits. */
#define TCR_SERVER (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (2ull << 32))

/* ESR exception classes (Arm ARM D17.2.37). */
#define EC_WFX 0x01u
#define EC_FP 0x07u
#define EC_SVC64 0x15u
#define EC_HVC64 0x16u
#define EC_SMC64 0x17u
#define EC_SYSREG 0x18u
#define EC_IABT_LOW 0x20u
#define EC_DABT_LOW 0x24u
#define EC_DABT_CUR 0x25u
#define EC_SERROR 0x2fu

static inline uint32_t esr_ec(uint64_t esr)
{
    return (uint32_t)((esr >> 26) & 0x3f);
}

/* Data abort ISS. */
#define ESR_ISV (1ull << 24)
#define ESR_SSE (1ull << 21)
#define ESR_SF (1ull << 15)
#define ESR_WNR (1ull << 6)
#define ESR_S1PTW (1ull << 7)

/* SPSR modes. */
#define SPSR_EL0T 0x0ull
#define SPSR_EL1T 0x4ull
#define SPSR_EL1H 0x5ull
#define SPSR_DAIF (0xfull << 6)
#define SPSR_MODE_MASK 0xfull

/* CPTR_EL2 (non-VHE): TFP traps FP/SIMD; RES1 bits 13,9:0 (and 12 without SVE). */
#define CPTR_EL2_RES1 0x33ffull
#define CPTR_EL2_TFP (1ull << 10)
#define CPTR_EL2_TZ (1ull << 8) /* traps SVE; RES1 without SVE */
/* CPTR_EL2 with VHE has CPACR_EL1's layout: FPEN and ZEN open (0b11) or trap (0b00). */
#define CPTR_VHE_FPEN (3ull << 20)
#define CPTR_VHE_ZEN (3ull << 16)

/* Whether this CPU runs with VHE (HCR_EL2.E2H): servers then run at EL0 of the EL2&0 regime
 * (HCR_EL2.TGE set while they run), and a guest's EL1 registers are reached at EL2 through
 * the *_EL12 and *_EL02 encodings. Decided once by the boot CPU; every CPU follows it. */
extern bool arch_vhe;
