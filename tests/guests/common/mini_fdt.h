/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Read-only flattened device tree lookups for the test guests, without libfdt. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A validated view of a DTB in memory (Devicetree Specification v0.4, chapter 5). */
struct mini_fdt {
    const uint8_t *structs;
    uint32_t structs_size;
    const uint8_t *strings;
    uint32_t strings_size;
};

/**
 * Check the header of the DTB at @addr (the boot protocol's x0) and fill @fdt.
 * Returns: false if @addr is 0 or not 4-byte aligned, the magic or version is wrong, or a
 * block lies outside totalsize.
 */
bool mini_fdt_open(struct mini_fdt *fdt, uint64_t addr);

/**
 * Find property @name of the first node matching @path ("/", "/chosen", "/memory"). A path
 * component without '@' also matches node names with a unit address ("memory@40000000").
 * Returns: the value and its length in *@len, or NULL if absent or the blob is malformed.
 */
const uint8_t *mini_fdt_prop(const struct mini_fdt *fdt, const char *path, const char *name,
                             uint32_t *len);

/** Returns: /chosen/bootargs if present and NUL-terminated, else NULL. */
const char *mini_fdt_bootargs(const struct mini_fdt *fdt);

/**
 * First (base, size) pair of /memory's reg, decoded with the root's #address-cells and
 * #size-cells (1 or 2 each). Returns: false if missing or unsupported.
 */
bool mini_fdt_memory(const struct mini_fdt *fdt, uint64_t *base, uint64_t *size);
