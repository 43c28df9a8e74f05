/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 register state the generic kernel holds per thread (docs/x86_64.md). The entry path
 * that fills it is still to come; this fixes the layout and the calling convention. */
#pragma once

#include <stdint.h>

enum arch_gpr {
    ARCH_RAX,
    ARCH_RBX,
    ARCH_RCX,
    ARCH_RDX,
    ARCH_RSI,
    ARCH_RDI,
    ARCH_RBP,
    ARCH_R8,
    ARCH_R9,
    ARCH_R10,
    ARCH_R11,
    ARCH_R12,
    ARCH_R13,
    ARCH_R14,
    ARCH_R15,
    ARCH_GPRS
};

/* A thread's saved frame: general registers, then what an interrupt frame or SYSCALL gives
 * (entry.S's layout), then the FS base, which the switch keeps (servers' runtime points it
 * at their own block: GCC's code in Debian's libfdt reads its stack guard at %fs:0x28). */
struct arch_regs {
    uint64_t gpr[ARCH_GPRS];
    uint64_t rip, rflags, rsp;
    uint64_t fs_base;
};

/* FXSAVE's area (legacy x87, MXCSR, XMM0-15); XSAVE's larger states come with AVX. */
struct arch_fpregs {
    uint8_t fxsave[512];
};

/* A vCPU's state beyond its general registers lives in its VMCB, one page the vmm cannot map;
 * the vCPU holds it by physical address. RAX, RSP, RIP and RFLAGS are the VMCB's; the thread's
 * frame mirrors them across an exit so that generic code reads one place. */
struct arch_vcpu_hot {
    uint64_t vmcb_pa;
    uint64_t exitcode, exitinfo1, exitinfo2; /* the last exit, as the vmm is told of it */
};

/* What SVM leaves to the hypervisor to switch: CR2, and the state VMLOAD and VMSAVE move
 * (FS, GS, TR and LDTR bases, KERNEL_GS_BASE, the SYSCALL MSRs), kept in a second page. */
struct arch_vcpu_cold {
    uint64_t cr2;
    uint64_t vmsave_pa;
};

/* System call and message arguments 0-7, then the call number: SYSCALL takes RCX and R11 for
 * the return, so the arguments use the System V order with R10 for RCX, and R12, R13. */
#define ARCH_SYSCALL_NR_REG 8u
#define ARCH_REG_COUNT 9u
/* process_fault()'s words: the fault's RIP, CR2 for a page fault, and the vector above the
 * error code (kernel.c). */
#define ARCH_FAULT_FMT "rip=0x%llx cr2=0x%llx vector.error=0x%llx"

static inline uint32_t arch_reg_gpr(uint32_t i)
{
    static const uint8_t gpr[ARCH_REG_COUNT] = {ARCH_RDI, ARCH_RSI, ARCH_RDX, ARCH_R10, ARCH_R8,
                                                ARCH_R9,  ARCH_R12, ARCH_R13, ARCH_RAX};

    return gpr[i];
}

static inline uint64_t arch_regs_get(const struct arch_regs *r, uint32_t i)
{
    return i < ARCH_REG_COUNT ? r->gpr[arch_reg_gpr(i)] : 0;
}

static inline void arch_regs_set(struct arch_regs *r, uint32_t i, uint64_t v)
{
    if (i < ARCH_REG_COUNT) {
        r->gpr[arch_reg_gpr(i)] = v;
    }
}
