/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Validation and lookup of boot bundles (understudy/bundle.h) for the kernel and host tools. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/bundle.h>
#include <understudy/errors.h>

/* Why a check failed, for log lines: a static string and the entry it concerns. */
struct bundle_parse_diag {
    const char *why;
    uint32_t entry; /* UINT32_MAX when the failure is not about one entry */
};

/**
 * bundle_parse_check_diag() - validate a bundle, saying why it failed.
 *
 * buf must be 8-byte aligned and len readable bytes; the bundle may be shorter than len.
 * Checks magic, abi_revision, 1 <= entry_count <= US_BUNDLE_MAX_ENTRIES, total_size, the table
 * hash, and for every entry: name non-empty, NUL-terminated and NUL-padded, no duplicate name,
 * known type, offset US_BUNDLE_ALIGN aligned and past the table, offset + size within
 * total_size without wrapping, no overlap with another entry; with verify_components also each
 * component's sha256. diag may be NULL.
 * Returns: US_OK; US_EINVAL if buf is misaligned or NULL or the abi revision differs;
 * US_ETRUNC if len is shorter than the header, the table or total_size; US_ECORRUPT for any
 * other structural or hash failure.
 */
us_err_t bundle_parse_check_diag(const void *buf, uint64_t len, bool verify_components,
                                 struct bundle_parse_diag *diag);

/**
 * bundle_parse_check() - bundle_parse_check_diag() without the diagnosis.
 * Returns: as bundle_parse_check_diag().
 */
us_err_t bundle_parse_check(const void *buf, uint64_t len, bool verify_components);

/**
 * bundle_parse_entry() - the index'th entry of a bundle.
 *
 * Runs the structural checks of bundle_parse_check() (not the component hashes) first, so it is
 * safe on untrusted input.
 * Returns: US_OK and *out set; US_ENOENT if index >= entry_count; or an error of
 * bundle_parse_check().
 */
us_err_t bundle_parse_entry(const void *buf, uint64_t len, uint32_t index,
                            const struct us_bundle_entry **out);

/**
 * bundle_parse_find() - the entry called name.
 *
 * Runs the structural checks like bundle_parse_entry(); does not verify the component's hash
 * (use bundle_parse_verify_entry() before trusting its contents).
 * Returns: US_OK and *out set; US_ENOENT if no entry has that name; or an error of
 * bundle_parse_check().
 */
us_err_t bundle_parse_find(const void *buf, uint64_t len, const char *name,
                           const struct us_bundle_entry **out);

/**
 * bundle_parse_verify_entry() - check one component against its recorded sha256.
 *
 * entry must come from this bundle (bundle_parse_entry() or bundle_parse_find()); its range is
 * re-checked against len.
 * Returns: US_OK; US_ETRUNC if the component extends past len; US_ECORRUPT on a hash mismatch.
 */
us_err_t bundle_parse_verify_entry(const void *buf, uint64_t len,
                                   const struct us_bundle_entry *entry);

/** bundle_parse_data() - the first byte of entry's component (no checks). */
static inline const void *bundle_parse_data(const void *buf, const struct us_bundle_entry *entry)
{
    return (const uint8_t *)buf + entry->offset;
}

/** bundle_parse_type_name() - "server", "manifest", ... or "?" for an unknown type. */
const char *bundle_parse_type_name(uint32_t type);
