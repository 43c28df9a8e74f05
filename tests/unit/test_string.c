/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/string.c's memcpy and memset, built under other names beside the host's
 * libc: every length up to 300 bytes at every (pair of) alignment(s), against a byte loop. */
#define memcpy us_memcpy
#define memmove us_memmove
#define memset us_memset
#define memcmp us_memcmp
#define memchr us_memchr
#define strlen us_strlen
#define strnlen us_strnlen
#define strchr us_strchr
#define strrchr us_strrchr
#define strcmp us_strcmp
#define strncmp us_strncmp
#define strtoul us_strtoul
#include "../../lib/string.c"
#undef memcpy
#include "ut.h"

#define SPAN 300u

static _Alignas(16) unsigned char src[SPAN + 32], dst[SPAN + 32];

/* Copies of every length and alignment land exactly on their bytes: none before, none after. */
static void memcpy_every_alignment(void)
{
    for (uint32_t i = 0; i < sizeof(src); i++) {
        src[i] = (unsigned char)(i * 7u + 3u);
    }
    for (uint32_t so = 0; so < 16; so++) {
        for (uint32_t dof = 0; dof < 16; dof++) {
            for (uint32_t n = 0; n <= SPAN; n++) {
                uint32_t bad = 0;

                for (uint32_t i = 0; i < sizeof(dst); i++) {
                    dst[i] = 0xee;
                }
                UT_EXPECT(us_memcpy(dst + dof, src + so, n) == dst + dof);
                for (uint32_t i = 0; i < sizeof(dst); i++) {
                    bool inside = i >= dof && i < dof + n;
                    bad += dst[i] != (inside ? src[so + i - dof] : 0xee);
                }
                if (bad != 0) {
                    UT_EXPECT_EQ(bad, 0);
                    return;
                }
            }
        }
    }
}

/* Fills of every length and alignment (words, pairs of words, four pairs a turn) land exactly
 * on their bytes, with the value given. */
static void memset_every_alignment(void)
{
    for (uint32_t dof = 0; dof < 16; dof++) {
        for (uint32_t n = 0; n <= SPAN; n++) {
            uint32_t bad = 0;
            int c = (int)(0x100u + dof * 16u + n % 7u); /* only the low byte counts */

            for (uint32_t i = 0; i < sizeof(dst); i++) {
                dst[i] = 0xee;
            }
            UT_EXPECT(us_memset(dst + dof, c, n) == dst + dof);
            for (uint32_t i = 0; i < sizeof(dst); i++) {
                bool inside = i >= dof && i < dof + n;
                bad += dst[i] != (inside ? (unsigned char)c : 0xee);
            }
            if (bad != 0) {
                UT_EXPECT_EQ(bad, 0);
                return;
            }
        }
    }
}

UT_MAIN({"memcpy_every_alignment", memcpy_every_alignment},
        {"memset_every_alignment", memset_every_alignment})
