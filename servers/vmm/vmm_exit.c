/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPU exits: MMIO to the device models, PSCI and SMCCC calls, aborts and unknown traps.
 * Guest misbehaviour is answered (abort injected, call refused) and logged at WARN at most. */
#include <uslib/string.h>
#include "vmm.h"

/* Arm DEN0022 (PSCI) and DEN0028 (SMCCC) function IDs. */
#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1

/* Every word is written by name (no memset: one reply per exit). */
static void resume(struct us_msg *m, uint64_t flags)
{
    _Static_assert(US_RESUME_WORDS == 8, "resume() writes each reply word by name");
    us_msg_init(m, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    m->w[US_RESUME_FLAGS] = flags;
    m->w[US_RESUME_REG] = 0;
    m->w[US_RESUME_VALUE] = 0;
    m->w[US_RESUME_X0] = 0;
    m->w[US_RESUME_X0 + 1] = 0;
    m->w[US_RESUME_X0 + 2] = 0;
    m->w[US_RESUME_X0 + 3] = 0;
    m->w[US_RESUME_VIRQ] = 0;
}

static void stop_vm(struct vmm_state *st, uint32_t slot, uint32_t state, struct us_msg *m)
{
    st->vms[slot].state = state;
    resume(m, US_RESUME_STOP);
}

static bool psci_known(uint64_t fn)
{
    switch (fn) {
    case PSCI_VERSION:
    case PSCI_CPU_ON_64:
    case PSCI_AFFINITY_INFO_64:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
    case SMCCC_VERSION:
        return true;
    default:
        return false;
    }
}

static void psci(struct vmm_state *st, uint32_t slot, struct us_msg *m, bool smc)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    uint64_t fn = m->w[US_EXIT_X0] & 0xffffffffu, arg1 = m->w[US_EXIT_X0 + 1];
    int64_t ret;

    switch (fn) {
    case PSCI_VERSION:
        ret = 0x10001; /* 1.1 */
        break;
    case SMCCC_VERSION:
        ret = 0x10001; /* 1.1 */
        break;
    case PSCI_FEATURES:
        ret = psci_known(arg1 & 0xffffffffu) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
        break;
    case PSCI_AFFINITY_INFO_64:
        ret = (arg1 & 0xffu) == 0
                  ? PSCI_AFFINITY_ON
                  : ((arg1 & 0xffu) < c->vcpu_count ? PSCI_AFFINITY_OFF : PSCI_RET_INVALID_PARAMS);
        break;
    case PSCI_CPU_ON_64:
        ret = PSCI_RET_NOT_SUPPORTED; /* TODO(#4): secondary vCPUs */
        break;
    case PSCI_SYSTEM_OFF:
        US_LOG_INFO("%s: guest called SYSTEM_OFF; VM stopped", c->name);
        stop_vm(st, slot, US_VM_STATE_OFF, m);
        return;
    case PSCI_SYSTEM_RESET:
        US_LOG_INFO("%s: guest called SYSTEM_RESET; VM stopped (reset arrives with #4)", c->name);
        stop_vm(st, slot, US_VM_STATE_OFF, m);
        return;
    default:
        ret = PSCI_RET_NOT_SUPPORTED;
        US_LOG_DBG("%s: unknown %s function 0x%llx", c->name, smc ? "SMC" : "HVC",
                   (unsigned long long)fn);
        break;
    }
    resume(m, US_RESUME_SET_X0_3 | (smc ? US_RESUME_ADVANCE_PC : 0u));
    m->w[US_RESUME_X0] = (uint64_t)ret;
    m->w[US_RESUME_X0 + 1] = arg1;
    m->w[US_RESUME_X0 + 2] = m->w[US_EXIT_X0 + 2];
    m->w[US_RESUME_X0 + 3] = m->w[US_EXIT_X0 + 3];
}

static void guest_fault(struct vmm_state *st, uint32_t slot, struct us_msg *m, const char *what)
{
    struct vmm_vm *vm = &st->vms[slot];

    vm->last_fault_ipa = m->w[US_EXIT_IPA];
    if (vm->faults_logged < VMM_FAULT_LOG_LIMIT) {
        vm->faults_logged++;
        US_LOG_WARN("%s: %s at IPA 0x%llx (pc 0x%llx); abort injected", st->config.vms[slot].name,
                    what, (unsigned long long)m->w[US_EXIT_IPA],
                    (unsigned long long)m->w[US_EXIT_PC]);
    }
    resume(m, US_RESUME_INJECT_DABT);
}

static void mmio(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint64_t ipa = m->w[US_EXIT_IPA], v;
    bool write = m->w[US_EXIT_WRITE] != 0;
    uint64_t reg = m->w[US_EXIT_REG];

    bool emulated = false, irq = false;

    if ((st->config.vms[slot].devices & VMM_DEV_UART) && ipa >= VMM_UART_IPA &&
        ipa < VMM_UART_IPA + VMM_UART_SIZE) {
        v = vmm_pl011_access(st, slot, ipa - VMM_UART_IPA, write, m->w[US_EXIT_VALUE]);
        irq = vmm_pl011_irq_line(st, slot);
        emulated = true;
    } else {
        emulated = vmm_gic_access(st, slot, ipa, (uint32_t)m->w[US_EXIT_SIZE], write,
                                  m->w[US_EXIT_VALUE], &v);
    }
    if (emulated) {
        resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_REG) |
                      (irq ? US_RESUME_INJECT_IRQ : 0u));
        m->w[US_RESUME_REG] = reg;
        m->w[US_RESUME_VALUE] = v;
        m->w[US_RESUME_VIRQ] = VMM_UART_INTID;
        return;
    }
    guest_fault(st, slot, m, write ? "write to unmapped address" : "read of unmapped address");
}

static void sysreg(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint64_t iss = m->w[US_EXIT_ESR] & 0x1ffffffu;
    bool read = (iss & 1u) != 0;

    /* Arm ARM D17.2.37 ISS for EC 0x18: Rt in bits 9:5, direction in bit 0. Unemulated
     * registers read as zero and ignore writes. */
    if (st->vms[slot].faults_logged < VMM_FAULT_LOG_LIMIT) {
        st->vms[slot].faults_logged++;
        US_LOG_WARN("%s: trapped system register access iss=0x%llx: RAZ/WI",
                    st->config.vms[slot].name, (unsigned long long)iss);
    }
    resume(m, US_RESUME_ADVANCE_PC | (read ? US_RESUME_SET_REG : 0u));
    m->w[US_RESUME_REG] = (iss >> 5) & 0x1fu;
    m->w[US_RESUME_VALUE] = 0;
}

void vmm_exit(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    st->vms[slot].exits++;
    switch (m->w[US_EXIT_REASON]) {
    case US_EXIT_MMIO:
        mmio(st, slot, m);
        return;
    case US_EXIT_HVC:
        psci(st, slot, m, false);
        return;
    case US_EXIT_SMC:
        psci(st, slot, m, true);
        return;
    case US_EXIT_WFI:
        resume(m, US_RESUME_ADVANCE_PC);
        return;
    case US_EXIT_SYSREG:
        sysreg(st, slot, m);
        return;
    case US_EXIT_ABORT:
        guest_fault(st, slot, m, "abort without syndrome");
        return;
    default:
        US_LOG_WARN("%s: unhandled exit (esr 0x%llx, pc 0x%llx); VM stopped",
                    st->config.vms[slot].name, (unsigned long long)m->w[US_EXIT_ESR],
                    (unsigned long long)m->w[US_EXIT_PC]);
        stop_vm(st, slot, US_VM_STATE_CRASHED, m);
        return;
    }
}
