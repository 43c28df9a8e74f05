/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/fmt.c: us_snprintf must agree with the host libc's snprintf. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <uslib/fmt.h>
#include "ut.h"

/* Buffer size behind a volatile so GCC cannot predict (and warn about) truncation. */
static volatile size_t buf_size = 256;

static void check_same(int line, int got_n, const char *got, int want_n, const char *want)
{
    if (got_n != want_n || strcmp(got, want) != 0) {
        fprintf(stderr, "line %d: us_snprintf gave %d \"%s\", libc %d \"%s\"\n", line, got_n, got,
                want_n, want);
        ut_failures++;
    }
}

#define SAME(...)                                                                                  \
    do {                                                                                           \
        char a_[256], b_[256];                                                                     \
        int an_ = us_snprintf(a_, buf_size, __VA_ARGS__);                                          \
        int bn_ = snprintf(b_, buf_size, __VA_ARGS__);                                             \
        check_same(__LINE__, an_, a_, bn_, b_);                                                    \
    } while (0)

static void fmt_formats_integers(void)
{
    SAME("%d %i %u", 0, -1, 0u);
    SAME("%d %d", INT_MIN, INT_MAX);
    SAME("%u %x %X", UINT_MAX, UINT_MAX, 0xabcdefu);
    SAME("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0xdeadbeefcafeul);
    SAME("%lld %llu %llx", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefull);
    SAME("%zu %zx", (size_t)SIZE_MAX, (size_t)4096);
    SAME("%hhd %hhu %hd %hu", -3, 255, -300, 65535);
    SAME("%o %#o %#x %#X %#x", 8u, 8u, 255u, 255u, 0u);
    SAME("%+d %+d % d % d", 5, -5, 5, -5);
}

static void fmt_formats_width_precision(void)
{
    SAME("[%08x] [%8x] [%-8x] [%08d] [%08d]", 0xbeefu, 0xbeefu, 0xbeefu, -42, 42);
    SAME("[%016llx] [%016lx]", 0x1ull, 0xfffffffffful);
    SAME("[%-16s] [%16s] [%.3s] [%.*s] [%-*s]", "abc", "abc", "abcdef", 2, "xyz", 6, "q");
    SAME("[%*d] [%-*d] [%*d]", 5, 1, 5, 2, -5, 3);
    SAME("[%.5d] [%8.5d] [%-8.5d] [%.0d] [%.0x] [%.3x]", 42, -42, 42, 0, 0u, 0xau);
    SAME("[%.*d]", -1, 7);
    SAME("[%5c] [%-5c] [%c]", 'x', 'y', 'z');
    SAME("[%3s] [%.0s]", "toolong", "gone");
}

static void fmt_formats_strings_and_pointers(void)
{
    int x;

    SAME("%s|%s|%%|%c", "hello", "", '!');
    SAME("%p %p", (void *)&x, (void *)(uintptr_t)0x1000);
    SAME("[%20p] [%-20p]", (void *)&x, (void *)&x);
    SAME("no conversions at all");
    SAME("%s", "a string that is rather longer than the others in this test, fine");
}

static void fmt_prints_null_like_glibc(void)
{
    const char *volatile null_str = NULL;
    char a[32];

    us_snprintf(a, sizeof(a), "%s", null_str);
    UT_EXPECT(strcmp(a, "(null)") == 0);
    us_snprintf(a, sizeof(a), "%p", (void *)NULL);
    UT_EXPECT(strcmp(a, "(nil)") == 0);
}

static void fmt_truncates(void)
{
    char a[16], b[16];
    size_t sizes[] = {1, 2, 5, 9, 10, 11, 16};
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        volatile size_t n = sizes[i];
        int an, bn;

        memset(a, 'X', sizeof(a));
        memset(b, 'X', sizeof(b));
        an = us_snprintf(a, n, "%s-%08x", "abc", 0x1234u);
        bn = snprintf(b, n, "%s-%08x", "abc", 0x1234u);
        UT_EXPECT_EQ(an, bn);
        UT_EXPECT(memcmp(a, b, sizeof(a)) == 0);
    }
}

static void fmt_handles_zero_size(void)
{
    char a[4] = {'X', 'X', 'X', 'X'};

    UT_EXPECT_EQ(us_snprintf(NULL, 0, "%d-%s", 1234, "ab"), 7);
    UT_EXPECT_EQ(us_snprintf(a, 0, "%d", 5), 1);
    UT_EXPECT(a[0] == 'X');
}

UT_MAIN({"formats_integers", fmt_formats_integers},
        {"formats_width_precision", fmt_formats_width_precision},
        {"formats_strings_and_pointers", fmt_formats_strings_and_pointers},
        {"prints_null_like_glibc", fmt_prints_null_like_glibc}, {"truncates", fmt_truncates},
        {"handles_zero_size", fmt_handles_zero_size})
