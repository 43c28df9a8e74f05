/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Internal interfaces shared by the uspack host tool's source files. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <understudy/errors.h>

/**
 * uspack_read_file() - read a whole file into a malloc'd buffer (8-byte aligned).
 * Prints a one-line message naming path on failure.
 * Returns: US_OK; US_ENOENT if it cannot be opened or read; US_ENOMEM.
 */
us_err_t uspack_read_file(const char *path, uint8_t **out, size_t *len);

/**
 * uspack_manifest_compile() - compile a text manifest into the binary form of manifest.h.
 * Prints "path:line: message" for every error found. *out is malloc'd on success.
 * Returns: US_OK; US_EINVAL if the text is malformed or fails manifest_parse_check();
 * US_ENOENT if it cannot be read; US_ENOMEM.
 */
us_err_t uspack_manifest_compile(const char *path, uint8_t **out, size_t *len);

/* Whether the bundle being packed has an entry of @type named @name. */
typedef bool uspack_has_entry_fn(const void *ctx, uint32_t type, const char *name);

/**
 * uspack_config_check() - refuse at build time what the vmm would refuse at boot: @dtb
 * (@len bytes) must pass the vmm's own configuration parser, every VM's kernel, initrd and
 * disk must name an entry the bundle packs (@has), and every VM, and all of them together,
 * must fit the guest memory @manifest (compiled) grants. Prints the reason for each refusal.
 * Returns: US_OK; US_EINVAL for a missing entry or too much memory; the parser's error.
 */
us_err_t uspack_config_check(const uint8_t *dtb, size_t len, const uint8_t *manifest,
                             uspack_has_entry_fn *has, const void *ctx);
