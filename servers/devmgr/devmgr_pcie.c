/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr and the host's PCIe (docs/pci.md): the ECAM window it is granted, the enumeration
 * at a cold start, and native hot-plug: a card added to a root port's slot is powered,
 * enumerated and listed (and shielded: no guest sees host PCI functions); the attention button
 * (QEMU's device_del) has the slot powered off once nothing holds the card. */
#include <libfdt.h>
#include <understudy/slots.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "devmgr.h"

static uint32_t ecam_read(void *ecam, uint32_t bdf, uint32_t reg)
{
    return *(volatile uint32_t *)((uintptr_t)ecam + ((uintptr_t)bdf << 12) + reg);
}

static void ecam_write(void *ecam, uint32_t bdf, uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)((uintptr_t)ecam + ((uintptr_t)bdf << 12) + reg) = value;
}

static const struct us_dev_info *host_bridge(const struct devmgr_state *s)
{
    for (uint32_t i = 0; i < s->dev_count; i++) {
        if (strcmp(s->devs[i].compat, "pci-host-ecam-generic") == 0) {
            return &s->devs[i];
        }
    }
    return NULL;
}

/* The ECAM window the manifest grants, if it is the one the device tree's host bridge (record
 * @host) decodes. Returns the buses it covers, or 0. */
static uint32_t map_ecam(const struct us_dev_info *host)
{
    uint64_t size = 0, pa = 0;

    if (us_mem_info(US_SLOT_DEVMGR_ECAM, &size, &pa) != US_OK) {
        US_LOG_INFO("PCIe: no ECAM window granted; its functions are not listed");
        return 0;
    }
    if (pa != host->base || size > host->size) {
        US_LOG_ERR("PCIe: the granted ECAM window 0x%llx+0x%llx is not the host bridge's "
                   "0x%llx+0x%llx: not used",
                   (unsigned long long)pa, (unsigned long long)size, (unsigned long long)host->base,
                   (unsigned long long)host->size);
        return 0;
    }
    if (us_mem_map(US_SLOT_DEVMGR_ECAM, DEVMGR_ECAM_VA, US_RIGHT_READ | US_RIGHT_WRITE) != US_OK) {
        return 0;
    }
    return (uint32_t)(size >> 20); /* 1 MiB of configuration space per bus */
}

static struct devmgr_pci_cfg ecam_cfg(const struct devmgr_state *s)
{
    return (struct devmgr_pci_cfg){ecam_read, ecam_write, (void *)(uintptr_t)DEVMGR_ECAM_VA,
                                   s->pci_buses};
}

/* @n functions into the PCI table and the inventory, as far as they have room. */
static void add(struct devmgr_state *s, const struct devmgr_pci_fn *fns, uint32_t n)
{
    for (uint32_t i = 0; i < n && s->pci_count < DEVMGR_PCI_MAX_FNS; i++) {
        s->pci[s->pci_count++] = fns[i];
        if (s->dev_count < DEVMGR_MAX_DEVS) {
            devmgr_pci_record(&fns[i], &s->devs[s->dev_count++]);
        }
    }
}

/* The inventory record of PCI function @fn, or -1. */
static int32_t record_of(const struct devmgr_state *s, const struct devmgr_pci_fn *fn)
{
    struct us_dev_info rec;

    devmgr_pci_record(fn, &rec);
    for (uint32_t d = 0; d < s->dev_count; d++) {
        if (strcmp(s->devs[d].name, rec.name) == 0) {
            return (int32_t)d;
        }
    }
    return -1;
}

/* Every function on bus @bus out of the PCI table and the inventory. Returns how many. */
static uint32_t drop_bus(struct devmgr_state *s, uint32_t bus)
{
    uint32_t kept = 0, dropped = 0;

    for (uint32_t i = 0; i < s->pci_count; i++) {
        int32_t d;

        if ((s->pci[i].bdf >> 8) != bus) {
            s->pci[kept++] = s->pci[i];
            continue;
        }
        d = record_of(s, &s->pci[i]);
        if (d >= 0) {
            memmove(&s->devs[d], &s->devs[d + 1],
                    (s->dev_count - (uint32_t)d - 1u) * sizeof(s->devs[0]));
            s->dev_count--;
        }
        dropped++;
    }
    s->pci_count = kept;
    return dropped;
}

/* Whether anything holds a function on bus @bus (the hypervisor or a guest). */
static bool held(const struct devmgr_state *s, uint32_t bus)
{
    for (uint32_t i = 0; i < s->pci_count; i++) {
        int32_t d = (s->pci[i].bdf >> 8) == bus ? record_of(s, &s->pci[i]) : -1;

        if (d >= 0 && s->devs[d].owner != US_DEV_OWNER_NONE) {
            return true;
        }
    }
    return false;
}

/* The bridge whose secondary bus is @bus (not bus 0, which the host bridge roots), or -1. */
static int32_t bridge_of(const struct devmgr_state *s, uint32_t bus)
{
    for (uint32_t k = 0; k < s->pci_count && bus != 0; k++) {
        if (s->pci[k].header == 1u && s->pci[k].secondary == bus) {
            return (int32_t)k;
        }
    }
    return -1;
}

static void enumerate(struct devmgr_state *s, const struct us_dev_info *host, const void *dtb)
{
    struct devmgr_pci_fn fns[DEVMGR_PCI_MAX_FNS];
    struct devmgr_pci_window win;
    struct devmgr_pci_cfg cfg = ecam_cfg(s);
    int node = fdt_node_offset_by_compatible(dtb, -1, "pci-host-ecam-generic"), len = 0;
    const uint8_t *ranges = node >= 0 ? fdt_getprop(dtb, node, "ranges", &len) : NULL;
    uint32_t n = 0;
    us_err_t e;

    if (!devmgr_pci_ranges(ranges, len > 0 ? (uint32_t)len : 0u, &win)) {
        US_LOG_ERR("PCIe: the host bridge has no 32-bit memory window: not enumerated");
        return;
    }
    s->pci_count = 0;
    e = devmgr_pci_scan(&cfg, &win, fns, DEVMGR_PCI_MAX_FNS, &n);
    add(s, fns, n);
    US_LOG_INFO("PCIe: %u function(s) behind the host bridge at 0x%llx, BARs in "
                "0x%llx-0x%llx%s",
                n, (unsigned long long)host->base, (unsigned long long)win.base,
                (unsigned long long)win.next,
                e == US_OK ? "" : " (not all fitted: some functions are unconfigured)");
}

void devmgr_pcie_attach(struct devmgr_state *s, bool cold)
{
    const struct us_dev_info *host = host_bridge(s);

    if (host == NULL) {
        US_LOG_INFO("PCIe: no ECAM host bridge in the device tree");
        return;
    }
    s->pci_buses = map_ecam(host);
    if (s->pci_buses != 0 && cold) {
        enumerate(s, host, (const void *)(uintptr_t)DEVMGR_DTB_VA);
    }
}

/* A card arrived in bridge @br's slot: power, enumerate, list. */
static void card_in(struct devmgr_state *s, const struct devmgr_pci_fn *br)
{
    struct devmgr_pci_cfg cfg = ecam_cfg(s);
    struct devmgr_pci_fn fns[8];
    uint32_t n = 0;
    us_err_t e;

    devmgr_pci_slot_power(&cfg, br, true);
    (void)drop_bus(s, br->secondary); /* a card replaced without its removal being seen */
    e = devmgr_pci_slot_scan(&cfg, br, fns, 8, &n);
    add(s, fns, n);
    for (uint32_t i = 0; i < n; i++) {
        US_LOG_INFO("PCIe: %02x:%02x.%x %04x:%04x added in the slot of %02x:%02x.%x%s; shielded: "
                    "no guest sees it",
                    fns[i].bdf >> 8, fns[i].bdf >> 3 & 0x1fu, fns[i].bdf & 7u, fns[i].vendor,
                    fns[i].device, br->bdf >> 8, br->bdf >> 3 & 0x1fu, br->bdf & 7u,
                    e == US_OK ? "" : " (not all of its BARs fitted)");
    }
}

/* One slot's events. The attention button asks for a change of the slot's power: on for a
 * card just added (QEMU presses it with the card's arrival), off for removal (device_del). */
static void slot_event(struct devmgr_state *s, const struct devmgr_pci_fn *br)
{
    struct devmgr_pci_cfg cfg = ecam_cfg(s);
    uint32_t ev = devmgr_pci_slot_events(&cfg, br), gone;
    bool card = ev & DEVMGR_PCI_SLOT_PRESENT, powered = ev & DEVMGR_PCI_SLOT_POWERED;
    char at[16];

    us_snprintf(at, sizeof(at), "%02x:%02x.%x", br->bdf >> 8, br->bdf >> 3 & 0x1fu, br->bdf & 7u);
    if (card && ((ev & DEVMGR_PCI_SLOT_CHANGED) || ((ev & DEVMGR_PCI_SLOT_BUTTON) && !powered))) {
        card_in(s, br);
        return;
    }
    if (!card && (ev & DEVMGR_PCI_SLOT_CHANGED)) {
        gone = drop_bus(s, br->secondary);
        devmgr_pci_slot_power(&cfg, br, false);
        if (gone != 0) {
            US_LOG_WARN("PCIe: the card in the slot of %s is gone (%u function(s))", at, gone);
        }
        return;
    }
    if ((ev & DEVMGR_PCI_SLOT_BUTTON) && powered) {
        if (held(s, br->secondary)) {
            US_LOG_ERR("PCIe: removal from the slot of %s refused: a function is in use", at);
            return;
        }
        devmgr_pci_slot_power(&cfg, br, false);
        US_LOG_INFO("PCIe: the slot of %s is powered off: its card (%u function(s)) may be "
                    "pulled",
                    at, drop_bus(s, br->secondary));
    }
}

void devmgr_pcie_interrupt(struct devmgr_state *s, uint64_t bits)
{
    /* Which port raised its INTx is the interrupt-map's business; every slot is looked at. */
    for (uint32_t i = 0; i < s->pci_count && s->pci_buses != 0; i++) {
        if (s->pci[i].slot_cap != 0) {
            struct devmgr_pci_fn br = s->pci[i]; /* the table changes under slot_event() */

            slot_event(s, &br);
        }
    }
    devmgr_pt_interrupt(s); /* before the acknowledgement: a masked function lets the line go */
    for (uint32_t b = 0; b < DEVMGR_PCIE_IRQS; b++) {
        if (bits & (1ull << b)) {
            (void)us_irq_ack(US_SLOT_DEVMGR_PCIE_IRQ0 + b);
        }
    }
}

void devmgr_pcie_remove(struct devmgr_state *s, struct us_msg *m)
{
    struct devmgr_pci_cfg cfg = ecam_cfg(s);
    struct devmgr_pci_fn br = {0};
    const char *name = (const char *)m->w;
    uint32_t bus = 0, n;
    bool known = false;

    if (m->hdr.len == 0 || m->hdr.len > US_DEV_NAME_LEN || memchr(name, '\0', m->hdr.len) == NULL) {
        us_msg_reply_why(m, US_ETRUNC, "a device name, NUL-terminated, is expected");
        return;
    }
    for (uint32_t i = 0; i < s->dev_count && !known; i++) {
        known = strcmp(s->devs[i].name, name) == 0;
    }
    for (uint32_t i = 0; i < s->pci_count && br.slot_cap == 0; i++) {
        int32_t d = record_of(s, &s->pci[i]);
        int32_t k =
            d >= 0 && strcmp(s->devs[d].name, name) == 0 ? bridge_of(s, s->pci[i].bdf >> 8) : -1;

        if (k >= 0) {
            bus = s->pci[i].bdf >> 8;
            br = s->pci[k]; /* a copy: drop_bus() moves the table under it */
        }
    }
    if (!known) {
        us_msg_reply_why(m, US_ENOENT, "no such device in the inventory");
        return;
    }
    if (br.slot_cap == 0) {
        us_msg_reply_why(m, US_ENOTSUP, "not a card in a hot-plug slot");
        return;
    }
    if (held(s, bus)) {
        us_msg_reply_why(m, US_EBUSY, "a function of the card is in use");
        return;
    }
    n = drop_bus(s, bus);
    devmgr_pci_slot_power(&cfg, &br, false);
    US_LOG_INFO("PCIe: %s released and the slot of %02x:%02x.%x powered off (%u function(s)): "
                "it may be pulled",
                name, br.bdf >> 8, br.bdf >> 3 & 0x1fu, br.bdf & 7u, n);
    us_msg_init(m, US_DEVMGR_REMOVE, 8);
    m->w[0] = n;
}
