/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Pass-through, the vmm's half (docs/pci.md). A VM whose configuration names a host PCI
 * function ("passthrough") gets it from devmgr when it is built: the function's BARs are
 * mapped into its stage 2 at the addresses devmgr placed them at (the guest's PCIe window is
 * the host's), it sits at 00:01.0 on the guest's bridge, and every configuration access the
 * guest makes to it goes to devmgr, which filters it. Its INTx reaches the guest as a
 * level-triggered SPI: devmgr masks it at the function and tells us (US_NTFN_PCI); we inject
 * it asking for the guest's end (US_VIRQ_EOI), and at that end (US_EXIT_EOI) devmgr unmasks. */
#include <understudy/slots.h>
#include <uslib/string.h>
#include "vmm.h"

/* QEMU virt's PCIe 32-bit window, where US_SLOT_VMM_PCI_WINDOW starts. */
#define PT_BAR_WINDOW_PA 0x10000000ull

/* Ask devmgr the request in the IPC buffer; the reply replaces it. */
static us_err_t ask(bool retry)
{
    return us_ask(US_SLOT_DEVMGR_EP, retry);
}

static us_err_t map_bars(struct vmm_vm *vm, const struct us_pt_grant *g)
{
    for (uint32_t i = 0; i < US_PT_BARS; i++) {
        uint64_t size = (g->bar_size[i] + US_PAGE_SIZE - 1u) & ~(US_PAGE_SIZE - 1u);
        us_err_t e;

        if (g->bar_size[i] == 0) {
            continue;
        }
        if (g->bar_base[i] < PT_BAR_WINDOW_PA || g->bar_base[i] % US_PAGE_SIZE != 0 ||
            g->bar_base[i] + size > VMM_PCIE_MEM_IPA + VMM_PCIE_MEM_SIZE) {
            return US_ERANGE; /* not where the guest's window can show it, alone in its pages */
        }
        e = us_mem_slice(US_SLOT_VMM_PCI_WINDOW, g->bar_base[i] - PT_BAR_WINDOW_PA, size,
                         &vm->pt.bar_cap[i]);
        if (e == US_OK) {
            e = us_vm_map(vm->vm_cap, vm->pt.bar_cap[i], g->bar_base[i],
                          US_RIGHT_READ | US_RIGHT_WRITE);
        }
        if (e != US_OK) {
            return e;
        }
    }
    return US_OK;
}

us_err_t vmm_pt_attach(struct vmm_state *st, uint32_t slot)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    struct vmm_vm *vm = &st->vms[slot];
    struct us_msg *m = us_msgbuf();
    struct us_pt_assign a = {0};
    struct us_pt_grant g;
    uint64_t size = 0, pa = 0;
    us_err_t e;

    if (c->passthrough[0] == '\0' || vm->pt.on) {
        return US_OK;
    }
    if (!(vm->visible & VMM_DEV_PCIE)) {
        US_LOG_ERR("%s: %s is to be passed through, but its PCIe bridge is hidden", c->name,
                   c->passthrough);
        return US_ENOTSUP;
    }
    e = us_mem_info(vm->mem_cap, &size, &pa);
    if (e != US_OK) {
        return e;
    }
    memcpy(a.name, c->passthrough, sizeof(a.name));
    a.vm_slot = slot;
    a.ram_ipa = VMM_RAM_IPA;
    a.ram_pa = pa;
    a.ram_size = size;
    us_msg_init(m, US_DEVMGR_PT_ASSIGN, sizeof(a));
    memcpy(m->w, &a, sizeof(a));
    e = ask(false); /* not twice: a second assignment of the same function is refused */
    if (e == US_OK && m->hdr.len != sizeof(g)) {
        e = US_ETRUNC;
    }
    if (e == US_ENOENT) {
        /* The card is not there (pulled, or not yet added): the VM boots without it. */
        US_LOG_WARN("%s: %s is absent: it boots without it", c->name, c->passthrough);
        return US_OK;
    }
    if (e != US_OK) {
        US_LOG_ERR("%s: devmgr did not pass %s through: %s%s%.*s", c->name, c->passthrough,
                   us_err_name(e), m->hdr.len > 1 ? ": " : "", (int)m->hdr.len,
                   m->hdr.len > 1 ? (const char *)m->w : "");
        return e;
    }
    memcpy(&g, m->w, sizeof(g));
    vm->pt.on = 1;
    vm->pt.handle = g.handle;
    vm->pt.pin = g.pin;
    vm->pt.intid = VMM_PT_INTID;
    e = map_bars(vm, &g);
    if (e != US_OK) {
        US_LOG_ERR("%s: the BARs of %s could not be mapped: %s", c->name, c->passthrough,
                   us_err_name(e));
        return e;
    }
    US_LOG_INFO("%s: %s (%04x:%04x) at its 00:01.0, INT%c as SPI %u", c->name, c->passthrough,
                g.vendor_device & 0xffffu, g.vendor_device >> 16,
                g.pin >= 1u && g.pin <= 4u ? (char)('A' + g.pin - 1u) : '-', VMM_PT_INTID - 32u);
    return US_OK;
}

void vmm_pt_detach(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct us_msg *m = us_msgbuf();

    if (!vm->pt.on) {
        return;
    }
    us_msg_init(m, US_DEVMGR_PT_RELEASE, 16);
    m->w[0] = slot;
    m->w[1] = vm->pt.handle;
    if (ask(true) != US_OK) {
        US_LOG_WARN("%s: devmgr did not take %s back", st->config.vms[slot].name,
                    st->config.vms[slot].passthrough);
    }
    vm->pt.on = 0;
}

bool vmm_pt_config(struct vmm_state *st, uint32_t slot, uint32_t bdf, uint32_t off, uint32_t size,
                   bool write, uint64_t value, uint64_t *result)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct us_msg *m = us_msgbuf(); /* the exit message is in it: the caller copied it */

    if (!vm->pt.on || bdf != VMM_PT_BDF || size > 4u) {
        return false;
    }
    us_msg_init(m, US_DEVMGR_PT_CONFIG, 6 * 8);
    m->w[0] = slot;
    m->w[1] = vm->pt.handle;
    m->w[2] = off;
    m->w[3] = size;
    m->w[4] = write ? 1u : 0u;
    m->w[5] = value;
    if (ask(!write) != US_OK || m->hdr.len < 8) {
        return false; /* as an absent function */
    }
    *result = write ? 0 : m->w[0];
    return true;
}

void vmm_pt_interrupts(struct vmm_state *st)
{
    struct us_msg *m = us_msgbuf();
    uint64_t bits;

    us_msg_init(m, US_DEVMGR_PT_PENDING, 0);
    if (ask(false) != US_OK || m->hdr.len < 8) {
        return;
    }
    bits = m->w[0];
    for (uint32_t slot = 0; slot < VMM_CONFIG_MAX_VMS && bits != 0; slot++) {
        struct vmm_vm *vm = &st->vms[slot];

        if (vm->pt.on && (bits & (1ull << vm->pt.handle)) && (vm->vcpus_created & 1u)) {
            (void)us_vcpu_inject(vm->vcpu_cap[0], vm->pt.intid | US_VIRQ_EOI);
        }
    }
}

/* devmgr unmasks VM @slot's function (in @m, which holds devmgr's answer after). */
static void unmask(const struct vmm_vm *vm, uint32_t slot, struct us_msg *m)
{
    us_msg_init(m, US_DEVMGR_PT_UNMASK, 16);
    m->w[0] = slot;
    m->w[1] = vm->pt.handle;
    (void)ask(true);
}

void vmm_pt_eoi(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    struct vmm_vm *vm = &st->vms[slot];
    uint64_t hi = m->w[US_EXIT_EOI_HI], lo = m->w[US_EXIT_EOI_LO];
    bool ours =
        vm->pt.on && ((vm->pt.intid < 64u ? lo >> vm->pt.intid : hi >> (vm->pt.intid - 64u)) & 1u);

    if (ours) {
        unmask(vm, slot, m);
    }
    vmm_resume(m, 0);
}

void vmm_pt_recover(struct vmm_state *st)
{
    struct us_msg *m = us_msgbuf();

    /* The last instance may have died between devmgr's notification and its question, or
     * between its question and the injection: each function is unmasked (one still asserting
     * interrupts again at once), and what devmgr holds pending is injected. */
    for (uint32_t slot = 0; slot < VMM_CONFIG_MAX_VMS; slot++) {
        if (st->vms[slot].pt.on) {
            unmask(&st->vms[slot], slot, m);
        }
    }
    vmm_pt_interrupts(st);
}
