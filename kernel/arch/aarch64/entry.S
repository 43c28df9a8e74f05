/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* EL2 exception vectors: save the running thread's registers, call C, restore the next one. */

/* keep in sync with struct arch_regs in include/arch/regs.h */
#define REGS_X30 (30 * 8)
#define REGS_SP_EL0 (31 * 8)
#define REGS_PC (32 * 8)
#define REGS_PSTATE (33 * 8)

/* Save x0..x30, SP_EL0, ELR_EL2, SPSR_EL2 into the arch_regs this CPU's struct cpu (at
 * TPIDR_EL2) points to first, then call \handler with x0 = that pointer. The handler returns
 * the arch_regs to resume in x0. */
.macro ENTRY_SAVE_CALL handler
    stp x0, x1, [sp, #-16]!
    mrs x0, tpidr_el2
    ldr x0, [x0]
    stp x2, x3, [x0, #(2 * 8)]
    stp x4, x5, [x0, #(4 * 8)]
    stp x6, x7, [x0, #(6 * 8)]
    stp x8, x9, [x0, #(8 * 8)]
    stp x10, x11, [x0, #(10 * 8)]
    stp x12, x13, [x0, #(12 * 8)]
    stp x14, x15, [x0, #(14 * 8)]
    stp x16, x17, [x0, #(16 * 8)]
    stp x18, x19, [x0, #(18 * 8)]
    stp x20, x21, [x0, #(20 * 8)]
    stp x22, x23, [x0, #(22 * 8)]
    stp x24, x25, [x0, #(24 * 8)]
    stp x26, x27, [x0, #(26 * 8)]
    stp x28, x29, [x0, #(28 * 8)]
    ldp x2, x3, [sp], #16
    stp x2, x3, [x0, #0]
    mrs x1, sp_el0
    stp x30, x1, [x0, #REGS_X30]
    mrs x2, elr_el2
    mrs x3, spsr_el2
    stp x2, x3, [x0, #REGS_PC]
    bl \handler
    b entry_restore
.endm

.macro VEC_ENTRY target
    .balign 0x80
    b \target
.endm

    .section .text.vectors, "ax"
    .balign 2048
    .global el2_vectors
el2_vectors:
    VEC_ENTRY cur_el_fault   /* current EL, SP_EL0 */
    VEC_ENTRY cur_el_fault
    VEC_ENTRY cur_el_fault
    VEC_ENTRY cur_el_fault
    VEC_ENTRY cur_el_fault   /* current EL, SP_ELx */
    VEC_ENTRY cur_el_fault
    VEC_ENTRY cur_el_fault
    VEC_ENTRY cur_el_fault
    VEC_ENTRY lower_sync     /* lower EL, AArch64 */
    VEC_ENTRY lower_irq
    VEC_ENTRY lower_irq      /* FIQ: nothing is routed as FIQ; treat like IRQ */
    VEC_ENTRY lower_fault    /* SError */
    VEC_ENTRY lower_fault    /* lower EL, AArch32: never enabled */
    VEC_ENTRY lower_fault
    VEC_ENTRY lower_fault
    VEC_ENTRY lower_fault

lower_sync:
    ENTRY_SAVE_CALL kentry_sync
lower_irq:
    ENTRY_SAVE_CALL kentry_irq
lower_fault:
    ENTRY_SAVE_CALL kentry_lower_fault

cur_el_fault:
    mrs x0, esr_el2
    mrs x1, elr_el2
    mrs x2, far_el2
    mrs x3, spsr_el2
    b kentry_kernel_fault

/* x0 = the arch_regs to resume. */
    .global entry_restore
entry_restore:
    mrs x1, tpidr_el2
    str x0, [x1]
    ldp x30, x1, [x0, #REGS_X30]
    msr sp_el0, x1
    ldp x2, x3, [x0, #REGS_PC]
    msr elr_el2, x2
    msr spsr_el2, x3
    ldp x2, x3, [x0, #(2 * 8)]
    ldp x4, x5, [x0, #(4 * 8)]
    ldp x6, x7, [x0, #(6 * 8)]
    ldp x8, x9, [x0, #(8 * 8)]
    ldp x10, x11, [x0, #(10 * 8)]
    ldp x12, x13, [x0, #(12 * 8)]
    ldp x14, x15, [x0, #(14 * 8)]
    ldp x16, x17, [x0, #(16 * 8)]
    ldp x18, x19, [x0, #(18 * 8)]
    ldp x20, x21, [x0, #(20 * 8)]
    ldp x22, x23, [x0, #(22 * 8)]
    ldp x24, x25, [x0, #(24 * 8)]
    ldp x26, x27, [x0, #(26 * 8)]
    ldp x28, x29, [x0, #(28 * 8)]
    ldp x0, x1, [x0, #0]
    eret
    dsb nsh
    isb

/*
 * The EL1 vector table every server runs under. Servers execute at EL0 in the EL1&0 regime
 * (no VHE is assumed), so their synchronous exceptions are taken to EL1. Each entry forwards
 * at once to EL2 with an HVC whose immediate is the entry's index; no register is touched, so
 * EL2 sees the server's x0..x30 and finds the real cause in ESR_EL1/ELR_EL1/FAR_EL1.
 */
    .section .tramp_vec, "ax"
    .balign 4096
    .global el1_trampoline
el1_trampoline:
    .set idx, 0
    .rept 16
    .balign 0x80
    hvc #idx
    .set idx, idx + 1
    .endr
    .balign 4096
