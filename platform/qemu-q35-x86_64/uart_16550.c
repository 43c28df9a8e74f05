/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Polled output on q35's first 16550 (COM1, I/O ports 0x3f8-0x3ff) for the kernel's own log. */
#include <stdint.h>
#include <us/platform.h>
#include <arch/io.h>
#include "board.h"

#define COM1 0x3f8u
#define UART_THR 0u /* transmit holding (DLAB 0) */
#define UART_RBR 0u /* receive buffer (DLAB 0) */
#define UART_IER 1u
#define UART_FCR 2u
#define UART_LCR 3u
#define UART_MCR 4u
#define UART_LSR 5u
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u
#define UART_IER_RX 0x01u
#define UART_MCR_DTR_RTS 0x03u
#define UART_MCR_OUT2 0x08u /* gates the UART's interrupt onto its ISA line */
#define UART_LCR_DLAB 0x80u

/* 115200 8N1, FIFOs on, no interrupts: what SeaBIOS leaves may be anything. */
void plat_uart_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, UART_LCR_DLAB);
    outb(COM1 + 0, 1); /* divisor latch: 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + UART_LCR, 0x03);
    outb(COM1 + UART_FCR, 0xc7);
    outb(COM1 + UART_MCR, UART_MCR_DTR_RTS);
}

void plat_uart_rx_interrupt(void)
{
    outb(COM1 + UART_MCR, UART_MCR_DTR_RTS | UART_MCR_OUT2);
    outb(COM1 + UART_IER, UART_IER_RX);
}

int plat_uart_getc(void)
{
    return (inb(COM1 + UART_LSR) & UART_LSR_DR) ? inb(COM1 + UART_RBR) : -1;
}

void plat_uart_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE)) {
    }
    outb(COM1 + UART_THR, (uint8_t)c);
}

void plat_uart_write(const char *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            plat_uart_putc('\r');
        }
        plat_uart_putc(s[i]);
    }
}
