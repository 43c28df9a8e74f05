/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The devmgr server's private interface: the hardware inventory it serves. */
#pragma once

#include <understudy/devmgr.h>
#include <understudy/usys.h>
#include "devmgr_pci.h"
#include "devmgr_smmu.h"
#include "devmgr_view.h"

#define DEVMGR_MAX_DEVS 128u
#define DEVMGR_MAGIC 0x64657673u
#define DEVMGR_VERSION 3u   /* 2: the PCI table; 3: pass-through and the SMMU */
#define DEVMGR_PCIE_IRQS 4u /* QEMU virt's INTA-INTD (SPIs 3-6): notification bits 0-3 */
#define DEVMGR_DTB_VA US_VA_DYNAMIC
#define DEVMGR_ECAM_VA (US_VA_DYNAMIC + 0x100000000ull)
#define DEVMGR_SMMU_VA (US_VA_DYNAMIC + 0x200000000ull)     /* its registers, pages 0 and 1 */
#define DEVMGR_SMMU_DMA_VA (US_VA_DYNAMIC + 0x300000000ull) /* its tables and queues */

/* A function passed through to a guest (devmgr_pt.c): the registers the guest sees as its own. */
struct devmgr_pt {
    uint32_t used;
    uint32_t vm_slot;
    uint32_t bdf;
    uint16_t cmd;     /* the guest's command register */
    uint8_t masked;   /* INTx off at the function: the guest handles its interrupt */
    uint8_t pending;  /* it interrupted; the vmm has not asked yet */
    uint8_t int_line; /* the guest's interrupt line register */
    uint8_t warned;   /* a dropped write was logged */
    uint8_t reserved[2];
    uint32_t bar[US_PT_BARS], bar_mask[US_PT_BARS]; /* BAR registers, and their writable bits */
};

struct devmgr_state {
    uint32_t magic;
    uint32_t version;
    uint32_t dev_count;
    uint32_t reserved;
    uint64_t requests;
    struct devmgr_view view; /* what each guest may see */
    struct us_dev_info devs[DEVMGR_MAX_DEVS];
    uint32_t pci_buses; /* buses the ECAM window covers; 0: no PCIe */
    uint32_t pci_count;
    struct devmgr_pci_fn pci[DEVMGR_PCI_MAX_FNS]; /* the host's PCI functions (docs/pci.md) */
    struct devmgr_pt pt[US_PT_MAX];               /* those passed through to guests */
    struct devmgr_smmu smmu;                      /* the SMMUv3 confining their DMA */
};

/** devmgr_pcie_attach() - map the ECAM window of the device tree's host bridge; at a @cold
 * start, enumerate the hierarchy behind it into the PCI table and the inventory. */
void devmgr_pcie_attach(struct devmgr_state *s, bool cold);

/** devmgr_pcie_remove() - US_DEVMGR_REMOVE in @m: release the named card and power its slot
 * off; the reply replaces @m. */
void devmgr_pcie_remove(struct devmgr_state *s, struct us_msg *m);

/** devmgr_pcie_interrupt() - a root port's interrupt (notification @bits): each hot-plug
 * slot's events handled, the interrupts acknowledged. */
void devmgr_pcie_interrupt(struct devmgr_state *s, uint64_t bits);

/** devmgr_pt_assign() ... devmgr_pt_release() - US_DEVMGR_PT_* requests in @m (the vmm's);
 * each reply replaces @m. */
void devmgr_pt_assign(struct devmgr_state *s, struct us_msg *m);
void devmgr_pt_config(struct devmgr_state *s, struct us_msg *m);
void devmgr_pt_pending(struct devmgr_state *s, struct us_msg *m);
void devmgr_pt_unmask(struct devmgr_state *s, struct us_msg *m);
void devmgr_pt_release(struct devmgr_state *s, struct us_msg *m);
void devmgr_pt_holder(struct devmgr_state *s, struct us_msg *m);

/** devmgr_pt_interrupt() - on an INTx: each passed-through function asserting it is masked at
 * the function and marked pending, and the vmm told (US_NTFN_PCI). */
void devmgr_pt_interrupt(struct devmgr_state *s);

/** devmgr_init() - map the platform DTB and build the inventory, unless the state region
 * was @recovered with it (and the guests' views) after a restart.
 * Returns: US_OK, or the error of the map or the scan (the server then serves an empty
 * inventory). */
us_err_t devmgr_init(struct devmgr_state **st, bool recovered);

/** devmgr_dispatch() - one request in @m; the reply replaces it. */
void devmgr_dispatch(struct devmgr_state *st, us_badge_t badge, struct us_msg *m);
