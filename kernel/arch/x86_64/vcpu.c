/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPUs on x86_64 under AMD SVM (docs/x86_64.md): a VMCB each, the guest entered by VMRUN from
 * the kernel's way out (kernel.c's leave()), and each #VMEXIT the kernel does not finish itself
 * turned into the same exit message as on aarch64 (understudy/vcpu.h), answered by the vmm. */
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include "svm.h"
#include "x86.h"

#define VMCBS (VM_MAX * VM_MAX_VCPUS)
#define PAGE_ALIGNED __attribute__((aligned(4096)))

/* VMCBs for every vCPU there can be: a vCPU's is the one it had before, its slot in the
 * kernel's table being the same object (vcpu.c), or a free one. */
static uint8_t vmcbs[VMCBS][4096] PAGE_ALIGNED;
static const struct vcpu *vmcb_owner[VMCBS];
static uint8_t hsave[4096] PAGE_ALIGNED;      /* VMRUN's host save area */
static uint8_t host_state[4096] PAGE_ALIGNED; /* VMSAVE's, around VMRUN (svm_run()) */
static uint8_t iopm[3 * 4096] PAGE_ALIGNED;   /* every port intercepted */
static uint8_t msrpm[2 * 4096] PAGE_ALIGNED;  /* every MSR intercepted but those below */

/* MSRs the guest reads and writes without an exit: what VMLOAD and VMSAVE swap with the host's
 * around every run (svm_run()), so a guest's values never reach the host. */
static const uint32_t msr_own[] = {
    0x174u,      0x175u,      0x176u,      /* SYSENTER_CS, _ESP, _EIP */
    0xc0000081u, 0xc0000082u, 0xc0000083u, /* STAR, LSTAR, CSTAR */
    0xc0000084u, 0xc0000100u, 0xc0000101u, /* SFMASK, FS_BASE, GS_BASE */
    0xc0000102u,                           /* KERNEL_GS_BASE */
};

#define MSR_EFER 0xc0000080u
/* EFER bits a guest may set: SCE, LME, NXE, LMSLE, FFXSR, TCE. LMA is the CPU's, SVME ours. */
#define EFER_GUEST 0xe901ull
#define EFER_LMA (1ull << 10)

/* Let the guest reach MSR @msr without an exit (the permission map: two bits an MSR, read
 * then write, in three 2 KiB blocks for MSRs 0-0x1fff, 0xc0000000- and 0xc0010000-). */
static void msr_allow(uint32_t msr)
{
    uint32_t block = msr >= 0xc0010000u ? 2u : msr >= 0xc0000000u ? 1u : 0u;
    uint32_t bit = (msr & 0x1fffu) * 2u;

    msrpm[block * 0x800u + bit / 8u] &= (uint8_t) ~(3u << (bit % 8u));
}

static uint64_t pa(const void *p)
{
    return pa_of(pa_from_ptr(p));
}

void x86_svm_init(void)
{
    uint32_t asids;
    bool nrips;
    const char *why = svm_missing(&asids, &nrips);

    if (why != NULL) {
        klog_panic("x86_64: guests need SVM with nested paging: %s", why);
    }
    if (asids <= VM_MAX) {
        klog_panic("x86_64: SVM offers %u ASIDs, guests need %u", asids, VM_MAX + 1u);
    }
    memset(iopm, 0xff, sizeof(iopm));
    memset(msrpm, 0xff, sizeof(msrpm));
    for (uint32_t i = 0; i < sizeof(msr_own) / sizeof(msr_own[0]); i++) {
        msr_allow(msr_own[i]);
    }
    svm_enable(pa(hsave));
}

static uint8_t *vmcb_of(const struct vcpu *v)
{
    return pa_ptr(pa_init(v->hot.vmcb_pa));
}

/* The guest enters in 32-bit protected mode without paging at @pc, with @x0 in ESI: Linux's
 * 32-bit boot protocol (its boot_params), and what a bare-metal test guest reads. */
void arch_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    uint32_t i, free = VMCBS;
    uint8_t *vmcb;

    for (i = 0; i < VMCBS && vmcb_owner[i] != v; i++) {
        if (vmcb_owner[i] == NULL && free == VMCBS) {
            free = i;
        }
    }
    if (i == VMCBS) {
        US_CHECK(free < VMCBS); /* one for each vCPU the kernel's table holds */
        i = free;
        vmcb_owner[i] = v;
    }
    vmcb = vmcbs[i];
    memset(vmcb, 0, sizeof(vmcbs[i]));
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC1,
               MISC1_INTR | MISC1_NMI | MISC1_CPUID | MISC1_HLT | MISC1_IOIO | MISC1_MSR |
                   MISC1_SHUTDOWN);
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC2, MISC2_VMRUN | MISC2_VMMCALL | MISC2_SVM_REST);
    vmcb_put64(vmcb, VMCB_IOPM, pa(iopm));
    vmcb_put64(vmcb, VMCB_MSRPM, pa(msrpm));
    vmcb_put32(vmcb, VMCB_ASID, v->vm->s2.vmid);
    vmcb_put32(vmcb, VMCB_V_INTR, V_INTR_MASKING);
    vmcb_put64(vmcb, VMCB_NP_ENABLE, 1);
    vmcb_put64(vmcb, VMCB_N_CR3, pa_of(v->vm->s2.root));
    svm_flat32(vmcb, pc);
    memset(&v->thread.regs, 0, sizeof(v->thread.regs));
    x86_fp_reset(&v->thread); /* FNINIT's state, as a CPU's after INIT */
    v->thread.regs.gpr[ARCH_RSI] = x0;
    v->thread.regs.rip = pc;
    v->thread.regs.rflags = 0x2;
    v->hot = (struct arch_vcpu_hot){.vmcb_pa = pa(vmcb), .flushes = v->vm->s2.flushes - 1u};
}

void x86_vcpu_run(struct vcpu *v)
{
    struct arch_regs *r = &v->thread.regs;
    uint8_t *vmcb = vmcb_of(v);

    vmcb_put64(vmcb, VMCB_RAX, r->gpr[ARCH_RAX]);
    vmcb_put64(vmcb, VMCB_RSP, r->rsp);
    vmcb_put64(vmcb, VMCB_RIP, r->rip);
    vmcb_put64(vmcb, VMCB_RFLAGS, r->rflags);
    /* The VM's translations changed since this vCPU last ran: drop its ASID's. */
    vmcb[VMCB_TLB_CTL] = v->hot.flushes != v->vm->s2.flushes ? 3 : 0;
    v->hot.flushes = v->vm->s2.flushes;
    svm_run(v->hot.vmcb_pa, (struct svm_gprs *)(void *)&r->gpr[ARCH_RBX], pa(host_state));
    r->gpr[ARCH_RAX] = vmcb_get64(vmcb, VMCB_RAX);
    r->rsp = vmcb_get64(vmcb, VMCB_RSP);
    r->rip = vmcb_get64(vmcb, VMCB_RIP);
    r->rflags = vmcb_get64(vmcb, VMCB_RFLAGS);
    v->hot.exitcode = vmcb_get64(vmcb, VMCB_EXITCODE);
    v->hot.exitinfo1 = vmcb_get64(vmcb, VMCB_EXITINFO1);
    v->hot.exitinfo2 = vmcb_get64(vmcb, VMCB_EXITINFO2);
}

bool x86_vcpu_host_irq(struct vcpu *v)
{
    if (v->hot.exitcode != EXIT_INTR && v->hot.exitcode != EXIT_NMI) {
        return false;
    }
    v->cold.intr_exits++;
    return true;
}

/* IOIO's EXITINFO1: IN, string, REP, the size bits, the port in bits 16-31. */
#define IOIO_IN (1u << 0)
#define IOIO_STR (1u << 2)
#define IOIO_REP (1u << 3)

/* The guest register an exit message's word US_EXIT_X0 + @i carries, and a reply's register
 * @i names (understudy/vcpu.h): RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, for i below 8. */
static uint64_t *msg_reg(struct arch_regs *r, uint64_t i)
{
    static const uint8_t gpr[7] = {ARCH_RAX, ARCH_RBX, ARCH_RCX, ARCH_RDX,
                                   ARCH_RSI, ARCH_RDI, ARCH_RBP};

    return i < 7 ? &r->gpr[gpr[i]] : &r->rsp;
}

/* #GP(0) for the guest at its next entry. */
static void inject_gp(struct vcpu *v)
{
    vmcb_put64(vmcb_of(v), VMCB_EVENTINJ,
               EVENTINJ_VALID | EVENTINJ_EXCEPTION | EVENTINJ_ERROR_CODE | VEC_GP);
}

static void exit_words(struct vcpu *v, uint64_t reason)
{
    struct arch_regs *r = &v->thread.regs;
    uint64_t *w = v->msg.w;

    us_msg_init(&v->msg, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    memset(w, 0, US_EXIT_LEN);
    w[US_EXIT_REASON] = reason;
    w[US_EXIT_ESR] = v->hot.exitcode;
    w[US_EXIT_FAR] = v->hot.exitinfo1;
    w[US_EXIT_IPA] = v->hot.exitinfo2;
    w[US_EXIT_PC] = r->rip;
    w[US_EXIT_CPSR] = r->rflags;
    for (uint32_t i = 0; i < 8; i++) {
        w[US_EXIT_X0 + i] = *msg_reg(r, i);
    }
    w[US_EXIT_VCPU] = v->index;
}

/* RDMSR or WRMSR of EFER, finished here: the guest's EFER is its VMCB's, with SVME always set
 * (VMRUN refuses a guest without it) and never shown, LMA left to the CPU; a reserved bit
 * set is #GP(0). */
static void efer(struct vcpu *v, bool write)
{
    struct arch_regs *r = &v->thread.regs;
    uint8_t *vmcb = vmcb_of(v);
    uint64_t old = vmcb_get64(vmcb, VMCB_EFER);
    uint64_t val = (r->gpr[ARCH_RDX] << 32) | (r->gpr[ARCH_RAX] & 0xffffffffu);

    if (!write) {
        r->gpr[ARCH_RAX] = (old & ~EFER_SVME) & 0xffffffffu;
        r->gpr[ARCH_RDX] = old >> 32;
    } else if (val & ~(EFER_GUEST | EFER_LMA)) {
        inject_gp(v);
        return; /* the fault comes from the WRMSR itself */
    } else {
        vmcb_put64(vmcb, VMCB_EFER, (val & EFER_GUEST) | (old & EFER_LMA) | EFER_SVME);
    }
    r->rip += 2u;
}

bool arch_vcpu_decode_exit(struct vcpu *v)
{
    uint64_t info = v->hot.exitinfo1, rip = v->thread.regs.rip;
    uint64_t *w = v->msg.w;

    v->hot.next_rip = 0;
    switch (v->hot.exitcode) {
    case EXIT_HLT:
        v->thread.regs.rip = rip + 1u; /* the guest waits for an interrupt: none come yet */
        vcpu_wfi(v);
        return false;
    case EXIT_IOIO:
        exit_words(v, (info & (IOIO_STR | IOIO_REP)) ? US_EXIT_UNKNOWN : US_EXIT_IO);
        w[US_EXIT_WRITE] = !(info & IOIO_IN);
        w[US_EXIT_SIZE] = (info >> 4) & 7u;
        w[US_EXIT_REG] = info >> 16;
        w[US_EXIT_VALUE] = v->thread.regs.gpr[ARCH_RAX];
        v->hot.next_rip = v->hot.exitinfo2; /* what IOIO's EXITINFO2 holds */
        return true;
    case EXIT_VMMCALL:
        /* As an HVC's on aarch64, the return address is already past the call. */
        v->thread.regs.rip = rip + 3u;
        exit_words(v, US_EXIT_HVC);
        v->hot.next_rip = rip + 3u;
        return true;
    case EXIT_CPUID:
        exit_words(v, US_EXIT_CPUID);
        v->hot.next_rip = rip + 2u;
        return true;
    case EXIT_MSR:
        if ((v->thread.regs.gpr[ARCH_RCX] & 0xffffffffu) == MSR_EFER) {
            efer(v, info & 1u);
            return false;
        }
        exit_words(v, US_EXIT_MSR);
        w[US_EXIT_WRITE] = info & 1u;
        w[US_EXIT_REG] = v->thread.regs.gpr[ARCH_RCX] & 0xffffffffu;
        w[US_EXIT_VALUE] =
            (v->thread.regs.gpr[ARCH_RDX] << 32) | (v->thread.regs.gpr[ARCH_RAX] & 0xffffffffu);
        v->hot.next_rip = rip + 2u;
        return true;
    case EXIT_NPF:
        exit_words(v, US_EXIT_ABORT);
        return true;
    default:
        exit_words(v, US_EXIT_UNKNOWN); /* a shutdown (triple fault) among them */
        return true;
    }
}

us_err_t arch_vcpu_resume(struct vcpu *v, const struct us_msg *reply)
{
    struct arch_regs *r = &v->thread.regs;
    uint64_t flags = reply->w[US_RESUME_FLAGS];

    /* Check everything before applying anything. */
    if (((flags & US_RESUME_SET_REG) && reply->w[US_RESUME_REG] >= 8) ||
        ((flags & US_RESUME_ADVANCE_PC) && v->hot.next_rip == 0)) {
        return US_TRACE(US_EINVAL);
    }
    if (flags & US_RESUME_INJECT_IRQ) {
        return US_TRACE(US_ENOTSUP); /* no virtual interrupt controller on x86_64 yet */
    }
    if (flags & US_RESUME_SET_REG) {
        *msg_reg(r, reply->w[US_RESUME_REG]) = reply->w[US_RESUME_VALUE];
    }
    if (flags & US_RESUME_SET_X0_3) {
        for (uint32_t i = 0; i < 4; i++) {
            *msg_reg(r, i) = reply->w[US_RESUME_X0 + i];
        }
    }
    if (flags & US_RESUME_ADVANCE_PC) {
        r->rip = v->hot.next_rip;
    }
    if (flags & US_RESUME_INJECT_DABT) {
        inject_gp(v); /* an access the vmm refuses, as a PC's bus would not answer it */
    }
    return US_OK;
}

/* One CPU so far: an exit's handler reads the registers where the vCPU left them. */
void arch_vcpu_publish(struct vcpu *v)
{
    (void)v;
}

void arch_vcpu_continue(struct vcpu *v)
{
    (void)v;
}

/* The guest's interrupt controller is still to come: nothing to inject, nothing ended. */
us_err_t arch_vgic_inject(struct vcpu *v, uint32_t intid)
{
    (void)v;
    (void)intid;
    return US_TRACE(US_ENOTSUP);
}

bool arch_vcpu_eoi_exit(struct vcpu *v)
{
    (void)v;
    return false;
}
