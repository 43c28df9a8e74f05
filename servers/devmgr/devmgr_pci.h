/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host's PCIe, as devmgr finds it behind an ECAM host bridge: enumeration, bus numbers for
 * the bridges, and memory for every BAR (docs/pci.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/devmgr.h>
#include <understudy/errors.h>

#define DEVMGR_PCI_MAX_FNS 32u /* functions kept in the inventory */
#define DEVMGR_PCI_BARS 6u     /* BARs of a type 0 header; a bridge (type 1) has 2 */
#define DEVMGR_PCI_NO_VENDOR 0xffffu
#define DEVMGR_PCI_PAGE 0x1000ull              /* the smallest room a memory BAR gets */
#define DEVMGR_PCI_HOTPLUG_WINDOW (4ull << 20) /* memory kept behind each hot-plug slot */
/* Slot status bits (PCIe Base 7.5.3.11) devmgr_pci_slot_events() reports. */
#define DEVMGR_PCI_SLOT_BUTTON 0x01u     /* attention button pressed: removal asked for */
#define DEVMGR_PCI_SLOT_CHANGED 0x08u    /* presence detect changed */
#define DEVMGR_PCI_SLOT_PRESENT 0x40u    /* a card is in the slot (state, not an event) */
#define DEVMGR_PCI_SLOT_POWERED 0x10000u /* the slot's power is on (state) */

/* Configuration space reads and writes of 32-bit registers; @bdf is bus << 8 | dev << 3 | fn,
 * @reg a multiple of 4 below 4096. An absent function reads all-ones. */
struct devmgr_pci_cfg {
    uint32_t (*read)(void *ctx, uint32_t bdf, uint32_t reg);
    void (*write)(void *ctx, uint32_t bdf, uint32_t reg, uint32_t value);
    void *ctx;
    uint32_t buses; /* bus numbers the ECAM window covers: 0 .. buses - 1 */
};

/* One function as enumerated. */
struct devmgr_pci_fn {
    uint32_t bdf;
    uint16_t vendor, device;
    uint32_t class_rev; /* class code << 8 | revision */
    uint8_t header;     /* 0: endpoint, 1: bridge (its secondary bus below) */
    uint8_t secondary;  /* bridges: the bus behind it */
    uint8_t subordinate;
    uint8_t bar_count; /* BARs that decode memory */
    uint16_t slot_cap; /* bridges with a hot-plug slot: their PCIe capability's offset; or 0 */
    uint64_t bar_base[DEVMGR_PCI_BARS], bar_size[DEVMGR_PCI_BARS];
};

/* Where BARs go: the host bridge's 32-bit memory window, from the device tree's "ranges". */
struct devmgr_pci_window {
    uint64_t base, size; /* CPU physical (= PCI, on QEMU virt) */
    uint64_t next;       /* first free byte */
};

/**
 * devmgr_pci_scan() - enumerate every function reachable from bus 0 through @cfg, depth
 * first: each bridge gets the next free bus number as its secondary bus (and the buses behind
 * it as subordinate), each memory BAR is sized and placed in @win at its natural alignment,
 * each bridge's memory window set to cover what is behind it. I/O BARs are left unassigned
 * and decoding is left off: nothing is used until a driver or a guest claims the function.
 * @fns: room for @max functions; @count: how many were found (also on US_ENOMEM).
 * Returns: US_OK; US_EINVAL for NULL arguments; US_ENOMEM if there were more functions or
 * buses than room, or BARs than @win holds (what fitted is kept).
 */
us_err_t devmgr_pci_scan(const struct devmgr_pci_cfg *cfg, struct devmgr_pci_window *win,
                         struct devmgr_pci_fn *fns, uint32_t max, uint32_t *count);

/** devmgr_pci_slot_events() - the hot-plug events of bridge @br's slot, cleared as they are
 * read, with DEVMGR_PCI_SLOT_PRESENT if a card is there and DEVMGR_PCI_SLOT_POWERED if the
 * slot's power is on. 0 for a bridge without a slot. */
uint32_t devmgr_pci_slot_events(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br);

/** devmgr_pci_slot_power() - turn bridge @br's slot power (and its power indicator) on or off.
 * Off, the card may be pulled: QEMU completes a device_del then. */
void devmgr_pci_slot_power(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br,
                           bool on);

/** devmgr_pci_slot_scan() - the functions now behind bridge @br (a card just added): each
 * memory BAR placed in @br's window; a bridge among them is listed, not configured.
 * Returns: as devmgr_pci_scan(). */
us_err_t devmgr_pci_slot_scan(const struct devmgr_pci_cfg *cfg, const struct devmgr_pci_fn *br,
                              struct devmgr_pci_fn *fns, uint32_t max, uint32_t *count);

/** devmgr_pci_ranges() - the 32-bit memory window of an ECAM host bridge from its "ranges"
 * property (3 PCI address cells, 2 CPU address cells, 2 size cells), where the PCI and CPU
 * addresses are equal. Returns: false if there is none. */
bool devmgr_pci_ranges(const uint8_t *ranges, uint32_t len, struct devmgr_pci_window *win);

/** devmgr_pci_record() - @fn as an inventory record: name "pci-BB:DD.F", compatible
 * "pciVVVV,DDDD", its first memory BAR as the window, no interrupt yet, no owner. */
void devmgr_pci_record(const struct devmgr_pci_fn *fn, struct us_dev_info *out);
