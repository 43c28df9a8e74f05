/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Boot bundle validation: every field is checked before it is used to index the buffer. */
#include <uslib/bundle_parse.h>
#include <stddef.h>
#include <understudy/abi.h>
#include <uslib/sha256.h>
#include <uslib/string.h>

static us_err_t bundle_parse_fail(struct bundle_parse_diag *diag, us_err_t err, uint32_t entry,
                                  const char *why)
{
    if (diag != NULL) {
        diag->why = why;
        diag->entry = entry;
    }
    return err;
}

const char *bundle_parse_type_name(uint32_t type)
{
    switch (type) {
    case US_BUNDLE_SERVER:
        return "server";
    case US_BUNDLE_MANIFEST:
        return "manifest";
    case US_BUNDLE_CONFIG:
        return "config";
    case US_BUNDLE_GUEST_KERNEL:
        return "guest_kernel";
    case US_BUNDLE_GUEST_INITRD:
        return "guest_initrd";
    case US_BUNDLE_BLOB:
        return "blob";
    default:
        return "?";
    }
}

static bool bundle_parse_name_ok(const char name[US_BUNDLE_NAME_LEN])
{
    size_t n = strnlen(name, US_BUNDLE_NAME_LEN);
    size_t i;

    if (n == 0 || n == US_BUNDLE_NAME_LEN) {
        return false;
    }
    /* NUL padding keeps the table hash a function of the visible name only. */
    for (i = n; i < US_BUNDLE_NAME_LEN; i++) {
        if (name[i] != '\0') {
            return false;
        }
    }
    return true;
}

static const struct us_bundle_entry *bundle_parse_table(const void *buf)
{
    return (const struct us_bundle_entry *)(const void *)((const uint8_t *)buf +
                                                          sizeof(struct us_bundle_hdr));
}

/* Header, sizes and table hash; on success *count is the trusted entry count. */
static us_err_t bundle_parse_check_hdr(const void *buf, uint64_t len, uint32_t *count,
                                       struct bundle_parse_diag *diag)
{
    const struct us_bundle_hdr *hdr = buf;
    uint8_t digest[SHA256_DIGEST_LEN];
    uint64_t table_end;

    if (buf == NULL || ((uintptr_t)buf & 7u) != 0) {
        return bundle_parse_fail(diag, US_EINVAL, UINT32_MAX, "buffer NULL or misaligned");
    }
    if (len < sizeof(*hdr)) {
        return bundle_parse_fail(diag, US_ETRUNC, UINT32_MAX, "shorter than the header");
    }
    if (memcmp(hdr->magic, US_BUNDLE_MAGIC, sizeof(hdr->magic)) != 0) {
        return bundle_parse_fail(diag, US_ECORRUPT, UINT32_MAX, "bad magic");
    }
    if (hdr->abi_revision != US_ABI_REVISION) {
        return bundle_parse_fail(diag, US_EINVAL, UINT32_MAX, "abi revision mismatch");
    }
    if (hdr->entry_count == 0 || hdr->entry_count > US_BUNDLE_MAX_ENTRIES) {
        return bundle_parse_fail(diag, US_ECORRUPT, UINT32_MAX, "entry count out of range");
    }
    table_end = sizeof(*hdr) + (uint64_t)hdr->entry_count * sizeof(struct us_bundle_entry);
    if (hdr->total_size < table_end) {
        return bundle_parse_fail(diag, US_ECORRUPT, UINT32_MAX, "total size below table end");
    }
    if (len < table_end) {
        return bundle_parse_fail(diag, US_ETRUNC, UINT32_MAX, "shorter than the entry table");
    }
    if (len < hdr->total_size) {
        return bundle_parse_fail(diag, US_ETRUNC, UINT32_MAX, "shorter than total size");
    }
    sha256(bundle_parse_table(buf), (size_t)(table_end - sizeof(*hdr)), digest);
    if (memcmp(digest, hdr->table_sha256, sizeof(digest)) != 0) {
        return bundle_parse_fail(diag, US_ECORRUPT, UINT32_MAX, "table hash mismatch");
    }
    *count = hdr->entry_count;
    return US_OK;
}

static us_err_t bundle_parse_check_entry(const struct us_bundle_hdr *hdr,
                                         const struct us_bundle_entry *e, uint32_t i,
                                         struct bundle_parse_diag *diag)
{
    uint64_t table_end = sizeof(*hdr) + (uint64_t)hdr->entry_count * sizeof(*e);

    if (!bundle_parse_name_ok(e->name)) {
        return bundle_parse_fail(diag, US_ECORRUPT, i, "name empty, unterminated or unpadded");
    }
    if (e->type < US_BUNDLE_SERVER || e->type > US_BUNDLE_BLOB) {
        return bundle_parse_fail(diag, US_ECORRUPT, i, "unknown type");
    }
    if (e->offset % US_BUNDLE_ALIGN != 0) {
        return bundle_parse_fail(diag, US_ECORRUPT, i, "offset not 4 KiB aligned");
    }
    if (e->offset < table_end) {
        return bundle_parse_fail(diag, US_ECORRUPT, i, "component overlaps the table");
    }
    /* Written to avoid offset + size wrapping. */
    if (e->offset > hdr->total_size || e->size > hdr->total_size - e->offset) {
        return bundle_parse_fail(diag, US_ECORRUPT, i, "component past total size");
    }
    return US_OK;
}

/* Names unique and non-empty components disjoint; O(n^2) over at most 64 entries. */
static us_err_t bundle_parse_check_pairs(const struct us_bundle_entry *tab, uint32_t count,
                                         struct bundle_parse_diag *diag)
{
    uint32_t i, j;

    for (i = 0; i < count; i++) {
        for (j = 0; j < i; j++) {
            if (memcmp(tab[i].name, tab[j].name, US_BUNDLE_NAME_LEN) == 0) {
                return bundle_parse_fail(diag, US_ECORRUPT, i, "duplicate name");
            }
            if (tab[i].size != 0 && tab[j].size != 0 &&
                tab[i].offset < tab[j].offset + tab[j].size &&
                tab[j].offset < tab[i].offset + tab[i].size) {
                return bundle_parse_fail(diag, US_ECORRUPT, i, "components overlap");
            }
        }
    }
    return US_OK;
}

us_err_t bundle_parse_check_diag(const void *buf, uint64_t len, bool verify_components,
                                 struct bundle_parse_diag *diag)
{
    const struct us_bundle_entry *tab;
    uint32_t count = 0;
    uint32_t i;
    us_err_t err;

    err = bundle_parse_check_hdr(buf, len, &count, diag);
    if (err != US_OK) {
        return err;
    }
    tab = bundle_parse_table(buf);
    for (i = 0; i < count; i++) {
        err = bundle_parse_check_entry(buf, &tab[i], i, diag);
        if (err != US_OK) {
            return err;
        }
    }
    err = bundle_parse_check_pairs(tab, count, diag);
    if (err != US_OK) {
        return err;
    }
    for (i = 0; verify_components && i < count; i++) {
        if (bundle_parse_verify_entry(buf, len, &tab[i]) != US_OK) {
            return bundle_parse_fail(diag, US_ECORRUPT, i, "component hash mismatch");
        }
    }
    return bundle_parse_fail(diag, US_OK, UINT32_MAX, "ok");
}

us_err_t bundle_parse_check(const void *buf, uint64_t len, bool verify_components)
{
    return bundle_parse_check_diag(buf, len, verify_components, NULL);
}

us_err_t bundle_parse_entry(const void *buf, uint64_t len, uint32_t index,
                            const struct us_bundle_entry **out)
{
    us_err_t err = bundle_parse_check(buf, len, false);

    if (err != US_OK) {
        return err;
    }
    if (index >= ((const struct us_bundle_hdr *)buf)->entry_count) {
        return US_ENOENT;
    }
    *out = &bundle_parse_table(buf)[index];
    return US_OK;
}

us_err_t bundle_parse_find(const void *buf, uint64_t len, const char *name,
                           const struct us_bundle_entry **out)
{
    const struct us_bundle_entry *tab;
    uint32_t count;
    uint32_t i;
    us_err_t err = bundle_parse_check(buf, len, false);

    if (err != US_OK) {
        return err;
    }
    count = ((const struct us_bundle_hdr *)buf)->entry_count;
    tab = bundle_parse_table(buf);
    for (i = 0; i < count; i++) {
        /* Stored names are terminated within the field, so this is an exact match. */
        if (strncmp(tab[i].name, name, US_BUNDLE_NAME_LEN) == 0) {
            *out = &tab[i];
            return US_OK;
        }
    }
    return US_ENOENT;
}

us_err_t bundle_parse_verify_entry(const void *buf, uint64_t len,
                                   const struct us_bundle_entry *entry)
{
    uint8_t digest[SHA256_DIGEST_LEN];

    if (entry->offset > len || entry->size > len - entry->offset) {
        return US_ETRUNC;
    }
    sha256(bundle_parse_data(buf, entry), (size_t)entry->size, digest);
    if (memcmp(digest, entry->sha256, sizeof(digest)) != 0) {
        return US_ECORRUPT;
    }
    return US_OK;
}
