/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the aarch64 translation tables (kernel/arch/aarch64/mmu.c), built for the host
 * with tests/unit/aarch64_shim standing in for the system registers. Table frames come from a
 * budget the tests set, so a mapping can be made to run out of tables half way. */
#include <stdlib.h>
#include <understudy/abi.h>
#include <us/kmem.h>
#include <us/arch/mmu.h>
#include "frames_fx.h"
#include "ut.h"

uint64_t shim_sysreg_writes, shim_tlbi_count, shim_tlbi_asid;
bool arch_vhe;
char _image_start[1], _text_end[1], _rodata_end[1], _image_end[1];
char el1_trampoline[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static uint64_t root_moved_from, root_moved_to; /* the last arch_space_root_moved() */

void arch_space_root_moved(uint64_t old, uint64_t now)
{
    root_moved_from = old;
    root_moved_to = now;
}

#define RW (US_RIGHT_READ | US_RIGHT_WRITE)
#define BLOCK (2ull << 20)
#define GIB (1ull << 30)

static struct aspace as;
static struct stage2 s2;

static void setup(long budget)
{
    arch_vhe = false;
    frame_budget = budget;
    frames_live = 0;
    UT_EXPECT_EQ(arch_aspace_init(&as, 5), US_OK);
    UT_EXPECT_EQ(arch_stage2_init(&s2, 1), US_OK);
}

/* The test's own walk of the stage-2 tables, as the MMU makes it (4 KiB granule, from level
 * 1, blocks at levels 1 and 2): the PA behind @ipa in *@pa, or false if nothing maps it. */
static bool s2_walk(uint64_t ipa, uint64_t *pa)
{
    const uint64_t addr = 0x0000fffffffff000ull; /* output address bits of a descriptor */
    const uint64_t *t = pa_ptr(s2.root);

    if ((ipa >> ARCH_IPA_BITS) != 0) {
        return false;
    }
    for (int level = 1; level <= 3; level++) {
        uint64_t e = t[(ipa >> (39 - 9 * level)) & 511u], span = 1ull << (39 - 9 * level);

        if ((e & 1u) == 0) { /* invalid */
            return false;
        }
        if (level == 3 || (e & 2u) == 0) { /* a page, or a block */
            *pa = (e & addr & ~(span - 1u)) | (ipa & (span - 1u));
            return true;
        }
        t = pa_ptr(pa_init(e & addr));
    }
    return false;
}

static bool s2_maps(uint64_t ipa, uint64_t pa)
{
    uint64_t got;

    return s2_walk(ipa, &got) && got == pa;
}

static bool s2_unmapped(uint64_t ipa)
{
    uint64_t got;

    return !s2_walk(ipa, &got);
}

static void aspace_map_translates(void)
{
    paddr_t got;

    setup(100);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(0x10000), pa_init(0x80000000), 3 * PAGE_SIZE, US_RIGHT_READ),
        US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(0x12345), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), 0x80002345);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(0x12345), true, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(0x13000), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(0xf000), false, &got), US_ERANGE);
    /* The trampoline is EL1-only: never something the kernel reads for EL0. */
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(ARCH_TRAMPOLINE_VA), false, &got), US_ERANGE);
}

static void aspace_refuses_bad_arguments(void)
{
    setup(100);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(0x10000), pa_init(0x80000000), PAGE_SIZE, RW | US_RIGHT_EXEC),
        US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x10800), pa_init(0x80000000), PAGE_SIZE, RW),
                 US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x10000), pa_init(0x80000000), 0, RW), US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x10000), pa_init(0x80000000), PAGE_SIZE, 0),
                 US_EINVAL);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(ARCH_TRAMPOLINE_VA), pa_init(0x80000000), 2 * PAGE_SIZE, RW),
        US_ERANGE);
}

static void aspace_translate_refuses_device(void)
{
    paddr_t got;

    setup(100);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(0x20000), pa_init(0x09000000), PAGE_SIZE, RW | MAP_DEVICE),
        US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(0x20000), false, &got), US_ERANGE);
}

/* An overlap found on the last page leaves the first pages unmapped. */
static void overlap_maps_nothing(void)
{
    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0x10000), pa_init(0x80010000), 4 * PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0xc000), pa_init(0x9000c000), 5 * PAGE_SIZE, RW),
                 US_EEXIST);
    for (uint64_t ipa = 0xc000; ipa < 0x10000; ipa += PAGE_SIZE) {
        UT_EXPECT(s2_unmapped(ipa));
    }
    UT_EXPECT(s2_maps(0x10000, 0x80010000));
}

/* A block over pages, and pages over a block, are overlaps too. */
static void overlap_with_block_refused(void)
{
    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(BLOCK), pa_init(0x80000000), BLOCK, RW), US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(BLOCK + 0x5000), pa_init(0x5000), PAGE_SIZE, RW),
                 US_EEXIST);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(3 * BLOCK + 0x5000), pa_init(0x5000), PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(3 * BLOCK), pa_init(0x80200000), BLOCK, RW),
                 US_EEXIST);
    UT_EXPECT(s2_unmapped(3 * BLOCK));
}

/* Running out of table frames half way maps nothing; the same call succeeds once frames are
 * there, and freeing the space returns every frame. */
static void enomem_maps_nothing(void)
{
    uint64_t ipa = GIB - 4 * PAGE_SIZE, pa = 0x80000000 - 4 * PAGE_SIZE;

    /* The server space's root, L2 and L3 (its trampoline) and the stage-2 root, then two more:
     * crossing a 1 GiB boundary needs an L2 and an L3 table on each side, four frames. */
    setup(4 + 2);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(ipa), pa_init(pa), 8 * PAGE_SIZE, RW), US_ENOMEM);
    for (uint64_t off = 0; off < 8 * PAGE_SIZE; off += PAGE_SIZE) {
        UT_EXPECT(s2_unmapped(ipa + off));
    }
    frame_budget = 2;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(ipa), pa_init(pa), 8 * PAGE_SIZE, RW), US_OK);
    for (uint64_t off = 0; off < 8 * PAGE_SIZE; off += PAGE_SIZE) {
        UT_EXPECT(s2_maps(ipa + off, pa + off));
    }
    UT_EXPECT_EQ(s2.table_frames, 5);
    arch_stage2_free(&s2);
    UT_EXPECT_EQ(s2.table_frames, 0);
    UT_EXPECT_EQ(frames_live, 3); /* only the server space's root, L2 and L3 */
}

/* The empty L3 table a refused mapping leaves in a 2 MiB stretch does not block a later
 * mapping there: it is mapped page by page into that table. */
static void block_over_empty_table(void)
{
    setup(4 + 2);
    /* Page-sized, from 4 KiB below a 2 MiB boundary: the L2 and the first L3 are made, the
     * second L3 is not. */
    UT_EXPECT_EQ(
        arch_stage2_map(&s2, ipa_init(2 * BLOCK - PAGE_SIZE), pa_init(0x1000), 2 * PAGE_SIZE, RW),
        US_ENOMEM);
    frame_budget = 10;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(BLOCK), pa_init(0x80000000), BLOCK, RW), US_OK);
    UT_EXPECT(s2_maps(BLOCK, 0x80000000));
    UT_EXPECT(s2_maps(2 * BLOCK - PAGE_SIZE, 0x80000000 + BLOCK - PAGE_SIZE));
    UT_EXPECT(s2_unmapped(2 * BLOCK));
    arch_stage2_free(&s2);
    UT_EXPECT_EQ(frames_live, 3);
}

/* Aligned 2 MiB stretches are blocks: 8 MiB of guest RAM costs the root and one L2. */
static void aligned_ram_uses_blocks(void)
{
    setup(100);
    UT_EXPECT_EQ(
        arch_stage2_map(&s2, ipa_init(GIB), pa_init(0x80000000), 4 * BLOCK, RW | US_RIGHT_EXEC),
        US_OK);
    UT_EXPECT_EQ(s2.table_frames, 2);
    UT_EXPECT(s2_maps(GIB + 3 * BLOCK + 0x1234, 0x80000000 + 3 * BLOCK + 0x1234));
    UT_EXPECT(s2_unmapped(GIB + 4 * BLOCK));
}

static void stage2_free_drops_tlb(void)
{
    uint64_t before;

    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0), pa_init(0x80000000), PAGE_SIZE, RW), US_OK);
    before = shim_tlbi_count;
    arch_stage2_free(&s2);
    UT_EXPECT_EQ(shim_tlbi_count, before + 1);
    UT_EXPECT_EQ(frames_live, 3);
}

static bool as_maps(uint64_t va, uint64_t pa)
{
    paddr_t got;

    return arch_aspace_translate(&as, va_init(va), false, &got) == US_OK && pa_of(got) == pa;
}

/* Unmapped pages translate no more and may be mapped again in the tables they had; their
 * neighbours stay; every CPU drops the space's TLB entries, by its ASID, once. */
static void aspace_unmap_pages(void)
{
    uint64_t before, frames;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x10000), pa_init(0x80000000), 3 * PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x13000), pa_init(0x90000000), PAGE_SIZE, RW), US_OK);
    before = shim_tlbi_count;
    frames = as.table_frames;
    arch_aspace_unmap(&as, va_init(0x10000), 3 * PAGE_SIZE);
    UT_EXPECT_EQ(shim_tlbi_count, before + 1);
    UT_EXPECT_EQ(shim_tlbi_asid, 5);
    for (uint64_t off = 0; off < 3 * PAGE_SIZE; off += PAGE_SIZE) {
        UT_EXPECT(!as_maps(0x10000 + off, 0x80000000 + off));
    }
    UT_EXPECT(as_maps(0x13000, 0x90000000));
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(0x10000), pa_init(0xa0000000), 3 * PAGE_SIZE, US_RIGHT_READ),
        US_OK);
    UT_EXPECT(as_maps(0x12000, 0xa0002000));
    UT_EXPECT_EQ(as.table_frames, frames);
}

/* A 2 MiB block goes whole, and pages next to it in the same range too. */
static void aspace_unmap_block(void)
{
    uint64_t g = US_VA_DYNAMIC + GIB; /* a GiB boundary where servers map */
    uint64_t va = g - 2 * PAGE_SIZE, pa = 0x80000000 - 2 * PAGE_SIZE, before;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(pa), 2 * PAGE_SIZE + 2 * BLOCK, RW),
                 US_OK);
    UT_EXPECT(as_maps(g + BLOCK + 0x1234, 0x80000000 + BLOCK + 0x1234));
    before = shim_tlbi_count;
    arch_aspace_unmap(&as, va_init(va), 2 * PAGE_SIZE + 2 * BLOCK);
    UT_EXPECT_EQ(shim_tlbi_count, before + 1);
    UT_EXPECT_EQ(shim_tlbi_asid, 5);
    UT_EXPECT(!as_maps(va, pa));
    UT_EXPECT(!as_maps(g - PAGE_SIZE, 0x80000000 - PAGE_SIZE));
    UT_EXPECT(!as_maps(g, 0x80000000));
    UT_EXPECT(!as_maps(g + BLOCK - PAGE_SIZE, 0x80000000 + BLOCK - PAGE_SIZE));
    UT_EXPECT(!as_maps(g + 2 * BLOCK - PAGE_SIZE, 0x80000000 + 2 * BLOCK - PAGE_SIZE));
    /* The block's place takes pages now, in a new level-3 table. */
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(g + PAGE_SIZE), pa_init(0x5000), PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT(as_maps(g + PAGE_SIZE, 0x5000));
    UT_EXPECT(!as_maps(g, 0x80000000));
}

/* The kernel's part of every server space, [128 MiB, 64 GiB), takes no server mapping, in
 * either mode: with VHE the kernel runs through those entries. */
static void aspace_refuses_kernel_part(void)
{
    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_LO - PAGE_SIZE), pa_init(0x80000000),
                                 2 * PAGE_SIZE, RW),
                 US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(GIB), pa_init(0x80000000), BLOCK, RW), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_HI - PAGE_SIZE), pa_init(0x80000000),
                                 PAGE_SIZE, RW),
                 US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_LO - PAGE_SIZE), pa_init(0x80000000),
                                 PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_HI), pa_init(0x80000000), PAGE_SIZE, RW),
        US_OK);
}

static paddr_t leaf_keep(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    (void)va;
    r->left += span / PAGE_SIZE;
    return pa;
}

/* With VHE a server space carries the kernel's devices and RAM: neither reachable from EL0
 * (translate refuses them), nor seen by relocation (only the server's own page counts). */
static void vhe_space_shares_kernel(void)
{
    static struct aspace v; /* static, as the others: its tables stay reachable */
    struct relocation r = {.lo = GIB, .hi = 3 * GIB, .probe = true, .leaf = leaf_keep};
    paddr_t got;

    setup(100);
    arch_vhe = true;
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(GIB), 2 * GIB), US_OK);
    UT_EXPECT_EQ(arch_aspace_init(&v, 7), US_OK);
    UT_EXPECT_EQ(v.table_frames, 2); /* the root and its own first-GiB table */
    UT_EXPECT_EQ(arch_aspace_translate(&v, va_init(GIB + 0x1000), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&v, va_init(0x09000000), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&v, va_init(0x400000), pa_init(GIB + 0x5000), PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&v, va_init(0x400000), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), GIB + 0x5000);
    arch_aspace_relocate(&v, &r);
    UT_EXPECT_EQ(r.left, 1);
    arch_vhe = false;
}

/* A server's root in the range moves like any table: the copy translates as before, the count
 * says a root moved, and whoever has the old one loaded is told (its ASID kept). */
static void relocation_moves_root(void)
{
    static struct aspace v;
    struct relocation r = {.root = true, .leaf = leaf_keep};
    paddr_t old, got;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_init(&v, 5), US_OK);
    UT_EXPECT_EQ(arch_aspace_map(&v, va_init(0x400000), pa_init(GIB + 0x5000), PAGE_SIZE, RW),
                 US_OK);
    old = v.root;
    r.lo = pa_of(old);
    r.hi = pa_of(old) + PAGE_SIZE;
    arch_aspace_relocate(&v, &r);
    UT_EXPECT(pa_of(v.root) != pa_of(old));
    UT_EXPECT_EQ(r.roots, 1);
    UT_EXPECT_EQ(r.left, 0);
    UT_EXPECT_EQ(root_moved_from, pa_of(old) | (5ull << 48));
    UT_EXPECT_EQ(root_moved_to, pa_of(v.root) | (5ull << 48));
    UT_EXPECT_EQ(arch_aspace_translate(&v, va_init(0x400000), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), GIB + 0x5000);
}

UT_MAIN({"aspace_map_translates", aspace_map_translates},
        {"aspace_refuses_bad_arguments", aspace_refuses_bad_arguments},
        {"aspace_translate_refuses_device", aspace_translate_refuses_device},
        {"overlap_maps_nothing", overlap_maps_nothing},
        {"overlap_with_block_refused", overlap_with_block_refused},
        {"enomem_maps_nothing", enomem_maps_nothing},
        {"block_over_empty_table", block_over_empty_table},
        {"aligned_ram_uses_blocks", aligned_ram_uses_blocks},
        {"stage2_free_drops_tlb", stage2_free_drops_tlb},
        {"aspace_unmap_pages", aspace_unmap_pages}, {"aspace_unmap_block", aspace_unmap_block},
        {"aspace_refuses_kernel_part", aspace_refuses_kernel_part},
        {"vhe_space_shares_kernel", vhe_space_shares_kernel},
        {"relocation_moves_root", relocation_moves_root})
