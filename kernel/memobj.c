/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Memory objects: RAM allocated for servers and VMs, and windows onto MMIO or boot data. */
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/process.h>
#include <us/vm.h>

us_err_t memobj_create_ram(uint64_t size, uint64_t align, struct memobj **out)
{
    paddr_t pa;
    us_err_t e;

    if (size == 0 || !is_aligned(size, PAGE_SIZE)) {
        return US_TRACE(US_EINVAL);
    }
    e = kmem_frames_aligned(size / PAGE_SIZE, align, &pa);
    if (e == US_OK && (e = memobj_create_window(pa, size, false, out)) != US_OK) {
        kmem_free_frames(pa, size / PAGE_SIZE);
    }
    if (e == US_OK) {
        (*out)->owned = true;
    }
    return e;
}

us_err_t memobj_create_window(paddr_t base, uint64_t size, bool device, struct memobj **out)
{
    struct memobj *m;

    if (size == 0 || !is_aligned(pa_of(base) | size, PAGE_SIZE)) {
        return US_TRACE(US_EINVAL);
    }
    m = kmem_memobj_alloc();
    if (m == NULL) {
        return US_ENOMEM;
    }
    m->base = base;
    m->size = size;
    m->device = device;
    m->refs = 1;
    *out = m;
    return US_OK;
}

void memobj_free(struct memobj *m)
{
    US_ASSERT(m->maps == 0);
    process_revoke(US_CAPK_MEMORY, m);
    if (m->slice) {
        m->in_use = false; /* a window: no frames of its own */
        return;
    }
    US_ASSERT(m->ctl != NULL && m->owned);
    kmem_free_frames(m->base, m->size / PAGE_SIZE);
    m->ctl->used -= m->size;
    m->in_use = false;
}
