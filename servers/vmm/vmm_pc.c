/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A PC guest's port I/O, CPUID and MSRs (docs/x86_64.md): COM1's 16550 as far as a polling
 * console needs it (output, the line status, the divisor latch), other ports open bus; the
 * host CPU's CPUID without what a guest may not use; the MSRs the kernel leaves to the vmm
 * read as zero. */
#include <understudy/cpu.h>
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include "vmm_arch.h"

#define COM1 0x3f8u
#define UART_THR 0u /* with DLAB 0 */
#define UART_LCR 3u
#define UART_LSR 5u
#define UART_LCR_DLAB 0x80u
#define UART_LSR_IDLE 0x60u /* THRE and TEMT: output is taken at once */

/* Each VM's line control register: whether port 0x3f8 is the divisor latch. Not carried over
 * a vmm restart; a guest sets it before it prints. */
static uint8_t uart_lcr[VMM_CONFIG_MAX_VMS];

static uint64_t uart(struct vmm_state *st, uint32_t slot, uint32_t reg, bool write, uint8_t v)
{
    if (write) {
        if (reg == UART_THR && !(uart_lcr[slot] & UART_LCR_DLAB)) {
            vmm_console_put(st, slot, v);
        } else if (reg == UART_LCR) {
            uart_lcr[slot] = v;
        }
        return 0;
    }
    return reg == UART_LSR ? UART_LSR_IDLE : reg == UART_LCR ? uart_lcr[slot] : 0u;
}

void vmm_pc_io(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint32_t port = (uint32_t)m->w[US_EXIT_REG] & 0xffffu;
    bool write = m->w[US_EXIT_WRITE] != 0;
    uint64_t rax = m->w[US_EXIT_X0], mask, v = ~0ull;

    mask = m->w[US_EXIT_SIZE] == 4u ? 0xffffffffull : m->w[US_EXIT_SIZE] == 2u ? 0xffffu : 0xffu;
    if ((st->vms[slot].visible & VMM_DEV_UART) && port >= COM1 && port < COM1 + 8u) {
        v = uart(st, slot, port - COM1, write, (uint8_t)rax);
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_REG));
    m->w[US_RESUME_REG] = 0; /* RAX */
    m->w[US_RESUME_VALUE] = (rax & ~mask) | (v & mask);
}

/* CPUID bits a guest is not given: VMX and the hypervisor bit's place in leaf 1 (ECX 5, 31
 * set instead), SVM (leaf 0x80000001 ECX 2), and leaf 0xd's XSAVE areas with the XSAVE bit
 * itself (ECX 26, 27), as the kernel hands over the FPU by FXSAVE. The local APIC is the
 * kernel's, in x2APIC mode with the TSC-deadline timer (EDX 9, ECX 21 and 24, whatever the
 * host's), its ID the vCPU's index (EBX 31:24). RDTSCP and RDPID (leaf 0x80000001 EDX 27,
 * leaf 7 ECX 22) are not offered: the kernel intercepts RDTSCP, and TSC_AUX is not the
 * guest's own. */
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_XSAVE (3u << 26)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUIDX1_ECX_SVM (1u << 2)
#define CPUIDX1_EDX_RDTSCP (1u << 27)
#define CPUID7_ECX_RDPID (1u << 22)
#define CPUID_HV_LEAF 0x40000000u

void vmm_pc_cpuid(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint32_t leaf = (uint32_t)m->w[US_EXIT_X0], sub = (uint32_t)m->w[US_EXIT_X0 + 2], r[4];

    (void)st;
    (void)slot;
    /* The host CPU's answers, what a guest may not use taken out; 0x40000000 names us. */
    if (leaf == CPUID_HV_LEAF) {
        r[0] = CPUID_HV_LEAF;
        memcpy(&r[1], "UnderstudyVM", 12); /* EBX, ECX, EDX */
    } else if (leaf == 0xdu || !us_cpu_cpuid(leaf, sub, r)) {
        r[0] = r[1] = r[2] = r[3] = 0;
    } else if (leaf == 1u) {
        r[1] = (r[1] & 0x00ffffffu) | (uint32_t)m->w[US_EXIT_VCPU] << 24;
        r[2] = (r[2] & ~(CPUID1_ECX_VMX | CPUID1_ECX_XSAVE)) | CPUID1_ECX_HYPERVISOR |
               CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
        r[3] |= CPUID1_EDX_APIC;
    } else if (leaf == 0x80000001u) {
        r[2] &= ~CPUIDX1_ECX_SVM;
        r[3] &= ~CPUIDX1_EDX_RDTSCP;
    } else if (leaf == 7u && sub == 0) {
        r[2] &= ~CPUID7_ECX_RDPID;
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | US_RESUME_SET_X0_3);
    for (uint32_t i = 0; i < 4; i++) {
        m->w[US_RESUME_X0 + i] = r[i];
    }
}

void vmm_pc_msr(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    bool write = m->w[US_EXIT_WRITE] != 0;

    if (st->vms[slot].faults_logged < VMM_FAULT_LOG_LIMIT) {
        st->vms[slot].faults_logged++;
        US_LOG_WARN("%s: %s of MSR 0x%llx: RAZ/WI", st->config.vms[slot].name,
                    write ? "WRMSR" : "RDMSR", (unsigned long long)m->w[US_EXIT_REG]);
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_X0_3));
    /* RDMSR's EDX:EAX zero; RBX and RCX as they were. */
    m->w[US_RESUME_X0 + 1] = m->w[US_EXIT_X0 + 1];
    m->w[US_RESUME_X0 + 2] = m->w[US_EXIT_X0 + 2];
}
