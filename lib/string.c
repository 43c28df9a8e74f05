/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Freestanding implementations of the libc string functions the target code and libfdt use. */
#define US_STRING_IMPL /* the functions themselves, not the builtins' macros */
#include <uslib/string.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * GCC recognises byte loops as memset/memcpy idioms and would compile them into calls to the
 * very functions being defined here; this attribute stops that.
 */
#define STRING_NO_IDIOM __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Accesses that may alias anything, for the aligned paths: pairs of words (LDP/STP on aarch64)
 * where both ends are 16-byte aligned, as IPC messages are; words; 32-bit half-words. */
typedef uint64_t __attribute__((may_alias)) string_word_t;
typedef unsigned __int128 __attribute__((may_alias)) string_pair_t;
typedef uint32_t __attribute__((may_alias)) string_half_t;

#define STRING_WORD_MASK ((uintptr_t)sizeof(string_word_t) - 1u)

/* Bytes up to @d's next multiple of @align (a power of two), no further than @n. */
static inline size_t string_lead(const unsigned char *d, size_t align, size_t n)
{
    size_t lead = (align - ((uintptr_t)d & (align - 1u))) & (align - 1u);

    return lead < n ? lead : n;
}

/* Both ends equally aligned modulo 16, 8 or 4 take whole pairs of words, words or half-words
 * after a few bytes; other copies go byte by byte. Frames copied behind a virtio-net header
 * are the common 4-byte case. */
STRING_NO_IDIOM void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    size_t align = 16u;

    if ((((uintptr_t)d | (uintptr_t)s) & 15u) != 0) {
        uintptr_t skew = (uintptr_t)d ^ (uintptr_t)s;

        align = (skew & 15u) == 0 ? 16u : (skew & 7u) == 0 ? 8u : (skew & 3u) == 0 ? 4u : 1u;
        for (size_t lead = string_lead(d, align, n); lead > 0; lead--, n--) {
            *d++ = *s++;
        }
    }
    if (align == 16u) {
        /* Two pairs of words a turn: IPC messages (up to 256 bytes) are the hot callers. */
        while (n >= 2 * sizeof(string_pair_t)) {
            string_pair_t *dp = (string_pair_t *)(void *)d;
            const string_pair_t *sp = (const string_pair_t *)(const void *)s;
            string_pair_t a = sp[0], b = sp[1];

            dp[0] = a;
            dp[1] = b;
            d += 2 * sizeof(string_pair_t);
            s += 2 * sizeof(string_pair_t);
            n -= 2 * sizeof(string_pair_t);
        }
    }
    if (align >= 8u) {
        while (n >= 4 * sizeof(string_word_t)) { /* four words a turn, as large copies go */
            string_word_t *dw = (string_word_t *)(void *)d;
            const string_word_t *sw = (const string_word_t *)(const void *)s;
            string_word_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];

            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
            d += 4 * sizeof(string_word_t);
            s += 4 * sizeof(string_word_t);
            n -= 4 * sizeof(string_word_t);
        }
        while (n >= sizeof(string_word_t)) {
            *(string_word_t *)(void *)d = *(const string_word_t *)(const void *)s;
            d += sizeof(string_word_t);
            s += sizeof(string_word_t);
            n -= sizeof(string_word_t);
        }
    }
    if (align >= 4u) {
        while (n >= sizeof(string_half_t)) {
            *(string_half_t *)(void *)d = *(const string_half_t *)(const void *)s;
            d += sizeof(string_half_t);
            s += sizeof(string_half_t);
            n -= sizeof(string_half_t);
        }
    }
    while (n > 0) {
        *d++ = *s++;
        n--;
    }
    return dst;
}

STRING_NO_IDIOM void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0) {
        return dst;
    }
    if ((uintptr_t)d < (uintptr_t)s || (uintptr_t)d >= (uintptr_t)s + n) {
        /* No harmful overlap going forwards. */
        while (n > 0) {
            *d++ = *s++;
            n--;
        }
    } else {
        d += n;
        s += n;
        while (n > 0) {
            *--d = *--s;
            n--;
        }
    }
    return dst;
}

STRING_NO_IDIOM void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    if (((uintptr_t)d & STRING_WORD_MASK) == 0) {
        uint64_t w = (uint64_t)b * 0x0101010101010101ull;
        string_pair_t pw = ((string_pair_t)w << 64) | w;

        /* Four pairs of words a turn (STP on aarch64): a VM's RAM and a server's memory are
         * zeroed this way, hundreds of MiB a boot. */
        if (((uintptr_t)d & 15u) != 0 && n >= sizeof(string_word_t)) {
            *(string_word_t *)(void *)d = w;
            d += sizeof(string_word_t);
            n -= sizeof(string_word_t);
        }
        while (n >= 4 * sizeof(string_pair_t)) {
            string_pair_t *dp = (string_pair_t *)(void *)d;

            dp[0] = pw;
            dp[1] = pw;
            dp[2] = pw;
            dp[3] = pw;
            d += 4 * sizeof(string_pair_t);
            n -= 4 * sizeof(string_pair_t);
        }
        while (n >= sizeof(string_word_t)) {
            *(string_word_t *)(void *)d = w;
            d += sizeof(string_word_t);
            n -= sizeof(string_word_t);
        }
    }
    while (n > 0) {
        *d++ = b;
        n--;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;
    size_t i;

    for (i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return (int)x[i] - (int)y[i];
        }
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char b = (unsigned char)c;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == b) {
            return (void *)(uintptr_t)(p + i);
        }
    }
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

char *strchr(const char *s, int c)
{
    char ch = (char)c;

    for (;; s++) {
        if (*s == ch) {
            return (char *)(uintptr_t)s;
        }
        if (*s == '\0') {
            return NULL;
        }
    }
}

char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;

    for (;; s++) {
        if (*s == ch) {
            last = s;
        }
        if (*s == '\0') {
            return (char *)(uintptr_t)last;
        }
    }
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (int)(unsigned char)*a - (int)(unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b || *a == '\0') {
            return (int)(unsigned char)*a - (int)(unsigned char)*b;
        }
    }
    return 0;
}

static int string_digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

static int string_is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    const char *p = s;
    unsigned long v = 0;
    unsigned long ub;
    bool neg = false;
    bool overflow = false;
    bool any = false;

    while (string_is_space(*p)) {
        p++;
    }
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        string_digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        if (end != NULL) {
            *end = (char *)(uintptr_t)s;
        }
        return 0;
    }
    ub = (unsigned long)base;
    for (;; p++) {
        int d = string_digit_value(*p);
        unsigned long ud;

        if (d >= base) {
            break;
        }
        ud = (unsigned long)d;
        any = true;
        if (v > (~0ul - ud) / ub) {
            overflow = true;
        } else {
            v = v * ub + ud;
        }
    }
    if (end != NULL) {
        *end = (char *)(uintptr_t)(any ? p : s);
    }
    if (overflow) {
        return ~0ul;
    }
    return neg ? (unsigned long)(0ul - v) : v;
}
