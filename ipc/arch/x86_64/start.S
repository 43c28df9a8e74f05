/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server entry on x86_64: the kernel starts us in ring 3 with RSP set and RDI = boot info. */
    .text
    .global _start
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call us_runtime_start
    ud2
