/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* PSCI 1.1 and SMCCC 1.1 for guests (Arm DEN0022, DEN0028): versions, features, CPU_ON,
 * CPU_OFF, AFFINITY_INFO, SYSTEM_OFF and SYSTEM_RESET. A call the vmm does not know is
 * answered NOT_SUPPORTED and logged at debug level: guests probe freely. */
#include <understudy/slots.h>
#include "vmm.h"
#include "vmm_arch.h"

#define SMCCC_VERSION 0x80000000u
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
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1
#define MPIDR_AFF_MASK 0xff00ffffffull /* Aff3..Aff0 */

static bool psci_known(uint64_t fn)
{
    switch (fn) {
    case PSCI_VERSION:
    case PSCI_CPU_OFF:
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

#define PSCI_NO_TARGET UINT32_MAX

/* The vCPU index an MPIDR names: vCPU n has Aff0 = n and the higher levels 0 (vmm_fdt.c);
 * PSCI_NO_TARGET if none. Returned, not stored through a pointer: an address-taken local
 * would give vmm_psci(), on every HVC's path, a stack guard. */
static uint32_t psci_target(const struct vmm_vm_config *c, uint64_t mpidr)
{
    mpidr &= MPIDR_AFF_MASK;
    return mpidr < c->vcpu_count ? (uint32_t)mpidr : PSCI_NO_TARGET;
}

us_err_t vmm_vcpu_on(struct vmm_state *st, uint32_t slot, uint32_t i, uint64_t entry, uint64_t x0)
{
    struct vmm_vm *vm = &st->vms[slot];
    us_err_t e = US_OK;

    if (vm->vcpus_on & (1u << i)) {
        return US_EBUSY;
    }
    if (!(vm->vcpus_created & (1u << i))) {
        e = us_vcpu_create(vm->vm_cap, i, US_SLOT_SELF_EP, slot, vmm_vcpu_cpu(slot, i),
                           &vm->vcpu_cap[i]);
        vm->vcpus_created |= e == US_OK ? 1u << i : 0u;
    }
    if (e == US_OK) {
        e = us_vcpu_start(vm->vcpu_cap[i], entry, x0);
    }
    if (e != US_OK) {
        US_LOG_WARN("%s: vcpu%u not started: %s", st->config.vms[slot].name, i, us_err_name(e));
        return e;
    }
    vm->vcpus_on |= 1u << i;
    return US_OK;
}

/* The PSCI calls that make system calls are out of line: inlined, their argument arrays would
 * give vmm_psci(), on every HVC's path, a stack guard. */
static __attribute__((noinline)) int64_t cpu_on(struct vmm_state *st, uint32_t slot, uint64_t mpidr,
                                                uint64_t entry, uint64_t context)
{
    uint32_t i = psci_target(&st->config.vms[slot], mpidr);
    us_err_t e;

    if (i == PSCI_NO_TARGET) {
        return PSCI_RET_INVALID_PARAMS;
    }
    e = vmm_vcpu_on(st, slot, i, entry, context);
    return e == US_OK      ? PSCI_RET_SUCCESS
           : e == US_EBUSY ? PSCI_RET_ALREADY_ON
                           : PSCI_RET_INTERNAL_FAILURE;
}

void vmm_stop_others(struct vmm_vm *vm, uint32_t self)
{
    for (uint32_t i = 0; i < VMM_CONFIG_MAX_VCPUS; i++) {
        if (i != self && (vm->vcpus_on & (1u << i))) {
            (void)us_vcpu_stop(vm->vcpu_cap[i]);
        }
    }
    vm->vcpus_on = 0;
}

__attribute__((noinline)) void vmm_stop_vm(struct vmm_state *st, uint32_t slot, uint32_t state,
                                           struct us_msg *m)
{
    struct vmm_vm *vm = &st->vms[slot];

    vmm_stop_others(vm, (uint32_t)m->w[US_EXIT_VCPU]);
    vm->state = state;
    vmm_resume(m, US_RESUME_STOP); /* the calling vCPU */
}

void vmm_psci(struct vmm_state *st, uint32_t slot, struct us_msg *m, bool smc)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    struct vmm_vm *vm = &st->vms[slot];
    uint64_t fn = m->w[US_EXIT_X0] & 0xffffffffu, arg1 = m->w[US_EXIT_X0 + 1];
    uint32_t i;
    int64_t ret;

    switch (fn) {
    case PSCI_VERSION:
    case SMCCC_VERSION:
        ret = 0x10001; /* 1.1 */
        break;
    case PSCI_FEATURES:
        ret = psci_known(arg1 & 0xffffffffu) ? PSCI_RET_SUCCESS : PSCI_RET_NOT_SUPPORTED;
        break;
    case PSCI_AFFINITY_INFO_64:
        i = psci_target(c, arg1);
        if (i == PSCI_NO_TARGET || m->w[US_EXIT_X0 + 2] != 0) {
            ret = PSCI_RET_INVALID_PARAMS;
        } else {
            ret = (vm->vcpus_on & (1u << i)) ? PSCI_AFFINITY_ON : PSCI_AFFINITY_OFF;
        }
        break;
    case PSCI_CPU_ON_64:
        ret = cpu_on(st, slot, arg1, m->w[US_EXIT_X0 + 2], m->w[US_EXIT_X0 + 3]);
        break;
    case PSCI_CPU_OFF:
        vm->vcpus_on &= ~(1u << (m->w[US_EXIT_VCPU] & 31u));
        vmm_resume(m, US_RESUME_STOP); /* this vCPU only; CPU_ON may start it again */
        return;
    case PSCI_SYSTEM_OFF:
        US_LOG_INFO("%s: guest called SYSTEM_OFF; VM stopped", c->name);
        vmm_stop_vm(st, slot, US_VM_STATE_OFF, m);
        return;
    case PSCI_SYSTEM_RESET:
        US_LOG_INFO("%s: guest called SYSTEM_RESET; restarting it", c->name);
        vmm_reset_vm(st, slot, m);
        return;
    default:
        ret = PSCI_RET_NOT_SUPPORTED;
        US_LOG_DBG("%s: unknown %s function 0x%llx", c->name, smc ? "SMC" : "HVC",
                   (unsigned long long)fn);
        break;
    }
    vmm_resume(m, US_RESUME_SET_X0_3 | (smc ? US_RESUME_ADVANCE_PC : 0u));
    m->w[US_RESUME_X0] = (uint64_t)ret;
    m->w[US_RESUME_X0 + 1] = arg1;
    m->w[US_RESUME_X0 + 2] = m->w[US_EXIT_X0 + 2];
    m->w[US_RESUME_X0 + 3] = m->w[US_EXIT_X0 + 3];
}
