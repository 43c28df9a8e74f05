/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Test guest EL1 exception vector table: saves a full frame and calls exc_handle(). */

#include "exc_kind.h"

/* struct exc_frame in exc.h: x0..x30, elr, spsr, padding to keep sp 16-byte aligned. */
#define FRAME_SIZE (34 * 8)
#define FRAME_ELR (31 * 8)
#define FRAME_SPSR (32 * 8)

/* Arm ARM D1.10.2: 16 entries of 0x80 bytes, table aligned to 2 KiB. */
.macro vector_entry kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       exc_entry_common
.endm

    .text
    .balign 2048
    .globl guest_vectors
guest_vectors:
    vector_entry EXC_KIND_SP0_SYNC
    vector_entry EXC_KIND_SP0_IRQ
    vector_entry EXC_KIND_SP0_FIQ
    vector_entry EXC_KIND_SP0_SERROR
    vector_entry EXC_KIND_SPX_SYNC
    vector_entry EXC_KIND_SPX_IRQ
    vector_entry EXC_KIND_SPX_FIQ
    vector_entry EXC_KIND_SPX_SERROR
    vector_entry EXC_KIND_LOWER64_SYNC
    vector_entry EXC_KIND_LOWER64_IRQ
    vector_entry EXC_KIND_LOWER64_FIQ
    vector_entry EXC_KIND_LOWER64_SERROR
    vector_entry EXC_KIND_LOWER32_SYNC
    vector_entry EXC_KIND_LOWER32_IRQ
    vector_entry EXC_KIND_LOWER32_FIQ
    vector_entry EXC_KIND_LOWER32_SERROR

exc_entry_common:
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x2, elr_el1
    stp     x30, x2, [sp, #16 * 15]
    mrs     x2, spsr_el1
    str     x2, [sp, #FRAME_SPSR]

    mov     x0, sp
    bl      exc_handle

    /* exc_handle may have moved elr past the faulting instruction. */
    ldr     x2, [sp, #FRAME_ELR]
    msr     elr_el1, x2
    ldr     x2, [sp, #FRAME_SPSR]
    msr     spsr_el1, x2
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    ldr     x30, [sp, #16 * 15]
    add     sp, sp, #FRAME_SIZE
    eret
