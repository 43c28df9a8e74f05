/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Polled PL011 driver using only UARTDR and UARTFR, the two registers the VM must emulate. */
#include "uart.h"

#include "mmio.h"

/* QEMU virt UART0; PL011 TRM (DDI0183) section 3.3 for the register layout. */
#define UART_BASE 0x09000000u
#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)

void uart_putc(char c)
{
    /* A hypervisor may report TXFF while its console buffer is full, so honour it. */
    while ((mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF) != 0) {
    }
    mmio_write32(UART_BASE + UART_DR, (uint8_t)c);
}

void uart_puts(const char *s)
{
    while (*s != '\0') {
        uart_putc(*s);
        s++;
    }
}

void uart_put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 60;

    while (shift > 0 && ((v >> shift) & 0xfu) == 0) {
        shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
        uart_putc(digits[(v >> shift) & 0xfu]);
    }
}

void uart_put_udec(uint64_t v)
{
    char buf[20]; /* UINT64_MAX has 20 digits */
    unsigned int n = 0;

    do {
        buf[n] = (char)('0' + (v % 10u));
        n++;
        v /= 10u;
    } while (v != 0);
    while (n > 0) {
        n--;
        uart_putc(buf[n]);
    }
}

void uart_put_sdec(int64_t v)
{
    if (v < 0) {
        uart_putc('-');
        /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
        uart_put_udec(0u - (uint64_t)v);
    } else {
        uart_put_udec((uint64_t)v);
    }
}

bool uart_has_rx(void)
{
    return (mmio_read32(UART_BASE + UART_FR) & UART_FR_RXFE) == 0;
}

uint8_t uart_getc(void)
{
    return (uint8_t)(mmio_read32(UART_BASE + UART_DR) & 0xffu);
}
