/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Polled PL011 output for the kernel's own log, panics and early boot. */
#include <stdint.h>
#include <us/platform.h>
#include "board.h"

#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_FR_TXFF (1u << 5)

static volatile uint32_t *uart_reg(uint32_t off)
{
    return (volatile uint32_t *)(uintptr_t)(PLAT_UART_BASE + off);
}

void plat_uart_putc(char c)
{
    while (*uart_reg(UART_FR) & UART_FR_TXFF) {
    }
    *uart_reg(UART_DR) = (uint32_t)(unsigned char)c;
}

void plat_uart_write(const char *s, uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '\n') {
            plat_uart_putc('\r');
        }
        plat_uart_putc(s[i]);
    }
}
