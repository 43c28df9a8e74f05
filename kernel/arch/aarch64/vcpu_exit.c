/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Guest traps on aarch64: decode the syndrome into an exit message, apply the reply. */
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>

/* SCTLR_EL1 at reset as Linux expects it: MMU and caches off, RES1 bits set. */
#define SCTLR_EL1_RESET 0x30d00800ull

void arch_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    memset(&v->thread.regs, 0, sizeof(v->thread.regs));
    memset(&v->hot, 0, sizeof(v->hot));
    memset(&v->cold, 0, sizeof(v->cold));
    memset(&v->thread.fp, 0, sizeof(v->thread.fp));
    v->thread.regs.pc = pc;
    v->thread.regs.pstate = SPSR_EL1H | SPSR_DAIF;
    v->thread.regs.x[0] = x0;
    v->hot.sctlr = SCTLR_EL1_RESET;
}

static uint64_t load_result(uint64_t esr, uint64_t value);
static void local_tlbi(struct vcpu *v, uint64_t iss);

/* What the exit message needs beyond the vCPU's registers and syndrome, kept in v->msg's own
 * words (arch_vcpu_exit_msg() builds the message from them). */
static void record(struct vcpu *v, uint64_t reason, uint64_t far, uint64_t ipa)
{
    v->msg.w[US_EXIT_REASON] = reason;
    v->msg.w[US_EXIT_FAR] = far;
    v->msg.w[US_EXIT_IPA] = ipa;
}

static bool decode_abort(struct vcpu *v)
{
    uint64_t esr = v->exit_esr;
    uint64_t far = read_sysreg(far_el2);
    uint64_t ipa = ((read_sysreg(hpfar_el2) >> 4) << 12) | (far & 0xfffu);
    uint32_t dfsc = (uint32_t)(esr & 0x3f);
    bool translation = (dfsc & 0x3cu) == 0x04u; /* translation fault, any level */

    if (esr_ec(esr) == EC_DABT_LOW && (esr & ESR_ISV) && translation && !(esr & ESR_S1PTW)) {
        uint32_t srt = (uint32_t)((esr >> 16) & 0x1f);
        uint64_t value = arch_regs_get(&v->thread.regs, srt);

        /* A register the vmm handed to the kernel (vm_fastmmio): finished here. Had a look
         * without the lock found no entry, the vmm emulates the register anyway. */
        if (!v->fast_none && vm_fastmmio_access(v->vm, ipa, (esr & ESR_WNR) != 0, &value)) {
            if (!(esr & ESR_WNR)) {
                arch_regs_set(&v->thread.regs, srt, load_result(esr, value));
            }
            v->thread.regs.pc += 4;
            return false;
        }
        record(v, US_EXIT_MMIO, far, ipa);
    } else {
        record(v, US_EXIT_ABORT, far, ipa);
    }
    return true;
}

bool arch_vcpu_exit_nolock(struct vcpu *v, uint64_t esr)
{
    uint64_t far, ipa, value;
    uint32_t srt;
    enum vm_fast fast;

    v->fast_none = false;
    /* Op0 1, CRn 8: a TLB maintenance instruction, trapped only for local_tlbi(). */
    if (esr_ec(esr) == EC_SYSREG && ((esr >> 20) & 3u) == 1u && ((esr >> 10) & 0xfu) == 8u) {
        local_tlbi(v, esr);
        return true;
    }
    if (esr_ec(esr) != EC_DABT_LOW || !(esr & ESR_ISV) || (esr & 0x3cu) != 0x04u ||
        (esr & ESR_S1PTW)) {
        return false; /* not an emulated register access: decode_abort() under the lock */
    }
    far = read_sysreg(far_el2);
    ipa = ((read_sysreg(hpfar_el2) >> 4) << 12) | (far & 0xfffu);
    srt = (uint32_t)((esr >> 16) & 0x1f);
    value = arch_regs_get(&v->thread.regs, srt);
    fast = vm_fastmmio_nolock(v->vm, ipa, (esr & ESR_WNR) != 0, &value);
    if (fast != VM_FAST_DONE) {
        v->fast_none = fast == VM_FAST_NONE; /* decode_abort() need not look again */
        return false;
    }
    if (!(esr & ESR_WNR)) {
        arch_regs_set(&v->thread.regs, srt, load_result(esr, value));
    }
    v->thread.regs.pc += 4;
    return true;
}

/* A TLBI the guest executed at EL1 (trapped by HCR_EL2.TTLB, only for a VM whose vCPUs all
 * live on this CPU): the same operation on this CPU alone, for the guest's VMID (VTTBR_EL2)
 * and the ASID or address in its register. Anything other than the EL1 operations Linux uses
 * (range operations, say) flushes the VMID's stage 1 here, which covers it. It touches only
 * this CPU and @v, so it needs no lock: a VM that gains a vCPU on another CPU meanwhile has
 * not run there yet (docs/exits.md). */
static void local_tlbi(struct vcpu *v, uint64_t iss)
{
    uint32_t rt = (uint32_t)((iss >> 5) & 0x1fu); /* ISS for EC 0x18: Rt in bits 9:5 */
    uint64_t x = rt == 31u ? 0 : arch_regs_get(&v->thread.regs, rt);
    uint32_t op1 = (iss >> 14) & 7u, crm = (iss >> 1) & 0xfu, op2 = (iss >> 17) & 7u;

    if (op1 != 0 || (crm != 3u && crm != 7u)) {
        op2 = 0; /* TLBI VMALLE1 */
    }
    switch (op2) {
    case 1:
        __asm__ volatile("tlbi vae1, %0" : : "r"(x));
        break;
    case 2:
        __asm__ volatile("tlbi aside1, %0" : : "r"(x));
        break;
    case 3:
        __asm__ volatile("tlbi vaae1, %0" : : "r"(x));
        break;
    case 5:
        __asm__ volatile("tlbi vale1, %0" : : "r"(x));
        break;
    case 7:
        __asm__ volatile("tlbi vaale1, %0" : : "r"(x));
        break;
    default:
        __asm__ volatile("tlbi vmalle1");
        break;
    }
    __asm__ volatile("dsb nsh" : : : "memory");
    this_cpu()->tlbi_local++;
    v->thread.regs.pc += 4;
}

bool arch_vcpu_decode_exit(struct vcpu *v)
{
    switch (esr_ec(v->exit_esr)) {
    case EC_FP:
        arch_fp_trap(&v->thread);
        return false;
    case EC_HVC64:
        record(v, US_EXIT_HVC, 0, 0);
        return true;
    case EC_SMC64:
        record(v, US_EXIT_SMC, 0, 0);
        return true;
    case EC_WFX:
        /* Finished here, no exit to the vmm: WFI (ISS bit 0 clear) sleeps until an interrupt
         * is pending; WFE (a spin-wait hint) yields to the other vCPUs of this priority. */
        v->thread.regs.pc += 4;
        if (v->exit_esr & 1u) {
            sched_tick();
        } else if (!arch_vgic_pending(v)) {
            vcpu_wfi(v);
        }
        return false;
    case EC_SYSREG: /* Arm ARM ISS for EC 0x18: Rt in bits 9:5, bit 0 set for a read (MRS) */
        record(v, US_EXIT_SYSREG, 0, 0);
        return true;
    case EC_DABT_LOW:
    case EC_IABT_LOW:
        return decode_abort(v);
    default:
        record(v, US_EXIT_UNKNOWN, 0, 0);
        return true;
    }
}

bool arch_vcpu_eoi_exit(struct vcpu *v)
{
    uint64_t lo, hi;

    if (!arch_vgic_take_eoi(v, &lo, &hi)) {
        return false;
    }
    v->exit_esr = 0; /* no trapped instruction: a reply's register results do not apply */
    record(v, US_EXIT_EOI, lo, 0); /* US_EXIT_EOI_LO is the FAR word */
    v->msg.w[US_EXIT_EOI_HI] = hi;
    return true;
}

/* Width and sign of an emulated load, Arm ARM ISS encoding for data aborts (SAS, SSE, SF). */
static uint64_t load_result(uint64_t esr, uint64_t value)
{
    uint32_t bits = 8u << ((esr >> 22) & 3u);

    if (bits < 64) {
        value &= (1ull << bits) - 1u;
        if ((esr & ESR_SSE) && (value & (1ull << (bits - 1)))) {
            value |= ~((1ull << bits) - 1u);
        }
    }
    if (!(esr & ESR_SF)) {
        value &= 0xffffffffull;
    }
    return value;
}

/* Deliver a synchronous external abort to the guest's own EL1 vector (Arm ARM D1.10). */
static void inject_dabt(struct vcpu *v)
{
    struct arch_regs *r = &v->thread.regs;
    uint64_t mode = r->pstate & SPSR_MODE_MASK;
    uint64_t off = mode == SPSR_EL1H ? 0x200u : (mode == SPSR_EL1T ? 0x000u : 0x400u);
    uint32_t ec = mode == SPSR_EL0T ? EC_DABT_LOW : EC_DABT_CUR;

    v->hot.esr = ((uint64_t)ec << 26) | (1ull << 25) | 0x10u; /* IL, synchronous external */
    v->hot.far = v->msg.w[US_EXIT_FAR];
    v->hot.elr = r->pc;
    v->hot.spsr = r->pstate;
    r->pc = v->hot.vbar + off;
    r->pstate = SPSR_EL1H | SPSR_DAIF;
}

us_err_t arch_vcpu_resume(struct vcpu *v, const struct us_msg *reply)
{
    uint64_t flags = reply->w[US_RESUME_FLAGS], reg = reply->w[US_RESUME_REG];
    uint32_t i;

    if (flags & US_RESUME_SET_REG) {
        /* A load's width and sign come from a data abort's syndrome; a system register read
         * (EC 0x18) is always the whole 64 bits, and its ISS bits mean something else. */
        uint64_t value = reply->w[US_RESUME_VALUE];

        arch_regs_set(&v->thread.regs, (uint32_t)reg,
                      esr_ec(v->exit_esr) == EC_DABT_LOW ? load_result(v->exit_esr, value) : value);
    }
    if (flags & US_RESUME_SET_X0_3) {
        for (i = 0; i < 4; i++) {
            v->thread.regs.x[i] = reply->w[US_RESUME_X0 + i];
        }
    }
    if (flags & US_RESUME_ADVANCE_PC) {
        v->thread.regs.pc += 4;
    }
    if (flags & US_RESUME_INJECT_DABT) {
        /* Its hot set changes. With several CPUs it was published at the exit; on one, and
         * with VHE, the registers still hold it (a no-op when this CPU does not). */
        arch_vcpu_publish(v);
        inject_dabt(v);
        v->hot_reload = true;
    }
    if (flags & US_RESUME_INJECT_IRQ) {
        (void)arch_vgic_inject(v, (uint32_t)reply->w[US_RESUME_VIRQ]); /* range checked */
    }
    return US_OK;
}
