/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* VMs: VMID allocation and stage-2 mapping of memory objects. */
#include <understudy/abi.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/vcpu.h>
#include <us/vm.h>

static struct vm vms[VM_MAX];

us_err_t vm_create(struct vm_control *ctl, struct vm **out)
{
    uint32_t i, j;
    us_err_t e;

    for (i = 0; i < VM_MAX; i++) {
        if (!vms[i].in_use) {
            break;
        }
    }
    if (i == VM_MAX) {
        return US_ENOMEM;
    }
    /* VMID 0 belongs to the servers' EL1&0 regime. */
    e = stage2_init(&vms[i].s2, (uint16_t)(i + 1));
    if (e != US_OK) {
        return e;
    }
    vms[i].vmid = i + 1;
    vms[i].ctl = ctl;
    vms[i].in_use = true;
    for (j = 0; j < VM_MAX_VCPUS; j++) {
        vms[i].vcpus[j] = NULL;
    }
    *out = &vms[i];
    return US_OK;
}

us_err_t vm_map(struct vm *vm, struct memobj *m, ipa_t ipa, uint32_t rights)
{
    uint32_t flags;

    if (rights == 0 || (rights & ~(US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC)) != 0) {
        return US_TRACE(US_EINVAL);
    }
    flags = rights | (m->device ? MAP_DEVICE : 0u);
    return stage2_map(&vm->s2, ipa, m->base, m->size, flags);
}

void vm_destroy(struct vm *vm)
{
    uint32_t j;

    for (j = 0; j < VM_MAX_VCPUS; j++) {
        if (vm->vcpus[j] != NULL) {
            vcpu_stop(vm->vcpus[j]);
            vm->vcpus[j]->in_use = false;
            vm->vcpus[j] = NULL;
        }
    }
    stage2_free(&vm->s2);
    vm->in_use = false;
}
