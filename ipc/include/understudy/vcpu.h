/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vCPU exit message the kernel sends to a vCPU's handler, and the reply that resumes it. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

/* Exit reasons (w[US_EXIT_REASON]). */
#define US_EXIT_MMIO 1u    /* stage-2 data abort with a valid syndrome on an unmapped IPA */
#define US_EXIT_HVC 2u     /* HVC; x0..x7 carried */
#define US_EXIT_SMC 3u     /* SMC (HCR_EL2.TSC); x0..x7 carried; PC not yet advanced */
#define US_EXIT_WFI 4u     /* reserved: the kernel finishes WFI and WFE itself */
#define US_EXIT_SYSREG 5u  /* trapped MSR/MRS */
#define US_EXIT_ABORT 6u   /* stage-2 abort the kernel cannot describe as MMIO */
#define US_EXIT_UNKNOWN 7u /* any other trapped exception class */
/* The guest ended (deactivated) interrupts injected with US_VIRQ_EOI: bitmaps of their INTIDs in
 * w[US_EXIT_EOI_LO] (0-63) and w[US_EXIT_EOI_HI] (64-127). Resume with no flags, or inject. */
#define US_EXIT_EOI 8u

/* Word indices of the exit message payload. */
#define US_EXIT_REASON 0u
#define US_EXIT_ESR 1u /* ESR_EL2 as taken */
#define US_EXIT_FAR 2u /* guest VA (FAR_EL2) */
#define US_EXIT_IPA 3u /* faulting IPA (HPFAR_EL2 | FAR page offset) */
#define US_EXIT_PC 4u
#define US_EXIT_CPSR 5u
#define US_EXIT_WRITE 6u             /* 1 for a write */
#define US_EXIT_SIZE 7u              /* access size in bytes */
#define US_EXIT_REG 8u               /* register of the access, MMIO or MSR/MRS Rt (31 = xzr) */
#define US_EXIT_VALUE 9u             /* value being written (MMIO store, or Rt of a trapped MSR) */
#define US_EXIT_X0 10u               /* x0..x7 of the guest for HVC/SMC: words 10..17 */
#define US_EXIT_VCPU 18u             /* vCPU index inside its VM */
#define US_EXIT_EOI_LO US_EXIT_FAR   /* US_EXIT_EOI: INTIDs 0-63 the guest ended */
#define US_EXIT_EOI_HI US_EXIT_VALUE /* and 64-127 */
/* x86_64 (SVM, docs/x86_64.md) uses the same words where they mean the same: US_EXIT_ESR
 * holds the SVM exit code, US_EXIT_FAR EXITINFO1, US_EXIT_IPA EXITINFO2 (a nested page fault's
 * guest-physical address), US_EXIT_PC RIP, US_EXIT_CPSR RFLAGS, and words 10-17 RAX, RBX, RCX,
 * RDX, RSI, RDI, RBP, RSP, which are also the registers 0-7 a reply may set (US_RESUME_SET_REG,
 * 8-15 being R8-R15; US_RESUME_SET_X0_3 sets RAX, RBX, RCX, RDX). VMMCALL is US_EXIT_HVC. A
 * nested page fault is US_EXIT_MMIO when the kernel could decode the guest's move (US_EXIT_REG
 * its register; the reply's value is loaded as the instruction loads, a byte merged in, a
 * doubleword zero-extended), else US_EXIT_ABORT (US_RESUME_INJECT_DABT gives the guest #GP).
 * These are x86's own: */
#define US_EXIT_IO 9u     /* IN or OUT: port in US_EXIT_REG, US_EXIT_SIZE, US_EXIT_WRITE, RAX */
#define US_EXIT_CPUID 10u /* CPUID: leaf in RAX, subleaf in RCX */
#define US_EXIT_MSR 11u   /* RDMSR or WRMSR: MSR in US_EXIT_REG, EDX:EAX in US_EXIT_VALUE */
#define US_EXIT_WORDS 19u
#define US_EXIT_LEN (US_EXIT_WORDS * 8u)

/* Reply: hdr.label = US_LABEL_VCPU_EXIT, w[US_RESUME_FLAGS] says what to do. */
#define US_RESUME_FLAGS 0u
#define US_RESUME_REG 1u   /* register to set when US_RESUME_SET_REG */
#define US_RESUME_VALUE 2u /* its value */
#define US_RESUME_X0 3u    /* x0..x3 when US_RESUME_SET_X0_3: words 3..6 */
#define US_RESUME_VIRQ 7u  /* INTID to inject when US_RESUME_INJECT_IRQ */
#define US_RESUME_WORDS 8u
#define US_RESUME_LEN (US_RESUME_WORDS * 8u)

#define US_RESUME_ADVANCE_PC (1u << 0)  /* skip the trapped instruction */
#define US_RESUME_SET_REG (1u << 1)     /* write w[REG] = w[VALUE] (an MMIO read result) */
#define US_RESUME_SET_X0_3 (1u << 2)    /* HVC/SMC results */
#define US_RESUME_INJECT_IRQ (1u << 3)  /* make INTID w[VIRQ] pending in the vCPU */
#define US_RESUME_INJECT_DABT (1u << 4) /* deliver a synchronous external abort to the guest */
#define US_RESUME_STOP (1u << 5)        /* do not resume: the vCPU stops */
#define US_RESUME_RESET (1u << 6)       /* restart from reset at PC w[VALUE] with x0 = w[X0] */
#define US_RESUME_ALL_FLAGS 0x7fu
#define US_VIRQ_LIMIT 128u /* INTIDs a reply may inject: SGIs, PPIs, SPIs 32..127 */
/* vcpu_inject: OR into the INTID to be told when the guest ends this interrupt (US_EXIT_EOI), as
 * a level-triggered source forwarded to a guest needs before it may assert again. */
#define US_VIRQ_EOI (1u << 16)
/* x86_64: OR into the vector of an interrupt from the 8259s (vmm_pc.c), which reaches the CPU
 * through the local APIC's LINT0 as ExtINT: taken whatever the task priority, and never in the
 * local APIC's service (its end is the 8259's). In a reply's w[US_RESUME_VIRQ] too. */
#define US_VIRQ_EXTINT (1u << 17)
/* x86_64: a vCPU's start address (us_vcpu_start(), US_RESUME_RESET) with this bit starts it as
 * a CPU after INIT and a start-up IPI: in real mode at CS:IP (pc >> 4):0, pc being the SIPI's
 * page (below 1 MiB, 4 KiB aligned). */
#define US_VCPU_X86_SIPI (1ull << 63)

/**
 * us_resume_check() - validate a reply to an exit before any of it is applied.
 * Returns: US_OK; US_ETRUNC for another label or a payload shorter than US_RESUME_LEN;
 * US_EINVAL for unknown flags, US_RESUME_SET_REG with a register above 31, or
 * US_RESUME_INJECT_IRQ with an INTID of US_VIRQ_LIMIT or more (US_VIRQ_EXTINT aside).
 */
static inline us_err_t us_resume_check(const struct us_msg *reply)
{
    uint64_t flags;

    if (reply->hdr.label != US_LABEL_VCPU_EXIT || reply->hdr.len < US_RESUME_LEN ||
        reply->hdr.len > US_MSG_MAX_LEN) {
        return US_ETRUNC;
    }
    flags = reply->w[US_RESUME_FLAGS];
    if ((flags & ~(uint64_t)US_RESUME_ALL_FLAGS) != 0 ||
        ((flags & US_RESUME_SET_REG) && reply->w[US_RESUME_REG] > 31)) {
        return US_EINVAL;
    }
    if ((flags & US_RESUME_INJECT_IRQ) &&
        (reply->w[US_RESUME_VIRQ] & ~(uint64_t)US_VIRQ_EXTINT) >= US_VIRQ_LIMIT) {
        return US_EINVAL;
    }
    return US_OK;
}

/*
 * Fast MMIO (system call vm_fastmmio): guest accesses the kernel finishes itself, without an
 * exit, through one page the vmm shares with it. For device registers too hot for a round
 * trip per access (a UART's data and flag registers while a kernel prints its log), in the
 * spirit of KVM's coalesced MMIO: the vmm stays the device model, it just takes the writes
 * in batches.
 */
#define US_FASTMMIO_NONE 0u /* remove the entry at this IPA */
/* writes: the low byte joins the page's ring (full: a normal exit); the notification comes
 * from the kernel's tick while the ring holds bytes, and at once when it is half full */
#define US_FASTMMIO_RING 1u
#define US_FASTMMIO_WORD 2u /* reads: the page's word, narrowed as the load asks */
/* reads: the page's latch; writes: set it. A register whose writes need nothing done at once,
 * the vmm reading it when it needs it (a UART's control register, which Linux reads, sets and
 * restores around every console write). */
#define US_FASTMMIO_LATCH 3u
/* A virtio-mmio transport's interrupt status (at the entry's IPA) and acknowledgement (the
 * next word): reads return the page's isr[bit], writes clear the bits written in it. The
 * vmm sets bits as it raises the device's interrupt; the guest's driver reads and acknowledges
 * each one, which without this were two exits per interrupt. */
#define US_FASTMMIO_W1C 4u
/* A virtio-mmio transport's QueueNotify, as a doorbell (KVM's ioeventfd): a write of queue
 * number q < 32 sets bit q of the page's bell[index] and the guest goes on at once; the
 * notification bit is signalled when the word was clear, and the vmm serves the queues it
 * finds there. Other values exit. */
#define US_FASTMMIO_BELL 5u
#define US_FASTMMIO_ISRS 4u /* W1C and BELL: the index of isr[] or bell[], below this */
/* On x86_64, I/O port @port's entry: its key lies above every guest physical address. An IN
 * or OUT of the port is then finished as a load or store of the entry's register would be. */
#define US_FASTMMIO_PORT(port) ((1ull << 63) | (uint64_t)(port))
#define US_FASTMMIO_RING_BYTES 4048u

struct us_fastmmio_page {
    uint32_t head;  /* bytes the kernel appended (it writes this) */
    uint32_t tail;  /* bytes the vmm took (it writes this) */
    uint32_t word;  /* what WORD reads return (the vmm writes this) */
    uint32_t latch; /* what LATCH reads return and writes set (the guest and the vmm) */
    uint32_t isr[US_FASTMMIO_ISRS];  /* W1C: the vmm sets bits, the guest clears them */
    uint32_t bell[US_FASTMMIO_ISRS]; /* BELL: the guest sets bits, the vmm takes them */
    uint8_t ring[US_FASTMMIO_RING_BYTES];
};
_Static_assert(sizeof(struct us_fastmmio_page) == 4096, "one page");
