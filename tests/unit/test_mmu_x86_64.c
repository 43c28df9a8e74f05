/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the x86_64 page tables (kernel/arch/x86_64/mmu.c), built for the host with
 * tests/unit/x86_64_shim standing in for CR3 and the TLB. Table frames come from a budget the
 * tests set. The kernel's image bounds are absolute symbols the build defines (the kernel's
 * layout: text from 1 MiB, a page each of text, rodata and data), so the binary is not PIE. */
#include <stdio.h>
#include <stdlib.h>
#include <understudy/abi.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/arch/mmu.h>
#include "frames_fx.h"
#include "ut.h"

uint64_t shim_cr3, shim_cr3_writes, shim_flushes, shim_flush_pcid;

#define IMAGE 0x100000ull /* _image_start; _text_end, _rodata_end, _image_end a page apart */
#define RW (US_RIGHT_READ | US_RIGHT_WRITE)
#define LARGE (2ull << 20)
#define GIB (1ull << 30)
#define P 0x1ull
#define W 0x2ull
#define U 0x4ull
#define UC 0x18ull
#define PS 0x80ull
#define G 0x100ull
#define NX (1ull << 63)
#define ADDR 0x000ffffffffff000ull

/* A kernel invariant broken (US_CHECK): the test dies with it. */
void klog_panic(const char *fmt, ...)
{
    fprintf(stderr, "panic: %s\n", fmt);
    abort();
}

static struct aspace as;
static struct stage2 s2;
static uint64_t kernel_cr3;

/* The kernel's map over RAM [1 MiB, 256 MiB), then a server space (PCID 5) and a VM. */
static void setup(long budget)
{
    frame_budget = budget;
    frames_live = 0;
    shim_flushes = 0;
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(IMAGE), 255 * (1ull << 20)), US_OK);
    kernel_cr3 = shim_cr3;
    UT_EXPECT_EQ(arch_aspace_init(&as, 5), US_OK);
    UT_EXPECT_EQ(arch_stage2_init(&s2, 1), US_OK);
}

/* The present leaf mapping @a under the table at @root, and its size; 0 if none. */
static uint64_t leaf_at(uint64_t root, uint64_t a, uint64_t *span)
{
    const uint64_t *t = pa_ptr(pa_init(root & ADDR));

    for (int level = 0; level < 4; level++) {
        uint64_t e = t[(a >> (39 - 9 * level)) & 511u];

        if (!(e & P)) {
            return 0;
        }
        if (level == 3 || (e & PS)) {
            *span = 1ull << (39 - 9 * level);
            return e;
        }
        t = pa_ptr(pa_init(e & ADDR));
    }
    return 0;
}

static uint64_t kernel_leaf(uint64_t a)
{
    uint64_t span;

    return leaf_at(kernel_cr3, a, &span);
}

/* Text read-execute, rodata read-only, data read-write and never executable, RAM the same in
 * large pages, the APICs uncacheable; all global and supervisor only; nothing below RAM, not
 * even page 0, and nothing above it. */
static void kernel_map_is_wx(void)
{
    uint64_t span;

    setup(100);
    UT_EXPECT_EQ(shim_cr3_writes > 0, true);
    UT_EXPECT_EQ(kernel_leaf(IMAGE) & (P | W | U | G | NX), P | G);
    UT_EXPECT_EQ(kernel_leaf(IMAGE) & ADDR, IMAGE);
    UT_EXPECT_EQ(kernel_leaf(IMAGE + PAGE_SIZE) & (P | W | U | G | NX), P | G | NX);
    UT_EXPECT_EQ(kernel_leaf(IMAGE + 2 * PAGE_SIZE) & (P | W | U | G | NX), P | W | G | NX);
    UT_EXPECT_EQ(kernel_leaf(IMAGE + 3 * PAGE_SIZE) & (P | W | U | G | NX), P | W | G | NX);
    UT_EXPECT_EQ(leaf_at(kernel_cr3, 16 * LARGE + 0x1234, &span) & (P | W | U | G | NX | PS),
                 P | W | G | NX | PS);
    UT_EXPECT_EQ(span, LARGE);
    UT_EXPECT_EQ(kernel_leaf(0), 0);
    UT_EXPECT_EQ(kernel_leaf(IMAGE - PAGE_SIZE), 0);
    UT_EXPECT_EQ(kernel_leaf(256ull << 20), 0);
    UT_EXPECT_EQ(kernel_leaf(0xfee00000) & (P | W | U | UC | NX), P | W | UC | NX);
    UT_EXPECT_EQ(kernel_leaf(0xfec00000) & ADDR, 0xfec00000);
    UT_EXPECT_EQ(kernel_leaf(0xff000000), 0);
}

/* An image outside RAM, RAM past the kernel's part or into the APICs, or an unaligned end
 * build nothing. */
static void kernel_map_refuses_bad_layout(void)
{
    frame_budget = 100;
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(IMAGE + PAGE_SIZE), 64ull << 20), US_ERANGE);
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(IMAGE), ARCH_KERNEL_VA_HI), US_ERANGE);
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(IMAGE), 0xfec00000 - IMAGE + LARGE), US_ERANGE);
    UT_EXPECT_EQ(arch_mmu_kernel_map_final(pa_init(IMAGE), (64ull << 20) + 8), US_ERANGE);
    UT_EXPECT_EQ(frame_budget, 100);
}

/* A server space carries the kernel's part (its own PDPT, the kernel's directories under it,
 * not reachable from ring 3) and takes no mapping there; its own mappings are ring 3's. */
static void server_space_shares_kernel(void)
{
    const uint64_t *root, *pdpt, *kpdpt;
    paddr_t got;
    uint64_t span;

    setup(100);
    UT_EXPECT_EQ(as.table_frames, 2);
    root = pa_ptr(as.root);
    pdpt = pa_ptr(pa_init(root[0] & ADDR));
    kpdpt = pa_ptr(pa_init(((const uint64_t *)pa_ptr(pa_init(kernel_cr3)))[0] & ADDR));
    UT_EXPECT_EQ(root[0] & (P | W | U), P | W | U);
    UT_EXPECT(pdpt != kpdpt);
    UT_EXPECT_EQ(pdpt[0] & ADDR, kpdpt[0] & ADDR);
    UT_EXPECT_EQ(pdpt[3] & ADDR, kpdpt[3] & ADDR); /* the APICs' */
    UT_EXPECT_EQ(pdpt[0] & U, 0);
    UT_EXPECT_EQ(leaf_at(pa_of(as.root), IMAGE, &span), kernel_leaf(IMAGE));
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(IMAGE + 2 * PAGE_SIZE), false, &got),
                 US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(16 * LARGE), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(0x400000), pa_init(GIB), PAGE_SIZE, RW), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_HI - PAGE_SIZE), pa_init(GIB),
                                 2 * PAGE_SIZE, RW),
                 US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_KERNEL_VA_HI), pa_init(GIB), PAGE_SIZE,
                                 US_RIGHT_READ | US_RIGHT_EXEC),
                 US_OK);
    UT_EXPECT_EQ(leaf_at(pa_of(as.root), ARCH_KERNEL_VA_HI, &span) & (P | W | U | NX), P | U);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(ARCH_KERNEL_VA_HI + 0x10), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), GIB + 0x10);
    UT_EXPECT_EQ(kpdpt[ARCH_KERNEL_VA_HI >> 30], 0); /* the kernel's tables stayed as they were */
}

static void aspace_map_translates(void)
{
    uint64_t va = US_VA_DYNAMIC;
    paddr_t got;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), 3 * PAGE_SIZE, US_RIGHT_READ),
                 US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 0x2345), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), GIB + 0x2345);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 0x2345), true, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 0x3000), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va + 0x10000), pa_init(0xfe000000), PAGE_SIZE,
                                 RW | MAP_DEVICE),
                 US_OK);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 0x10000), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(1ull << ARCH_USER_VA_BITS), false, &got),
                 US_ERANGE);
}

static void aspace_refuses_bad_arguments(void)
{
    uint64_t va = US_VA_DYNAMIC;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), PAGE_SIZE, RW | US_RIGHT_EXEC),
                 US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), PAGE_SIZE, MAP_EL1_EXEC),
                 US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va + 0x800), pa_init(GIB), PAGE_SIZE, RW), US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), 0, RW), US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), PAGE_SIZE, 0), US_EINVAL);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(ARCH_TRAMPOLINE_VA), pa_init(GIB), PAGE_SIZE, RW),
                 US_ERANGE);
    UT_EXPECT_EQ(as.table_frames, 2);
}

/* I/O ports: ranges inside the port space and clear of the ones the kernel keeps, a few per
 * space, none left after the space is made again (a restart). */
static void io_grant_checks_ranges(void)
{
    static struct aspace again;

    setup(100);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x3f8, 8), US_OK);
    UT_EXPECT_EQ(as.io[0].base, 0x3f8u);
    UT_EXPECT_EQ(as.io[0].count, 8u);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x3f8, 0), US_ERANGE);
    UT_EXPECT_EQ(arch_io_grant(&as, 0xfff0, 0x11), US_ERANGE);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x10000, 1), US_ERANGE);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x1c, 8), US_ERANGE); /* reaches the master PIC */
    UT_EXPECT_EQ(arch_io_grant(&as, 0xa1, 1), US_ERANGE);
    UT_EXPECT_EQ(arch_io_grant(&as, 0xcf8, 8), US_ERANGE); /* the reset control register */
    UT_EXPECT_EQ(arch_io_grant(&as, 0xcfc, 4), US_OK);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x2f8, 8), US_OK);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x60, 1), US_OK);
    UT_EXPECT_EQ(arch_io_grant(&as, 0x70, 2), US_ENOMEM); /* ARCH_IO_RANGES are taken */
    again = as; /* the same struct made again, as a restart does; its old tables stay in as */
    UT_EXPECT_EQ(arch_aspace_init(&again, 2), US_OK);
    UT_EXPECT_EQ(again.io[0].count, 0u);
}

static bool s2_maps(uint64_t ipa, uint64_t pa)
{
    paddr_t got;

    return arch_stage2_translate(&s2, ipa_init(ipa), &got) == US_OK && pa_of(got) == pa;
}

/* Guests' leaves: ring 3 (nested walks are user accesses), writable and executable as asked,
 * uncacheable for a device. */
static void stage2_leaf_rights(void)
{
    uint64_t span;

    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0x10000), pa_init(GIB), PAGE_SIZE,
                                 US_RIGHT_READ | US_RIGHT_EXEC),
                 US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0x11000), pa_init(GIB + 0x1000), PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(
        arch_stage2_map(&s2, ipa_init(0x12000), pa_init(0xfe000000), PAGE_SIZE, RW | MAP_DEVICE),
        US_OK);
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), 0x10000, &span) & (P | W | U | UC | NX), P | U);
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), 0x11000, &span) & (P | W | U | UC | NX), P | W | U | NX);
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), 0x12000, &span) & (P | W | U | UC | NX),
                 P | W | U | UC | NX);
    UT_EXPECT(s2_maps(0x11abc, GIB + 0x1abc));
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(1ull << ARCH_IPA_BITS), pa_init(GIB), PAGE_SIZE, RW),
                 US_ERANGE);
}

/* An overlap found on the last page leaves the first pages unmapped; a large page over pages
 * and pages over a large page are overlaps too. */
static void overlap_maps_nothing(void)
{
    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0x10000), pa_init(GIB + 0x10000), 4 * PAGE_SIZE, RW),
                 US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0xc000), pa_init(GIB), 5 * PAGE_SIZE, RW),
                 US_EEXIST);
    for (uint64_t ipa = 0xc000; ipa < 0x10000; ipa += PAGE_SIZE) {
        UT_EXPECT(!s2_maps(ipa, GIB + ipa - 0xc000));
    }
    UT_EXPECT(s2_maps(0x10000, GIB + 0x10000));
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(0), pa_init(GIB), LARGE, RW), US_EEXIST);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(LARGE), pa_init(GIB), LARGE, RW), US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(LARGE + 0x5000), pa_init(0x5000), PAGE_SIZE, RW),
                 US_EEXIST);
}

/* Running out of table frames half way maps nothing; the same call succeeds once frames are
 * there, and freeing the VM returns every frame and flushes its translations. */
static void enomem_maps_nothing(void)
{
    uint64_t ipa = GIB - 4 * PAGE_SIZE, kernel_frames;

    setup(100);
    kernel_frames = (uint64_t)frames_live - as.table_frames - s2.table_frames;
    /* Crossing a 1 GiB boundary needs a PDPT, then a PD and a PT on each side: five frames. */
    frame_budget = 4;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(ipa), pa_init(GIB), 8 * PAGE_SIZE, RW), US_ENOMEM);
    for (uint64_t off = 0; off < 8 * PAGE_SIZE; off += PAGE_SIZE) {
        UT_EXPECT(!s2_maps(ipa + off, GIB + off));
    }
    frame_budget = 1;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(ipa), pa_init(GIB), 8 * PAGE_SIZE, RW), US_OK);
    for (uint64_t off = 0; off < 8 * PAGE_SIZE; off += PAGE_SIZE) {
        UT_EXPECT(s2_maps(ipa + off, GIB + off));
    }
    UT_EXPECT_EQ(s2.table_frames, 6);
    arch_stage2_free(&s2);
    UT_EXPECT_EQ(s2.table_frames, 0);
    UT_EXPECT_EQ(s2.flushes, 1);
    UT_EXPECT_EQ(frames_live, (long)(kernel_frames + as.table_frames));
}

/* Aligned 2 MiB stretches are large pages: 8 MiB of guest RAM costs the root, a PDPT and a
 * PD; an empty page table a refused mapping left keeps its stretch in pages. */
static void aligned_ram_uses_large_pages(void)
{
    uint64_t span;

    setup(100);
    UT_EXPECT_EQ(
        arch_stage2_map(&s2, ipa_init(GIB), pa_init(2 * GIB), 4 * LARGE, RW | US_RIGHT_EXEC),
        US_OK);
    UT_EXPECT_EQ(s2.table_frames, 3);
    UT_EXPECT(s2_maps(GIB + 3 * LARGE + 0x1234, 2 * GIB + 3 * LARGE + 0x1234));
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), GIB, &span) & PS, PS);
    UT_EXPECT_EQ(span, LARGE);
    /* Two pages across the next two stretches need a page table each: one is made, then
     * the mapping is refused, and that empty table takes the stretch's next mapping in pages. */
    frame_budget = 1;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(GIB + 5 * LARGE - PAGE_SIZE), pa_init(0x1000),
                                 2 * PAGE_SIZE, RW),
                 US_ENOMEM);
    frame_budget = 100;
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(GIB + 4 * LARGE), pa_init(4 * GIB), LARGE, RW),
                 US_OK);
    UT_EXPECT_EQ(s2.table_frames, 4);
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), GIB + 4 * LARGE, &span) & PS, 0);
    UT_EXPECT_EQ(span, PAGE_SIZE);
    UT_EXPECT(s2_maps(GIB + 5 * LARGE - PAGE_SIZE, 4 * GIB + LARGE - PAGE_SIZE));
}

/* Unmapped pages translate no more, their neighbours stay, and this CPU drops the space's
 * translations by its PCID once; the place takes pages again in the same tables. */
static void aspace_unmap_flushes_pcid(void)
{
    uint64_t va = US_VA_DYNAMIC + GIB - 2 * PAGE_SIZE, frames;
    paddr_t got;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(GIB), 2 * PAGE_SIZE + LARGE, RW), US_OK);
    UT_EXPECT_EQ(
        arch_aspace_map(&as, va_init(va + 2 * PAGE_SIZE + LARGE), pa_init(3 * GIB), PAGE_SIZE, RW),
        US_OK);
    frames = as.table_frames;
    arch_aspace_unmap(&as, va_init(va), 2 * PAGE_SIZE + LARGE);
    UT_EXPECT_EQ(shim_flushes, 1);
    UT_EXPECT_EQ(shim_flush_pcid, 5);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va), false, &got), US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 2 * PAGE_SIZE + 0x1000), false, &got),
                 US_ERANGE);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(va + 2 * PAGE_SIZE + LARGE), false, &got),
                 US_OK);
    UT_EXPECT_EQ(pa_of(got), 3 * GIB);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(va), pa_init(0x5000), PAGE_SIZE, US_RIGHT_READ),
                 US_OK);
    UT_EXPECT_EQ(as.table_frames, frames);
}

static paddr_t leaf_keep(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    (void)va;
    r->left += span / PAGE_SIZE;
    return pa;
}

/* Relocation sees only the server's own pages, not the kernel's part it shares; a root in
 * the range moves, the copy translates as before, and CR3 follows where the old root (with
 * its PCID) was loaded. */
static void relocation_moves_root(void)
{
    struct relocation probe = {.lo = 0, .hi = 4 * GIB, .probe = true, .leaf = leaf_keep};
    struct relocation r = {.root = true, .leaf = leaf_keep};
    uint64_t old;
    paddr_t got;

    setup(100);
    UT_EXPECT_EQ(arch_aspace_map(&as, va_init(US_VA_DYNAMIC), pa_init(GIB + 0x5000), PAGE_SIZE, RW),
                 US_OK);
    arch_aspace_relocate(&as, &probe);
    UT_EXPECT_EQ(probe.left, 1);
    old = pa_of(as.root) | 5u;
    shim_cr3 = old; /* the server is running */
    r.lo = pa_of(as.root);
    r.hi = pa_of(as.root) + PAGE_SIZE;
    arch_aspace_relocate(&as, &r);
    UT_EXPECT(pa_of(as.root) != (old & ADDR));
    UT_EXPECT_EQ(r.roots, 1);
    UT_EXPECT_EQ(shim_cr3, pa_of(as.root) | 5u);
    UT_EXPECT_EQ(shim_flushes, 1);
    UT_EXPECT_EQ(arch_aspace_translate(&as, va_init(US_VA_DYNAMIC), false, &got), US_OK);
    UT_EXPECT_EQ(pa_of(got), GIB + 0x5000);
}

/* Where relocation_moves_guest_page() copies a leaf: 4 GiB higher. */
static paddr_t leaf_move(struct relocation *r, uint64_t va, paddr_t pa, uint64_t span)
{
    (void)va;
    r->moved += span / PAGE_SIZE;
    return pa_add(pa, 4 * GIB);
}

/* A guest's large page in the range moves: its leaf is remade at the new address with its
 * rights, the page beside it stays, and the VM is told to flush its ASID. */
static void relocation_moves_guest_page(void)
{
    struct relocation r = {.lo = 2 * GIB, .hi = 2 * GIB + LARGE, .leaf = leaf_move};
    uint64_t span;

    setup(100);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(GIB), pa_init(2 * GIB), LARGE, RW), US_OK);
    UT_EXPECT_EQ(arch_stage2_map(&s2, ipa_init(GIB + LARGE), pa_init(3 * GIB), LARGE, RW), US_OK);
    arch_stage2_relocate(&s2, &r);
    UT_EXPECT_EQ(r.moved, LARGE / PAGE_SIZE);
    UT_EXPECT(s2_maps(GIB + 0x1234, 6 * GIB + 0x1234));
    UT_EXPECT(s2_maps(GIB + LARGE, 3 * GIB));
    UT_EXPECT_EQ(s2.flushes, 1);
    UT_EXPECT_EQ(leaf_at(pa_of(s2.root), GIB, &span) & (P | W | U | PS | NX), P | W | U | PS | NX);
}

UT_MAIN({"kernel_map_is_wx", kernel_map_is_wx},
        {"kernel_map_refuses_bad_layout", kernel_map_refuses_bad_layout},
        {"server_space_shares_kernel", server_space_shares_kernel},
        {"aspace_map_translates", aspace_map_translates},
        {"aspace_refuses_bad_arguments", aspace_refuses_bad_arguments},
        {"io_grant_checks_ranges", io_grant_checks_ranges},
        {"stage2_leaf_rights", stage2_leaf_rights}, {"overlap_maps_nothing", overlap_maps_nothing},
        {"enomem_maps_nothing", enomem_maps_nothing},
        {"aligned_ram_uses_large_pages", aligned_ram_uses_large_pages},
        {"aspace_unmap_flushes_pcid", aspace_unmap_flushes_pcid},
        {"relocation_moves_root", relocation_moves_root},
        {"relocation_moves_guest_page", relocation_moves_guest_page})
