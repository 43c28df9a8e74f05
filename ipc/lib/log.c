/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server logging into the kernel log ring; the kernel prefixes the server's name. */
#include <stdarg.h>
#include <understudy/usys.h>
#include <uslib/fmt.h>

void us_logf(uint32_t level, const char *fmt, ...)
{
    char line[US_LOG_MAX_LEN];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = us_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line)) {
        n = (int)sizeof(line) - 1;
    }
    (void)us_log_write(level, line, (size_t)n);
}
