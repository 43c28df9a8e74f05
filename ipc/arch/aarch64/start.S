/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server entry: the kernel starts us at EL0 with SP set and x0 = boot info. */
    .text
    .global _start
_start:
    mov x29, xzr
    mov x30, xzr
    bl us_runtime_start
    b .
