/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Polled PL011 console for the test guests: every byte is one store to UARTDR. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/** Write one byte, waiting while UARTFR.TXFF is set. */
void uart_putc(char c);

/** Write a NUL-terminated string, byte by byte. */
void uart_puts(const char *s);

/** Write @v as lower-case hex without a prefix or leading zeros ("0" for zero). */
void uart_put_hex(uint64_t v);

/** Write @v in unsigned decimal. */
void uart_put_udec(uint64_t v);

/** Write @v in signed decimal ("-1" for UINT64_MAX). */
void uart_put_sdec(int64_t v);

/** Returns: true if UARTFR.RXFE is clear, i.e. uart_getc() has a byte to return. */
bool uart_has_rx(void);

/** Read one byte from UARTDR. Precondition: uart_has_rx() returned true. */
uint8_t uart_getc(void);
