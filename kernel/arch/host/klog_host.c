/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host "architecture": kernel logging on stderr, so core kernel code runs in unit tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <us/log.h>

void klog_printf(uint32_t level, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "[host klog %u] ", level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

_Noreturn void klog_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
