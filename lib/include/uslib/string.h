/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The libc string subset for freestanding code (kernel, servers); hosted builds use libc's. */
#pragma once

#include <stddef.h>

#if __STDC_HOSTED__
#include <stdlib.h>
#include <string.h>
/* POSIX, so strict -std=c11 hides it; glibc's definition is compatible. */
size_t strnlen(const char *s, size_t max);
#else
/*
 * Standard semantics (C11 7.24, 7.22.1.4). This set is exactly what the kernel, the servers and
 * Debian's libfdt.a need; lib/string.c implements it. strtoul() saturates at ULONG_MAX on
 * overflow and has no errno.
 */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);

/* -ffreestanding keeps GCC from treating these as the builtins they are, so even a 6-byte
 * compare or an 8-byte copy was a call. Through the builtins, a small one of known size is
 * inlined and the rest still call lib/string.c, which defines them (US_STRING_IMPL). */
#ifndef US_STRING_IMPL
#define memcpy(...) __builtin_memcpy(__VA_ARGS__)
#define memset(...) __builtin_memset(__VA_ARGS__)
#define memcmp(...) __builtin_memcmp(__VA_ARGS__)
#endif
#endif
