/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU virt (aarch64) board constants: where the kernel's early devices live. */
#pragma once

/* hw/arm/virt.c base_memmap; the platform DTB says the same and devmgr reports it. */
#define PLAT_UART_BASE 0x09000000ull
#define PLAT_UART_INTID 33u
#define PLAT_GICD_BASE 0x08000000ull
#define PLAT_GICR_BASE 0x080a0000ull
#define PLAT_GICR_STRIDE 0x20000ull
#define PLAT_GIC_END 0x09000000ull /* the GIC's part of the memory map ends here */
#define PLAT_RAM_BASE 0x40000000ull
/* QEMU virt's high I/O region (PCIe ECAM, 64-bit PCI memory): above any RAM it gives (-m under
 * 255 GiB), below the 40-bit physical addresses the kernel's translation tables reach. */
#define PLAT_HIGH_MMIO_BASE 0x4000000000ull
#define PLAT_PA_LIMIT (1ull << 40)
#define PLAT_NAME "qemu-virt-aarch64"
