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

/* Pass-through (docs/pci.md): the vmm asks, for one of its VMs, for a host PCI function.
 * US_DEVMGR_PT_ASSIGN: w = struct us_pt_assign; reply struct us_pt_grant. devmgr confines the
 * function's DMA to the VM's RAM with the SMMU, marks it the guest's and turns its memory
 * decoding on. Refused with the reason: US_ENOENT no such function, US_ENOTSUP not an endpoint
 * or no SMMU to confine its DMA, US_EBUSY in use, US_ENOMEM no pass-through slot, US_EINVAL a
 * VM slot or RAM range out of range, US_ETRUNC a malformed request. */
#define US_DEVMGR_PT_ASSIGN (US_LABEL_PROTO_BASE + 0x25u)
/* w[0] = VM slot, w[1] = handle, w[2] = offset, w[3] = size (1, 2, 4), w[4] = 1 for a write,
 * w[5] = value: the guest's configuration access, filtered (BARs and the command register are
 * virtual, writes outside them and the power and PCIe capabilities dropped); reply w[0] = the
 * value read. US_ENOENT for a handle that is not that VM's, US_EINVAL for a bad access. */
#define US_DEVMGR_PT_CONFIG (US_LABEL_PROTO_BASE + 0x26u)
/* Reply w[0] = bitmap of handles whose function interrupted since the last ask (each is then
 * masked at the function until US_DEVMGR_PT_UNMASK). */
#define US_DEVMGR_PT_PENDING (US_LABEL_PROTO_BASE + 0x27u)
/* w[0] = VM slot, w[1] = handle: the guest ended the interrupt; unmask it at the function. */
#define US_DEVMGR_PT_UNMASK (US_LABEL_PROTO_BASE + 0x28u)
/* w[0] = VM slot, w[1] = handle: the VM is gone; the function stops (no decoding, no DMA, its
 * stream aborts again) and is free. */
#define US_DEVMGR_PT_RELEASE (US_LABEL_PROTO_BASE + 0x29u)
/* w = a device's name (NUL-terminated): reply w[0] = the VM slot it is passed through to.
 * Refused with the reason: US_ENOENT no such device, US_ENOTSUP not a PCI function, US_EBUSY
 * the hypervisor holds it, US_ERANGE no VM holds it, US_ETRUNC a malformed name. */
#define US_DEVMGR_PT_HOLDER (US_LABEL_PROTO_BASE + 0x2au)

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

#define US_PT_MAX 4u  /* functions passed through at once */
#define US_PT_BARS 6u /* a type 0 header's BAR registers */

struct us_pt_assign {
    char name[US_DEV_NAME_LEN]; /* "pci-BB:DD.F", NUL-terminated */
    uint32_t vm_slot;
    uint32_t reserved;
    uint64_t ram_ipa, ram_pa, ram_size; /* the VM's RAM: what the function may DMA to */
};
_Static_assert(sizeof(struct us_pt_assign) == 80, "us_pt_assign is ABI");

struct us_pt_grant {
    uint32_t handle; /* below US_PT_MAX: names the function in the other requests */
    uint32_t pin;    /* its interrupt pin, 1-4 (INTA-INTD), or 0 */
    uint32_t bdf;    /* where it is on the host */
    uint32_t vendor_device;
    uint64_t bar_base[US_PT_BARS], bar_size[US_PT_BARS]; /* memory BARs (size 0: none) */
};
_Static_assert(sizeof(struct us_pt_grant) == 112, "us_pt_grant is ABI");
