/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server entry on x86_64: the kernel starts us in ring 3 with RSP set and RDI = boot info.
 * FS's base goes to us_tls (cpu.c) first: code built with GCC's default stack protector, as
 * Debian's libfdt is, reads its guard at %fs:0x28. */
    .text
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    lea us_tls(%rip), %rax
    wrfsbase %rax
    call us_runtime_start
    ud2
