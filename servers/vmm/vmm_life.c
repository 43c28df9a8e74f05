/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* VMs created and retired while the others run: an understudy takes a free slot and memory
 * from the pool; a retired VM gives both back. */
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm.h"

/* How often mem_free is retried while the kernel still releases a destroyed VM's stage-2
 * (it waits until no CPU runs one of its vCPUs; each CPU leaves at its next exception). */
#define LIFE_FREE_TRIES 100000u

/* Unmap and free one memory object; *@cap is 0 afterwards, unless the kernel kept it. */
static void release_mem(const char *name, const char *what, us_cap_t *cap)
{
    us_err_t e;
    uint32_t i;

    if (*cap == 0) {
        return; /* never allocated: dynamic capabilities are never slot 0 */
    }
    (void)us_mem_unmap(*cap); /* US_ENOENT if it was never mapped */
    for (i = 0; i < LIFE_FREE_TRIES; i++) {
        e = us_mem_free(*cap);
        if (e != US_EBUSY) {
            break;
        }
        (void)us_yield();
    }
    if (e != US_OK) {
        US_LOG_WARN("%s: %s not given back: %s", name, what, us_err_name(e));
        return;
    }
    *cap = 0;
}

void vmm_vm_teardown(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];
    const char *name = st->config.vms[slot].name;

    vm->state = US_VM_STATE_EMPTY; /* the switch and the console stop seeing it */
    vmm_vsock_reset(st, slot);     /* its agent's channel to migrate closes */
    vmm_net_forget_slot(st, slot); /* its tracked connections, and held frames if its last */
    if (vm->vm_cap != 0) {
        /* Stops every vCPU and revokes the VM's and their capabilities. */
        (void)us_vm_destroy(vm->vm_cap);
    }
    release_mem(name, "RAM", &vm->mem_cap);
    release_mem(name, "UART page", &vm->fast_cap);
    release_mem(name, "disk", &vm->disk_cap);
    release_mem(name, "vsock table", &vm->vsock_cap);
    for (uint32_t i = 0; i < US_PT_BARS; i++) {
        release_mem(name, "BAR", &vm->pt.bar_cap[i]); /* out of its stage 2, which is gone */
    }
    vmm_pt_detach(st, slot); /* after: no vCPU touches the function any more */
    memset(vm, 0, sizeof(*vm));
    memset(&st->config.vms[slot], 0, sizeof(st->config.vms[slot]));
    while (st->config.vm_count > 0 && st->config.vms[st->config.vm_count - 1u].name[0] == '\0') {
        st->config.vm_count--;
    }
}

void vmm_vm_create(struct vmm_state *st, struct us_msg *m)
{
    struct us_vm_create req;
    struct vmm_vm_config c;
    const char *why;
    char line[96];
    uint32_t slot;
    us_err_t e;

    if (m->hdr.len != sizeof(req)) {
        us_msg_reply_why(m, US_ETRUNC, "malformed request");
        return;
    }
    memcpy(&req, m->w, sizeof(req));
    e = vmm_config_derive(&st->config, &req, &c, &why);
    if (e != US_OK) {
        US_LOG_WARN("vm create refused: %s", why);
        us_msg_reply_why(m, e, why);
        return;
    }
    for (slot = 0; slot < VMM_CONFIG_MAX_VMS; slot++) {
        if (slot >= st->config.vm_count || st->config.vms[slot].name[0] == '\0') {
            break;
        }
    }
    if (slot == VMM_CONFIG_MAX_VMS) {
        us_msg_reply_why(m, US_ENOMEM, "every VM slot is in use");
        return;
    }
    st->config.vms[slot] = c;
    if (slot >= st->config.vm_count) {
        st->config.vm_count = slot + 1u;
    }
    if (req.flags & US_VM_CREATE_TWIN) {
        uint32_t b = (uint32_t)vmm_config_find(&st->config, req.base); /* derive found it */

        /* The address's owner: a twin of a twin shares the same one. */
        st->vms[slot].net_twin = st->vms[b].net_twin != 0 ? st->vms[b].net_twin : b + 1u;
        st->vms[slot].net_standby = true;
    }
    e = vmm_boot_vm(st, slot);
    if (e != US_OK) {
        switch (e) {
        case US_ENOENT:
            why = "an image is not in the bundle";
            break;
        case US_ECORRUPT:
            why = "an image fails its sha256 or is not a guest image";
            break;
        case US_ENOMEM:
            us_snprintf(line, sizeof(line), "not enough free memory for %llu MiB",
                        (unsigned long long)(c.mem_size >> 20));
            why = line;
            break;
        default:
            why = "the kernel refused it";
            break;
        }
        US_LOG_WARN("%s: not created: %s (%s)", c.name, why, us_err_name(e));
        vmm_vm_teardown(st, slot);
        us_msg_reply_why(m, e, why);
        return;
    }
    US_LOG_INFO("%s: created in slot %u from %s", c.name, slot, req.base);
    us_msg_init(m, US_VMM_VM_CREATE, 8);
    m->w[0] = slot;
}

void vmm_vm_retire(struct vmm_state *st, struct us_msg *m)
{
    char name[VMM_CONFIG_NAME_LEN];
    uint64_t slot;

    if (us_msg_check(m, 8, 8) != US_OK) {
        us_msg_reply_why(m, US_ETRUNC, "malformed request");
        return;
    }
    slot = m->w[0];
    if (slot >= st->config.vm_count || st->config.vms[slot].name[0] == '\0') {
        us_msg_reply_why(m, US_ENOENT, "no VM in that slot");
        return;
    }
    memcpy(name, st->config.vms[slot].name, sizeof(name));
    vmm_vm_teardown(st, (uint32_t)slot);
    US_LOG_INFO("%s: retired; its memory is free again", name);
    us_msg_init(m, US_VMM_VM_RETIRE, 0);
}
