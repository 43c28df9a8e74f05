/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* SVE predicate registers and FFR (struct arch_fpregs.sve_p), at the 128-bit vector length the
 * kernel fixes with ZCR_EL2.LEN = 0: the Z registers are then the V registers fpsimd.S moves,
 * and each predicate is 2 bytes. Called only when the CPU has SVE. */
    .arch armv8.2-a+sve
    .text
    .global sve_pregs_save
sve_pregs_save:            /* x0: 17 two-byte slots, p0..p15 then FFR */
    str p0, [x0, #0, MUL VL]
    str p1, [x0, #1, MUL VL]
    str p2, [x0, #2, MUL VL]
    str p3, [x0, #3, MUL VL]
    str p4, [x0, #4, MUL VL]
    str p5, [x0, #5, MUL VL]
    str p6, [x0, #6, MUL VL]
    str p7, [x0, #7, MUL VL]
    str p8, [x0, #8, MUL VL]
    str p9, [x0, #9, MUL VL]
    str p10, [x0, #10, MUL VL]
    str p11, [x0, #11, MUL VL]
    str p12, [x0, #12, MUL VL]
    str p13, [x0, #13, MUL VL]
    str p14, [x0, #14, MUL VL]
    str p15, [x0, #15, MUL VL]
    rdffr p0.b                 /* p0 is saved: use it to carry FFR */
    str p0, [x0, #16, MUL VL]
    ldr p0, [x0, #0, MUL VL]
    ret

    .global sve_pregs_load
sve_pregs_load:
    ldr p0, [x0, #16, MUL VL]
    wrffr p0.b
    ldr p0, [x0, #0, MUL VL]
    ldr p1, [x0, #1, MUL VL]
    ldr p2, [x0, #2, MUL VL]
    ldr p3, [x0, #3, MUL VL]
    ldr p4, [x0, #4, MUL VL]
    ldr p5, [x0, #5, MUL VL]
    ldr p6, [x0, #6, MUL VL]
    ldr p7, [x0, #7, MUL VL]
    ldr p8, [x0, #8, MUL VL]
    ldr p9, [x0, #9, MUL VL]
    ldr p10, [x0, #10, MUL VL]
    ldr p11, [x0, #11, MUL VL]
    ldr p12, [x0, #12, MUL VL]
    ldr p13, [x0, #13, MUL VL]
    ldr p14, [x0, #14, MUL VL]
    ldr p15, [x0, #15, MUL VL]
    ret
