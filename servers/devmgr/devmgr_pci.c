/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* PCI enumeration behind an ECAM host bridge (PCI Local Bus 3.0 ch. 6 configuration headers,
 * PCI-to-PCI Bridge 1.2 ch. 3; PCIe Base 7.2.2 ECAM). Nothing firmware-like ran before us on
 * QEMU virt with -kernel: every bus number, BAR and bridge window is ours to assign. */
#include "devmgr_pci.h"

#include <uslib/fmt.h>
#include <uslib/string.h>

#define CFG_ID 0x00u
#define CFG_CLASS 0x08u
#define CFG_HEADER 0x0cu /* header type in bits 23:16; bit 23: multi-function */
#define CFG_BAR0 0x10u
#define CFG_BUSES 0x18u      /* type 1: primary, secondary, subordinate bus numbers */
#define CFG_IO_WINDOW 0x1cu  /* type 1: I/O base and limit in bits 15:0 */
#define CFG_MEM_WINDOW 0x20u /* type 1: memory base 15:4, limit 31:20 (address bits 31:20) */
#define CFG_PREF_WINDOW 0x24u
#define CFG_PREF_BASE_HI 0x28u
#define CFG_PREF_LIMIT_HI 0x2cu
#define CFG_COMMAND 0x04u   /* command 15:0, status 31:16 */
#define CMD_INTX_OFF 0x400u /* Interrupt Disable */
#define STATUS_CAPS 0x10u   /* a capabilities list at CFG_CAP_PTR */
#define CFG_CAP_PTR 0x34u
#define CAP_PCIE 0x10u
#define PCIE_SLOT_IMPL 0x100u /* PCIe Capabilities register: Slot Implemented */
#define PCIE_SLOTCAP 0x14u
#define SLOTCAP_HPC 0x40u    /* hot-plug capable */
#define PCIE_SLOTCTL 0x18u   /* slot control 15:0, slot status 31:16 */
#define SLOTCTL_EVENTS 0x29u /* attention button, presence detect changed, hot-plug interrupt */
#define SLOTCTL_PIC_ON 0x100u
#define SLOTCTL_PIC_OFF 0x300u
#define SLOTCTL_PIC_MASK 0x300u
#define SLOTCTL_PCC 0x400u   /* power controller: 1 = off */
#define SLOTSTA_EVENTS 0x1fu /* the RW1C event bits */
#define BAR_IO 0x1u
#define BAR_TYPE_64 0x4u /* bits 2:1 = 10b */
#define BAR_FLAGS 0xfu
#define BRIDGE_ALIGN (1ull << 20) /* a bridge's memory window has 1 MiB granularity */
#define DEVS_PER_BUS 32u
#define FNS_PER_DEV 8u

struct scan {
    const struct devmgr_pci_cfg *cfg;
    struct devmgr_pci_window *win;
    struct devmgr_pci_fn *fns;
    uint32_t max, n;
    uint32_t next_bus;
    us_err_t err;
    bool leaf; /* a slot's scan: bridges are listed, not configured */
};

static uint32_t rd(const struct scan *s, uint32_t bdf, uint32_t reg)
{
    return s->cfg->read(s->cfg->ctx, bdf, reg);
}

static void wr(const struct scan *s, uint32_t bdf, uint32_t reg, uint32_t v)
{
    s->cfg->write(s->cfg->ctx, bdf, reg, v);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1u) & ~(a - 1u);
}

/* Size BAR @i of @f (the all-ones probe), place it in the window and program it. Returns how
 * many BAR registers it took (2 for a 64-bit one). */
static uint32_t place_bar(struct scan *s, struct devmgr_pci_fn *f, uint32_t i, uint32_t bars)
{
    uint32_t reg = CFG_BAR0 + 4u * i, orig = rd(s, f->bdf, reg), lo, hi = 0xffffffffu;
    bool wide = (orig & BAR_IO) == 0 && (orig & 0x6u) == BAR_TYPE_64 && i + 1u < bars;
    uint64_t size, base, room;

    if (orig & BAR_IO) {
        return 1; /* I/O space: QEMU virt's port window is not used */
    }
    wr(s, f->bdf, reg, 0xffffffffu);
    lo = rd(s, f->bdf, reg) & ~BAR_FLAGS;
    if (wide) {
        wr(s, f->bdf, reg + 4u, 0xffffffffu);
        hi = rd(s, f->bdf, reg + 4u);
    }
    size = ~(((uint64_t)hi << 32) | lo) + 1u;
    if (lo == 0 && (!wide || hi == 0)) {
        wr(s, f->bdf, reg, orig); /* not implemented */
        return wide ? 2u : 1u;
    }
    /* At least a page of its own: a stage 2 can then give it to one guest and nothing else. */
    room = size < DEVMGR_PCI_PAGE ? DEVMGR_PCI_PAGE : size;
    base = align_up(s->win->next, room);
    if (base < s->win->next || base + room > s->win->base + s->win->size) {
        s->err = US_ENOMEM;
        wr(s, f->bdf, reg, orig);
        return wide ? 2u : 1u;
    }
    wr(s, f->bdf, reg, (uint32_t)base);
    if (wide) {
        wr(s, f->bdf, reg + 4u, (uint32_t)(base >> 32));
    }
    s->win->next = base + room;
    f->bar_base[f->bar_count] = base;
    f->bar_size[f->bar_count++] = size;
    return wide ? 2u : 1u;
}

static void scan_bus(struct scan *s, uint32_t bus);

/* The offset of @bdf's PCIe capability if it has a hot-plug capable slot, else 0. */
static uint16_t hotplug_slot(const struct scan *s, uint32_t bdf)
{
    uint32_t ptr = rd(s, bdf, CFG_CAP_PTR) & 0xfcu;

    if (!(rd(s, bdf, CFG_COMMAND) >> 16 & STATUS_CAPS)) {
        return 0;
    }
    for (uint32_t hops = 0; ptr >= 0x40u && hops < 48u; hops++) {
        uint32_t head = rd(s, bdf, ptr);

        if ((head & 0xffu) == CAP_PCIE) {
            return (head >> 16 & PCIE_SLOT_IMPL) && (rd(s, bdf, ptr + PCIE_SLOTCAP) & SLOTCAP_HPC)
                       ? (uint16_t)ptr
                       : 0;
        }
        ptr = head >> 8 & 0xfcu;
    }
    return 0;
}

/* Slot of @f: its events raise its interrupt (INTx), stale events cleared; powered if a card
 * is in it, off if empty (the attention button of a card added later then asks for power, as
 * QEMU and real slots expect). */
static void slot_enable(const struct scan *s, const struct devmgr_pci_fn *f)
{
    uint32_t reg = rd(s, f->bdf, f->slot_cap + PCIE_SLOTCTL), ctl = reg & 0xffffu;
    bool card = (reg >> 16) & DEVMGR_PCI_SLOT_PRESENT;

    ctl = (ctl & ~(SLOTCTL_PCC | SLOTCTL_PIC_MASK)) | SLOTCTL_EVENTS |
          (card ? SLOTCTL_PIC_ON : SLOTCTL_PCC | SLOTCTL_PIC_OFF);
    wr(s, f->bdf, f->slot_cap + PCIE_SLOTCTL, ctl | SLOTSTA_EVENTS << 16);
    wr(s, f->bdf, CFG_COMMAND, rd(s, f->bdf, CFG_COMMAND) & 0xffffu & ~CMD_INTX_OFF);
}

/* Bridge @f: the next bus number behind it, what is behind enumerated, its windows set. */
static void bridge(struct scan *s, struct devmgr_pci_fn *f, uint32_t bus)
{
    uint32_t sec = s->next_bus++, buses = rd(s, f->bdf, CFG_BUSES) & 0xff000000u;
    uint64_t start, end;

    if (sec >= s->cfg->buses || sec > 0xffu) {
        s->err = US_ENOMEM;
        return;
    }
    wr(s, f->bdf, CFG_BUSES, buses | 0xff0000u | sec << 8 | bus);
    start = align_up(s->win->next, BRIDGE_ALIGN);
    s->win->next = start;
    scan_bus(s, sec);
    end = align_up(s->win->next, BRIDGE_ALIGN);
    f->slot_cap = hotplug_slot(s, f->bdf);
    if (f->slot_cap != 0) {
        /* Room for a card added later: the window cannot grow under the devices around it. */
        if (end - start < DEVMGR_PCI_HOTPLUG_WINDOW) {
            end = start + DEVMGR_PCI_HOTPLUG_WINDOW;
        }
        if (end > s->win->base + s->win->size) {
            s->err = US_ENOMEM;
            end = align_up(s->win->next, BRIDGE_ALIGN);
        }
        slot_enable(s, f);
    }
    s->win->next = end;
    f->secondary = (uint8_t)sec;
    f->subordinate = (uint8_t)(s->next_bus - 1u);
    wr(s, f->bdf, CFG_BUSES, buses | (uint32_t)f->subordinate << 16 | sec << 8 | bus);
    /* Memory window [start, end); empty (base above limit) when nothing is behind it. */
    wr(s, f->bdf, CFG_MEM_WINDOW,
       end > start
           ? (uint32_t)((start >> 16) & 0xfff0u) | (uint32_t)(((end - 1u) >> 16) & 0xfff0u) << 16
           : 0x0000fff0u);
    wr(s, f->bdf, CFG_PREF_WINDOW, 0x0000fff0u);  /* no prefetchable window: */
    wr(s, f->bdf, CFG_PREF_BASE_HI, 0xffffffffu); /* those BARs use the memory one */
    wr(s, f->bdf, CFG_PREF_LIMIT_HI, 0);
    wr(s, f->bdf, CFG_IO_WINDOW, (rd(s, f->bdf, CFG_IO_WINDOW) & 0xffff0000u) | 0x00f0u);
}

static void scan_fn(struct scan *s, uint32_t bus, uint32_t bdf, uint32_t id, uint32_t header)
{
    struct devmgr_pci_fn *f;
    uint32_t bars;

    if (s->n == s->max) {
        s->err = US_ENOMEM;
        return;
    }
    f = &s->fns[s->n++];
    memset(f, 0, sizeof(*f));
    f->bdf = bdf;
    f->vendor = (uint16_t)id;
    f->device = (uint16_t)(id >> 16);
    f->class_rev = rd(s, bdf, CFG_CLASS);
    f->header = (uint8_t)(header & 0x7fu);
    if (f->header > 1u) {
        return; /* a CardBus bridge: listed, not configured */
    }
    bars = f->header == 0 ? DEVMGR_PCI_BARS : 2u;
    for (uint32_t i = 0; i < bars;) {
        i += place_bar(s, f, i, bars);
    }
    if (f->header == 1u && !s->leaf) {
        bridge(s, f, bus);
    }
}

static void scan_bus(struct scan *s, uint32_t bus)
{
    for (uint32_t dev = 0; dev < DEVS_PER_BUS; dev++) {
        for (uint32_t fn = 0; fn < FNS_PER_DEV; fn++) {
            uint32_t bdf = bus << 8 | dev << 3 | fn, id = rd(s, bdf, CFG_ID), header;

            if ((id & 0xffffu) == DEVMGR_PCI_NO_VENDOR) {
                if (fn == 0) {
                    break;
                }
                continue;
            }
            header = rd(s, bdf, CFG_HEADER) >> 16 & 0xffu;
            scan_fn(s, bus, bdf, id, header);
            if (fn == 0 && !(header & 0x80u)) {
                break; /* single-function device */
            }
        }
    }
}

us_err_t devmgr_pci_scan(const struct devmgr_pci_cfg *cfg, struct devmgr_pci_window *win,
                         struct devmgr_pci_fn *fns, uint32_t max, uint32_t *count)
{
    struct scan s = {cfg, win, fns, max, 0, 1, US_OK, false};

    if (cfg == NULL || cfg->read == NULL || cfg->write == NULL || win == NULL || count == NULL ||
        (fns == NULL && max > 0)) {
        return US_EINVAL;
    }
    if (win->next < win->base) {
        win->next = win->base;
    }
    if (cfg->buses > 0) {
        scan_bus(&s, 0);
    }
    *count = s.n;
    return s.err;
}

uint32_t devmgr_pci_slot_events(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br)
{
    struct scan s = {.cfg = cfg};
    uint32_t reg, sta;

    if (br->slot_cap == 0) {
        return 0;
    }
    reg = rd(&s, br->bdf, br->slot_cap + PCIE_SLOTCTL);
    sta = reg >> 16;
    if (sta & SLOTSTA_EVENTS) {
        wr(&s, br->bdf, br->slot_cap + PCIE_SLOTCTL,
           (reg & 0xffffu) | (sta & SLOTSTA_EVENTS) << 16);
    }
    return (sta & (SLOTSTA_EVENTS | DEVMGR_PCI_SLOT_PRESENT)) |
           (reg & SLOTCTL_PCC ? 0u : DEVMGR_PCI_SLOT_POWERED);
}

void devmgr_pci_slot_power(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br,
                           bool on)
{
    struct scan s = {.cfg = cfg};
    uint32_t ctl;

    if (br->slot_cap == 0) {
        return;
    }
    ctl =
        rd(&s, br->bdf, br->slot_cap + PCIE_SLOTCTL) & 0xffffu & ~(SLOTCTL_PCC | SLOTCTL_PIC_MASK);
    wr(&s, br->bdf, br->slot_cap + PCIE_SLOTCTL,
       ctl | (on ? SLOTCTL_PIC_ON : SLOTCTL_PCC | SLOTCTL_PIC_OFF));
}

us_err_t devmgr_pci_slot_scan(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br,
                              struct devmgr_pci_fn *fns, uint32_t max, uint32_t *count)
{
    struct devmgr_pci_window win;
    struct scan s = {cfg, &win, fns, max, 0, 0, US_OK, true};
    uint32_t w;

    if (cfg == NULL || br == NULL || count == NULL || (fns == NULL && max > 0) ||
        br->header != 1u) {
        return US_EINVAL;
    }
    w = rd(&s, br->bdf, CFG_MEM_WINDOW);
    win.base = (uint64_t)(w & 0xfff0u) << 16;
    win.size = ((uint64_t)(w >> 16 & 0xfff0u) << 16) + BRIDGE_ALIGN - win.base;
    win.next = win.base;
    if ((w >> 16 & 0xfff0u) < (w & 0xfff0u)) {
        win.size = 0; /* a closed window: no BAR can be placed */
    }
    scan_bus(&s, br->secondary);
    *count = s.n;
    return s.err;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

bool devmgr_pci_ranges(const uint8_t *ranges, uint32_t len, struct devmgr_pci_window *win)
{
    for (uint32_t off = 0; ranges != NULL && off + 28u <= len; off += 28u) {
        uint32_t space = be32(ranges + off) >> 24 & 0x3u;
        uint64_t pci = be64(ranges + off + 4u), cpu = be64(ranges + off + 12u);
        uint64_t size = be64(ranges + off + 20u);

        if (space == 0x2u && pci == cpu && size != 0 && cpu + size > cpu &&
            cpu + size <= (1ull << 32)) {
            *win = (struct devmgr_pci_window){cpu, size, cpu};
            return true;
        }
    }
    return false;
}

void devmgr_pci_record(const struct devmgr_pci_fn *fn, struct us_dev_info *out)
{
    memset(out, 0, sizeof(*out));
    us_snprintf(out->name, sizeof(out->name), "pci-%02x:%02x.%x", fn->bdf >> 8,
                fn->bdf >> 3 & 0x1fu, fn->bdf & 0x7u);
    us_snprintf(out->compat, sizeof(out->compat), "pci%04x,%04x", fn->vendor, fn->device);
    if (fn->bar_count > 0) {
        out->base = fn->bar_base[0];
        out->size = fn->bar_size[0];
    }
    out->irq = US_INVALID_IRQ;
    out->owner = US_DEV_OWNER_NONE;
}
