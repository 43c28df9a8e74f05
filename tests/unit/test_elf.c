/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/elf.c: a server image is mapped as its segments say, and every header
 * or segment field that could send the loader outside the image or the space is refused. */
#include <string.h>
#include <us/elf.h>
#include <us/kmem.h>
#include "kernel_fx.h"
#include "ut.h"

#define LIMIT 0x1000000000ull /* US_VA_IPC_BUF: where process.c stops images */

static uint8_t img[0x2000] __attribute__((aligned(8)));
static uint64_t img_size;
static struct aspace as;

struct ph {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static void setup(void)
{
    kfx_init(1);
    UT_EXPECT_EQ(arch_aspace_init(&as, 1), US_OK);
    img_size = kfx_elf(img, sizeof(img));
}

static struct ph *phdr(uint32_t i)
{
    return (struct ph *)(void *)(img + 64) + i;
}

static us_err_t load(void)
{
    uint64_t entry = 0, frames = 0;

    return elf_load(img, img_size, &as, LIMIT, &entry, &frames);
}

static void *at(uint64_t va, bool write)
{
    paddr_t pa;

    return arch_aspace_translate(&as, va_init(va), write, &pa) == US_OK ? pa_ptr(pa) : NULL;
}

static void loads_segments(void)
{
    uint64_t entry = 0, frames = 0;
    uint8_t *text, *data;

    setup();
    UT_EXPECT_EQ(elf_load(img, img_size, &as, LIMIT, &entry, &frames), US_OK);
    UT_EXPECT_EQ(entry, 0x400000);
    UT_EXPECT_EQ(frames, 2);
    text = at(0x400000, false);
    data = at(0x401000, true);
    UT_EXPECT(text != NULL && text[0] == 0xd5 && text[0x10] == 0);
    UT_EXPECT(at(0x400000, true) == NULL); /* R+X: not writable */
    UT_EXPECT(data != NULL && data[0x7f] == 0x5a && data[0x80] == 0 && data[0xfff] == 0);
    UT_EXPECT(at(0x402000, false) == NULL);
}

static void skips_other_segments(void)
{
    setup();
    phdr(1)->type = 4; /* PT_NOTE with nonsense fields */
    phdr(1)->offset = UINT64_MAX;
    phdr(1)->memsz = 0;
    UT_EXPECT_EQ(load(), US_OK);
    UT_EXPECT(at(0x401000, false) == NULL);
}

static void maps_flagless_segment_read_only(void)
{
    setup();
    phdr(1)->flags = 0;
    UT_EXPECT_EQ(load(), US_OK);
    UT_EXPECT(at(0x401000, false) != NULL);
    UT_EXPECT(at(0x401000, true) == NULL);
}

/* Each header corruption, one at a time. */
static void rejects_bad_header(void)
{
    static const struct {
        uint32_t off;
        uint8_t val;
    } bad[] = {
        {0, 0x7e},  /* magic */
        {4, 1},     /* ELFCLASS32 */
        {5, 2},     /* big endian */
        {16, 3},    /* ET_DYN */
        {18, 62},   /* EM_X86_64 */
        {54, 32},   /* e_phentsize */
        {56, 0},    /* e_phnum 0 */
        {56, 17},   /* e_phnum above the loader's limit */
        {32, 0x80}, /* e_phoff 0x1080: the program headers run past the image */
        {33, 0x20}, /* e_phoff 0x2040: past the image */
        {32, 0x44}, /* e_phoff misaligned */
    };

    for (uint32_t i = 0; i < ARRAY_SIZE(bad); i++) {
        setup();
        img[bad[i].off] = bad[i].val;
        if (bad[i].off == 32 && bad[i].val == 0x80) {
            img[33] = 0x10;
        }
        UT_EXPECT_EQ(load(), US_ECORRUPT);
    }
    setup();
    UT_EXPECT_EQ(elf_load(img, 63, &as, LIMIT, &(uint64_t){0}, &(uint64_t){0}), US_ECORRUPT);
}

static void rejects_bad_segment(void)
{
    for (uint32_t i = 0; i < 7; i++) {
        setup();
        switch (i) {
        case 0:
            phdr(0)->offset = img_size + 1;
            break;
        case 1:
            phdr(0)->filesz = img_size;
            break;
        case 2:
            phdr(0)->filesz = phdr(0)->memsz + 1;
            break;
        case 3:
            phdr(0)->vaddr = LIMIT;
            break;
        case 4:
            phdr(0)->memsz = LIMIT;
            break;
        case 5:
            phdr(0)->memsz = 0;
            phdr(0)->filesz = 0;
            break;
        default:
            phdr(1)->flags = 7; /* W+X */
            break;
        }
        UT_EXPECT_EQ(load(), US_ECORRUPT);
        UT_EXPECT(at(0x400000, false) == NULL); /* checked before anything is mapped */
    }
}

static void rejects_entry_outside(void)
{
    struct {
        uint8_t ident[16];
        uint16_t type, machine;
        uint32_t version;
        uint64_t entry;
    } *eh = (void *)img;

    setup();
    eh->entry = LIMIT;
    UT_EXPECT_EQ(load(), US_ECORRUPT);
}

static void rejects_overlapping_segments(void)
{
    setup();
    phdr(1)->vaddr = 0x400800; /* shares the text's page */
    UT_EXPECT_EQ(load(), US_EEXIST);
}

static void rejects_trampoline_page(void)
{
    setup();
    phdr(1)->vaddr = 0x401000;
    UT_EXPECT_EQ(elf_load(img, img_size, &as, 1ull << 40, &(uint64_t){0}, &(uint64_t){0}), US_OK);
    setup();
    phdr(1)->vaddr = (1ull << 39) - 0x1000; /* the trampoline's page */
    UT_EXPECT_EQ(elf_load(img, img_size, &as, 1ull << 40, &(uint64_t){0}, &(uint64_t){0}),
                 US_EEXIST);
}

static void reports_enomem(void)
{
    paddr_t pa;

    setup();
    while (kmem_frames(1, &pa) == US_OK) {
    }
    UT_EXPECT_EQ(load(), US_ENOMEM);
}

UT_MAIN({"loads_segments", loads_segments}, {"skips_other_segments", skips_other_segments},
        {"maps_flagless_segment_read_only", maps_flagless_segment_read_only},
        {"rejects_bad_header", rejects_bad_header}, {"rejects_bad_segment", rejects_bad_segment},
        {"rejects_entry_outside", rejects_entry_outside},
        {"rejects_overlapping_segments", rejects_overlapping_segments},
        {"rejects_trampoline_page", rejects_trampoline_page}, {"reports_enomem", reports_enomem})
