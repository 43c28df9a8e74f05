/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 register state the generic kernel holds per thread (docs/x86_64.md): the frame and
 * system-call convention (arch/frame.h), the FPU's area, and a vCPU's state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <arch/frame.h>

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
    uint64_t next_rip; /* after the exiting instruction (US_RESUME_ADVANCE_PC); 0: unknown */
    uint32_t flushes;  /* the VM's stage2.flushes when this vCPU last flushed its ASID */
    /* The last exit's MMIO load (insn.h), for the reply's value: its register (the exit
     * message's numbering; ARCH_NO_LOAD for none), bytes loaded, destination size, AH-style. */
    uint8_t load_reg, load_size, load_opsize;
    bool load_high8;
};
#define ARCH_NO_LOAD 0xffu

/* A vCPU's local APIC (vlapic.c): requested and in-service vectors, a bit each, the task
 * priority, the spurious-vector register, the local vector table (timer, CMCI, thermal,
 * performance, LINT0, LINT1, error), and the timer: its initial count and divider, and when it
 * fires next and again (counter ticks; 0: not armed). */
struct x86_vlapic {
    uint64_t irr[4], isr[4];
    uint64_t base;
    uint64_t deadline, period;
    uint32_t id, tpr, svr, esr, tmict, tdcr;
    uint32_t extint; /* an 8259's vector waiting at LINT0, with VLAPIC_EXTINT; 0: none */
    uint32_t lvt[7];
    uint32_t ldr, dfr, icr_lo, icr_hi; /* xAPIC mode's own: its logical ID, model, the ICR */
};

/* The rest of a guest's state is its VMCB's too: CR2, and what VMLOAD and VMSAVE move (FS, GS,
 * TR and LDTR, KERNEL_GS_BASE, the SYSCALL MSRs), which svm_run() swaps with the host's. */
struct arch_vcpu_cold {
    uint64_t intr_exits; /* exits for a host interrupt, which the vmm never sees */
    struct x86_vlapic apic;
};
