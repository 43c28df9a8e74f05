/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* System-register accessors and the bit definitions the aarch64 kernel uses. */
#pragma once

#include <stdint.h>

#define read_sysreg(r)                                                                             \
    ({                                                                                             \
        uint64_t rv_;                                                                              \
        __asm__ volatile("mrs %0, " #r : "=r"(rv_));                                               \
        rv_;                                                                                       \
    })
#define write_sysreg(r, v)                                                                         \
    do {                                                                                           \
        uint64_t wv_ = (uint64_t)(v);                                                              \
        __asm__ volatile("msr " #r ", %0" : : "r"(wv_));                                           \
    } while (0)

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}
static inline void dsb_sy(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}
static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}
/* Drop this CPU's EL2 TLB entries. */
static inline void tlbi_alle2(void)
{
    __asm__ volatile("tlbi alle2\n dsb ish\n isb" ::: "memory");
}
/* Drop every CPU's stage 1 and 2 entries for the VMID in VTTBR_EL2. */
static inline void tlbi_vmalls12e1is(void)
{
    __asm__ volatile("tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}
/* Drop every CPU's EL1&0 stage 1 entries for @asid and the VMID in VTTBR_EL2. */
static inline void tlbi_aside1is(uint16_t asid)
{
    __asm__ volatile("tlbi aside1is, %0\n dsb ish\n isb" : : "r"((uint64_t)asid << 48) : "memory");
}

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
#define HCR_TACR (1ull << 21)
#define HCR_TTLB (1ull << 25)
#define HCR_RW (1ull << 31)
#define HCR_SERVER (HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO | HCR_TSC)
#define HCR_GUEST                                                                                  \
    (HCR_RW | HCR_TSC | HCR_TWI | HCR_TWE | HCR_AMO | HCR_IMO | HCR_FMO | HCR_SWIO | HCR_VM |      \
     HCR_FB | HCR_BSU_IS)

/* ESR exception classes (Arm ARM D17.2.37). */
#define EC_UNKNOWN 0x00u
#define EC_WFX 0x01u
#define EC_FP 0x07u
#define EC_SVC64 0x15u
#define EC_HVC64 0x16u
#define EC_SMC64 0x17u
#define EC_SYSREG 0x18u
#define EC_IABT_LOW 0x20u
#define EC_IABT_CUR 0x21u
#define EC_PC_ALIGN 0x22u
#define EC_DABT_LOW 0x24u
#define EC_DABT_CUR 0x25u
#define EC_SP_ALIGN 0x26u
#define EC_BRK 0x3cu

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
