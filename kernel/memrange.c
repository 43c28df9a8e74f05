/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A physical range taken out of use (maint remove-memory, docs/memory.md): withheld from the
 * frame pool, so that what moves out of it (a guest's RAM, re-created elsewhere by its
 * understudy) cannot come back, and audited: which frames in it are still in use, and which
 * memory objects, mapped by whom, still reach into it. */
#include <understudy/syscalls.h>
#include <uslib/string.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/memrange.h>
#include <us/process.h>
#include <us/vm.h>

#define MEMRANGE_MAX_FRAMES 65536u /* 256 MiB withheld at most */

static uint64_t held[MEMRANGE_MAX_FRAMES / 64];

us_err_t memrange_offline(uint64_t base, uint64_t size)
{
    uint64_t used, free;
    us_err_t e;

    if (size == 0 || (size >> PAGE_SHIFT) > MEMRANGE_MAX_FRAMES) {
        return US_ERANGE;
    }
    /* Room: what is in use in the range must fit in what is free outside it. */
    frame_pool_count(&kmem_pool, pa_init(base), size, &used, &free);
    if (kmem_pool.free_count - free < used) {
        return US_ENOMEM;
    }
    e = frame_pool_offline(&kmem_pool, pa_init(base), size, held, MEMRANGE_MAX_FRAMES);
    if (e == US_OK) {
        US_LOG_INFO("memory 0x%llx+0x%llx withheld: %llu frames in use to move out",
                    (unsigned long long)base, (unsigned long long)size, (unsigned long long)used);
    }
    return e;
}

void memrange_online(void)
{
    if (kmem_pool.off_count != 0) {
        US_LOG_INFO("the withheld memory is in use again");
        frame_pool_online(&kmem_pool);
    }
}

static void copy_name(char *out, size_t len, const char *s)
{
    size_t n = strnlen(s, len - 1u);

    memcpy(out, s, n);
    out[n] = '\0';
}

/* Who holds @m: a server that maps it, else the VM whose stage 2 maps it, else "held". */
static void holder_of(const struct memobj *m, char *out, size_t len)
{
    for (uint32_t i = 0; i < process_count; i++) {
        for (uint32_t j = 0; j < PROCESS_MAPS_MAX; j++) {
            if (processes[i].maps[j].mem == m) {
                copy_name(out, len, processes[i].name);
                return;
            }
        }
    }
    copy_name(out, len, vm_maps_memobj(m) ? "a VM" : "held");
}

uint32_t memrange_audit(uint64_t base, uint64_t size, uint64_t *used, struct us_mem_holder *out,
                        uint32_t max)
{
    uint64_t free;
    uint32_t n = 0;

    frame_pool_count(&kmem_pool, pa_init(base), size, used, &free);
    for (uint32_t i = 0; (i < KMEM_MEMOBJS) && n < max; i++) {
        const struct memobj *m = kmem_memobj_at(i);
        uint64_t lo = m != NULL ? pa_of(m->base) : 0;

        if (m == NULL || m->device || lo >= base + size || lo + m->size <= base) {
            continue;
        }
        memset(&out[n], 0, sizeof(out[n]));
        out[n].base = lo;
        out[n].size = m->size;
        out[n].maps = m->maps;
        holder_of(m, out[n].holder, sizeof(out[n].holder));
        n++;
    }
    return n;
}
