/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Validation of the binary boot manifest (understudy/manifest.h) for the kernel and uspack. */
#pragma once

#include <stdint.h>
#include <understudy/errors.h>
#include <understudy/manifest.h>

/* Why a check failed: a static string and the server and cap index it concerns. */
struct manifest_parse_diag {
    const char *why;
    uint32_t server; /* UINT32_MAX when not about one server */
    uint32_t cap;    /* UINT32_MAX when not about one cap */
};

/**
 * manifest_parse_check_diag() - validate a binary manifest, saying why it failed.
 *
 * buf must be 8-byte aligned; len must be exactly the header plus server_count servers.
 * Checks, in order: magic, abi revision, 1 <= server_count <= US_MANIFEST_MAX_SERVERS, len;
 * per server: name and image non-empty and NUL-terminated, names unique, priority 1..255,
 * cap_count <= US_MANIFEST_MAX_CAPS; per cap: slot < US_CAP_SLOTS and unique in its server,
 * kind known, rights within US_RIGHT_ALL (endpoint rights non-zero), endpoint and
 * notification server index < server_count, endpoint badge without US_BADGE_VCPU and not
 * US_INVALID_BADGE, MMIO base and size page aligned, size non-zero and base + size not
 * wrapping, IRQ INTID < 1020 and bit < 64, VM quota non-zero and page aligned. diag may be NULL.
 * Returns: US_OK; US_EINVAL for a NULL or misaligned buffer, an abi mismatch, bad names or
 * rights, an unknown kind or bad alignment; US_ECORRUPT for bad magic; US_ETRUNC for a length
 * mismatch; US_ERANGE for a count, priority, slot, server index, IRQ or address out of range;
 * US_EEXIST for a duplicate server name or slot.
 */
us_err_t manifest_parse_check_diag(const void *buf, uint64_t len, struct manifest_parse_diag *diag);

/**
 * manifest_parse_check() - manifest_parse_check_diag() without the diagnosis.
 * Returns: as manifest_parse_check_diag().
 */
us_err_t manifest_parse_check(const void *buf, uint64_t len);

/**
 * manifest_parse_server() - the index'th server of a manifest, after a full check.
 * Returns: US_OK and *out set; US_ENOENT if index >= server_count; or an error of
 * manifest_parse_check().
 */
us_err_t manifest_parse_server(const void *buf, uint64_t len, uint32_t index,
                               const struct us_manifest_server **out);

/** manifest_parse_kind_name() - "endpoint", "mmio", ... or "?" for an unknown kind. */
const char *manifest_parse_kind_name(uint32_t kind);
