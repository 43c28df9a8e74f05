/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Test guest entry: the arm64 Linux Image header, then stack, bss and VBAR_EL1 setup. */

/*
 * Image header, Documentation/arch/arm64/booting.rst. All fields little endian.
 * flags = 0x2: bit 0 = 0 little endian, bits 1-2 = 1 4K pages, bit 3 = 0 the image is
 * linked at a fixed address (RAM base + text_offset = 0x40080000) and must be loaded at a
 * 2 MiB aligned base as close as possible to the start of RAM, i.e. exactly there.
 */
#define GUEST_TEXT_OFFSET 0x80000 /* keep in sync with GUEST_LOAD_ADDR in guest.ld */
#define GUEST_IMAGE_FLAGS 0x2
#define GUEST_IMAGE_MAGIC 0x644d5241 /* "ARM\x64" */

    .section .head.text, "ax"
    .globl _start
_start:
    b       guest_entry               /* code0 */
    .long   0                         /* code1 */
    .quad   GUEST_TEXT_OFFSET         /* text_offset */
    .quad   _image_size               /* image_size, including bss and stack */
    .quad   GUEST_IMAGE_FLAGS         /* flags */
    .quad   0                         /* res2 */
    .quad   0                         /* res3 */
    .quad   0                         /* res4 */
    .long   GUEST_IMAGE_MAGIC         /* magic */
    .long   0                         /* res5: no PE/COFF header */

    .text
    .balign 4
guest_entry:
    /* Boot protocol: x0 = DTB, MMU off, EL1. Keep the DTB pointer in a callee-saved reg. */
    mov     x19, x0
    msr     daifset, #0xf
    adr     x1, guest_vectors
    msr     vbar_el1, x1
    isb

    /* The loader only reserves image_size bytes; bss is ours to zero (booting.rst). */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
    adrp    x1, __stack_top
    add     x1, x1, :lo12:__stack_top
    mov     sp, x1
    mov     x29, xzr
    mov     x30, xzr

    mov     x0, x19
    bl      guest_main
3:  wfi
    b       3b
