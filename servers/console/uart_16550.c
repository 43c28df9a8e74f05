/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The console's UART on x86_64: the PC's COM1, a 16550 at I/O ports 0x3f8-0x3ff, which the
 * manifest's ioport capability opens to this server (the kernel set it to 115200 8N1). */
#include <stdint.h>
#include "console.h"

#define COM1 0x3f8u
#define UART_RBR 0u /* receive buffer and transmit holding, with DLAB 0 */
#define UART_THR 0u
#define UART_IER 1u
#define UART_MCR 4u
#define UART_LSR 5u
#define UART_IER_RX 0x01u
#define UART_MCR_DTR_RTS_OUT2 0x0bu /* OUT2 gates the interrupt onto the ISA line */
#define UART_LSR_DR 0x01u
#define UART_LSR_THRE 0x20u

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

us_err_t console_uart_init(struct console_state *st)
{
    st->uart = NULL; /* no window: the ports are open to this space */
    return US_OK;
}

void console_uart_write(struct console_state *st, const char *s, size_t n)
{
    (void)st;
    for (size_t i = 0; i < n; i++) {
        while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE)) {
        }
        outb(COM1 + UART_THR, (uint8_t)s[i]);
    }
}

void console_uart_rx_on(struct console_state *st)
{
    (void)st;
    outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
    outb(COM1 + UART_IER, UART_IER_RX);
}

size_t console_uart_read(struct console_state *st, char *buf, size_t len)
{
    size_t n = 0;

    /* Taking the last byte lowers the line; one that comes after raises it again. */
    (void)st;
    while (n < len && (inb(COM1 + UART_LSR) & UART_LSR_DR)) {
        buf[n++] = (char)inb(COM1 + UART_RBR);
    }
    return n;
}
