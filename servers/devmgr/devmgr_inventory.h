/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The hardware inventory: the devices of the platform device tree, as us_dev_info records. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <understudy/devmgr.h>
#include <understudy/errors.h>

/* The PL011 the hypervisor's console drives. keep in sync with platform/qemu-virt-aarch64 */
#define DEVMGR_HYP_UART_BASE 0x09000000ull
#define DEVMGR_HYP_NIC_BASE 0x0a003e00ull /* virtio-mmio transport 31: the vmm's NIC */

/* simple-bus nesting followed below the root; deeper buses are not listed. */
#define DEVMGR_BUS_DEPTH 4u

/**
 * devmgr_inventory_scan() - list the devices of a platform DTB.
 * @dtb: the DTB as the kernel received it, 8-byte aligned; treated as untrusted.
 * @len: bytes readable at @dtb; nothing past it is read.
 * @devs: room for @max records; may be NULL when @max is 0.
 * @count: set to the number of records written (also on US_ENOMEM).
 *
 * A device is a node under the root or under a "simple-bus" node (nested at most
 * DEVMGR_BUS_DEPTH deep) that has a "compatible" and a "reg" or "interrupts". Each record
 * holds the node name, the first compatible string (both cut to fit), the first reg window
 * translated through the buses' "ranges" into a CPU physical address (0/0 when there is no reg
 * or it cannot be translated into 64 bits), and the first interrupt as a GIC INTID
 * (US_INVALID_IRQ unless its parent is a GIC with a 3-cell SPI or PPI specifier). The
 * hypervisor's own devices -- the PL011 at DEVMGR_HYP_UART_BASE, the virtio-mmio transport at
 * DEVMGR_HYP_NIC_BASE (the NIC the vmm drives when QEMU has one; docs/network.md), the GIC and
 * the architected timer -- are US_DEV_OWNER_HYP; all others US_DEV_OWNER_NONE. Records follow DTB
 * order.
 *
 * Returns: US_OK;
 * US_EINVAL: @dtb or @count NULL, @devs NULL with @max > 0, or @dtb misaligned;
 * US_ECORRUPT: not a well-formed DTB within @len bytes;
 * US_ENOMEM: more than @max devices; the first @max were written.
 */
us_err_t devmgr_inventory_scan(const void *dtb, size_t len, struct us_dev_info *devs, uint32_t max,
                               uint32_t *count);
