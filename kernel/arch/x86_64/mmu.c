/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 page tables (AMD64 APM volume 2, 5.3): four levels of 512 entries (PML4, PDPT, PD,
 * PT), 4 KiB pages, and 2 MiB pages in the PD. One format serves the kernel's map, servers'
 * ring-3 spaces and guests' nested tables, which AMD's nested paging walks as user accesses.
 * Mapping and relocation follow kernel/arch/aarch64/mmu.c: a refused mapping maps nothing,
 * aligned 2 MiB stretches become large pages, and relocation breaks and remakes the leaves
 * around one flush. */
#include <understudy/abi.h>
#include <uslib/string.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/arch/mmu.h>
#include <arch/mmu.h>
#include <arch/tlb.h>
#include "x86.h"

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_UC (3ull << 3) /* PWT and PCD: PAT entry 3, uncacheable */
#define PTE_PS (1ull << 7) /* in a PD: a 2 MiB page */
#define PTE_G (1ull << 8)
#define PTE_KERNEL (1ull << 9)  /* software: the kernel's entry shared into a server's space */
#define PTE_MOVING (1ull << 10) /* software, in a leaf made not present: relocate() remakes it */
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define UPPER_KERNEL (PTE_P | PTE_W)
#define UPPER_USER (PTE_P | PTE_W | PTE_U) /* upper levels allow everything; leaves decide */

#define PD_LEVEL 2 /* levels: 0 PML4, 1 PDPT, 2 PD, 3 PT */
#define PT_LEVEL 3
#define LARGE (2ull << 20)
#define KERNEL_PDPT_END (ARCH_KERNEL_VA_HI >> 30) /* the kernel's part: PDPT entries below */

/* The APICs and the HPET: [0xfec00000, 0xff000000), two large pages. */
#define APIC_WINDOW 0xfec00000ull
#define APIC_WINDOW_SIZE (2 * LARGE)

extern char _image_start[], _text_end[], _rodata_end[], _image_end[];

static paddr_t kernel_root;

static unsigned level_shift(int level)
{
    return 39u - 9u * (unsigned)level;
}

static uint64_t *entry(uint64_t *t, uint64_t a, int level)
{
    return &t[(a >> level_shift(level)) & 511u];
}

static uint64_t *table_of(uint64_t e)
{
    return pa_ptr(pa_init(e & PTE_ADDR));
}

/* Whether @e, at @level, points to a next-level table (a PS entry is a large page). */
static bool is_table(uint64_t e, int level)
{
    return level < PT_LEVEL && (e & (PTE_P | PTE_PS)) == PTE_P;
}

static uint64_t *table_alloc(uint64_t *counter)
{
    paddr_t pa;

    if (kmem_frames(1, &pa) != US_OK) {
        return NULL; /* kmem_frames() zeroes it */
    }
    if (counter != NULL) {
        (*counter)++;
    }
    return pa_ptr(pa);
}

/* The entry for @a at @target (PD_LEVEL or PT_LEVEL), creating tables with upper entries
 * @upper when @create; NULL if a table is missing and not made, or a large page is in the
 * way. */
static uint64_t *walk(uint64_t *root, uint64_t a, int target, bool create, uint64_t upper,
                      uint64_t *counter)
{
    uint64_t *t = root;

    for (int level = 0; level < target; level++) {
        uint64_t *e = entry(t, a, level);

        if (!(*e & PTE_P)) {
            uint64_t *n = create ? table_alloc(counter) : NULL;

            if (n == NULL) {
                return NULL;
            }
            *e = pa_of(pa_from_ptr(n)) | upper;
        } else if (!is_table(*e, level)) {
            return NULL;
        }
        t = table_of(*e);
    }
    return entry(t, a, target);
}

/* The present leaf mapping @a and in *@span the size it maps; NULL if nothing maps it. */
static uint64_t *leaf(uint64_t *root, uint64_t a, uint64_t *span)
{
    uint64_t *t = root;

    for (int level = 0; level <= PT_LEVEL; level++) {
        uint64_t *e = entry(t, a, level);

        if (!(*e & PTE_P)) {
            return NULL;
        }
        if (!is_table(*e, level)) {
            *span = 1ull << level_shift(level);
            return e;
        }
        t = table_of(*e);
    }
    return NULL;
}

/* Whether [va, ...) is mapped as one large page: it fits, and no page table is there already
 * (an empty one is what a refused mapping may leave behind; its pages are used). */
static bool use_large(uint64_t *root, uint64_t va, uint64_t pa, uint64_t left)
{
    uint64_t *pde;

    if (((va | pa) & (LARGE - 1)) != 0 || left < LARGE) {
        return false;
    }
    pde = walk(root, va, PD_LEVEL, false, 0, NULL);
    return pde == NULL || !is_table(*pde, PD_LEVEL);
}

/* Map [va, va + size) onto pa in three passes, so a refused mapping maps nothing: check that
 * nothing is mapped there (US_EEXIST), make every table the leaves need (US_ENOMEM leaves only
 * empty tables, counted in @counter and freed with the space), then write the leaves. */
static us_err_t map_range(uint64_t *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t attr,
                          uint64_t upper, uint64_t *counter)
{
    uint64_t off, span;
    bool large;

    for (off = 0; off < size; off += large ? LARGE : PAGE_SIZE) {
        large = use_large(root, va + off, pa + off, size - off);
        if (leaf(root, va + off, &span) != NULL) {
            return US_TRACE(US_EEXIST);
        }
    }
    for (off = 0; off < size; off += large ? LARGE : PAGE_SIZE) {
        large = use_large(root, va + off, pa + off, size - off);
        if (walk(root, va + off, large ? PD_LEVEL : PT_LEVEL, true, upper, counter) == NULL) {
            return US_ENOMEM;
        }
    }
    for (off = 0; off < size; off += large ? LARGE : PAGE_SIZE) {
        large = use_large(root, va + off, pa + off, size - off);
        *walk(root, va + off, large ? PD_LEVEL : PT_LEVEL, false, 0, NULL) =
            (pa + off) | attr | (large ? PTE_PS : 0);
    }
    return US_OK;
}

static uint64_t va_of_sym(const char *s)
{
    return (uint64_t)(uintptr_t)s;
}

/* The kernel's own map of its part, [0, 32 GiB): RAM read-write and never executable, the
 * image page by page (text read-execute, rodata read-only, the rest read-write), the APIC
 * window uncacheable; global, supervisor only. Nothing else, not even page 0. */
us_err_t arch_mmu_kernel_map_final(paddr_t ram_base, uint64_t ram_size)
{
    const uint64_t ram = PTE_P | PTE_W | PTE_G | PTE_NX;
    uint64_t lo = pa_of(ram_base), hi = lo + ram_size;
    uint64_t img = va_of_sym(_image_start), text = va_of_sym(_text_end);
    uint64_t ro = va_of_sym(_rodata_end), end = va_of_sym(_image_end);
    const struct {
        uint64_t from, to, attr;
    } part[] = {
        {lo, img, ram},
        {img, text, PTE_P | PTE_G},
        {text, ro, PTE_P | PTE_G | PTE_NX},
        {ro, end, ram},
        {end, hi, ram},
        {APIC_WINDOW, APIC_WINDOW + APIC_WINDOW_SIZE, ram | PTE_UC},
    };
    uint64_t *root;
    us_err_t e;

    if (img < lo || end > hi || hi > ARCH_KERNEL_VA_HI || hi > APIC_WINDOW ||
        !is_aligned(lo | hi | img | text | ro | end, PAGE_SIZE)) {
        return US_TRACE(US_ERANGE);
    }
    root = table_alloc(NULL);
    if (root == NULL) {
        return US_ENOMEM;
    }
    for (uint32_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
        e = map_range(root, part[i].from, part[i].from, part[i].to - part[i].from, part[i].attr,
                      UPPER_KERNEL, NULL);
        if (e != US_OK) {
            return e;
        }
    }
    kernel_root = pa_from_ptr(root);
    x86_write_cr3(pa_of(kernel_root));
    return US_OK;
}

void x86_mmu_load_kernel(void)
{
    x86_write_cr3(pa_of(kernel_root));
}

/* What CR3 holds while @as runs: its PML4 and its PCID. */
static uint64_t cr3_of(const struct aspace *as)
{
    return pa_of(as->root) | as->asid;
}

us_err_t arch_aspace_init(struct aspace *as, uint16_t asid)
{
    const uint64_t *kernel_pdpt;
    uint64_t *root, *pdpt;

    US_CHECK(pa_of(kernel_root) != 0); /* after arch_mmu_kernel_map_final() */
    if (asid > 0xfffu) {
        return US_TRACE(US_ERANGE); /* a PCID has 12 bits */
    }
    as->table_frames = 0;
    root = table_alloc(&as->table_frames);
    pdpt = root != NULL ? table_alloc(&as->table_frames) : NULL;
    if (pdpt == NULL) {
        return US_ENOMEM; /* the root, if made, is counted and goes with the space */
    }
    /* The kernel runs on the server's CR3: its part is the kernel's own tables, shared. */
    kernel_pdpt = table_of(*(uint64_t *)pa_ptr(kernel_root));
    for (uint64_t i = 0; i < KERNEL_PDPT_END; i++) {
        pdpt[i] = kernel_pdpt[i] != 0 ? kernel_pdpt[i] | PTE_KERNEL : 0;
    }
    root[0] = pa_of(pa_from_ptr(pdpt)) | UPPER_USER;
    as->root = pa_from_ptr(root);
    as->asid = asid;
    memset(as->io, 0, sizeof(as->io));
    return US_OK;
}

/* Ports of every PC the kernel keeps: the legacy PICs (masked at boot; reprogrammed, they
 * would raise exception vectors), their trigger-mode registers, and the ways to reset the
 * machine (the keyboard controller, port 0x92, the reset control register). */
static const struct arch_io_range kept_ports[] = {
    {0x20, 2}, {0x64, 1}, {0x92, 1}, {0xa0, 2}, {0x4d0, 2}, {0xcf9, 1},
};

us_err_t arch_io_grant(struct aspace *as, uint64_t base, uint64_t count)
{
    if (count == 0 || base > 0xffffu || count > 0x10000u - base) {
        return US_TRACE(US_ERANGE);
    }
    for (uint32_t i = 0; i < ARRAY_SIZE(kept_ports); i++) {
        if (base < kept_ports[i].base + kept_ports[i].count && kept_ports[i].base < base + count) {
            return US_TRACE(US_ERANGE);
        }
    }
    for (uint32_t i = 0; i < ARCH_IO_RANGES; i++) {
        if (as->io[i].count == 0) {
            as->io[i] = (struct arch_io_range){(uint32_t)base, (uint32_t)count};
            return US_OK;
        }
    }
    return US_TRACE(US_ENOMEM);
}

static us_err_t check_map_args(uint64_t va, uint64_t pa, uint64_t size, uint32_t flags,
                               uint64_t limit)
{
    if (!is_aligned(va | pa | size, PAGE_SIZE) || size == 0 ||
        (flags & (US_RIGHT_READ | US_RIGHT_WRITE | US_RIGHT_EXEC)) == 0 || (flags & MAP_EL1_EXEC)) {
        return US_TRACE(US_EINVAL);
    }
    if (va >= limit || size > limit - va) {
        return US_TRACE(US_ERANGE);
    }
    return US_OK;
}

/* A leaf for a server or a guest. x86 has no page that is present and not readable: write or
 * execute rights imply read. */
static uint64_t leaf_attrs(uint32_t flags)
{
    return PTE_P | PTE_U | ((flags & US_RIGHT_WRITE) ? PTE_W : 0) |
           ((flags & US_RIGHT_EXEC) ? 0 : PTE_NX) | ((flags & MAP_DEVICE) ? PTE_UC : 0);
}

us_err_t arch_aspace_map(struct aspace *as, vaddr_t va, paddr_t pa, uint64_t size, uint32_t flags)
{
    us_err_t e = check_map_args(va_of(va), pa_of(pa), size, flags, ARCH_TRAMPOLINE_VA);

    if (e != US_OK) {
        return e;
    }
    if (va_of(va) < ARCH_KERNEL_VA_HI && va_of(va) + size > ARCH_KERNEL_VA_LO) {
        return US_TRACE(US_ERANGE); /* the kernel's part */
    }
    if ((flags & US_RIGHT_WRITE) && (flags & US_RIGHT_EXEC)) {
        return US_TRACE(US_EINVAL); /* W^X */
    }
    return map_range(pa_ptr(as->root), va_of(va), pa_of(pa), size, leaf_attrs(flags), UPPER_USER,
                     &as->table_frames);
}

void arch_aspace_unmap(struct aspace *as, vaddr_t va, uint64_t size)
{
    uint64_t off, span = 0, *pte;

    for (off = 0; off < size; off += span) {
        pte = leaf(pa_ptr(as->root), va_of(va) + off, &span);
        US_ASSERT(pte != NULL && !(*pte & PTE_KERNEL) && is_aligned(va_of(va) + off, span) &&
                  span <= size - off);
        *pte = 0;
    }
    x86_flush_space(as->asid);
}

/* The physical address @a reaches through @root for a ring-3 access (a write if @write):
 * never the kernel's part, never an uncacheable page (a device register read as memory). */
static us_err_t translate(uint64_t *root, uint64_t a, bool write, paddr_t *out)
{
    uint64_t *pte, span;

    pte = leaf(root, a, &span);
    if (pte == NULL || !(*pte & PTE_U) || (write && !(*pte & PTE_W)) || (*pte & PTE_UC)) {
        return US_ERANGE;
    }
    *out = pa_init((*pte & PTE_ADDR & ~(span - 1)) | (a & (span - 1)));
    return US_OK;
}

us_err_t arch_aspace_translate(const struct aspace *as, vaddr_t va, bool write, paddr_t *out)
{
    if (va_of(va) >= (1ull << ARCH_USER_VA_BITS)) {
        return US_ERANGE;
    }
    return translate(pa_ptr(as->root), va_of(va), write, out);
}

us_err_t arch_stage2_init(struct stage2 *s2, uint16_t vmid)
{
    uint64_t *root;

    s2->table_frames = 0;
    s2->flushes = 0;
    root = table_alloc(&s2->table_frames);
    if (root == NULL) {
        return US_ENOMEM;
    }
    s2->root = pa_from_ptr(root);
    s2->vmid = vmid;
    return US_OK;
}

us_err_t arch_stage2_map(struct stage2 *s2, ipa_t ipa, paddr_t pa, uint64_t size, uint32_t flags)
{
    us_err_t e = check_map_args(ipa_of(ipa), pa_of(pa), size, flags, 1ull << ARCH_IPA_BITS);

    if (e != US_OK) {
        return e;
    }
    return map_range(pa_ptr(s2->root), ipa_of(ipa), pa_of(pa), size, leaf_attrs(flags), UPPER_USER,
                     &s2->table_frames);
}

us_err_t arch_stage2_translate(const struct stage2 *s2, ipa_t ipa, paddr_t *out)
{
    uint64_t *pte, span;

    if (ipa_of(ipa) >= (1ull << ARCH_IPA_BITS)) {
        return US_ERANGE;
    }
    pte = leaf(pa_ptr(s2->root), ipa_of(ipa), &span);
    if (pte == NULL) {
        return US_ERANGE;
    }
    *out = pa_init((*pte & PTE_ADDR & ~(span - 1)) | (ipa_of(ipa) & (span - 1)));
    return US_OK;
}

us_err_t x86_guest_ram(const struct stage2 *s2, uint64_t gpa, paddr_t *out)
{
    uint64_t span, *pte = gpa < (1ull << ARCH_IPA_BITS) ? leaf(pa_ptr(s2->root), gpa, &span) : NULL;

    if (pte == NULL || (*pte & PTE_UC)) {
        return US_ERANGE;
    }
    *out = pa_init((*pte & PTE_ADDR & ~(span - 1)) | (gpa & (span - 1)));
    return US_OK;
}

static bool in_range(const struct relocation *r, uint64_t pa, uint64_t span)
{
    return pa < r->hi && pa + span > r->lo;
}

/* First pass: move the tables below @t in the range, break the leaves that move (not
 * present, PTE_MOVING, their new address already in place). The kernel's shared entries are
 * not the space's. */
static void relocate_break(uint64_t *t, int level, uint64_t va, struct relocation *r)
{
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t e = t[i], pa = e & PTE_ADDR, span = 1ull << level_shift(level);
        paddr_t to;

        if (!(e & PTE_P) || (e & PTE_KERNEL)) {
            continue;
        }
        if (is_table(e, level)) {
            relocate_break(table_of(e), level + 1, va + i * span, r);
            if (r->probe) {
                continue;
            }
            if (in_range(r, pa, PAGE_SIZE) && kmem_frames(1, &to) == US_OK) {
                /* The copy translates as the original: walkers may use either until the
                 * flush. The original stays withheld, so it cannot be reused before. */
                memcpy(pa_ptr(to), pa_ptr(pa_init(pa)), PAGE_SIZE);
                t[i] = pa_of(to) | (e & ~PTE_ADDR);
                kmem_free_frames(pa_init(pa), 1);
                r->moved++;
            } else if (in_range(r, pa, PAGE_SIZE)) {
                r->left++;
            }
            continue;
        }
        if (in_range(r, pa & ~(span - 1), span)) {
            to = r->leaf(r, va + i * span, pa_init(pa & ~(span - 1)), span);
            if (pa_of(to) != (pa & ~(span - 1))) {
                t[i] = (pa_of(to) | (e & ~PTE_ADDR) | PTE_MOVING) & ~PTE_P;
            }
        }
    }
}

/* Second pass, after the flush: make the broken leaves again at their new address. */
static void relocate_make(uint64_t *t, int level)
{
    for (uint64_t i = 0; i < 512; i++) {
        if ((t[i] & (PTE_P | PTE_MOVING)) == PTE_MOVING) {
            t[i] = (t[i] & ~PTE_MOVING) | PTE_P;
        } else if (is_table(t[i], level) && !(t[i] & PTE_KERNEL)) {
            relocate_make(table_of(t[i]), level + 1);
        }
    }
}

/* Relocate the tables under *@root (the root too, if the relocation asks); @flush drops the
 * space's translations between the two passes. */
static void relocate(paddr_t *root, struct relocation *r, void (*flush)(void *), void *space)
{
    paddr_t to;

    relocate_break(pa_ptr(*root), 0, 0, r);
    if (r->probe) {
        return;
    }
    if (in_range(r, pa_of(*root), PAGE_SIZE)) {
        if (r->root && kmem_frames(1, &to) == US_OK) {
            memcpy(pa_ptr(to), pa_ptr(*root), PAGE_SIZE);
            kmem_free_frames(*root, 1);
            *root = to;
            r->moved++;
            r->roots++;
        } else {
            r->left++;
        }
    }
    flush(space);
    relocate_make(pa_ptr(*root), 0);
}

static void flush_aspace(void *space)
{
    x86_flush_space(((struct aspace *)space)->asid);
}

void arch_aspace_relocate(struct aspace *as, struct relocation *r)
{
    uint64_t old = cr3_of(as);

    relocate(&as->root, r, flush_aspace, as);
    if (cr3_of(as) != old) {
        arch_space_root_moved(old, cr3_of(as));
    }
}

/* A guest's nested translations are tagged with its ASID: each of its vCPUs flushes them at
 * its next VMRUN once the count moves, and those running now are brought out first. */
static void flush_stage2(void *space)
{
    ((struct stage2 *)space)->flushes++;
    x86_shootdown();
}

void arch_stage2_relocate(struct stage2 *s2, struct relocation *r)
{
    relocate(&s2->root, r, flush_stage2, s2);
}

static void free_tables(uint64_t *t, int level)
{
    for (uint64_t i = 0; i < 512; i++) {
        if (is_table(t[i], level) && !(t[i] & PTE_KERNEL)) {
            free_tables(table_of(t[i]), level + 1);
        }
    }
    kmem_free_frames(pa_from_ptr(t), 1);
}

void arch_stage2_free(struct stage2 *s2)
{
    flush_stage2(s2);
    free_tables(pa_ptr(s2->root), 0);
    s2->table_frames = 0;
}

/* Reload CR3 here if @old is what it holds. That covers every CPU: servers run on CPU 0 alone
 * (their threads' home), where they ask for the move, and the other CPUs run vCPUs on the
 * kernel's map, never loading a server's root. Servers elsewhere would need the shootdown's
 * catch-up (smp.c) to load the moved root. */
void arch_space_root_moved(uint64_t old, uint64_t now)
{
    if (x86_read_cr3() == old) {
        x86_write_cr3(now);
    }
}
