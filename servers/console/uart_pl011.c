/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The console's UART on aarch64: the PL011, through its MMIO window (US_SLOT_CONSOLE_UART). */
#include <understudy/slots.h>
#include "console.h"

#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_IMSC 0x38u
#define UART_ICR 0x44u
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)
#define UART_INT_RX ((1u << 4) | (1u << 6)) /* RXIM | RTIM */

us_err_t console_uart_init(struct console_state *st)
{
    us_err_t e = us_mem_map(US_SLOT_CONSOLE_UART, CONSOLE_UART_VA, US_RIGHT_READ | US_RIGHT_WRITE);

    st->uart = (volatile uint32_t *)(uintptr_t)CONSOLE_UART_VA;
    return e;
}

void console_uart_write(struct console_state *st, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        while (st->uart[UART_FR / 4] & UART_FR_TXFF) {
        }
        st->uart[UART_DR / 4] = (uint32_t)(unsigned char)s[i];
    }
}

void console_uart_rx_on(struct console_state *st)
{
    st->uart[UART_IMSC / 4] = UART_INT_RX;
}

size_t console_uart_read(struct console_state *st, char *buf, size_t len)
{
    size_t n = 0;

    /* Clear the interrupt before draining: a byte that lands after the last RXFE check then
     * raises it again. Clearing after the drain could swallow that byte's interrupt, and with
     * the FIFO full nothing more would ever arrive. */
    st->uart[UART_ICR / 4] = UART_INT_RX;
    while (n < len && !(st->uart[UART_FR / 4] & UART_FR_RXFE)) {
        buf[n++] = (char)(st->uart[UART_DR / 4] & 0xffu);
    }
    return n;
}
