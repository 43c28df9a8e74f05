/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A small snprintf for freestanding code: the conversions the kernel and servers log with. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/**
 * us_vsnprintf() - format into buf like C11 vsnprintf, without floating point.
 *
 * Supports flags '-', '0', '+', ' ', '#'; width and precision (also '*'); length modifiers
 * hh, h, l, ll, z, j, t; conversions d i u x X o c s p %. "%s" of NULL prints "(null)" and
 * "%p" of NULL prints "(nil)", as glibc does. Unknown conversions are copied verbatim.
 * Writes at most size bytes including the NUL; buf may be NULL when size is 0.
 * Returns: the length the full output would have had (excluding the NUL), saturated at
 * INT_MAX.
 */
int us_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/**
 * us_snprintf() - as us_vsnprintf(), with variadic arguments.
 * Returns: the untruncated output length.
 */
int us_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
