/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Pass-through (docs/pci.md): a host PCI function given to one VM. devmgr keeps the function's
 * configuration space: the guest's accesses arrive from the vmm and are filtered here (BARs,
 * the command register, the expansion ROM and the interrupt line are virtual; writes reach the
 * function only in its power-management and PCIe capabilities and its status register), its
 * DMA is confined to the VM's RAM by the SMMU, and its INTx, level-triggered and shared with
 * the root ports, is masked at the function while the guest handles it: devmgr tells the vmm
 * (US_NTFN_PCI), the vmm injects and reports the guest's end (US_DEVMGR_PT_UNMASK). */
#include <understudy/slots.h>
#include <uslib/string.h>
#include "devmgr.h"

#define CFG_COMMAND 0x04u
#define CFG_STATUS 0x06u
#define CFG_BAR0 0x10u
#define CFG_ROM 0x30u
#define CFG_CAP_PTR 0x34u
#define CFG_INT_LINE 0x3cu
#define CMD_MEMORY 0x0002u
#define CMD_MASTER 0x0004u
#define CMD_PARITY 0x0040u
#define CMD_SERR 0x0100u
#define CMD_INTX_OFF 0x0400u
#define CMD_GUEST (CMD_MEMORY | CMD_MASTER | CMD_PARITY | CMD_SERR | CMD_INTX_OFF)
#define STATUS_INTX 0x0008u /* the function asserts INTx (whatever INTx Disable says) */
#define STATUS_CAPS 0x0010u
#define CAP_ID_PM 0x01u
#define CAP_ID_PCIE 0x10u
#define CAP_PM_LEN 8u
#define CAP_PCIE_LEN 0x3cu

static volatile void *cfg_at(uint32_t bdf, uint32_t off)
{
    return (volatile void *)(uintptr_t)(DEVMGR_ECAM_VA + ((uint64_t)bdf << 12) + off);
}

static uint32_t hw_read(uint32_t bdf, uint32_t off, uint32_t size)
{
    switch (size) {
    case 1:
        return *(volatile uint8_t *)cfg_at(bdf, off);
    case 2:
        return *(volatile uint16_t *)cfg_at(bdf, off);
    default:
        return *(volatile uint32_t *)cfg_at(bdf, off);
    }
}

static void hw_write(uint32_t bdf, uint32_t off, uint32_t size, uint32_t v)
{
    switch (size) {
    case 1:
        *(volatile uint8_t *)cfg_at(bdf, off) = (uint8_t)v;
        break;
    case 2:
        *(volatile uint16_t *)cfg_at(bdf, off) = (uint16_t)v;
        break;
    default:
        *(volatile uint32_t *)cfg_at(bdf, off) = v;
        break;
    }
}

/* The command register the function gets: the guest's, with INTx off while devmgr masks it. */
static void command_out(const struct devmgr_pt *p)
{
    hw_write(p->bdf, CFG_COMMAND, 2,
             (p->cmd & (CMD_GUEST & ~CMD_INTX_OFF)) |
                 (p->masked ? CMD_INTX_OFF : (p->cmd & CMD_INTX_OFF)));
}

/* Whether a write at @off lands in the function's power-management or PCIe capability. */
static bool in_allowed_cap(uint32_t bdf, uint32_t off)
{
    uint32_t at, hops = 0;

    if (!(hw_read(bdf, CFG_STATUS, 2) & STATUS_CAPS)) {
        return false;
    }
    for (at = hw_read(bdf, CFG_CAP_PTR, 1) & 0xfcu; at >= 0x40u && hops < 48u; hops++) {
        uint32_t id = hw_read(bdf, at, 1);
        uint32_t len = id == CAP_ID_PM ? CAP_PM_LEN : (id == CAP_ID_PCIE ? CAP_PCIE_LEN : 0u);

        /* The header (ID, next) stays the function's; the registers after it are the guest's. */
        if (len != 0 && off >= at + 2u && off < at + len) {
            return true;
        }
        at = hw_read(bdf, at + 1u, 1) & 0xfcu;
    }
    return false;
}

/* The pass-through entry @h of VM @slot, or NULL. */
static struct devmgr_pt *entry(struct devmgr_state *s, uint64_t slot, uint64_t h)
{
    if (h >= US_PT_MAX || !s->pt[h].used || s->pt[h].vm_slot != slot) {
        return NULL;
    }
    return &s->pt[h];
}

/* The inventory record and PCI table entry of the function named @name. */
static bool find(struct devmgr_state *s, const char *name, struct us_dev_info **rec,
                 struct devmgr_pci_fn **fn)
{
    for (uint32_t i = 0; i < s->pci_count; i++) {
        struct us_dev_info r;

        devmgr_pci_record(&s->pci[i], &r);
        if (strcmp(r.name, name) != 0) {
            continue;
        }
        for (uint32_t d = 0; d < s->dev_count; d++) {
            if (strcmp(s->devs[d].name, name) == 0) {
                *rec = &s->devs[d];
                *fn = &s->pci[i];
                return true;
            }
        }
    }
    return false;
}

/* The size devmgr gave the memory BAR at @base, or 0. */
static uint64_t bar_size(const struct devmgr_pci_fn *fn, uint64_t base)
{
    for (uint32_t k = 0; k < fn->bar_count; k++) {
        if (fn->bar_base[k] == base) {
            return fn->bar_size[k];
        }
    }
    return 0;
}

/* The guest's view of the BAR registers: the addresses devmgr placed them at (the vmm maps
 * them at the same guest-physical addresses), writable where the size says so, so that the
 * guest's sizing probe reads the mask. I/O BARs read as unimplemented. */
static void bars_in(struct devmgr_pt *p, const struct devmgr_pci_fn *fn, struct us_pt_grant *g)
{
    for (uint32_t i = 0; i < US_PT_BARS; i++) {
        uint32_t v = hw_read(p->bdf, CFG_BAR0 + 4u * i, 4);
        bool wide = (v & 1u) == 0 && (v & 6u) == 4u && i + 1u < US_PT_BARS;
        uint64_t hi = wide ? hw_read(p->bdf, CFG_BAR0 + 4u * (i + 1u), 4) : 0;
        uint64_t base = (hi << 32) | (v & ~0xfu);
        uint64_t size = (v & 1u) ? 0 : bar_size(fn, base);

        p->bar[i] = size != 0 ? v : 0;
        p->bar_mask[i] = size != 0 ? (uint32_t) ~(size - 1u) & ~0xfu : 0;
        if (size != 0) {
            g->bar_base[i] = base;
            g->bar_size[i] = size;
        }
        if (wide) {
            i++;
            p->bar[i] = size != 0 ? (uint32_t)hi : 0;
            p->bar_mask[i] = size != 0 ? (uint32_t)(~(size - 1u) >> 32) : 0;
        }
    }
}

/* The bridges between the host bridge and @bdf forward its BARs' addresses down and its DMA
 * up: memory decoding and bus mastering on (devmgr leaves them off at enumeration). */
static void open_path(const struct devmgr_state *s, uint32_t bdf)
{
    for (uint32_t bus = bdf >> 8, hops = 0; bus != 0 && hops < 16u; hops++) {
        uint32_t k;

        for (k = 0; k < s->pci_count; k++) {
            if (s->pci[k].header == 1u && s->pci[k].secondary == bus) {
                break;
            }
        }
        if (k == s->pci_count) {
            return;
        }
        hw_write(s->pci[k].bdf, CFG_COMMAND, 2,
                 hw_read(s->pci[k].bdf, CFG_COMMAND, 2) | CMD_MEMORY | CMD_MASTER);
        bus = s->pci[k].bdf >> 8;
    }
}

void devmgr_pt_assign(struct devmgr_state *s, struct us_msg *m)
{
    struct us_pt_assign a;
    struct us_pt_grant g = {0};
    struct us_dev_info *rec;
    struct devmgr_pci_fn *fn;
    uint32_t h;
    us_err_t e;

    if (us_msg_check(m, sizeof(a), sizeof(a)) != US_OK ||
        memchr(((struct us_pt_assign *)m->w)->name, '\0', US_DEV_NAME_LEN) == NULL) {
        us_msg_reply_why(m, US_ETRUNC, "a pass-through request is expected");
        return;
    }
    memcpy(&a, m->w, sizeof(a));
    if (!find(s, a.name, &rec, &fn)) {
        us_msg_reply_why(m, US_ENOENT, "no such PCI function in the inventory");
        return;
    }
    if (fn->header != 0) {
        us_msg_reply_why(m, US_ENOTSUP, "not an endpoint: bridges stay the host's");
        return;
    }
    if (rec->owner != US_DEV_OWNER_NONE) {
        us_msg_reply_why(m, US_EBUSY, "the function is in use");
        return;
    }
    if (a.vm_slot >= US_GUEST_SLOTS || a.ram_size == 0 || a.ram_ipa + a.ram_size < a.ram_ipa) {
        us_msg_reply_why(m, US_EINVAL, "VM slot or RAM range out of range");
        return;
    }
    for (h = 0; h < US_PT_MAX && s->pt[h].used; h++) {
    }
    if (h == US_PT_MAX) {
        us_msg_reply_why(m, US_ENOMEM, "every pass-through slot is taken");
        return;
    }
    if (!s->smmu.present) {
        us_msg_reply_why(m, US_ENOTSUP, "no SMMU: the function's DMA could not be confined");
        return;
    }
    e = devmgr_smmu_confine(&s->smmu, fn->bdf, a.ram_ipa, a.ram_pa, a.ram_size);
    if (e != US_OK) {
        us_msg_reply_why(m, e, "the SMMU refused to confine the function's DMA");
        return;
    }
    memset(&s->pt[h], 0, sizeof(s->pt[h]));
    s->pt[h].used = 1;
    s->pt[h].vm_slot = a.vm_slot;
    s->pt[h].bdf = fn->bdf;
    s->pt[h].cmd = 0; /* no decoding, no DMA until the guest's driver turns them on */
    bars_in(&s->pt[h], fn, &g);
    command_out(&s->pt[h]);
    open_path(s, fn->bdf);
    rec->owner = US_DEV_OWNER_GUEST;
    g.handle = h;
    g.bdf = fn->bdf;
    g.pin = hw_read(fn->bdf, CFG_INT_LINE + 1u, 1);
    g.vendor_device = (uint32_t)fn->vendor | (uint32_t)fn->device << 16;
    US_LOG_INFO("PCIe: %s passed through to VM slot %u, its DMA confined to 0x%llx+0x%llx", a.name,
                a.vm_slot, (unsigned long long)a.ram_ipa, (unsigned long long)a.ram_size);
    us_msg_init(m, US_DEVMGR_PT_ASSIGN, sizeof(g));
    memcpy(m->w, &g, sizeof(g));
}

/* @v's bytes [@off & 3, +@size) merged into the 32-bit register value @old. */
static uint32_t merge(uint32_t old, uint32_t off, uint32_t size, uint32_t v)
{
    uint32_t shift = 8u * (off & 3u);
    uint32_t mask = (size == 4u ? 0xffffffffu : ((1u << (8u * size)) - 1u)) << shift;

    return (old & ~mask) | ((v << shift) & mask);
}

static uint32_t config_read(struct devmgr_pt *p, uint32_t off, uint32_t size)
{
    uint32_t reg = off & ~3u, v;

    if (reg == CFG_COMMAND) {
        v = (hw_read(p->bdf, CFG_STATUS, 2) << 16) | p->cmd;
    } else if (reg >= CFG_BAR0 && reg < CFG_BAR0 + 4u * US_PT_BARS) {
        v = p->bar[(reg - CFG_BAR0) / 4u];
    } else if (reg == CFG_ROM) {
        v = 0; /* no expansion ROM: the guest has no firmware to run */
    } else if (reg == CFG_INT_LINE) {
        v = (hw_read(p->bdf, reg, 4) & ~0xffu) | p->int_line;
    } else {
        v = hw_read(p->bdf, reg, 4);
    }
    v >>= 8u * (off & 3u);
    return size == 4u ? v : v & ((1u << (8u * size)) - 1u);
}

static void config_write(struct devmgr_pt *p, uint32_t off, uint32_t size, uint32_t v)
{
    uint32_t reg = off & ~3u, i;

    if (reg == CFG_COMMAND) {
        uint32_t both = merge(p->cmd, off, size, v);

        if (off < CFG_STATUS) {
            p->cmd = (uint16_t)(both & CMD_GUEST);
            command_out(p);
        }
        if (off + size > CFG_STATUS) {
            hw_write(p->bdf, CFG_STATUS, 2, both >> 16); /* its error bits: write 1 to clear */
        }
    } else if (reg >= CFG_BAR0 && reg < CFG_BAR0 + 4u * US_PT_BARS) {
        i = (reg - CFG_BAR0) / 4u;
        v = merge(p->bar[i], off, size, v);
        p->bar[i] = (v & p->bar_mask[i]) | (p->bar[i] & ~p->bar_mask[i]);
    } else if (reg == CFG_INT_LINE && (off & 3u) == 0) {
        p->int_line = (uint8_t)v;
    } else if (reg == CFG_ROM) {
        /* No expansion ROM: its sizing probe reads 0, as an unimplemented one. */
    } else if (off >= 0x40u && off < 0x100u && in_allowed_cap(p->bdf, off)) {
        hw_write(p->bdf, off, size, v);
    } else if (!p->warned) {
        p->warned = 1;
        US_LOG_WARN("PCIe: VM slot %u wrote 0x%x at 0x%x of %02x:%02x.%x: dropped (not its to "
                    "change; said once)",
                    p->vm_slot, v, off, p->bdf >> 8, p->bdf >> 3 & 0x1fu, p->bdf & 7u);
    }
}

void devmgr_pt_config(struct devmgr_state *s, struct us_msg *m)
{
    struct devmgr_pt *p;
    uint64_t off, size;

    if (us_msg_check(m, 6 * 8, 6 * 8) != US_OK) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    p = entry(s, m->w[0], m->w[1]);
    off = m->w[2];
    size = m->w[3];
    if (p == NULL) {
        us_msg_reply_why(m, US_ENOENT, "no such function passed through to that VM");
        return;
    }
    if ((size != 1u && size != 2u && size != 4u) || off >= 4096u || (off & (size - 1u)) != 0) {
        us_msg_reply_why(m, US_EINVAL, "a configuration access is 1, 2 or 4 aligned bytes");
        return;
    }
    if (m->w[4]) {
        config_write(p, (uint32_t)off, (uint32_t)size, (uint32_t)m->w[5]);
        us_msg_init(m, US_DEVMGR_PT_CONFIG, 8);
        m->w[0] = 0;
        return;
    }
    m->w[0] = config_read(p, (uint32_t)off, (uint32_t)size);
    us_msg_init(m, US_DEVMGR_PT_CONFIG, 8);
}

void devmgr_pt_interrupt(struct devmgr_state *s)
{
    bool any = false;

    for (uint32_t h = 0; h < US_PT_MAX; h++) {
        struct devmgr_pt *p = &s->pt[h];

        if (p->used && !p->masked && (hw_read(p->bdf, CFG_STATUS, 2) & STATUS_INTX)) {
            p->masked = 1; /* the line drops: the other functions on it can be heard */
            p->pending = 1;
            command_out(p);
        }
        any |= p->used && p->pending; /* new, or not yet asked for */
    }
    if (any) {
        (void)us_signal(US_SLOT_DEVMGR_VMM_NTFN, US_NTFN_PCI);
    }
}

void devmgr_pt_pending(struct devmgr_state *s, struct us_msg *m)
{
    uint64_t bits = 0;

    for (uint32_t h = 0; h < US_PT_MAX; h++) {
        if (s->pt[h].used && s->pt[h].pending) {
            s->pt[h].pending = 0;
            bits |= 1ull << h;
        }
    }
    us_msg_init(m, US_DEVMGR_PT_PENDING, 8);
    m->w[0] = bits;
}

void devmgr_pt_unmask(struct devmgr_state *s, struct us_msg *m)
{
    struct devmgr_pt *p = us_msg_check(m, 16, 16) == US_OK ? entry(s, m->w[0], m->w[1]) : NULL;

    if (p == NULL) {
        us_msg_reply_why(m, US_ENOENT, "no such function passed through to that VM");
        return;
    }
    p->masked = 0; /* still asserting: it interrupts again at once */
    command_out(p);
    us_msg_init(m, US_DEVMGR_PT_UNMASK, 0);
}

void devmgr_pt_release(struct devmgr_state *s, struct us_msg *m)
{
    struct devmgr_pt *p = us_msg_check(m, 16, 16) == US_OK ? entry(s, m->w[0], m->w[1]) : NULL;
    us_err_t e;

    if (p == NULL) {
        us_msg_reply_why(m, US_ENOENT, "no such function passed through to that VM");
        return;
    }
    /* Stopped before its stream aborts: no decoding, no DMA, no interrupt. */
    hw_write(p->bdf, CFG_COMMAND, 2, CMD_INTX_OFF);
    e = devmgr_smmu_release(&s->smmu, p->bdf);
    if (e != US_OK) {
        US_LOG_ERR("PCIe: the SMMU did not release stream 0x%04x: %s", p->bdf, us_err_name(e));
    }
    for (uint32_t i = 0; i < s->pci_count; i++) {
        if (s->pci[i].bdf == p->bdf) {
            struct us_dev_info r;

            devmgr_pci_record(&s->pci[i], &r);
            for (uint32_t d = 0; d < s->dev_count; d++) {
                if (strcmp(s->devs[d].name, r.name) == 0) {
                    s->devs[d].owner = US_DEV_OWNER_NONE;
                }
            }
            US_LOG_INFO("PCIe: %s released by VM slot %u", r.name, p->vm_slot);
        }
    }
    memset(p, 0, sizeof(*p));
    us_msg_init(m, US_DEVMGR_PT_RELEASE, 0);
}

void devmgr_pt_holder(struct devmgr_state *s, struct us_msg *m)
{
    const char *name = (const char *)m->w;
    struct us_dev_info *rec = NULL;
    struct devmgr_pci_fn *fn;

    if (m->hdr.len == 0 || m->hdr.len > US_DEV_NAME_LEN || memchr(name, '\0', m->hdr.len) == NULL) {
        us_msg_reply_why(m, US_ETRUNC, "a device name, NUL-terminated, is expected");
        return;
    }
    if (!find(s, name, &rec, &fn)) {
        bool known = false;

        for (uint32_t d = 0; d < s->dev_count && !known; d++) {
            known = strcmp(s->devs[d].name, name) == 0;
        }
        us_msg_reply_why(m, known ? US_ENOTSUP : US_ENOENT,
                         known ? "not a PCI function" : "no such device in the inventory");
        return;
    }
    for (uint32_t h = 0; h < US_PT_MAX; h++) {
        if (s->pt[h].used && s->pt[h].bdf == fn->bdf) {
            us_msg_init(m, US_DEVMGR_PT_HOLDER, 8);
            m->w[0] = s->pt[h].vm_slot;
            return;
        }
    }
    us_msg_reply_why(m, rec->owner == US_DEV_OWNER_NONE ? US_ERANGE : US_EBUSY,
                     rec->owner == US_DEV_OWNER_NONE ? "no VM holds it"
                                                     : "the hypervisor holds it");
}
