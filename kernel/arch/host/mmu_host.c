/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's translation tables: each space is a list of mappings in one
 * kernel frame, checked like kernel/arch/aarch64/mmu.c checks its arguments. */
#include <uslib/string.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/arch/mmu.h>
#include <arch/host.h>
#include <arch/mmu.h>

struct host_mapping {
    uint64_t va, pa, size;
    uint32_t flags; /* 0: a free entry */
    uint32_t reserved;
};
_Static_assert(HOST_MAP_MAX * sizeof(struct host_mapping) == PAGE_SIZE, "one frame");

uint32_t host_s2_freed_live;
uint32_t host_s2_frees;

/* The page the EL1 trampoline would be in. */
static uint8_t trampoline[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static struct host_mapping *table(paddr_t root)
{
    return pa_ptr(root);
}

us_err_t arch_mmu_kernel_map_final(paddr_t ram_base, uint64_t ram_size)
{
    (void)ram_base;
    (void)ram_size;
    return US_OK;
}

static us_err_t check_map_args(uint64_t va, uint64_t pa, uint64_t size, uint32_t flags,
                               uint64_t limit)
{
    if (!is_aligned(va | pa | size, PAGE_SIZE) || size == 0 ||
        (flags & (US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC | MAP_EL1_EXEC)) == 0) {
        return US_EINVAL;
    }
    if (va >= limit || size > limit - va) {
        return US_ERANGE;
    }
    return US_OK;
}

static struct host_mapping *find(paddr_t root, uint64_t va)
{
    struct host_mapping *m = table(root);

    for (uint32_t i = 0; i < HOST_MAP_MAX; i++) {
        if (m[i].flags != 0 && va >= m[i].va && va - m[i].va < m[i].size) {
            return &m[i];
        }
    }
    return NULL;
}

static us_err_t map_range(paddr_t root, uint64_t va, uint64_t pa, uint64_t size, uint32_t flags)
{
    struct host_mapping *m = table(root), *free = NULL;

    for (uint32_t i = 0; i < HOST_MAP_MAX; i++) {
        if (m[i].flags == 0) {
            free = free != NULL ? free : &m[i];
        } else if (va < m[i].va + m[i].size && m[i].va < va + size) {
            return US_EEXIST;
        }
    }
    if (free == NULL) {
        return US_ENOMEM;
    }
    *free = (struct host_mapping){va, pa, size, flags, 0};
    return US_OK;
}

us_err_t arch_aspace_init(struct aspace *as, uint16_t asid)
{
    us_err_t e = kmem_frames(1, &as->root);

    if (e != US_OK) {
        return e;
    }
    as->asid = asid;
    as->table_frames = 1;
    return arch_aspace_map(as, va_init(ARCH_TRAMPOLINE_VA), pa_from_ptr(trampoline), PAGE_SIZE,
                           MAP_EL1_EXEC);
}

us_err_t arch_aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, uint32_t flags)
{
    us_err_t e = check_map_args(va_of(va), pa_of(pa), size, flags, 1ull << ARCH_USER_VA_BITS);

    if (e != US_OK) {
        return e;
    }
    if ((flags & US_RIGHT_WRITE) && (flags & (US_RIGHT_EXEC | MAP_EL1_EXEC))) {
        return US_EINVAL;
    }
    return map_range(as->root, va_of(va), pa_of(pa), size, flags);
}

void arch_aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
    struct host_mapping *m = find(as->root, va_of(va));

    US_ASSERT(m != NULL && m->va == va_of(va) && m->size == size);
    m->flags = 0;
}

us_err_t arch_io_grant(struct aspace *as, uint64_t base, uint64_t count)
{
    return (void)as, (void)base, (void)count, US_TRACE(US_ENOTSUP); /* as aarch64 */
}

us_err_t arch_aspace_translate(const struct aspace *as, vaddr_t va, bool write, paddr_t *out)
{
    const struct host_mapping *m;

    if (va_of(va) >= (1ull << ARCH_USER_VA_BITS)) {
        return US_ERANGE;
    }
    m = find(as->root, va_of(va));
    if (m == NULL || (m->flags & (MAP_EL1_EXEC | MAP_DEVICE)) ||
        (write && !(m->flags & US_RIGHT_WRITE))) {
        return US_ERANGE;
    }
    *out = pa_init(m->pa + (va_of(va) - m->va));
    return US_OK;
}

us_err_t arch_stage2_init(struct stage2 *s2, uint16_t vmid)
{
    us_err_t e = kmem_frames(1, &s2->root);

    if (e != US_OK) {
        return e;
    }
    s2->vmid = vmid;
    s2->table_frames = 1;
    return US_OK;
}

us_err_t arch_stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags)
{
    us_err_t e = check_map_args(ipa_of(ipa), pa_of(pa), size, flags, 1ull << ARCH_IPA_BITS);

    if (e != US_OK) {
        return e;
    }
    return map_range(s2->root, ipa_of(ipa), pa_of(pa), size, flags);
}

us_err_t arch_stage2_translate(const struct stage2 *s2, ipa_t ipa, paddr_t *out)
{
    const struct host_mapping *m;

    if (ipa_of(ipa) >= (1ull << ARCH_IPA_BITS)) {
        return US_ERANGE;
    }
    m = find(s2->root, ipa_of(ipa));
    if (m == NULL) {
        return US_ERANGE;
    }
    *out = pa_init(m->pa + (ipa_of(ipa) - m->va));
    return US_OK;
}

/* Freeing tables another CPU is walking is the use-after-free the kernel must avoid: count
 * it, so tests can say it never happens. */
void arch_stage2_free(struct stage2 *s2)
{
    for (uint32_t i = 0; i < cpu_count; i++) {
        struct thread *t = cpus[i].current;

        if (&cpus[i] != this_cpu() && t != NULL && t->vcpu != NULL &&
            host_s2_loaded[i] == pa_of(s2->root)) {
            host_s2_freed_live++;
        }
    }
    host_s2_frees++;
    kmem_free_frames(s2->root, 1);
    s2->root = pa_init(0);
}

/* One list frame per space: each mapping is one leaf, of its whole size. */
static void relocate(paddr_t *root, struct relocation *r)
{
    struct host_mapping *m = table(*root);
    paddr_t to;

    for (uint32_t i = 0; i < HOST_MAP_MAX; i++) {
        if (m[i].flags != 0 && m[i].pa < r->hi && m[i].pa + m[i].size > r->lo) {
            m[i].pa = pa_of(r->leaf(r, m[i].va, pa_init(m[i].pa), m[i].size));
        }
    }
    if (!r->probe && pa_of(*root) < r->hi && pa_of(*root) + PAGE_SIZE > r->lo) {
        if (r->root && kmem_frames(1, &to) == US_OK) {
            memcpy(pa_ptr(to), m, PAGE_SIZE);
            kmem_free_frames(*root, 1);
            *root = to;
            r->moved++;
        } else {
            r->left++;
        }
    }
}

void arch_aspace_relocate(struct aspace *as, struct relocation *r)
{
    relocate(&as->root, r);
}

void arch_stage2_relocate(struct stage2 *s2, struct relocation *r)
{
    relocate(&s2->root, r);
}
