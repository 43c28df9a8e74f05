/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The console server's private interface: UART, kernel log pump, guest rings, shell. */
#pragma once

#include <understudy/console.h>
#include <understudy/usys.h>
#include "console_shell.h"

#define CONSOLE_UART_VA US_VA_DYNAMIC
#define CONSOLE_RINGS_VA (US_VA_DYNAMIC + 0x100000ull)

/* What the console keeps in its state region across restarts. */
struct console_kept {
    uint64_t klog_cursor; /* the next kernel log byte to print */
    uint32_t fp_check;    /* `server fpcheck`: the server to call after the restart, plus 1 */
    uint32_t pad;
};
#define CONSOLE_MAGIC 0x636f6e73u
#define CONSOLE_VERSION 2u

/* Guest input the vmm had no room for yet (US_VMM_GUEST_IN): sent on US_NTFN_GUEST_IN_ROOM. */
#define CONSOLE_INPUT_HELD 1024u

struct console_state {
    volatile uint32_t *uart; /* the PL011's registers; NULL where the UART is behind ports */
    struct us_guest_ring *rings;
    struct console_kept *kept; /* in the state region */
    struct console_shell shell;
    uint8_t held[CONSOLE_INPUT_HELD]; /* for guest held_vmid, oldest first */
    uint32_t held_n, held_vmid;
};

/** console_init() - map the UART and the guest rings, take over the kernel log (from where
 * the last instance stopped if @kept holds its state), start the shell.
 * Returns: US_OK or the failing mapping's error. */
us_err_t console_init(struct console_state *st, struct console_kept *kept, bool recovered);

/** console_dispatch() - one received message (a notification or a call); never blocks on a
 * server that may call the console. */
void console_dispatch(struct console_state *st, us_badge_t badge, struct us_msg *m);

/** console_badipc() - run the malformed-IPC battery from this server; report lines in @out. */
us_err_t console_badipc(void *ctx, char *out, size_t len);

/** console_ipcbench() - time @n calls to migrate per batch, echoes (answered by its runtime:
 * the IPC alone) and pings (its handler, and its state sealed after); the medians in @out.
 * Returns: US_OK; US_EINVAL if @n is 0; or the first failing call's error. */
us_err_t console_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out);

/* The UART, one file an architecture's board (uart_pl011.c, uart_16550.c). */

/** console_uart_init() - reach the UART (map its window). Returns: US_OK or the mapping's
 * error. */
us_err_t console_uart_init(struct console_state *st);

/** console_uart_write() - blocking polled output of @n bytes. */
void console_uart_write(struct console_state *st, const char *s, size_t n);

/** console_uart_rx_on() - let a received byte raise the UART's interrupt. */
void console_uart_rx_on(struct console_state *st);

/** console_uart_read() - up to @len received bytes into @buf, the interrupt cleared first.
 * Returns: how many; 0 when the UART holds none. */
size_t console_uart_read(struct console_state *st, char *buf, size_t len);
