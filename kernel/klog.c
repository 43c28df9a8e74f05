/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Kernel log: a byte ring plus direct UART output until the console server owns the UART. */
#include <stdarg.h>
#include <uslib/fmt.h>
#include <us/klog.h>
#include <us/log.h>
#include <us/notification.h>
#include <us/platform.h>
#include <us/arch/irq.h>

static struct {
    char ring[KLOG_RING_SIZE];
    uint64_t head; /* total bytes ever written */
    struct notification *reader;
    uint64_t reader_bit;
    bool reader_seen;
} klog;

void klog_append(const char *s, uint64_t n)
{
    uint64_t i;

    for (i = 0; i < n; i++) {
        klog.ring[klog.head++ % KLOG_RING_SIZE] = s[i];
    }
    klog.ring[klog.head++ % KLOG_RING_SIZE] = '\n';
    if (klog.reader == NULL || !klog.reader_seen) {
        plat_uart_write(s, n);
        plat_uart_write("\n", 1);
    }
    if (klog.reader != NULL) {
        notification_signal(klog.reader, klog.reader_bit);
    }
}

uint64_t klog_read(uint64_t cursor, char *buf, uint64_t max, uint64_t *next)
{
    uint64_t oldest = klog.head > KLOG_RING_SIZE ? klog.head - KLOG_RING_SIZE : 0;
    uint64_t n = 0;

    klog.reader_seen = true;
    /* A cursor past the end means "from now on": the first read of a new reader takes
     * over the UART without repeating what the kernel already printed there. */
    if (cursor > klog.head) {
        cursor = klog.head;
    } else if (cursor < oldest) {
        cursor = oldest;
    }
    while (cursor < klog.head && n < max) {
        buf[n++] = klog.ring[cursor++ % KLOG_RING_SIZE];
    }
    *next = cursor;
    return n;
}

void klog_set_reader(struct notification *n, uint64_t bit)
{
    klog.reader = n;
    klog.reader_bit = bit;
}

void klog_reader_lost(const struct notification *n)
{
    if (n == klog.reader) {
        klog.reader_seen = false;
    }
}

static const char *const level_tag[] = {"ERR ", "WARN", "INFO", "DBG "};

void klog_printf(uint32_t level, const char *fmt, ...)
{
    char line[256];
    uint64_t t = arch_counter() * 1000u / (arch_counter_freq() ? arch_counter_freq() : 1);
    int n = us_snprintf(line, sizeof(line), "[%6llu.%03llu] %s ", (unsigned long long)(t / 1000u),
                        (unsigned long long)(t % 1000u), level_tag[level & 3u]);
    va_list ap;

    if (n < 0) {
        n = 0;
    }
    va_start(ap, fmt);
    n += us_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
    }
    klog_append(line, (uint64_t)n);
}

_Noreturn void klog_panic(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = us_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0) {
        n = 0;
    }
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
    }
    plat_uart_write("\nkernel| PANIC: ", 16);
    plat_uart_write(line, (uint64_t)n);
    plat_uart_write("\n", 1);
    for (;;) {
        arch_wait_for_interrupt();
    }
}
