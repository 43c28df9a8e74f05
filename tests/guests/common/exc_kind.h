/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Exception vector slot numbers shared by vectors.S and exc.c (plain #defines, asm-safe). */
#pragma once

/* Order of the 16 slots in the VBAR_EL1 table, Arm ARM D1.10.2. */
#define EXC_KIND_SP0_SYNC 0
#define EXC_KIND_SP0_IRQ 1
#define EXC_KIND_SP0_FIQ 2
#define EXC_KIND_SP0_SERROR 3
#define EXC_KIND_SPX_SYNC 4
#define EXC_KIND_SPX_IRQ 5
#define EXC_KIND_SPX_FIQ 6
#define EXC_KIND_SPX_SERROR 7
#define EXC_KIND_LOWER64_SYNC 8
#define EXC_KIND_LOWER64_IRQ 9
#define EXC_KIND_LOWER64_FIQ 10
#define EXC_KIND_LOWER64_SERROR 11
#define EXC_KIND_LOWER32_SYNC 12
#define EXC_KIND_LOWER32_IRQ 13
#define EXC_KIND_LOWER32_FIQ 14
#define EXC_KIND_LOWER32_SERROR 15
