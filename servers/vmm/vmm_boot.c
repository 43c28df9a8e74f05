/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Building a VM: RAM, the guest image (placed as its architecture wants: vmm_image_<arch>.c),
 * initrd, device tree, boot vCPU. */
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <uslib/bundle_parse.h>
#include <uslib/string.h>
#include "virtio_mmio.h"
#include "vmm.h"
#include "vmm_arch.h"

us_err_t vmm_find_image(struct vmm_state *st, const char *name, uint32_t type,
                        const struct us_bundle_entry **out)
{
    us_err_t e = bundle_parse_find(st->bundle, st->bundle_size, name, out);
    uint32_t idx;

    if (e != US_OK || (*out)->type != type) {
        US_LOG_ERR("image '%s' not in the bundle", name);
        return US_ENOENT;
    }
    /* The bundle is mapped read-only and nothing writes it: one check per image is enough,
     * and a VM created at run time does not wait for tens of MiB to be hashed again. */
    idx = (uint32_t)(*out -
                     (const struct us_bundle_entry *)(const void *)(st->bundle +
                                                                    sizeof(struct us_bundle_hdr)));
    if (idx < 64u && (st->images_verified & (1ull << idx))) {
        return US_OK;
    }
    e = bundle_parse_verify_entry(st->bundle, st->bundle_size, *out);
    if (e != US_OK) {
        US_LOG_ERR("image '%s' fails its sha256: refused", name);
    } else if (idx < 64u) {
        st->images_verified |= 1ull << idx;
    }
    return e;
}

/* The guest starts with its MMU and caches off: what we wrote through our cacheable mapping
 * must reach memory first (booting.rst: "the image must be cleaned to the PoC"). */
static void clean_to_poc(const uint8_t *p, uint64_t size)
{
    us_cpu_clean_to_poc(p, size);
}

static us_err_t make_vm(struct vmm_vm *vm, const struct vmm_vm_config *c, uint32_t slot)
{
    us_err_t e;

    e = us_vm_create(US_SLOT_VMM_VM_CONTROL, &vm->vm_cap, &vm->vmid);
    if (e != US_OK) {
        return e;
    }
    e = us_mem_alloc(US_SLOT_VMM_VM_CONTROL, c->mem_size, &vm->mem_cap);
    if (e != US_OK) {
        return e;
    }
    e = us_mem_map(vm->mem_cap, VMM_RAM_VA(slot), US_RIGHT_READ | US_RIGHT_WRITE);
    if (e != US_OK) {
        return e;
    }
    vm->ram = (uint8_t *)(uintptr_t)VMM_RAM_VA(slot);
    /* The page the kernel and the vmm share for the UART's fast path (vmm_pl011.c). */
    e = us_mem_alloc(US_SLOT_VMM_VM_CONTROL, sizeof(struct us_fastmmio_page), &vm->fast_cap);
    if (e == US_OK) {
        e = us_mem_map(vm->fast_cap, VMM_FAST_VA(slot), US_RIGHT_READ | US_RIGHT_WRITE);
    }
    if (e != US_OK) {
        return e;
    }
    vm->uart_fast = (struct us_fastmmio_page *)(uintptr_t)VMM_FAST_VA(slot);
    if (c->devices & VMM_DEV_VIRTIO_BLK) {
        /* The disk is the vmm's, not the guest's: it keeps its data across guest reboots. */
        e = us_mem_alloc(US_SLOT_VMM_VM_CONTROL, VMM_DISK_SIZE, &vm->disk_cap);
        if (e == US_OK) {
            e = us_mem_map(vm->disk_cap, VMM_DISK_VA(slot), US_RIGHT_READ | US_RIGHT_WRITE);
        }
        if (e != US_OK) {
            return e;
        }
        vm->disk = (uint8_t *)(uintptr_t)VMM_DISK_VA(slot);
    }
    if (c->devices & VMM_DEV_VIRTIO_VSOCK) {
        /* Its connection table: too large for the state region, so memory of its own. */
        uint64_t size = (sizeof(struct vmm_vsock) + US_PAGE_SIZE - 1u) & ~(US_PAGE_SIZE - 1u);

        e = us_mem_alloc(US_SLOT_VMM_VM_CONTROL, size, &vm->vsock_cap);
        if (e == US_OK) {
            e = us_mem_map(vm->vsock_cap, VMM_VSOCK_VA(slot), US_RIGHT_READ | US_RIGHT_WRITE);
        }
        if (e != US_OK) {
            return e;
        }
        vm->vsock_conns = (struct vmm_vsock *)(uintptr_t)VMM_VSOCK_VA(slot);
        memset(vm->vsock_conns, 0, sizeof(*vm->vsock_conns));
    }
    return us_vm_map(vm->vm_cap, vm->mem_cap, VMM_RAM_IPA,
                     US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC);
}

/* The disk's first bytes from the firmware image (configuration property "disk"), once, when
 * the VM is created: from then on the disk is the guest's to change, across its reboots. */
static us_err_t seed_disk(struct vmm_state *st, uint32_t slot)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    const struct us_bundle_entry *ent;
    us_err_t e;

    if (c->disk[0] == '\0' || st->vms[slot].disk == NULL) {
        return US_OK;
    }
    e = vmm_find_image(st, c->disk, US_BUNDLE_BLOB, &ent);
    if (e != US_OK) {
        return e;
    }
    if (ent->size > VMM_DISK_SIZE) {
        US_LOG_ERR("%s: disk image '%s' (%llu bytes) is larger than the %llu-byte disk", c->name,
                   c->disk, (unsigned long long)ent->size, (unsigned long long)VMM_DISK_SIZE);
        return US_ENOMEM;
    }
    memcpy(st->vms[slot].disk, bundle_parse_data(st->bundle, ent), ent->size);
    return US_OK;
}

/* The devices VM @slot may see at this boot: devmgr decides, from what its configuration
 * gives it. Without an answer from devmgr it gets its configuration, and the log says so. */
static uint32_t guest_view(struct vmm_state *st, uint32_t slot)
{
    uint32_t configured = st->config.vms[slot].devices;
    struct us_msg *m = us_msgbuf();
    us_err_t e;

    us_msg_init(m, US_DEVMGR_GUEST_VIEW, 16);
    m->w[0] = slot;
    m->w[1] = configured;
    e = us_ask(US_SLOT_DEVMGR_EP, true); /* a question: asked again if devmgr restarts */
    if (e == US_OK && m->hdr.len < 8) {
        e = US_ETRUNC;
    }
    if (e != US_OK) {
        US_LOG_WARN("%s: devmgr gave no view (%s): the configured devices are used",
                    st->config.vms[slot].name, us_err_name(e));
        return configured;
    }
    if (((uint32_t)m->w[0] & configured) != configured) {
        US_LOG_INFO("%s: devmgr hides devices 0x%x at this boot", st->config.vms[slot].name,
                    configured & ~(uint32_t)m->w[0]);
    }
    return (uint32_t)m->w[0] & configured; /* never more than it was given */
}

void vmm_virtio_fast(struct vmm_state *st, uint32_t slot)
{
    static const uint64_t bases[] = VMM_VIRTIO_WINDOWS;
    struct vmm_vm *vm = &st->vms[slot];

    if (vm->uart_fast == NULL) {
        return;
    }
    memset(vm->uart_fast->isr, 0, sizeof(vm->uart_fast->isr));
    memset(vm->uart_fast->bell, 0, sizeof(vm->uart_fast->bell));
    for (uint32_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        uint64_t off;
        uint32_t intid;
        struct vmm_virtio *d = vmm_virtio_device(st, slot, bases[i], &off, &intid);
        us_err_t e;

        /* A transport this boot may not see exits, as any address outside the guest's view. */
        e = us_vm_fastmmio(vm->vm_cap, vmm_board_virtio_at(bases[i] + VIO_INTERRUPT_STATUS),
                           d != NULL ? US_FASTMMIO_W1C | (vmm_virtio_isr_index(vm, d) << 14)
                                     : US_FASTMMIO_NONE,
                           vm->fast_cap, 0, 0);
        if (e == US_OK || e == US_ENOENT) {
            e = us_vm_fastmmio(vm->vm_cap, vmm_board_virtio_at(bases[i] + VIO_QUEUE_NOTIFY),
                               d != NULL ? US_FASTMMIO_BELL | (US_NTFN_BELL << 8) |
                                               (vmm_virtio_isr_index(vm, d) << 14)
                                         : US_FASTMMIO_NONE,
                               vm->fast_cap, 0, US_SLOT_SELF_NTFN);
        }
        if (d != NULL && e != US_OK) {
            US_LOG_WARN("%s: %s interrupt status and doorbells not in the fast path (%s)",
                        st->config.vms[slot].name, vmm_virtio_name(d), us_err_name(e));
        }
    }
}

/* Copy VM @slot's kernel, initrd and a fresh device tree into its RAM; the boot vCPU's entry
 * in *@entry and its x0 (the device tree's IPA) in *@dtb. Used at boot and at SYSTEM_RESET. */
static us_err_t load_images(struct vmm_state *st, uint32_t slot, bool create, uint64_t *entry,
                            uint64_t *dtb)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    struct vmm_vm *vm = &st->vms[slot];
    const struct us_bundle_entry *k, *rd = NULL;
    const uint8_t *kdata;
    struct vmm_image img;
    uint64_t dtb_off, rd_off = 0, rd_size = 0;
    uint32_t mac_slot;
    us_err_t e;

    e = vmm_find_image(st, c->kernel, US_BUNDLE_GUEST_KERNEL, &k);
    if (e == US_OK && c->initrd[0] != '\0') {
        e = vmm_find_image(st, c->initrd, US_BUNDLE_GUEST_INITRD, &rd);
    }
    if (e != US_OK) {
        return e;
    }
    /* Layout: kernel low, boot information (a device tree) in the top 64 KiB, initrd just
     * below it. */
    dtb_off = c->mem_size - VMM_DTB_MAX;
    if (rd != NULL) {
        if (rd->size > dtb_off) {
            return US_ENOMEM;
        }
        rd_size = rd->size;
        rd_off = (dtb_off - rd_size) & ~0xfffull;
    }
    kdata = bundle_parse_data(st->bundle, k);
    e = vmm_image_place(k, kdata, rd != NULL ? rd_off : dtb_off, &img);
    if (e != US_OK) {
        return e;
    }
    if (create) {
        e = make_vm(vm, c, slot);
        if (e == US_OK) {
            e = seed_disk(st, slot);
        }
        if (e != US_OK) {
            return e;
        }
    }
    memcpy(vm->ram + img.offset, kdata + img.skip, k->size - img.skip);
    if (rd != NULL) {
        memcpy(vm->ram + rd_off, bundle_parse_data(st->bundle, rd), rd_size);
    }
    vm->visible = guest_view(st, slot);
    vmm_pl011_fast(st, slot);
    vmm_virtio_fast(st, slot);
    e = vmm_pt_attach(st, slot);
    if (e != US_OK) {
        return e;
    }
    e = vmm_image_boot(st, slot, k, kdata, dtb_off, rd_off, rd_size, dtb);
    if (e != US_OK) {
        return e;
    }
    clean_to_poc(vm->ram + img.offset, k->size - img.skip);
    clean_to_poc(vm->ram + rd_off, rd_size);
    clean_to_poc(vm->ram + dtb_off, VMM_DTB_MAX);
    vmm_gic_reset(&vm->gic);
    vmm_virtio_reset(&vm->blk, VIO_ID_BLOCK);
    vmm_virtio_reset(&vm->con, VIO_ID_CONSOLE);
    /* A locally administered address per VM slot: 02:75:73 ("us"), then the slot + 1; a
     * twin has the address of the VM it was made from (US_VM_CREATE_TWIN). */
    mac_slot = vm->net_twin != 0 ? vm->net_twin - 1u : slot;
    memcpy(vm->net.mac, (const uint8_t[6]){0x02, 0x75, 0x73, 0x00, 0x00, (uint8_t)(mac_slot + 1u)},
           6);
    vmm_virtio_reset(&vm->net, VIO_ID_NET);
    vm->vsock.guest_cid = (uint64_t)vm->vmid + VMM_VSOCK_CID_OFFSET; /* kernel vmids start at 1 */
    vmm_virtio_reset(&vm->vsock, VIO_ID_VSOCK);
    vmm_vsock_reset(st, slot);
    vm->uart.imsc = 0;
    memset(vm->dbg_mdscr, 0, sizeof(vm->dbg_mdscr));
    vm->dbg_oslk = ~0u; /* Arm ARM D2.5: the OS lock is set at cold reset */
    *entry = VMM_RAM_IPA + img.offset;
    return US_OK;
}

uint32_t vmm_vcpu_cpu(uint32_t slot, uint32_t index)
{
    uint32_t n = us_bootinfo()->cpu_count;

    /* Round robin from CPU 1, so with two CPUs a VM's boot vCPU runs beside the servers
     * (which all run on CPU 0) rather than behind them. */
    return n > 1 ? (slot + index + 1u) % n : 0u;
}

us_err_t vmm_boot_vm(struct vmm_state *st, uint32_t slot)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    struct vmm_vm *vm = &st->vms[slot];
    uint64_t entry, dtb;
    us_err_t e;

    e = load_images(st, slot, true, &entry, &dtb);
    if (e != US_OK) {
        return e;
    }
    e = us_vcpu_create(vm->vm_cap, 0, US_SLOT_SELF_EP, slot, vmm_vcpu_cpu(slot, 0),
                       &vm->vcpu_cap[0]);
    if (e != US_OK) {
        return e;
    }
    vm->vcpus_created = 1u;
    vm->vcpus_on = 1u; /* the others start with PSCI CPU_ON */
    vm->state = US_VM_STATE_RUNNING;
    US_LOG_INFO("%s: vmid %u, %llu MiB, kernel '%s' at 0x%llx, boot info at 0x%llx", c->name,
                vm->vmid, (unsigned long long)(c->mem_size >> 20), c->kernel,
                (unsigned long long)entry, (unsigned long long)dtb);
    e = us_vcpu_start(vm->vcpu_cap[0], entry, dtb);
    if (e != US_OK) {
        vm->state = US_VM_STATE_CRASHED;
    }
    return e;
}

__attribute__((noinline)) void vmm_reset_vm(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    struct vmm_vm *vm = &st->vms[slot];
    uint32_t self = (uint32_t)m->w[US_EXIT_VCPU];
    uint64_t entry, dtb;
    us_err_t e;

    /* Every other vCPU stops now; the caller is stopped or restarted by the reply. */
    vmm_stop_others(vm, self);
    e = load_images(st, slot, false, &entry, &dtb);
    if (e != US_OK) {
        US_LOG_WARN("%s: reset failed (%s); VM stopped", st->config.vms[slot].name, us_err_name(e));
        vm->state = US_VM_STATE_CRASHED;
        vmm_resume(m, US_RESUME_STOP);
        return;
    }
    vm->vcpus_on = 1u;
    if (self == 0) {
        vmm_resume(m, US_RESUME_RESET);
        m->w[US_RESUME_VALUE] = entry;
        m->w[US_RESUME_X0] = dtb;
        return;
    }
    vmm_resume(m, US_RESUME_STOP);
    (void)us_vcpu_start(vm->vcpu_cap[0], entry, dtb);
}
