/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the devmgr server: the hardware inventory, and what each guest may see. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

#define US_DEVMGR_DEV_COUNT (US_LABEL_PROTO_BASE + 0x20u) /* reply w[0] = number of devices */
#define US_DEVMGR_DEV_INFO (US_LABEL_PROTO_BASE + 0x21u)  /* w[0]=index; reply us_dev_info */
/* w[0] = VM slot, w[1] = the US_GUEST_DEV_* its configuration gives it; reply w[0] = those it
 * may see at this boot (the vmm asks before it builds the VM's device tree). */
#define US_DEVMGR_GUEST_VIEW (US_LABEL_PROTO_BASE + 0x22u)
/* w[0] = VM slot, w[1] = US_GUEST_DEV_* mask, w[2] = 1 to hide them from its next boot on, 0
 * to show them again; reply w[0] = its hidden set. US_ENOENT for a slot, US_EINVAL for a mask
 * or w[2] out of range. */
#define US_DEVMGR_GUEST_HIDE (US_LABEL_PROTO_BASE + 0x23u)
/* w = a device's name (NUL-terminated, within US_DEV_NAME_LEN): release a PCIe card and power
 * its slot off, so that it may be pulled; reply w[0] = functions released. Refused with the
 * reason as text: US_ENOENT no such device, US_ENOTSUP not a card in a hot-plug slot,
 * US_EBUSY a function of it is in use, US_ETRUNC a malformed name (docs/pci.md). */
#define US_DEVMGR_REMOVE (US_LABEL_PROTO_BASE + 0x24u)

/* The virtual devices a guest can be given (the configuration's "devices" names). */
#define US_GUEST_DEV_UART (1u << 0)           /* "uart": an emulated PL011 */
#define US_GUEST_DEV_VIRTIO_CONSOLE (1u << 1) /* "virtio-console" */
#define US_GUEST_DEV_VIRTIO_BLK (1u << 2)     /* "virtio-blk" */
#define US_GUEST_DEV_VIRTIO_NET (1u << 3)     /* "virtio-net" */
#define US_GUEST_DEV_VIRTIO_VSOCK (1u << 4)   /* "virtio-vsock" */
#define US_GUEST_DEV_PCIE (1u << 5)           /* "pcie": a PCIe host bridge (docs/pci.md) */
#define US_GUEST_DEV_ALL 0x3fu
/* Their names, indexed by bit number: an initializer for a table of strings. */
#define US_GUEST_DEV_NAMES                                                                         \
    {                                                                                              \
        "uart", "virtio-console", "virtio-blk", "virtio-net", "virtio-vsock", "pcie"               \
    }
#define US_GUEST_SLOTS 8u /* VM slots devmgr keeps a view for */

#define US_DEV_NAME_LEN 48u
#define US_DEV_COMPAT_LEN 48u

struct us_dev_info {
    char name[US_DEV_NAME_LEN];     /* node name, e.g. "pl011@9000000" */
    char compat[US_DEV_COMPAT_LEN]; /* first compatible string */
    uint64_t base;                  /* first reg window, 0 if none */
    uint64_t size;
    uint32_t irq;   /* first interrupt as a GIC INTID, US_INVALID_IRQ if none */
    uint32_t owner; /* US_DEV_OWNER_* */
};
_Static_assert(sizeof(struct us_dev_info) == 120, "us_dev_info is ABI");

#define US_DEV_OWNER_NONE 0u
#define US_DEV_OWNER_HYP 1u   /* used by the hypervisor itself */
#define US_DEV_OWNER_GUEST 2u /* assigned to a guest */
