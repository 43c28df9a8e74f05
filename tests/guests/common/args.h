/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Tiny kernel-command-line helpers for the test guests' /chosen/bootargs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/** Returns: true if @needle occurs anywhere in @args (NULL @args never matches). */
bool args_contains(const char *args, const char *needle);

/**
 * Look up a space-separated "@key=<decimal>" token in @args.
 * Returns: its value, or @dflt if @args is NULL, the key is absent, the value has no digits
 * or it overflows 64 bits.
 */
uint64_t args_get_uint(const char *args, const char *key, uint64_t dflt);
