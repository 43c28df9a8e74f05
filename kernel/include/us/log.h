/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Kernel logging, invariant checks and error tracing. */
#pragma once

#include <stdint.h>
#include <understudy/errors.h>
#include <understudy/syscalls.h>

/** klog_printf() - format a line into the kernel log ring (and the UART while the kernel owns
 * it). @level is a US_LOG_LEVEL_*. Never blocks. */
void klog_printf(uint32_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** klog_panic() - print the message straight to the UART and stop this CPU forever. */
_Noreturn void klog_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define US_LOG_ERR(...) klog_printf(US_LOG_LEVEL_ERR, "kernel| " __VA_ARGS__)
#define US_LOG_WARN(...) klog_printf(US_LOG_LEVEL_WARN, "kernel| " __VA_ARGS__)
#define US_LOG_INFO(...) klog_printf(US_LOG_LEVEL_INFO, "kernel| " __VA_ARGS__)
#define US_LOG_DBG(...) klog_printf(US_LOG_LEVEL_DBG, "kernel| " __VA_ARGS__)

/* Always on: a kernel invariant whose failure makes continuing unsafe. Never on guest or
 * server input. */
#define US_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            klog_panic("CHECK failed: %s at %s:%d", #cond, __FILE__, __LINE__);                    \
        }                                                                                          \
    } while (0)

#ifdef US_DEBUG
#define US_ASSERT(cond) US_CHECK(cond)
#else
#define US_ASSERT(cond) ((void)0)
#endif

#ifdef US_TRACE_ERRORS
#define US_TRACE(e)                                                                                \
    (klog_printf(US_LOG_LEVEL_DBG, "kernel| %s:%d: %s", __FILE__, __LINE__, us_err_name(e)), (e))
#else
#define US_TRACE(e) (e)
#endif
