/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU q35: what the x86_64 kernel needs of the board beyond us/platform.h. */
#pragma once

#define PLAT_ECAM_BASE 0xb0000000ull /* q35's PCIe configuration window */
#define PLAT_IOAPIC_BASE 0xfec00000ull
#define PLAT_HPET_BASE 0xfed00000ull
#define PLAT_LAPIC_BASE 0xfee00000ull
#define PLAT_COM1_GSI 4u                    /* COM1's ISA line, IOAPIC pin 4 (edge, active high) */
#define PLAT_HIGH_MMIO_BASE 0x1000000000ull /* 64 GiB: above any RAM this port supports */
#define PLAT_PA_LIMIT (1ull << 40)
/* What head.S's boot tables map of RAM: all the kernel reaches before its own map. */
#define PLAT_BOOT_MAPPED (1ull << 30)

/** plat_uart_init() - program COM1 for polled output (115200 8N1, no interrupts). */
void plat_uart_init(void);

/** plat_uart_rx_interrupt() - make COM1 raise its line when a byte arrives. */
void plat_uart_rx_interrupt(void);

/** plat_uart_getc() - a byte COM1 received, or -1. */
int plat_uart_getc(void);
