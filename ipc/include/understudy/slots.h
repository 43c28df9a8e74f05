/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Capability slot numbers every server is started with. */
#pragma once

/* keep in sync with boot/manifest.txt */
#define US_SLOT_SELF_EP 0u    /* own service endpoint, receive */
#define US_SLOT_SELF_NTFN 1u  /* own notification, bound to SELF_EP */
#define US_SLOT_CONSOLE_EP 2u /* send capabilities to each server's service endpoint */
#define US_SLOT_VMM_EP 3u
#define US_SLOT_DEVMGR_EP 4u
#define US_SLOT_MIGRATE_EP 5u
#define US_SLOT_SERVER0 6u /* first server-specific slot */

/* console */
#define US_SLOT_CONSOLE_UART 6u /* PL011 MMIO window */
#define US_SLOT_CONSOLE_IRQ 7u  /* its interrupt, signalling bit US_NTFN_UART */
#define US_SLOT_CONSOLE_KLOG 8u
#define US_SLOT_CONSOLE_SERVER_CTL 9u
#define US_SLOT_CONSOLE_GUEST_RINGS 10u
#define US_SLOT_CONSOLE_VMM_NTFN 11u /* signal the vmm: US_NTFN_RING_ROOM */

/* vmm */
#define US_SLOT_VMM_VM_CONTROL 6u
#define US_SLOT_VMM_BUNDLE 7u
#define US_SLOT_VMM_CONSOLE_NTFN 8u
#define US_SLOT_VMM_GUEST_RINGS 9u
#define US_SLOT_VMM_NIC_MMIO 10u     /* the NIC's virtio-mmio transport (switch uplink) */
#define US_SLOT_VMM_NIC_IRQ 11u      /* its interrupt, signalling bit US_NTFN_NIC */
#define US_SLOT_VMM_AGENT_CHANS 12u  /* shared 1: the agent channels (understudy/migrate.h) */
#define US_SLOT_VMM_MIGRATE_NTFN 13u /* signal migrate: US_NTFN_AGENT_UP */
#define US_SLOT_VMM_PCI_WINDOW 14u   /* host PCIe 32-bit memory window: passed-through BARs */
#define US_SLOT_VMM_NIC_CFG 15u      /* on a PC: the NIC's PCI configuration page (ECAM) */

/* migrate */
#define US_SLOT_MIGRATE_AGENT_CHANS 6u /* shared 1: the agent channels */
#define US_SLOT_MIGRATE_VMM_NTFN 7u    /* signal the vmm: US_NTFN_AGENT_DOWN */
#define US_SLOT_MIGRATE_SERVER_CTL 8u  /* remove-memory: withhold, give back, audit a range */

/* devmgr */
#define US_SLOT_DEVMGR_DTB 6u
#define US_SLOT_DEVMGR_BUNDLE 7u
#define US_SLOT_DEVMGR_ECAM 8u        /* the PCIe host bridge's configuration window (ECAM) */
#define US_SLOT_DEVMGR_PCIE_IRQ0 9u   /* 9-12: the host bridge's INTA-INTD (root ports' hot-plug) */
#define US_SLOT_DEVMGR_VMM_NTFN 13u   /* signal the vmm: US_NTFN_PCI */
#define US_SLOT_DEVMGR_SMMU 14u       /* the SMMUv3's registers (docs/pci.md) */
#define US_SLOT_DEVMGR_SMMU_IRQ 15u   /* its event queue interrupt, notification bit 4 */
#define US_SLOT_DEVMGR_VM_CONTROL 16u /* memory for the SMMU's tables and queues */

/* Notification bits. */
#define US_NTFN_UART (1ull << 0)
#define US_NTFN_KLOG (1ull << 1)          /* the kernel appended to its log */
#define US_NTFN_GUEST_OUT (1ull << 2)     /* a guest ring has bytes */
#define US_NTFN_RING_ROOM (1ull << 3)     /* (to the vmm) a ring it waited on was drained */
#define US_NTFN_NIC (1ull << 4)           /* (to the vmm) the NIC interrupted */
#define US_NTFN_FASTMMIO 5u               /* (to the vmm, bit number) a fast-MMIO ring has bytes */
#define US_NTFN_BELL 6u                   /* (to the vmm, bit number) a virtio doorbell rang */
#define US_NTFN_GUEST_IN_ROOM (1ull << 7) /* (to the console) a guest read from its full input */
#define US_NTFN_AGENT_UP (1ull << 13)     /* (to migrate) an agent channel has lines for it */
#define US_NTFN_AGENT_DOWN (1ull << 14)   /* (to the vmm) migrate has lines for an agent */
#define US_NTFN_PCI                                                                                \
    (1ull << 15) /* (to the vmm) a passed-through function has interrupts for it                   \
                  */
