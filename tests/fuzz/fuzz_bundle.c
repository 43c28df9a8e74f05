/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: boot bundle validation and lookup (lib/bundle_parse.c) on arbitrary bundles. */
#include <stdbool.h>
#include <understudy/bundle.h>
#include <uslib/bundle_parse.h>
#include <uslib/sha256.h>
#include "fuzz_input.h"

/*
 * Input: one flags byte, then the bundle. A random table rarely matches its sha256, so the
 * flags let the harness repair what the fuzzer cannot forge, after laying the bytes out:
 */
#define F_FIX_TABLE (1u << 0)  /* rewrite table_sha256 for the table as it is */
#define F_FIX_PARTS (1u << 1)  /* rewrite each in-range component's sha256 */
#define F_VERIFY (1u << 2)     /* check with verify_components */
#define F_GAP (1u << 3)        /* header and table at 0, the remaining bytes at US_BUNDLE_ALIGN */
#define F_FIX_TOTAL (1u << 4)  /* total_size = the buffer's length */
#define F_LEN_TOTAL (1u << 5)  /* pass len = total_size (when it fits) rather than the buffer's */
#define F_ODD_BUFFER (1u << 6) /* also check that a misaligned copy is refused */

struct layout {
    uint8_t *buf;
    uint64_t size;
};

static uint32_t table_entries(const uint8_t *buf, uint64_t size)
{
    struct us_bundle_hdr hdr;
    uint64_t fit;

    if (size < sizeof(hdr)) {
        return 0;
    }
    memcpy(&hdr, buf, sizeof(hdr));
    fit = (size - sizeof(hdr)) / sizeof(struct us_bundle_entry);
    return (uint32_t)(hdr.entry_count < fit ? hdr.entry_count : fit);
}

static struct layout lay_out(uint8_t flags, const uint8_t *p, size_t n)
{
    struct layout l;
    size_t head = n;

    if ((flags & F_GAP) && n >= sizeof(struct us_bundle_hdr)) {
        struct us_bundle_hdr hdr;
        uint64_t count;

        memcpy(&hdr, p, sizeof(hdr));
        count = hdr.entry_count < US_BUNDLE_MAX_ENTRIES ? hdr.entry_count : US_BUNDLE_MAX_ENTRIES;
        head = sizeof(hdr) + (size_t)count * sizeof(struct us_bundle_entry);
        head = head < n ? head : n;
    }
    l.size = head < n ? US_BUNDLE_ALIGN + (n - head) : n;
    l.buf = calloc(1, l.size > 0 ? (size_t)l.size : 1);
    FUZZ_CHECK(l.buf != NULL && ((uintptr_t)l.buf & 7u) == 0);
    if (head > 0) {
        memcpy(l.buf, p, head);
    }
    if (head < n) {
        memcpy(l.buf + US_BUNDLE_ALIGN, p + head, n - head);
    }
    return l;
}

static void repair(uint8_t flags, struct layout *l)
{
    struct us_bundle_hdr *hdr = (struct us_bundle_hdr *)(void *)l->buf;
    struct us_bundle_entry *tab = (struct us_bundle_entry *)(void *)(l->buf + sizeof(*hdr));
    uint32_t count = table_entries(l->buf, l->size);

    if (l->size < sizeof(*hdr)) {
        return;
    }
    if (flags & F_FIX_TOTAL) {
        hdr->total_size = l->size;
    }
    for (uint32_t i = 0; (flags & F_FIX_PARTS) && i < count; i++) {
        if (tab[i].offset <= l->size && tab[i].size <= l->size - tab[i].offset) {
            sha256(l->buf + tab[i].offset, (size_t)tab[i].size, tab[i].sha256);
        }
    }
    if ((flags & F_FIX_TABLE) && count == hdr->entry_count) {
        sha256(tab, count * sizeof(*tab), hdr->table_sha256);
    }
}

/* Everything bundle_parse.h promises about a bundle it accepted. */
static void check_accepted(const uint8_t *buf, uint64_t len, bool verified)
{
    const struct us_bundle_hdr *hdr = (const struct us_bundle_hdr *)(const void *)buf;
    const struct us_bundle_entry *tab, *e;
    uint64_t table_end;
    uint32_t count = hdr->entry_count;

    FUZZ_CHECK(memcmp(hdr->magic, US_BUNDLE_MAGIC, 8) == 0);
    FUZZ_CHECK(count >= 1 && count <= US_BUNDLE_MAX_ENTRIES);
    table_end = sizeof(*hdr) + (uint64_t)count * sizeof(*tab);
    FUZZ_CHECK(hdr->total_size >= table_end && hdr->total_size <= len);
    tab = (const struct us_bundle_entry *)(const void *)(buf + sizeof(*hdr));
    for (uint32_t i = 0; i < count; i++) {
        size_t n = strnlen(tab[i].name, US_BUNDLE_NAME_LEN);

        FUZZ_CHECK(n > 0 && n < US_BUNDLE_NAME_LEN);
        FUZZ_CHECK(tab[i].offset % US_BUNDLE_ALIGN == 0 && tab[i].offset >= table_end);
        FUZZ_CHECK(tab[i].offset <= hdr->total_size);
        FUZZ_CHECK(tab[i].size <= hdr->total_size - tab[i].offset);
        FUZZ_CHECK(strcmp(bundle_parse_type_name(tab[i].type), "?") != 0);
        FUZZ_CHECK(bundle_parse_entry(buf, len, i, &e) == US_OK && e == &tab[i]);
        FUZZ_CHECK(bundle_parse_find(buf, len, tab[i].name, &e) == US_OK && e == &tab[i]);
        FUZZ_CHECK(!verified || bundle_parse_verify_entry(buf, len, e) == US_OK);
        for (uint32_t j = 0; j < i; j++) {
            FUZZ_CHECK(strcmp(tab[i].name, tab[j].name) != 0);
            FUZZ_CHECK(tab[i].size == 0 || tab[j].size == 0 ||
                       tab[i].offset + tab[i].size <= tab[j].offset ||
                       tab[j].offset + tab[j].size <= tab[i].offset);
        }
    }
    FUZZ_CHECK(bundle_parse_entry(buf, len, count, &e) == US_ENOENT);
    FUZZ_CHECK(bundle_parse_find(buf, len, "", &e) == US_ENOENT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bundle_parse_diag diag = {NULL, 0};
    const struct us_bundle_entry *e = NULL;
    struct layout l;
    uint8_t flags;
    uint64_t len;
    us_err_t err, plain;

    if (size == 0) {
        return 0;
    }
    flags = data[0];
    l = lay_out(flags, data + 1, size - 1);
    repair(flags, &l);
    len = l.size;
    if ((flags & F_LEN_TOTAL) && len >= sizeof(struct us_bundle_hdr)) {
        uint64_t total = ((const struct us_bundle_hdr *)(const void *)l.buf)->total_size;

        len = total < len ? total : len;
    }

    err = bundle_parse_check_diag(l.buf, len, (flags & F_VERIFY) != 0, &diag);
    FUZZ_CHECK(err == US_OK || err == US_EINVAL || err == US_ETRUNC || err == US_ECORRUPT);
    FUZZ_CHECK(diag.why != NULL);
    FUZZ_CHECK(err != US_OK || diag.entry == UINT32_MAX);
    plain = bundle_parse_check(l.buf, len, false);
    if (err == US_OK) {
        FUZZ_CHECK(plain == US_OK);
        check_accepted(l.buf, len, (flags & F_VERIFY) != 0);
    } else {
        /* Lookups run the same structural checks and give the same answer. */
        FUZZ_CHECK(bundle_parse_entry(l.buf, len, 0, &e) == plain || plain == US_OK);
        FUZZ_CHECK(bundle_parse_find(l.buf, len, "config", &e) == plain || plain == US_OK);
    }
    if ((flags & F_ODD_BUFFER) && len > 0) {
        uint8_t *odd = malloc((size_t)len + 4);

        FUZZ_CHECK(odd != NULL);
        memcpy(odd + 4, l.buf, (size_t)len);
        FUZZ_CHECK(bundle_parse_check(odd + 4, len, false) == US_EINVAL);
        free(odd);
    }
    free(l.buf);
    return 0;
}
