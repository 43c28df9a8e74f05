/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An x86_64 guest's kernel (docs/x86_64.md): for now a flat image of 32-bit code loaded 1 MiB
 * into guest RAM and entered at its first byte in protected mode without paging, where a
 * bzImage's protected-mode part goes too. Linux's boot protocol comes with its guests. */
#include "vmm_arch.h"

#define FLAT_OFFSET 0x100000u

us_err_t vmm_image_place(const struct us_bundle_entry *k, const uint8_t *data, uint64_t limit,
                         uint64_t *offset)
{
    (void)data;
    if (k->size == 0) {
        return US_ECORRUPT;
    }
    if (FLAT_OFFSET >= limit || k->size > limit - FLAT_OFFSET) {
        US_LOG_ERR("guest kernel (0x%llx bytes at +0x%x) does not fit in guest RAM",
                   (unsigned long long)k->size, FLAT_OFFSET);
        return US_ENOMEM;
    }
    *offset = FLAT_OFFSET;
    return US_OK;
}
