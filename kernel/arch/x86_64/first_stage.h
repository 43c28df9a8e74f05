/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the first stage's test code (test_code.S) and the kernel's side of it (ring3.c) agree
 * on; the assembler and C both include this. */
#pragma once

#define R3_VA 0x800000000 /* ARCH_KERNEL_VA_HI: the lowest address a server may use */
#define R3_SYS_LOG 0      /* US_SYS_LOG: RDI buffer, RSI length */
#define R3_SYS_NULL 7     /* US_SYS_YIELD, which has nothing to do here */
#define R3_SYS_ARGS 0x100 /* the first stage's own: returns the eight arguments' sum */
#define R3_ERANGE 4       /* US_ERANGE */
#define R3_NULL_CALLS 1000
#define R3_TICKS 3u
#define R3_TICK_US 1000u
