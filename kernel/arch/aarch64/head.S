/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Boot entry with an arm64 Linux Image header, so QEMU -kernel and U-Boot bootm load it. */

    .section .text.head, "ax"
    .global _start
_start:
    /* Linux Documentation/arch/arm64/booting.rst: the 64-byte Image header. */
    b primary_entry          /* code0 */
    .long 0                  /* code1 */
    .quad 0x200000           /* text_offset: loaded at DRAM base + 2 MiB */
    .quad _image_size        /* image_size, including bss */
    .quad 0x2                /* flags: LE, 4K pages, 2 MiB-aligned base near DRAM start */
    .quad 0                  /* res2 */
    .quad 0                  /* res3 */
    .quad 0                  /* res4 */
    .ascii "ARM\x64"         /* magic */
    .long 0                  /* res5 */

primary_entry:
    msr daifset, #0xf
    mov x19, x0              /* DTB physical address */
    ldr x1, =boot_stack_top
    mov sp, x1
    /* The kernel is linked at one address (identity mapped); refuse to run elsewhere. */
    adr x1, _start
    ldr x2, =_start
    cmp x1, x2
    b.ne 1f
    ldr x1, =_bss_start
    ldr x2, =_bss_end
0:  cmp x1, x2
    b.hs 2f
    str xzr, [x1], #8
    b 0b
2:  ldr x1, =el2_vectors
    msr vbar_el2, x1
    isb
    mov x0, x19
    bl kmain
    b .
1:  mov x0, x1               /* load address */
    mov x1, x2               /* link address */
    bl boot_wrong_address
    b .

/* Another CPU, started by PSCI CPU_ON with the MMU off, x0 = its index (1..7). */
    .global secondary_entry
secondary_entry:
    msr daifset, #0xf
    mov x19, x0
    ldr x1, =secondary_stacks
    lsl x2, x0, #14          /* 16 KiB each; index 1's stack tops the first */
    add sp, x1, x2
    ldr x1, =el2_vectors
    msr vbar_el2, x1
    isb
    mov x0, x19
    bl ksecondary
    b .

    .section .bss.stack, "aw", %nobits
    .balign 16
    .global boot_stack_top
boot_stack:
    .space 16384
boot_stack_top:
    .balign 16
secondary_stacks:
    .space 16384 * 7         /* CPUs 1..7 */
