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
    uint64_t size, base;

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
    base = align_up(s->win->next, size);
    if (base < s->win->next || base + size > s->win->base + s->win->size) {
        s->err = US_ENOMEM;
        wr(s, f->bdf, reg, orig);
        return wide ? 2u : 1u;
    }
    wr(s, f->bdf, reg, (uint32_t)base);
    if (wide) {
        wr(s, f->bdf, reg + 4u, (uint32_t)(base >> 32));
    }
    s->win->next = base + size;
    f->bar_base[f->bar_count] = base;
    f->bar_size[f->bar_count++] = size;
    return wide ? 2u : 1u;
}

static void scan_bus(struct scan *s, uint32_t bus);

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
    if (f->header == 1u) {
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
    struct scan s = {cfg, win, fns, max, 0, 1, US_OK};

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
