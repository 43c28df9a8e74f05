/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/bundle_parse.c on bundles built and then damaged in memory. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/abi.h>
#include <understudy/bundle.h>
#include <uslib/bundle_parse.h>
#include <uslib/sha256.h>
#include "ut.h"

#define ENTRY_COUNT 3u
#define TOTAL_SIZE (4u * US_BUNDLE_ALIGN)

static uint8_t *bundle_buf;

static struct us_bundle_hdr *hdr(void)
{
    return (struct us_bundle_hdr *)(void *)bundle_buf;
}

static struct us_bundle_entry *entry(uint32_t i)
{
    return (struct us_bundle_entry *)(void *)(bundle_buf + sizeof(struct us_bundle_hdr)) + i;
}

/* Recompute the table hash after editing entries, so the edit itself is what gets checked. */
static void rehash_table(void)
{
    sha256(entry(0), hdr()->entry_count * sizeof(struct us_bundle_entry), hdr()->table_sha256);
}

static void rehash_entry(uint32_t i)
{
    sha256(bundle_buf + entry(i)->offset, entry(i)->size, entry(i)->sha256);
}

/* A valid bundle: manifest at 4 KiB, server at 8 KiB, config at 12 KiB. */
static void build_bundle(void)
{
    static const char *const names[ENTRY_COUNT] = {"manifest", "console", "config"};
    static const uint32_t types[ENTRY_COUNT] = {US_BUNDLE_MANIFEST, US_BUNDLE_SERVER,
                                                US_BUNDLE_CONFIG};
    static const uint64_t sizes[ENTRY_COUNT] = {100, US_BUNDLE_ALIGN, 1};
    uint32_t i;

    free(bundle_buf);
    bundle_buf = calloc(1, TOTAL_SIZE);
    memcpy(hdr()->magic, US_BUNDLE_MAGIC, 8);
    hdr()->abi_revision = US_ABI_REVISION;
    hdr()->entry_count = ENTRY_COUNT;
    hdr()->total_size = TOTAL_SIZE;
    for (i = 0; i < ENTRY_COUNT; i++) {
        struct us_bundle_entry *e = entry(i);

        strcpy(e->name, names[i]);
        e->type = types[i];
        e->offset = (i + 1u) * US_BUNDLE_ALIGN;
        e->size = sizes[i];
        memset(bundle_buf + e->offset, (int)('A' + i), (size_t)e->size);
        rehash_entry(i);
    }
    rehash_table();
}

static us_err_t check(bool verify)
{
    return bundle_parse_check(bundle_buf, TOTAL_SIZE, verify);
}

static void bundle_accepts_valid(void)
{
    const struct us_bundle_entry *e = NULL;

    build_bundle();
    UT_EXPECT_EQ(check(false), US_OK);
    UT_EXPECT_EQ(check(true), US_OK);
    /* A longer buffer (page-rounded mapping) is fine. */
    UT_EXPECT_EQ(bundle_parse_check(bundle_buf, TOTAL_SIZE + 1u, true), US_OK);
    UT_EXPECT_EQ(bundle_parse_find(bundle_buf, TOTAL_SIZE, "console", &e), US_OK);
    UT_EXPECT(e == entry(1));
    UT_EXPECT_EQ(bundle_parse_verify_entry(bundle_buf, TOTAL_SIZE, e), US_OK);
    UT_EXPECT(bundle_parse_data(bundle_buf, e) == bundle_buf + 2 * US_BUNDLE_ALIGN);
    UT_EXPECT_EQ(bundle_parse_entry(bundle_buf, TOTAL_SIZE, 2, &e), US_OK);
    UT_EXPECT(e == entry(2));
}

static void bundle_find_rejects_missing_name(void)
{
    const struct us_bundle_entry *e = NULL;

    build_bundle();
    UT_EXPECT_EQ(bundle_parse_find(bundle_buf, TOTAL_SIZE, "vmm", &e), US_ENOENT);
    UT_EXPECT_EQ(bundle_parse_find(bundle_buf, TOTAL_SIZE, "consol", &e), US_ENOENT);
    UT_EXPECT_EQ(bundle_parse_find(bundle_buf, TOTAL_SIZE, "console2", &e), US_ENOENT);
    UT_EXPECT_EQ(bundle_parse_entry(bundle_buf, TOTAL_SIZE, ENTRY_COUNT, &e), US_ENOENT);
}

static void bundle_rejects_bad_magic(void)
{
    build_bundle();
    hdr()->magic[7] = '2';
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_wrong_abi(void)
{
    build_bundle();
    hdr()->abi_revision = US_ABI_REVISION + 1u;
    UT_EXPECT_EQ(check(false), US_EINVAL);
}

static void bundle_rejects_truncated(void)
{
    static const uint64_t lens[] = {
        0, 8, 63, 64, 64 + 128, 64 + 3 * 128 - 1, 64 + 3 * 128, US_BUNDLE_ALIGN, TOTAL_SIZE - 1};
    const struct us_bundle_entry *e = NULL;
    size_t i;

    build_bundle();
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        UT_EXPECT_EQ(bundle_parse_check(bundle_buf, lens[i], false), US_ETRUNC);
        UT_EXPECT_EQ(bundle_parse_find(bundle_buf, lens[i], "config", &e), US_ETRUNC);
    }
    UT_EXPECT_EQ(bundle_parse_verify_entry(bundle_buf, 3 * US_BUNDLE_ALIGN, entry(2)), US_ETRUNC);
}

static void bundle_rejects_bad_entry_count(void)
{
    build_bundle();
    hdr()->entry_count = 0;
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    hdr()->entry_count = US_BUNDLE_MAX_ENTRIES + 1u;
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_total_below_table(void)
{
    build_bundle();
    hdr()->total_size = 64;
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_entry_past_end(void)
{
    build_bundle();
    entry(2)->size = US_BUNDLE_ALIGN + 1u;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    build_bundle();
    entry(2)->offset = TOTAL_SIZE + US_BUNDLE_ALIGN;
    entry(2)->size = 0;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_offset_overflow(void)
{
    build_bundle();
    /* offset + size wraps to a small number that would pass a naive end check. */
    entry(2)->offset = UINT64_MAX - US_BUNDLE_ALIGN + 1u;
    entry(2)->size = 2u * US_BUNDLE_ALIGN;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    build_bundle();
    entry(2)->size = UINT64_MAX;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_misaligned_offset(void)
{
    build_bundle();
    entry(2)->offset += 8u;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_offset_in_table(void)
{
    build_bundle();
    entry(0)->offset = 0;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_overlap(void)
{
    build_bundle();
    entry(1)->offset = entry(0)->offset;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_unterminated_name(void)
{
    build_bundle();
    memset(entry(1)->name, 'n', US_BUNDLE_NAME_LEN);
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_bad_name_padding(void)
{
    build_bundle();
    entry(1)->name[US_BUNDLE_NAME_LEN - 1] = 'x';
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    build_bundle();
    memset(entry(1)->name, 0, US_BUNDLE_NAME_LEN);
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_duplicate_name(void)
{
    build_bundle();
    strcpy(entry(2)->name, "console");
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_unknown_type(void)
{
    build_bundle();
    entry(1)->type = 0;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    entry(1)->type = US_BUNDLE_BLOB + 1u;
    rehash_table();
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_flipped_component_byte(void)
{
    const struct us_bundle_entry *e = NULL;

    build_bundle();
    bundle_buf[2 * US_BUNDLE_ALIGN + 1234] ^= 0x01;
    UT_EXPECT_EQ(check(false), US_OK);
    UT_EXPECT_EQ(check(true), US_ECORRUPT);
    UT_EXPECT_EQ(bundle_parse_find(bundle_buf, TOTAL_SIZE, "console", &e), US_OK);
    UT_EXPECT_EQ(bundle_parse_verify_entry(bundle_buf, TOTAL_SIZE, e), US_ECORRUPT);
}

static void bundle_rejects_flipped_table_byte(void)
{
    build_bundle();
    bundle_buf[sizeof(struct us_bundle_hdr) + 128 + 40] ^= 0x80;
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
    build_bundle();
    hdr()->table_sha256[31] ^= 0x01;
    UT_EXPECT_EQ(check(false), US_ECORRUPT);
}

static void bundle_rejects_misaligned_buffer(void)
{
    uint8_t *copy;

    build_bundle();
    copy = malloc(TOTAL_SIZE + 8u);
    memcpy(copy + 4, bundle_buf, TOTAL_SIZE);
    UT_EXPECT_EQ(bundle_parse_check(copy + 4, TOTAL_SIZE, false), US_EINVAL);
    UT_EXPECT_EQ(bundle_parse_check(NULL, TOTAL_SIZE, false), US_EINVAL);
    free(copy);
}

static void bundle_diag_names_entry(void)
{
    struct bundle_parse_diag diag;

    build_bundle();
    bundle_buf[3 * US_BUNDLE_ALIGN] ^= 0xff;
    UT_EXPECT_EQ(bundle_parse_check_diag(bundle_buf, TOTAL_SIZE, true, &diag), US_ECORRUPT);
    UT_EXPECT_EQ(diag.entry, 2);
    UT_EXPECT(diag.why != NULL && strstr(diag.why, "hash") != NULL);
}

UT_MAIN({"accepts_valid", bundle_accepts_valid},
        {"find_rejects_missing_name", bundle_find_rejects_missing_name},
        {"rejects_bad_magic", bundle_rejects_bad_magic},
        {"rejects_wrong_abi", bundle_rejects_wrong_abi},
        {"rejects_truncated", bundle_rejects_truncated},
        {"rejects_bad_entry_count", bundle_rejects_bad_entry_count},
        {"rejects_total_below_table", bundle_rejects_total_below_table},
        {"rejects_entry_past_end", bundle_rejects_entry_past_end},
        {"rejects_offset_overflow", bundle_rejects_offset_overflow},
        {"rejects_misaligned_offset", bundle_rejects_misaligned_offset},
        {"rejects_offset_in_table", bundle_rejects_offset_in_table},
        {"rejects_overlap", bundle_rejects_overlap},
        {"rejects_unterminated_name", bundle_rejects_unterminated_name},
        {"rejects_bad_name_padding", bundle_rejects_bad_name_padding},
        {"rejects_duplicate_name", bundle_rejects_duplicate_name},
        {"rejects_unknown_type", bundle_rejects_unknown_type},
        {"rejects_flipped_component_byte", bundle_rejects_flipped_component_byte},
        {"rejects_flipped_table_byte", bundle_rejects_flipped_table_byte},
        {"rejects_misaligned_buffer", bundle_rejects_misaligned_buffer},
        {"diag_names_entry", bundle_diag_names_entry})
