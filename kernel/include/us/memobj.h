/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Memory objects: contiguous physical ranges (RAM frames or MMIO windows) behind capabilities. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

struct vm_control;

struct memobj {
    paddr_t base;
    uint64_t size;
    bool device; /* MMIO: mapped Device-nGnRE */
    bool owned;  /* frames came from the allocator and are freed with the object */
    bool in_use;
    bool slice;  /* a part of a device window (mem_slice): freed with its last mapping gone */
    bool pinned; /* its physical address was given out: a device may reach it, it never moves */
    uint32_t refs;
    uint32_t maps;          /* in server spaces and stage 2s, fast-MMIO pages included */
    struct vm_control *ctl; /* the quota US_SYS_MEM_ALLOC charged; NULL: never freed */
};

/** memobj_create_ram() - allocate @size bytes (page multiple) of zeroed frames, aligned to
 * @align (a power-of-two page multiple).
 * Returns: US_OK; US_EINVAL for a zero or unaligned size; US_ENOMEM. */
us_err_t memobj_create_ram(uint64_t size, uint64_t align, struct memobj **out);

/** memobj_create_window() - describe an existing physical range (MMIO or a boot region).
 * Returns: US_OK; US_EINVAL if not page aligned; US_ENOMEM when out of objects. */
us_err_t memobj_create_window(paddr_t base, uint64_t size, bool device, struct memobj **out);

/** memobj_free() - revoke every capability to @m in every process, return its frames to the
 * pool and its size to the quota it was charged to; a slice of a window is only forgotten.
 * Precondition: @m was charged to a quota or is a slice, and nothing maps it. */
void memobj_free(struct memobj *m);
