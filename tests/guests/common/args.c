/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Substring and key=value lookups over a bootargs string, no libc. */
#include "args.h"

#include <stddef.h>

/* Returns: the byte after @prefix if @s starts with it, else NULL. */
static const char *skip_prefix(const char *s, const char *prefix)
{
    while (*prefix != '\0') {
        if (*s != *prefix) {
            return NULL;
        }
        s++;
        prefix++;
    }
    return s;
}

bool args_contains(const char *args, const char *needle)
{
    if (args == NULL) {
        return false;
    }
    for (; *args != '\0'; args++) {
        if (skip_prefix(args, needle) != NULL) {
            return true;
        }
    }
    return *needle == '\0';
}

/* Returns: true and the value in *out if @s starts with "@key=<digits>" ended by ' '/NUL. */
static bool parse_token(const char *s, const char *key, uint64_t *out)
{
    const char *p = skip_prefix(s, key);
    uint64_t v = 0;

    if (p == NULL || *p != '=') {
        return false;
    }
    p++;
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t digit = (uint64_t)(*p - '0');

        if (v > (UINT64_MAX - digit) / 10u) {
            return false;
        }
        v = v * 10u + digit;
    }
    if (*p != '\0' && *p != ' ') {
        return false;
    }
    *out = v;
    return true;
}

uint64_t args_get_uint(const char *args, const char *key, uint64_t dflt)
{
    uint64_t v;
    bool at_token_start = true;

    if (args == NULL) {
        return dflt;
    }
    for (; *args != '\0'; args++) {
        if (at_token_start && parse_token(args, key, &v)) {
            return v;
        }
        at_token_start = (*args == ' ');
    }
    return dflt;
}
