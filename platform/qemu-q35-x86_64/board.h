/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* QEMU q35: what the x86_64 kernel needs of the board beyond us/platform.h. */
#pragma once

/** plat_uart_init() - program COM1 for polled output (115200 8N1, no interrupts). */
void plat_uart_init(void);
