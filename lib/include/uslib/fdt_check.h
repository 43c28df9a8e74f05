/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Proving that a flattened device tree from outside (a config, a platform tree) is whole. */
#pragma once

#include <stddef.h>
#include <libfdt.h>
#include <understudy/errors.h>

/* The oldest header version read. Debian 12's libfdt 1.6.1 fdt_check_full() reads through a
 * NULL pointer on versions below 16/17 (no size_dt_strings); dtc has written 17 since 2007. */
#define US_FDT_MIN_VERSION 17u

/**
 * us_fdt_check_blob() - prove that @blob is a complete, well-formed DTB inside its first @len
 * bytes: header, version, totalsize, then every tag (fdt_check_full), so that afterwards no
 * libfdt read can leave the structure or strings block.
 * Precondition: @blob points to at least @len readable bytes.
 * Returns: US_OK; US_EINVAL if @blob is not 8-byte aligned; US_ECORRUPT for anything else
 * (too short, bad magic, a version below US_FDT_MIN_VERSION, totalsize past @len, bad tags,
 * a tag that does not advance).
 */
static inline us_err_t us_fdt_check_blob(const void *blob, size_t len)
{
    int ret;

    if (len < sizeof(struct fdt_header)) {
        return US_ECORRUPT;
    }
    ret = fdt_check_header(blob);
    if (ret == -FDT_ERR_ALIGNMENT) {
        return US_EINVAL;
    }
    if (ret != 0 || fdt_version(blob) < US_FDT_MIN_VERSION || fdt_totalsize(blob) > len) {
        return US_ECORRUPT;
    }
    /* Debian 12's fdt_check_full() loops forever on a property whose length is -12 (its
     * fdt_next_tag() then returns the offset it was given): walk the tags first and refuse
     * any that does not move forward. The walk ends: offsets only grow, and libfdt bounds
     * each against the structure block. */
    for (int off = 0, next = 0;; off = next) {
        uint32_t tag = fdt_next_tag(blob, off, &next);

        if (tag == FDT_END || next < 0) {
            break;
        }
        if (next <= off) {
            return US_ECORRUPT;
        }
    }
    return fdt_check_full(blob, len) == 0 ? US_OK : US_ECORRUPT;
}
