/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/devmgr/devmgr_pci.c, against a simulated PCIe hierarchy: a host
 * bridge and two root ports on bus 0, an endpoint behind the first. The simulation decodes
 * configuration accesses the way the hardware does: a bus behind a root port answers only once
 * the port's secondary bus number says it is that bus, and a BAR reads back its size mask. */
#include <string.h>
#include "devmgr_pci.h"
#include "ut.h"

#define SIM_FNS 6u
#define SIM_BARS 6u

struct sim_fn {
    uint32_t id, class_rev, header;
    uint32_t bus_of; /* index of the root port it sits behind + 1; 0: bus 0 */
    uint32_t devfn;
    uint64_t bar_size[SIM_BARS]; /* 0: not implemented */
    uint32_t bar_flags[SIM_BARS];
    uint32_t reg[1024];
};

static struct sim_fn sim[SIM_FNS];
static uint32_t writes_elsewhere; /* writes to functions that do not exist */
static bool inserted;             /* the card behind root port 3 is in its slot */

#define SLOT_CAP 0x40u /* root port 3's PCIe capability */
#define SLOTCTL (SLOT_CAP + 0x18u)

static void sim_init(void)
{
    memset(sim, 0, sizeof(sim));
    writes_elsewhere = 0;
    /* 00:00.0 host bridge, 00:01.0 and 00:02.0 root ports, 01:00.0 behind the first port:
     * BAR1 32-bit 4 KiB, BAR4+5 64-bit prefetchable 16 KiB, BAR0 I/O. */
    sim[0] = (struct sim_fn){.id = 0x00081b36, .class_rev = 0x06000000, .devfn = 0};
    sim[1] =
        (struct sim_fn){.id = 0x000c1b36, .class_rev = 0x06040000, .header = 1, .devfn = 1 << 3};
    sim[2] =
        (struct sim_fn){.id = 0x000c1b36, .class_rev = 0x06040000, .header = 1, .devfn = 2 << 3};
    sim[3] = (struct sim_fn){.id = 0x10441af4, .class_rev = 0x00ff0001, .bus_of = 2, .devfn = 0};
    sim[3].bar_size[0] = 0x20;
    sim[3].bar_flags[0] = 0x1; /* I/O */
    sim[3].bar_size[1] = 0x1000;
    sim[3].bar_size[4] = 0x4000;
    sim[3].bar_flags[4] = 0xc; /* 64-bit, prefetchable */
    /* 00:03.0: a root port with a hot-plug slot, empty; 03:00.0 the card put in it later. */
    sim[4] =
        (struct sim_fn){.id = 0x000c1b36, .class_rev = 0x06040000, .header = 1, .devfn = 3 << 3};
    sim[4].reg[0x04 / 4] = 0x10u << 16; /* status: a capabilities list */
    sim[4].reg[0x34 / 4] = SLOT_CAP;
    sim[4].reg[SLOT_CAP / 4] = 0x0100u << 16 | 0x10u; /* PCIe, slot implemented, last */
    sim[4].reg[(SLOT_CAP + 0x14u) / 4] = 0x40u;       /* hot-plug capable */
    sim[5] = (struct sim_fn){.id = 0x10d38086, .class_rev = 0x02000000, .bus_of = 5, .devfn = 0};
    sim[5].bar_size[0] = 0x20000;
    inserted = false;
}

static uint32_t secondary_of(uint32_t port)
{
    return sim[port].reg[0x18 / 4] >> 8 & 0xffu;
}

static struct sim_fn *sim_find(uint32_t bdf)
{
    for (uint32_t i = 0; i < SIM_FNS; i++) {
        uint32_t bus = sim[i].bus_of == 0 ? 0 : secondary_of(sim[i].bus_of - 1u);

        if (sim[i].id != 0 && (bdf >> 8) == bus && (bdf & 0xffu) == sim[i].devfn &&
            (sim[i].bus_of == 0 || bus != 0) && (i != 5 || inserted)) {
            return &sim[i];
        }
    }
    return NULL;
}

static uint32_t sim_read(void *ctx, uint32_t bdf, uint32_t reg)
{
    struct sim_fn *f = sim_find(bdf);
    uint32_t bar = (reg - 0x10u) / 4u;

    (void)ctx;
    if (f == NULL) {
        return 0xffffffffu;
    }
    switch (reg) {
    case 0x00:
        return f->id;
    case 0x08:
        return f->class_rev;
    case 0x0c:
        return f->header << 16;
    default:
        break;
    }
    if (reg >= 0x10 && reg < 0x28 && (f->header == 0 || bar < 2)) {
        uint64_t size = f->bar_size[bar];

        if (size == 0 && bar > 0 && (f->bar_flags[bar - 1] & 0x6u) == 0x4u) {
            size = f->bar_size[bar - 1]; /* the upper half of a 64-bit BAR */
            return (uint32_t)((uint64_t)f->reg[reg / 4] & ~(size - 1u) >> 32);
        }
        if (size == 0) {
            return 0;
        }
        return (f->reg[reg / 4] & (uint32_t) ~(size - 1u) & ~0xfu) | f->bar_flags[bar];
    }
    return f->reg[reg / 4];
}

static void sim_write(void *ctx, uint32_t bdf, uint32_t reg, uint32_t v)
{
    struct sim_fn *f = sim_find(bdf);

    (void)ctx;
    if (f == NULL) {
        writes_elsewhere++;
        return;
    }
    if (f == &sim[4] && reg == SLOTCTL) { /* slot status: events are write-1-to-clear */
        f->reg[reg / 4] = (v & 0xffffu) | ((f->reg[reg / 4] >> 16) & ~(v >> 16) & 0xffffu) << 16;
        return;
    }
    f->reg[reg / 4] = v;
}

static const struct devmgr_pci_cfg cfg = {sim_read, sim_write, NULL, 16};

static void pci_enumerates_and_assigns(void)
{
    struct devmgr_pci_window win = {0x10000000, 0x2eff0000, 0};
    struct devmgr_pci_fn fns[8];
    struct us_dev_info rec;
    uint32_t n = 0;

    sim_init();
    UT_EXPECT_EQ(devmgr_pci_scan(&cfg, &win, fns, 8, &n), US_OK);
    UT_EXPECT_EQ(n, 5);
    UT_EXPECT_EQ(writes_elsewhere, 0);
    /* Depth first: the endpoint behind the first port comes before the second port. */
    UT_EXPECT_EQ(fns[0].bdf, 0x000);
    UT_EXPECT_EQ(fns[1].bdf, 0x008);
    UT_EXPECT_EQ(fns[2].bdf, 0x100);
    UT_EXPECT_EQ(fns[3].bdf, 0x010);
    UT_EXPECT_EQ(fns[1].secondary, 1);
    UT_EXPECT_EQ(fns[1].subordinate, 1);
    UT_EXPECT_EQ(fns[3].secondary, 2);
    UT_EXPECT_EQ(sim[1].reg[0x18 / 4] & 0xffffffu, 0x010100u); /* primary 0, sec 1, sub 1 */
    UT_EXPECT_EQ(sim[2].reg[0x18 / 4] & 0xffffffu, 0x020200u);
    /* The endpoint's two memory BARs, at their natural alignment, inside the first port's
     * 1 MiB window; its I/O BAR left alone. */
    UT_EXPECT_EQ(fns[2].vendor, 0x1af4);
    UT_EXPECT_EQ(fns[2].device, 0x1044);
    UT_EXPECT_EQ(fns[2].bar_count, 2);
    UT_EXPECT_EQ(fns[2].bar_base[0], 0x10000000);
    UT_EXPECT_EQ(fns[2].bar_size[0], 0x1000);
    UT_EXPECT_EQ(fns[2].bar_base[1], 0x10004000);
    UT_EXPECT_EQ(fns[2].bar_size[1], 0x4000);
    UT_EXPECT_EQ(sim[3].reg[0x14 / 4], 0x10000000u);
    UT_EXPECT_EQ(sim[3].reg[0x20 / 4], 0x10004000u);
    UT_EXPECT_EQ(sim[3].reg[0x24 / 4], 0u);
    UT_EXPECT_EQ(sim[1].reg[0x20 / 4], 0x10001000u); /* window 0x10000000-0x100fffff */
    UT_EXPECT_EQ(sim[2].reg[0x20 / 4], 0x0000fff0u); /* nothing behind it: closed */
    /* The slot's port keeps 4 MiB for a card added later. */
    UT_EXPECT_EQ(fns[4].bdf, 0x018);
    UT_EXPECT_EQ(fns[4].slot_cap, SLOT_CAP);
    UT_EXPECT_EQ(fns[1].slot_cap, 0);
    UT_EXPECT_EQ(sim[4].reg[0x20 / 4], 0x10401010u);
    UT_EXPECT_EQ(win.next, 0x10500000);
    devmgr_pci_record(&fns[2], &rec);
    UT_EXPECT(strcmp(rec.name, "pci-01:00.0") == 0);
    UT_EXPECT(strcmp(rec.compat, "pci1af4,1044") == 0);
    UT_EXPECT_EQ(rec.base, 0x10000000);
    UT_EXPECT_EQ(rec.size, 0x1000);
    UT_EXPECT_EQ(rec.irq, US_INVALID_IRQ);
}

static void pci_reports_lack_of_room(void)
{
    struct devmgr_pci_window win = {0x10000000, 0x2000, 0}; /* smaller than the BARs */
    struct devmgr_pci_fn fns[8];
    uint32_t n = 0;

    sim_init();
    UT_EXPECT_EQ(devmgr_pci_scan(&cfg, &win, fns, 8, &n), US_ENOMEM);
    UT_EXPECT_EQ(n, 5);
    UT_EXPECT_EQ(fns[2].bar_count, 1); /* the 4 KiB one fitted, the 16 KiB one did not */
    sim_init();
    win = (struct devmgr_pci_window){0x10000000, 0x2eff0000, 0};
    UT_EXPECT_EQ(devmgr_pci_scan(&cfg, &win, fns, 2, &n), US_ENOMEM); /* too few records */
    UT_EXPECT_EQ(n, 2);
    UT_EXPECT_EQ(devmgr_pci_scan(NULL, &win, fns, 2, &n), US_EINVAL);
    UT_EXPECT_EQ(devmgr_pci_scan(&cfg, &win, NULL, 2, &n), US_EINVAL);
}

/* The slot's life: empty and off after the scan; a card arrives (presence, and the attention
 * button, as QEMU signals it); its events read once; powered on, enumerated into the port's
 * window; the button again while powered: off. */
static void pci_hotplug_slot(void)
{
    struct devmgr_pci_window win = {0x10000000, 0x2eff0000, 0};
    struct devmgr_pci_fn fns[8], hot[2];
    uint32_t n = 0, ev;

    sim_init();
    UT_EXPECT_EQ(devmgr_pci_scan(&cfg, &win, fns, 8, &n), US_OK);
    UT_EXPECT_EQ(sim[4].reg[SLOTCTL / 4] & 0x7ffu, 0x729u); /* events on, power off, PIC off */
    UT_EXPECT_EQ(devmgr_pci_slot_events(&cfg, &fns[4]), 0);
    UT_EXPECT_EQ(devmgr_pci_slot_events(&cfg, &fns[1]), 0); /* no slot */
    inserted = true;
    sim[4].reg[SLOTCTL / 4] |=
        (DEVMGR_PCI_SLOT_PRESENT | DEVMGR_PCI_SLOT_CHANGED | DEVMGR_PCI_SLOT_BUTTON) << 16;
    ev = devmgr_pci_slot_events(&cfg, &fns[4]);
    UT_EXPECT_EQ(ev, DEVMGR_PCI_SLOT_PRESENT | DEVMGR_PCI_SLOT_CHANGED | DEVMGR_PCI_SLOT_BUTTON);
    UT_EXPECT_EQ(devmgr_pci_slot_events(&cfg, &fns[4]), DEVMGR_PCI_SLOT_PRESENT); /* cleared */
    devmgr_pci_slot_power(&cfg, &fns[4], true);
    UT_EXPECT_EQ(sim[4].reg[SLOTCTL / 4] & 0x700u, 0x100u); /* power on, PIC on */
    UT_EXPECT_EQ(devmgr_pci_slot_scan(&cfg, &fns[4], hot, 2, &n), US_OK);
    UT_EXPECT_EQ(n, 1);
    UT_EXPECT_EQ(hot[0].bdf, 0x300);
    UT_EXPECT_EQ(hot[0].bar_base[0], 0x10100000);
    UT_EXPECT_EQ(hot[0].bar_size[0], 0x20000);
    sim[4].reg[SLOTCTL / 4] |= DEVMGR_PCI_SLOT_BUTTON << 16;
    UT_EXPECT_EQ(devmgr_pci_slot_events(&cfg, &fns[4]),
                 DEVMGR_PCI_SLOT_PRESENT | DEVMGR_PCI_SLOT_BUTTON | DEVMGR_PCI_SLOT_POWERED);
    devmgr_pci_slot_power(&cfg, &fns[4], false);
    UT_EXPECT_EQ(sim[4].reg[SLOTCTL / 4] & 0x700u, 0x700u);
    UT_EXPECT_EQ(devmgr_pci_slot_scan(&cfg, &fns[1], hot, 0, &n), US_ENOMEM); /* no room */
    UT_EXPECT_EQ(devmgr_pci_slot_scan(&cfg, &fns[2], hot, 2, &n), US_EINVAL); /* no bridge */
    UT_EXPECT_EQ(writes_elsewhere, 0);
}

static void pci_ranges_finds_mem32(void)
{
    /* QEMU virt's: I/O, 32-bit memory, 64-bit memory (3 + 2 + 2 cells each). */
    static const uint8_t ranges[] = {
        0x01, 0,    0,    0,    0, 0,    0, 0, 0, 0, 0,    0,    0,    0, 0, 0, 0x3e,
        0xff, 0,    0,    0,    0, 0,    0, 0, 1, 0, 0,    0x02, 0,    0, 0, 0, 0,
        0,    0,    0x10, 0,    0, 0,    0, 0, 0, 0, 0x10, 0,    0,    0, 0, 0, 0,
        0,    0x2e, 0xff, 0,    0, 0x03, 0, 0, 0, 0, 0,    0,    0x80, 0, 0, 0, 0,
        0,    0,    0,    0x80, 0, 0,    0, 0, 0, 0, 0,    0x80, 0,    0, 0, 0};
    struct devmgr_pci_window win;

    UT_EXPECT(devmgr_pci_ranges(ranges, sizeof(ranges), &win));
    UT_EXPECT_EQ(win.base, 0x10000000);
    UT_EXPECT_EQ(win.size, 0x2eff0000);
    UT_EXPECT(!devmgr_pci_ranges(ranges, 28, &win)); /* only the I/O range */
    UT_EXPECT(!devmgr_pci_ranges(ranges, 27, &win));
    UT_EXPECT(!devmgr_pci_ranges(NULL, 84, &win));
}

UT_MAIN({"pci_enumerates_and_assigns", pci_enumerates_and_assigns},
        {"pci_reports_lack_of_room", pci_reports_lack_of_room},
        {"pci_hotplug_slot", pci_hotplug_slot}, {"pci_ranges_finds_mem32", pci_ranges_finds_mem32})
