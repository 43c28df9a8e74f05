/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/klog.c: the log ring, its reader's notification, and who owns the
 * UART. */
#include <setjmp.h>
#include <string.h>
#include <us/klog.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/notification.h>
#include "kernel_fx.h"
#include "ut.h"

static char buf[KLOG_RING_SIZE + 64];

static void ring_keeps_lines(void)
{
    uint64_t next, n;

    klog_append("one", 3);
    klog_append("two", 3);
    n = klog_read(0, buf, sizeof(buf), &next);
    UT_EXPECT_EQ(n, 8);
    UT_EXPECT(memcmp(buf, "one\ntwo\n", 8) == 0);
    UT_EXPECT_EQ(next, 8);
    UT_EXPECT_EQ(klog_read(next, buf, sizeof(buf), &next), 0);
    UT_EXPECT_EQ(klog_read(2, buf, 3, &next), 3); /* at most max */
    UT_EXPECT(memcmp(buf, "e\nt", 3) == 0);
    UT_EXPECT_EQ(next, 5);
}

static void read_past_end_starts_at_end(void)
{
    uint64_t next;

    klog_append("old", 3);
    UT_EXPECT_EQ(klog_read(UINT64_MAX, buf, sizeof(buf), &next), 0);
    UT_EXPECT_EQ(next, 4);
}

static void read_of_overwritten_restarts_at_oldest(void)
{
    char line[100];
    uint64_t next, n;

    memset(line, 'x', sizeof(line));
    for (uint32_t i = 0; i < 200; i++) {
        line[0] = (char)('a' + i % 26);
        klog_append(line, sizeof(line)); /* 101 bytes a line: 20200 in all */
    }
    n = klog_read(0, buf, sizeof(buf), &next);
    UT_EXPECT_EQ(n, KLOG_RING_SIZE);
    UT_EXPECT_EQ(next, 200 * 101);
    UT_EXPECT_EQ(buf[KLOG_RING_SIZE - 1], '\n');
    UT_EXPECT_EQ(buf[KLOG_RING_SIZE - 101], (char)('a' + 199 % 26));
}

static void reader_takes_over_uart(void)
{
    struct notification *n;
    uint64_t next, len;

    kfx_init(1);
    n = kmem_notification_alloc();
    klog_append("before", 6);
    UT_EXPECT(strstr(host_uart, "before\n") != NULL);
    klog_set_reader(n, 0x2);
    klog_append("pending", 7);
    UT_EXPECT_EQ(n->bits, 0x2);
    UT_EXPECT(strstr(host_uart, "pending\n") != NULL); /* until it reads, the UART still */
    (void)klog_read(UINT64_MAX, buf, sizeof(buf), &next);
    len = host_uart_len;
    klog_append("after", 5);
    UT_EXPECT_EQ(host_uart_len, len);
    UT_EXPECT_EQ(klog_read(next, buf, sizeof(buf), &next), 6);
    klog_reader_lost(kmem_notification_alloc()); /* not the reader's */
    klog_append("kept", 4);
    UT_EXPECT_EQ(host_uart_len, len);
    klog_reader_lost(n);
    klog_append("lost", 4);
    UT_EXPECT(strstr(host_uart, "lost\n") != NULL);
}

static void printf_stamps_and_truncates(void)
{
    char big[400];
    uint64_t next, n;

    host_counter = 2500000; /* 2.5 s at 1 MHz */
    klog_printf(US_LOG_LEVEL_WARN, "value %d", 42);
    n = klog_read(0, buf, sizeof(buf), &next);
    buf[n] = '\0';
    UT_EXPECT(strcmp(buf, "[     2.500] WARN value 42\n") == 0);
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    klog_printf(US_LOG_LEVEL_DBG, "%s", big);
    n = klog_read(next, buf, sizeof(buf), &next);
    UT_EXPECT_EQ(n, 256); /* 255 of line and the newline */
}

/* klog_panic() never returns: the idle wait it ends in hands control back here. */
static jmp_buf env;

static void leave_panic(void)
{
    longjmp(env, 1);
}

static void panic_writes_uart_and_stops(void)
{
    host_wfi_hook = leave_panic;
    if (setjmp(env) == 0) {
        klog_panic("broken %s", "invariant");
    }
    UT_EXPECT(strstr(host_uart, "kernel| PANIC: broken invariant\n") != NULL);
    UT_EXPECT_EQ(host_wfis, 1);
}

UT_MAIN({"ring_keeps_lines", ring_keeps_lines},
        {"read_past_end_starts_at_end", read_past_end_starts_at_end},
        {"read_of_overwritten_restarts_at_oldest", read_of_overwritten_restarts_at_oldest},
        {"reader_takes_over_uart", reader_takes_over_uart},
        {"printf_stamps_and_truncates", printf_stamps_and_truncates},
        {"panic_writes_uart_and_stops", panic_writes_uart_and_stops})
