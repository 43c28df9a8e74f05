/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPUs on x86_64 under AMD SVM (docs/x86_64.md): a VMCB each, the guest entered by VMRUN from
 * the kernel's way out (kernel.c's leave()), and each #VMEXIT the kernel does not finish itself
 * turned into the same exit message as on aarch64 (understudy/vcpu.h), answered by the vmm. */
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/endpoint.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/irq.h>
#include <us/arch/vcpu.h>
#include "insn.h"
#include "svm.h"
#include "vlapic.h"
#include "x86.h"

#define VMCBS (VM_MAX * VM_MAX_VCPUS)
#define MISC1_ALWAYS                                                                               \
    (MISC1_INTR | MISC1_NMI | MISC1_CPUID | MISC1_HLT | MISC1_IOIO | MISC1_MSR | MISC1_SHUTDOWN)
#define RFLAGS_IF (1u << 9)
#define PAGE_ALIGNED __attribute__((aligned(4096)))

/* VMCBs for every vCPU there can be: a vCPU's is the one it had before, its slot in the
 * kernel's table being the same object (vcpu.c), or a free one. */
static uint8_t vmcbs[VMCBS][4096] PAGE_ALIGNED;
static const struct vcpu *vmcb_owner[VMCBS];
/* Each CPU's: VMRUN's host save area, and VMSAVE's around VMRUN (svm_run()). */
static uint8_t hsave[SCHED_MAX_CPUS][4096] PAGE_ALIGNED;
static uint8_t host_state[SCHED_MAX_CPUS][4096] PAGE_ALIGNED;
static uint8_t iopm[3 * 4096] PAGE_ALIGNED;  /* every port intercepted */
static uint8_t msrpm[2 * 4096] PAGE_ALIGNED; /* every MSR intercepted but those below */

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
#define VEC_FIRST_IRQ 32u /* below: the CPU's exceptions */

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
    x86_svm_init_cpu(0);
}

void x86_svm_init_cpu(uint32_t index)
{
    svm_enable(pa(hsave[index]));
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
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC1, MISC1_ALWAYS);
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC2, MISC2_VMRUN | MISC2_VMMCALL | MISC2_SVM_REST);
    vmcb_put64(vmcb, VMCB_IOPM, pa(iopm));
    vmcb_put64(vmcb, VMCB_MSRPM, pa(msrpm));
    vmcb_put32(vmcb, VMCB_ASID, v->vm->s2.vmid);
    vmcb_put32(vmcb, VMCB_V_INTR, V_INTR_MASKING);
    vmcb_put64(vmcb, VMCB_NP_ENABLE, 1);
    vmcb_put64(vmcb, VMCB_N_CR3, pa_of(v->vm->s2.root));
    memset(&v->thread.regs, 0, sizeof(v->thread.regs));
    if (pc & US_VCPU_X86_SIPI) {
        svm_real16(vmcb, (uint32_t)pc & 0xff000u); /* an application processor's start */
        pc = 0;
    } else {
        svm_flat32(vmcb, pc);
    }
    x86_fp_reset(&v->thread); /* FNINIT's state, as a CPU's after INIT */
    v->thread.regs.gpr[ARCH_RSI] = x0;
    v->thread.regs.rip = pc;
    v->thread.regs.rflags = 0x2;
    vlapic_reset(&v->cold.apic, v->index);
    v->hot = (struct arch_vcpu_hot){
        .vmcb_pa = pa(vmcb), .flushes = v->vm->s2.flushes - 1u, .load_reg = ARCH_NO_LOAD};
}

static bool shadowed_hlt(struct vcpu *v, const uint8_t *vmcb);

/* Before an entry: the APIC timer's interrupt if it is due, then the interrupt the guest would
 * take next, injected if it can take it now, or else an exit asked for when it can (V_IRQ
 * with the VINTR intercept, whose exit brings it back here), as KVM does. */
static void irq_enter(struct vcpu *v, uint8_t *vmcb)
{
    struct x86_vlapic *a = &v->cold.apic;
    uint32_t misc1 = MISC1_ALWAYS, vintr = V_INTR_MASKING;
    int vec;

    vlapic_tick(a, arch_counter_relaxed());
    vec = vlapic_next(a);
    if (vec >= 0 && shadowed_hlt(v, vmcb)) {
        /* "STI; HLT" left by an exit between the two (a host interrupt's): QEMU before 9.1
         * drops the shadow at VMRUN, so the interrupt would come before the HLT and the guest
         * would then sleep with nothing left to wake it. The HLT is done here instead, and
         * the interrupt wakes it at once, as on hardware. */
        v->thread.regs.rip += 1u;
        vmcb[VMCB_INT_SHADOW] = 0;
    }
    if (vec >= 0) {
        if (!(vmcb_get64(vmcb, VMCB_EVENTINJ) & EVENTINJ_VALID) &&
            (v->thread.regs.rflags & RFLAGS_IF) && !(vmcb[VMCB_INT_SHADOW] & 1u)) {
            vlapic_accept(a, (uint32_t)vec);
            vmcb_put64(vmcb, VMCB_EVENTINJ,
                       EVENTINJ_VALID | EVENTINJ_INTR | ((uint32_t)vec & 0xffu));
        } else {
            vintr |= V_IRQ | V_IGN_TPR;
            misc1 |= MISC1_VINTR;
            vmcb_put32(vmcb, VMCB_V_INTR_VECTOR, (uint32_t)vec & 0xffu);
        }
    }
    vmcb_put32(vmcb, VMCB_V_INTR, vintr);
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC1, misc1);
}

void x86_vcpu_prepare(struct vcpu *v)
{
    irq_enter(v, vmcb_of(v));
    x86_timer_by(vlapic_deadline(&v->cold.apic)); /* an exit when the guest's timer fires */
}

void x86_vcpu_run(struct vcpu *v)
{
    struct arch_regs *r = &v->thread.regs;
    uint8_t *vmcb = vmcb_of(v);
    uint64_t undelivered;
    bool window = (vmcb_get64(vmcb, VMCB_V_INTR) & V_IRQ) != 0;

    vmcb_put64(vmcb, VMCB_RAX, r->gpr[ARCH_RAX]);
    vmcb_put64(vmcb, VMCB_RSP, r->rsp);
    vmcb_put64(vmcb, VMCB_RIP, r->rip);
    vmcb_put64(vmcb, VMCB_RFLAGS, r->rflags);
    /* The VM's translations changed since this vCPU last ran: drop its ASID's. */
    vmcb[VMCB_TLB_CTL] = v->hot.flushes != v->vm->s2.flushes ? 3 : 0;
    v->hot.flushes = v->vm->s2.flushes;
    svm_run(v->hot.vmcb_pa, (struct svm_gprs *)(void *)&r->gpr[ARCH_RBX],
            pa(host_state[this_cpu()->index]));
    /* QEMU's VMRUN marks a requested window (V_IRQ) in its vCPU's interrupt flags without the
     * lock other threads set them under, so an APIC's signal for a host interrupt arriving
     * meanwhile (the tick, an IPI, a device) can be lost: the vector waits in the IRR and a
     * CPU that then idles never wakes. One APIC register write after such a run recovers it;
     * on hardware it changes nothing. */
    if (window) {
        x86_irq_recheck();
    }
    r->gpr[ARCH_RAX] = vmcb_get64(vmcb, VMCB_RAX);
    r->rsp = vmcb_get64(vmcb, VMCB_RSP);
    r->rip = vmcb_get64(vmcb, VMCB_RIP);
    r->rflags = vmcb_get64(vmcb, VMCB_RFLAGS);
    v->hot.exitcode = vmcb_get64(vmcb, VMCB_EXITCODE);
    v->hot.exitinfo1 = vmcb_get64(vmcb, VMCB_EXITINFO1);
    v->hot.exitinfo2 = vmcb_get64(vmcb, VMCB_EXITINFO2);
    /* An event whose delivery the exit cut short (a nested page fault on the guest's IDT or
     * stack, a host interrupt) is injected again at the next entry. */
    undelivered = vmcb_get64(vmcb, VMCB_EXITINTINFO);
    vmcb_put64(vmcb, VMCB_EVENTINJ, (undelivered & EVENTINJ_VALID) ? undelivered : 0);
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
 * @i names (understudy/vcpu.h): RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, then R8-R15. */
static uint64_t *msg_reg(struct arch_regs *r, uint64_t i)
{
    static const uint8_t gpr[7] = {ARCH_RAX, ARCH_RBX, ARCH_RCX, ARCH_RDX,
                                   ARCH_RSI, ARCH_RDI, ARCH_RBP};

    return i < 7 ? &r->gpr[gpr[i]] : i == 7 ? &r->rsp : &r->gpr[ARCH_R8 + (i - 8u)];
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

/* A fixed IPI from @v for its VM's other started vCPUs that the ICR value @icr names: requested
 * in each one's local APIC, and each woken if it waits, or brought out of its guest if it runs
 * on another CPU (its next entry injects it: x86_vcpu_prepare()). */
static void ipi(struct vcpu *v, uint64_t icr)
{
    for (uint32_t i = 0; i < VM_MAX_VCPUS; i++) {
        struct vcpu *t = v->vm->vcpus[i];

        if (t != NULL && t != v && t->started &&
            vlapic_icr_hits(icr, t->cold.apic.id, v->cold.apic.id)) {
            vlapic_raise(&t->cold.apic, (uint32_t)icr & 0xffu);
            vcpu_kick(t);
            if (sched_is_live_elsewhere(&t->thread)) {
                arch_cpu_kick(t->thread.cpu);
            }
        }
    }
}

/* EFER as the guest sees it, for RDMSR, and its write of @val: its VMCB's, with SVME always
 * set (VMRUN refuses a guest without it) and never shown, LMA left to the CPU; a reserved bit
 * set is #GP(0). */
static int efer(uint8_t *vmcb, bool write, uint64_t *val)
{
    uint64_t old = vmcb_get64(vmcb, VMCB_EFER);

    if (!write) {
        *val = old & ~EFER_SVME;
    } else if (*val & ~(EFER_GUEST | EFER_LMA)) {
        return VLAPIC_GP;
    } else {
        vmcb_put64(vmcb, VMCB_EFER, (*val & EFER_GUEST) | (old & EFER_LMA) | EFER_SVME);
    }
    return VLAPIC_DONE;
}

/* RDMSR or WRMSR of an MSR the kernel keeps, finished here: EFER, and the local APIC's. Returns
 * false for the vmm's. */
static bool msr_here(struct vcpu *v, bool write)
{
    struct arch_regs *r = &v->thread.regs;
    uint32_t msr = (uint32_t)r->gpr[ARCH_RCX];
    uint64_t val = (r->gpr[ARCH_RDX] << 32) | (r->gpr[ARCH_RAX] & 0xffffffffu);
    int done = msr == MSR_EFER
                   ? efer(vmcb_of(v), write, &val)
                   : vlapic_msr(&v->cold.apic, msr, write, &val, arch_counter_relaxed());

    if (done == VLAPIC_IPI) {
        if (((val >> 8) & 7u) != 0) {
            return false; /* INIT, a start-up IPI and the rest: the vmm's, as starting a vCPU is */
        }
        ipi(v, val);
        done = VLAPIC_DONE;
    }
    if (done == VLAPIC_NOT_MINE) {
        return false;
    }
    if (done == VLAPIC_GP) {
        inject_gp(v); /* the fault comes from the instruction itself */
        return true;
    }
    if (!write) {
        r->gpr[ARCH_RAX] = val & 0xffffffffu;
        r->gpr[ARCH_RDX] = val >> 32;
    }
    r->rip += 2u;
    return true;
}

/* HLT: the guest waits for an interrupt. It goes on at once if one is ready for it; otherwise
 * it sleeps until the vmm injects one or its APIC timer's deadline passes (vcpu_tick()). */
static void halt(struct vcpu *v)
{
    struct x86_vlapic *a = &v->cold.apic;

    v->thread.regs.rip += 1u;
    vmcb_of(v)[VMCB_INT_SHADOW] = 0; /* an STI's shadow ends with the HLT it covered */
    vlapic_tick(a, arch_counter_relaxed());
    if (vlapic_next(a) >= 0 && (v->thread.regs.rflags & RFLAGS_IF)) {
        return;
    }
    v->wfi_deadline = vlapic_deadline(a);
    x86_timer_by(v->wfi_deadline);
    vcpu_wfi(v);
}

/* What decoding an MMIO instruction reads: the guest's RAM, never a device's page. */
static bool guest_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    struct vm *vm = ctx;
    paddr_t pa;

    if ((gpa & 0xfffu) + len > PAGE_SIZE || x86_guest_ram(&vm->s2, gpa, &pa) != US_OK) {
        return false;
    }
    memcpy(buf, pa_ptr(pa), len);
    return true;
}

#define NPF_FETCH (1ull << 4) /* a nested page fault's EXITINFO1: an instruction fetch */
#define NPF_WALK (1ull << 33) /* on the guest's own page tables */

/* Register @old after an MMIO load of @val (@size bytes into a destination of @opsize, AH
 * to BH if @high8), as the instruction loads it: a byte or a word merged in, a doubleword
 * zero-extended (as any 32-bit destination is), a quadword. */
static uint64_t loaded(uint8_t size, uint8_t opsize, bool high8, uint64_t old, uint64_t val)
{
    uint64_t v = size == 8 ? val : val & ((1ull << (8u * size)) - 1u);

    switch (opsize) {
    case 1:
        return high8 ? (old & ~0xff00ull) | (v << 8) : (old & ~0xffull) | v;
    case 2:
        return (old & ~0xffffull) | (v & 0xffffu);
    case 4:
        return v & 0xffffffffu;
    default:
        return v;
    }
}

/* What a nested page fault turned out to be (npf()). */
#define NPF_ABORT 0  /* not a move insn.c understands: US_EXIT_ABORT */
#define NPF_VMM 1    /* an MMIO exit for the vmm, prepared */
#define NPF_KERNEL 2 /* finished here: the xAPIC window, or a fast-MMIO register */

/* A move the kernel finished: a load's value into its register, and on past it. */
static int mmio_done(struct vcpu *v, const struct x86_mmio *d, uint8_t reg, uint64_t val,
                     uint64_t mask)
{
    struct arch_regs *r = &v->thread.regs;

    if (!d->write) {
        *msg_reg(r, reg) = loaded(d->size, d->opsize, d->high8, *msg_reg(r, reg), val & mask);
    }
    r->rip += d->len;
    return NPF_KERNEL;
}

/* The xAPIC window's access @d (its register @reg in the exit message's numbering, @val a
 * store's value, @mask the access's size) finished here: a fixed IPI delivered, another ICR write
 * passed to the vmm as x2APIC's ICR MSR write (vmm_pc.c starts vCPUs from it), a load's value put
 * in place. */
static int lapic_window(struct vcpu *v, const struct x86_mmio *d, uint8_t reg, uint64_t val,
                        uint64_t mask)
{
    struct arch_regs *r = &v->thread.regs;
    int done = vlapic_mmio(&v->cold.apic, (uint32_t)v->hot.exitinfo2 & 0xfffu, d->write, &val,
                           arch_counter_relaxed());

    if (done == VLAPIC_NOT_MINE) {
        return NPF_ABORT; /* outside xAPIC mode the window is not there */
    }
    if (done == VLAPIC_IPI && ((val >> 8) & 7u) != 0) {
        exit_words(v, US_EXIT_MSR);
        v->msg.w[US_EXIT_WRITE] = 1;
        v->msg.w[US_EXIT_REG] = 0x830u; /* the x2APIC ICR */
        v->msg.w[US_EXIT_VALUE] = val;
        v->hot.next_rip = r->rip + d->len;
        return NPF_VMM;
    }
    if (done == VLAPIC_IPI) {
        ipi(v, val);
    }
    return mmio_done(v, d, reg, val, mask);
}

/* What fetching the guest's instructions needs: its paging mode and code segment. */
static struct x86_mode guest_mode(const uint8_t *vmcb)
{
    return (struct x86_mode){
        .cr0 = vmcb_get64(vmcb, VMCB_CR0),
        .cr3 = vmcb_get64(vmcb, VMCB_CR3),
        .cr4 = vmcb_get64(vmcb, VMCB_CR4),
        .efer = vmcb_get64(vmcb, VMCB_EFER),
        .cs_base = vmcb_get64(vmcb, VMCB_SEG(1) + 8u),
        .cs_attr = (uint16_t)(vmcb[VMCB_SEG(1) + 2u] | (vmcb[VMCB_SEG(1) + 3u] << 8)),
    };
}

/* The guest can take interrupts once the instruction in its STI shadow ran, and that one is a
 * HLT. */
static bool shadowed_hlt(struct vcpu *v, const uint8_t *vmcb)
{
    struct x86_mode m;
    uint8_t b = 0;

    if (!(vmcb[VMCB_INT_SHADOW] & 1u) || !(v->thread.regs.rflags & RFLAGS_IF) ||
        (vmcb_get64(vmcb, VMCB_EVENTINJ) & EVENTINJ_VALID)) {
        return false; /* the common case: no shadow, so no instruction fetched */
    }
    m = guest_mode(vmcb);
    return x86_fetch(&m, v->thread.regs.rip, &b, 1, guest_read, v->vm) == 1 && b == 0xf4u;
}

/* A nested page fault on a move insn.c understands: the local APIC's xAPIC window, or MMIO
 * for the vmm (US_EXIT_MMIO), the exit message then saying what aarch64's syndrome says. */
static int npf(struct vcpu *v)
{
    static const uint8_t msg_of_x86[8] = {0, 2, 3, 1, 7, 6, 4, 5}; /* RAX RCX RDX RBX RSP.. */
    const uint8_t *vmcb = vmcb_of(v);
    struct arch_regs *r = &v->thread.regs;
    uint8_t b[X86_INSN_MAX], reg;
    struct x86_mmio d;
    struct x86_mode m = guest_mode(vmcb);
    uint32_t n;
    uint64_t mask, val;

    if (v->hot.exitinfo1 & (NPF_FETCH | NPF_WALK)) {
        return NPF_ABORT;
    }
    n = x86_fetch(&m, r->rip, b, sizeof(b), guest_read, v->vm);
    if (!x86_mmio_decode(b, n, &m, &d)) {
        return NPF_ABORT;
    }
    reg = d.reg < 8 ? msg_of_x86[d.reg] : d.reg;
    mask = d.size == 8 ? ~0ull : (1ull << (8u * d.size)) - 1u;
    val = (d.imm ? d.value : *msg_reg(r, reg) >> (d.high8 ? 8u : 0u)) & mask; /* a store's */
    if ((v->hot.exitinfo2 >> 12) == (VLAPIC_BASE_ADDR >> 12)) {
        return lapic_window(v, &d, reg, val, mask);
    }
    /* A register the vmm handed to the kernel (vm_fastmmio): a virtio transport's interrupt
     * status and acknowledgement, its queue doorbells. */
    if (vm_fastmmio_access(v->vm, v->hot.exitinfo2, d.write, &val)) {
        return mmio_done(v, &d, reg, val, mask);
    }
    exit_words(v, US_EXIT_MMIO);
    v->msg.w[US_EXIT_WRITE] = d.write;
    v->msg.w[US_EXIT_SIZE] = d.size;
    v->msg.w[US_EXIT_REG] = reg;
    if (d.write) {
        v->msg.w[US_EXIT_VALUE] = val;
    } else {
        v->hot.load_reg = reg;
        v->hot.load_size = d.size;
        v->hot.load_opsize = d.opsize;
        v->hot.load_high8 = d.high8;
    }
    v->hot.next_rip = r->rip + d.len;
    return NPF_VMM;
}

/* An IN or OUT of a port the vmm handed to the kernel (vm_fastmmio, US_FASTMMIO_PORT()):
 * finished here, as aarch64 finishes its UART's registers. COM1's transmitter and line status
 * while a kernel prints its log: two exits a byte without it. */
static bool io_here(struct vcpu *v, uint64_t info)
{
    uint64_t *rax = &v->thread.regs.gpr[ARCH_RAX], val = *rax;
    uint8_t size = (uint8_t)((info >> 4) & 7u);

    if ((info & (IOIO_STR | IOIO_REP)) ||
        !vm_fastmmio_access(v->vm, US_FASTMMIO_PORT((info >> 16) & 0xffffu), !(info & IOIO_IN),
                            &val)) {
        return false;
    }
    if (info & IOIO_IN) {
        *rax = loaded(size, size, false, *rax, val);
    }
    v->thread.regs.rip = v->hot.exitinfo2; /* the next instruction's */
    return true;
}

void arch_vcpu_exit_msg(const struct vcpu *v, struct us_msg *m)
{
    ipc_copy(m, &v->msg); /* decoded whole into v->msg */
}

bool arch_vcpu_decode_exit(struct vcpu *v)
{
    uint64_t info = v->hot.exitinfo1, rip = v->thread.regs.rip;
    uint64_t *w = v->msg.w;

    v->hot.next_rip = 0;
    v->hot.load_reg = ARCH_NO_LOAD;
    switch (v->hot.exitcode) {
    case EXIT_HLT:
        halt(v);
        return false;
    case EXIT_VINTR:
        return false; /* the guest can take its interrupt: irq_enter() injects it */
    case EXIT_IOIO:
        if (io_here(v, info)) {
            return false;
        }
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
        if (msr_here(v, info & 1u)) {
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
        switch (npf(v)) {
        case NPF_KERNEL:
            return false;
        case NPF_ABORT:
            exit_words(v, US_EXIT_ABORT);
            return true;
        default:
            return true;
        }
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
    if (((flags & US_RESUME_SET_REG) && reply->w[US_RESUME_REG] >= 16) ||
        ((flags & US_RESUME_ADVANCE_PC) && v->hot.next_rip == 0)) {
        return US_TRACE(US_EINVAL);
    }
    if ((flags & US_RESUME_INJECT_IRQ) &&
        (reply->w[US_RESUME_VIRQ] & ~(uint64_t)US_VIRQ_EXTINT) < VEC_FIRST_IRQ) {
        return US_TRACE(US_EINVAL); /* an exception's vector */
    }
    if (flags & US_RESUME_SET_REG) {
        uint64_t *d = msg_reg(r, reply->w[US_RESUME_REG]);

        *d = reply->w[US_RESUME_REG] == v->hot.load_reg
                 ? loaded(v->hot.load_size, v->hot.load_opsize, v->hot.load_high8, *d,
                          reply->w[US_RESUME_VALUE])
                 : reply->w[US_RESUME_VALUE];
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
    if (flags & US_RESUME_INJECT_IRQ) {
        (void)arch_vgic_inject(v, (uint32_t)reply->w[US_RESUME_VIRQ]); /* checked above */
    }
    return US_OK;
}

/* After each exit the registers are in memory (the thread's frame and the VMCB), so a handler on
 * any CPU reads them where the vCPU left them. */
void arch_vcpu_publish(struct vcpu *v)
{
    (void)v;
}

void arch_vcpu_continue(struct vcpu *v)
{
    (void)v;
}

/* An interrupt for the guest, from the vmm: vector @intid requested in the vCPU's local APIC,
 * or with US_VIRQ_EXTINT an 8259's at LINT0. Being told of its end (US_VIRQ_EOI) comes with
 * level-triggered lines. */
us_err_t arch_vgic_inject(struct vcpu *v, uint32_t intid)
{
    uint32_t vector = intid & ~(uint32_t)US_VIRQ_EXTINT;

    if (intid & US_VIRQ_EOI) {
        return US_TRACE(US_ENOTSUP);
    }
    if (vector < VEC_FIRST_IRQ || vector > 255u) {
        return US_TRACE(US_ERANGE);
    }
    if (intid & US_VIRQ_EXTINT) {
        vlapic_extint(&v->cold.apic, vector);
    } else {
        vlapic_raise(&v->cold.apic, vector);
    }
    return US_OK;
}

bool arch_vcpu_eoi_exit(struct vcpu *v)
{
    (void)v;
    return false;
}
