/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host model's thread frame shaped as x86_64's: the port's own frame and system-call
 * convention (arguments in RDI, RSI, RDX, R10, R8, R9, R12, R13; the number in RAX), with the
 * accessors the host model and the tests use (see ../aarch64). */
#pragma once

#include "../../../../x86_64/include/arch/frame.h"

#define HOST_FRAME_NAME "x86_64"

static inline uint64_t *host_pc(struct arch_regs *r)
{
    return &r->rip;
}

static inline uint64_t *host_sp(struct arch_regs *r)
{
    return &r->rsp;
}

static inline uint64_t *host_flags(struct arch_regs *r)
{
    return &r->rflags;
}
