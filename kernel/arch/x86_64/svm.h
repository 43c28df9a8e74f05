/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* AMD SVM for the x86_64 port (docs/x86_64.md): the VMCB's layout (AMD64 APM volume 2,
 * appendix B), the intercepts and exit codes used, and what the first stage and the kernel's
 * vCPUs share: the CPU check, SVM's enabling, a flat 32-bit guest's state, and VMRUN. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The control area. */
#define VMCB_INTERCEPT_MISC1 0x00cu
#define VMCB_INTERCEPT_MISC2 0x010u
#define VMCB_IOPM 0x040u
#define VMCB_MSRPM 0x048u
#define VMCB_ASID 0x058u
#define VMCB_TLB_CTL 0x05cu
#define VMCB_V_INTR 0x060u
#define VMCB_V_INTR_VECTOR 0x064u
#define VMCB_INT_SHADOW 0x068u /* bit 0: the guest is in an STI or MOV SS shadow */
#define VMCB_EXITCODE 0x070u
#define VMCB_EXITINFO1 0x078u
#define VMCB_EXITINFO2 0x080u
#define VMCB_EXITINTINFO 0x088u /* an event whose delivery the exit interrupted */
#define VMCB_NP_ENABLE 0x090u
#define VMCB_EVENTINJ 0x0a8u
#define VMCB_N_CR3 0x0b0u
/* The state save area. */
#define VMCB_SEG(n) (0x400u + 0x10u * (n)) /* ES CS SS DS FS GS GDTR LDTR IDTR TR */
#define VMCB_CPL 0x4cbu
#define VMCB_EFER 0x4d0u
#define VMCB_CR4 0x548u
#define VMCB_CR3 0x550u
#define VMCB_CR0 0x558u
#define VMCB_DR7 0x560u
#define VMCB_DR6 0x568u
#define VMCB_RFLAGS 0x570u
#define VMCB_RIP 0x578u
#define VMCB_RSP 0x5d8u
#define VMCB_RAX 0x5f8u
#define VMCB_PAT 0x668u

#define MISC1_INTR (1u << 0)
#define MISC1_NMI (1u << 1)
#define MISC1_VINTR (1u << 4) /* exit when the guest can take the virtual interrupt V_IRQ */
#define MISC1_CPUID (1u << 18)
#define MISC1_HLT (1u << 24)
#define MISC1_IOIO (1u << 27)
#define MISC1_MSR (1u << 28)
#define MISC1_SHUTDOWN (1u << 31)
#define MISC2_VMRUN (1u << 0) /* required: a VMCB without it is refused */
#define MISC2_VMMCALL (1u << 1)
#define MISC2_SVM_REST 0xfcu /* VMLOAD, VMSAVE, STGI, CLGI, SKINIT, RDTSCP: none is a guest's */
#define V_IRQ (1u << 8)
#define V_IGN_TPR (1u << 20)
#define V_INTR_MASKING (1u << 24) /* the guest's RFLAGS.IF masks only its own interrupts */

#define EXIT_INTR 0x60u
#define EXIT_NMI 0x61u
#define EXIT_VINTR 0x64u
#define EXIT_CPUID 0x72u
#define EXIT_HLT 0x78u
#define EXIT_IOIO 0x7bu
#define EXIT_MSR 0x7cu
#define EXIT_SHUTDOWN 0x7fu
#define EXIT_VMMCALL 0x81u
#define EXIT_NPF 0x400u

#define EFER_SVME (1ull << 12)

/* EVENTINJ: an event for the guest at its next entry (vector, type, error code in 63:32). */
#define EVENTINJ_VALID (1ull << 31)
#define EVENTINJ_INTR (0ull << 8) /* an external interrupt */
#define EVENTINJ_EXCEPTION (3ull << 8)
#define EVENTINJ_ERROR_CODE (1ull << 11)
#define VEC_GP 13u

static inline void vmcb_put64(uint8_t *vmcb, uint32_t off, uint64_t v)
{
    __builtin_memcpy(&vmcb[off], &v, sizeof(v));
}

static inline void vmcb_put32(uint8_t *vmcb, uint32_t off, uint32_t v)
{
    __builtin_memcpy(&vmcb[off], &v, sizeof(v));
}

static inline uint64_t vmcb_get64(const uint8_t *vmcb, uint32_t off)
{
    uint64_t v;

    __builtin_memcpy(&v, &vmcb[off], sizeof(v));
    return v;
}

/* A guest's general registers but RAX and RSP, which its VMCB holds: head.S's layout, which
 * is also struct arch_regs's from RBX on (arch/frame.h). */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};
_Static_assert(sizeof(struct svm_gprs) == 0x70, "svm_run() in head.S knows this layout");

/** svm_run() - VMRUN the guest of the VMCB at @vmcb_pa until its #VMEXIT, its general
 * registers loaded from and saved to @gprs. What VMRUN leaves alone (FS, GS, TR and LDTR,
 * KERNEL_GS_BASE, the SYSCALL and SYSENTER MSRs) is the guest's VMCB's in between, the host's
 * kept in the page at @host_pa (VMSAVE before, VMLOAD after). Interrupts stay off. */
void svm_run(uint64_t vmcb_pa, struct svm_gprs *gprs, uint64_t host_pa);

/** svm_missing() - NULL if the CPU has SVM with nested paging, enabled by the firmware;
 * otherwise what is missing. @asids and @nrips get the ASID count and next-RIP saving. */
const char *svm_missing(uint32_t *asids, bool *nrips);

/** svm_enable() - EFER.SVME on this CPU, with the host save area at @hsave_pa. */
void svm_enable(uint64_t hsave_pa);

/** svm_flat32() - @vmcb's guest state: 32-bit protected mode, flat 4 GiB segments, paging
 * off, at @rip; EFER.SVME as VMRUN requires. The control area is the caller's. */
void svm_flat32(uint8_t *vmcb, uint64_t rip);

/** svm_real16() - @vmcb's guest state as a CPU's after INIT and a start-up IPI for the page at
 * @base: real mode, CS's base @base, IP 0, the other segments at 0, paging and protection off. */
void svm_real16(uint8_t *vmcb, uint32_t base);
