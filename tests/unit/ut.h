/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A minimal unit-test harness: one binary per module, one CTest per named case. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ut_case {
    const char *name;
    void (*fn)(void);
};

extern int ut_failures;

#define UT_EXPECT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: expectation failed: %s\n", __FILE__, __LINE__, #cond);         \
            ut_failures++;                                                                         \
        }                                                                                          \
    } while (0)

#define UT_EXPECT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long ut_a_ = (long long)(a), ut_b_ = (long long)(b);                                  \
        if (ut_a_ != ut_b_) {                                                                      \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    ut_a_, ut_b_);                                                                 \
            ut_failures++;                                                                         \
        }                                                                                          \
    } while (0)

/* "--cases NAME...": whether NAME... (the CTest registrations) are exactly the table's cases,
 * so a case added to one list but not the other cannot go unrun. */
static inline int ut_check_cases(const struct ut_case *cases, size_t n, int argc, char **argv)
{
    int bad = 0;

    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (int a = 0; a < argc; a++) {
            found |= strcmp(argv[a], cases[i].name) == 0;
        }
        if (!found) {
            fprintf(stderr, "case %s is not registered with CTest (CASES)\n", cases[i].name);
            bad = 1;
        }
    }
    for (int a = 0; a < argc; a++) {
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            found |= strcmp(argv[a], cases[i].name) == 0;
        }
        if (!found) {
            fprintf(stderr, "CTest case %s is not in UT_MAIN\n", argv[a]);
            bad = 1;
        }
    }
    return bad;
}

/* Define the case table and main(): UT_MAIN({"name", fn}, ...) */
#define UT_MAIN(...)                                                                               \
    int ut_failures;                                                                               \
    static const struct ut_case ut_cases[] = {__VA_ARGS__};                                        \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        size_t i, ran = 0;                                                                         \
        if (argc > 1 && strcmp(argv[1], "--cases") == 0) {                                         \
            return ut_check_cases(ut_cases, sizeof(ut_cases) / sizeof(ut_cases[0]), argc - 2,      \
                                  argv + 2);                                                       \
        }                                                                                          \
        for (i = 0; i < sizeof(ut_cases) / sizeof(ut_cases[0]); i++) {                             \
            if (argc < 2 || strcmp(argv[1], ut_cases[i].name) == 0) {                              \
                ut_cases[i].fn();                                                                  \
                ran++;                                                                             \
            }                                                                                      \
        }                                                                                          \
        if (ran == 0) {                                                                            \
            fprintf(stderr, "no case named %s\n", argc > 1 ? argv[1] : "?");                       \
            return 2;                                                                              \
        }                                                                                          \
        if (ut_failures) {                                                                         \
            fprintf(stderr, "%d expectation(s) failed\n", ut_failures);                            \
            return 1;                                                                              \
        }                                                                                          \
        return 0;                                                                                  \
    }
