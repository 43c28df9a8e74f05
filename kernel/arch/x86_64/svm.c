/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* AMD SVM's check, enabling and a flat guest's initial state (svm.h), for the first stage and
 * the kernel's vCPUs alike. */
#include <stddef.h>
#include <arch/io.h>
#include "svm.h"
#include "x86.h"

#define MSR_EFER 0xc0000080u
#define MSR_VM_CR 0xc0010114u
#define VM_CR_SVMDIS (1ull << 4)
#define MSR_VM_HSAVE_PA 0xc0010117u
#define CPUID_EXT_SVM (1u << 2) /* 0x80000001 ECX */
#define SVM_NP (1u << 0)        /* 0x8000000a EDX */
#define SVM_NRIPS (1u << 3)

const char *svm_missing(uint32_t *asids, bool *nrips)
{
    struct cpuid ext = cpuid(0x80000000u);

    if (ext.a < 0x8000000au || !(cpuid(0x80000001u).c & CPUID_EXT_SVM)) {
        return "the CPU has no SVM (use -cpu max on q35)";
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        return "SVM is disabled by the firmware (VM_CR.SVMDIS)";
    }
    ext = cpuid(0x8000000au);
    if (!(ext.d & SVM_NP)) {
        return "SVM has no nested paging";
    }
    *asids = ext.b;
    *nrips = (ext.d & SVM_NRIPS) != 0;
    return NULL;
}

void svm_enable(uint64_t hsave_pa)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, hsave_pa);
}

static void put_seg(uint8_t *vmcb, uint32_t n, uint16_t sel, uint16_t attrib, uint32_t limit)
{
    __builtin_memcpy(&vmcb[VMCB_SEG(n)], &sel, sizeof(sel));
    __builtin_memcpy(&vmcb[VMCB_SEG(n) + 2], &attrib, sizeof(attrib));
    vmcb_put32(vmcb, VMCB_SEG(n) + 4, limit);
}

void svm_real16(uint8_t *vmcb, uint32_t base)
{
    uint64_t cs_base = base;

    svm_flat32(vmcb, 0);
    for (uint32_t s = 0; s < 6; s++) {
        put_seg(vmcb, s, s == 1 ? (uint16_t)(base >> 4) : 0, s == 1 ? 0x9b : 0x93, 0xffff);
    }
    __builtin_memcpy(&vmcb[VMCB_SEG(1) + 8], &cs_base, sizeof(cs_base));
    vmcb_put64(vmcb, VMCB_CR0, 0x60000010ull); /* CD, NW, ET: as after INIT */
}

void svm_flat32(uint8_t *vmcb, uint64_t rip)
{
    /* CS code, the others data, with the selectors Linux's 32-bit boot protocol names
     * (__BOOT_CS 0x10, __BOOT_DS 0x18), though nothing stands behind them in a GDT. */
    for (uint32_t s = 0; s < 6; s++) {
        put_seg(vmcb, s, s == 1 ? 0x10 : 0x18, s == 1 ? 0xc9b : 0xc93, 0xffffffffu);
    }
    put_seg(vmcb, 6, 0, 0, 0xffff);    /* GDTR */
    put_seg(vmcb, 7, 0, 0x82, 0xffff); /* LDTR */
    put_seg(vmcb, 8, 0, 0, 0); /* IDTR: none, so an exception the guest cannot take shuts it down */
    put_seg(vmcb, 9, 0, 0x8b, 0xffff); /* TR: a busy 32-bit TSS */
    vmcb[VMCB_CPL] = 0;
    vmcb_put64(vmcb, VMCB_EFER, EFER_SVME);
    vmcb_put64(vmcb, VMCB_CR0, 0x11); /* PE, ET */
    vmcb_put64(vmcb, VMCB_CR3, 0);
    vmcb_put64(vmcb, VMCB_CR4, 0);
    vmcb_put64(vmcb, VMCB_DR7, 0x400);
    vmcb_put64(vmcb, VMCB_DR6, 0xffff0ff0u);
    vmcb_put64(vmcb, VMCB_RFLAGS, 0x2);
    vmcb_put64(vmcb, VMCB_RIP, rip);
    vmcb_put64(vmcb, VMCB_PAT, 0x0007040600070406ull);
}
