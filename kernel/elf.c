/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* ELF64 loader for servers: every header field is checked before it is used. */
#include <understudy/abi.h>
#include <uslib/string.h>
#include <us/elf.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/arch/cpu.h>
#include <us/arch/mmu.h>

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1u
#define PF_X 1u
#define PF_W 2u
#define PF_R 4u
#define ET_EXEC 2u
#define ELF_MAX_PHDRS 16u

static us_err_t check_header(const struct elf64_ehdr *eh, uint64_t size)
{
    static const uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};

    if (size < sizeof(*eh) || memcmp(eh->ident, magic, 4) != 0 || eh->ident[4] != 2 ||
        eh->ident[5] != 1 || eh->type != ET_EXEC || eh->machine != ARCH_ELF_MACHINE ||
        eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > ELF_MAX_PHDRS ||
        eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff ||
        (eh->phoff & 7u) != 0) {
        return US_ECORRUPT;
    }
    return US_OK;
}

static us_err_t check_segment(const struct elf64_phdr *ph, uint64_t size, uint64_t limit)
{
    if (ph->offset > size || ph->filesz > size - ph->offset || ph->filesz > ph->memsz ||
        ph->vaddr >= limit || ph->memsz > limit - ph->vaddr || ph->memsz == 0) {
        return US_ECORRUPT;
    }
    if ((ph->flags & PF_W) && (ph->flags & PF_X)) {
        return US_ECORRUPT; /* W^X */
    }
    return US_OK;
}

/* The image's program headers, once the header and every PT_LOAD segment are checked. */
static us_err_t check_image(const void *img, uint64_t size, uint64_t limit,
                            const struct elf64_phdr **out)
{
    const struct elf64_ehdr *eh = img;
    const struct elf64_phdr *ph;
    us_err_t e = check_header(eh, size);

    if (e != US_OK) {
        return e;
    }
    ph = (const struct elf64_phdr *)((const uint8_t *)img + eh->phoff);
    for (uint32_t i = 0; i < eh->phnum; i++) {
        if (ph[i].type == PT_LOAD && (e = check_segment(&ph[i], size, limit)) != US_OK) {
            return e;
        }
    }
    *out = ph;
    return eh->entry < limit ? US_OK : US_ECORRUPT;
}

us_err_t elf_reload(const void *img, uint64_t size, struct aspace *as, uint64_t limit,
                    uint64_t *entry)
{
    const struct elf64_ehdr *eh = img;
    const struct elf64_phdr *ph;
    us_err_t e = check_image(img, size, limit, &ph);

    for (uint32_t i = 0; e == US_OK && i < eh->phnum; i++) {
        uint64_t lo = align_down(ph[i].vaddr, PAGE_SIZE), hi;

        if (ph[i].type != PT_LOAD || !(ph[i].flags & PF_W)) {
            continue;
        }
        hi = align_up(ph[i].vaddr + ph[i].memsz, PAGE_SIZE);
        for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
            /* The file's bytes that fall in this page: [from, to) of the segment's VAs. */
            uint64_t from = ph[i].vaddr > va ? ph[i].vaddr : va;
            uint64_t to = ph[i].vaddr + ph[i].filesz;
            paddr_t pa;

            if (arch_aspace_translate(as, va_init(va), true, &pa) != US_OK) {
                return US_ECORRUPT;
            }
            memset(pa_ptr(pa), 0, PAGE_SIZE);
            to = to < va + PAGE_SIZE ? to : va + PAGE_SIZE;
            if (from < to) {
                memcpy((uint8_t *)pa_ptr(pa) + (from - va),
                       (const uint8_t *)img + ph[i].offset + (from - ph[i].vaddr), to - from);
            }
        }
    }
    *entry = eh->entry;
    return e;
}

us_err_t elf_load(const void *img, uint64_t size, struct aspace *as, uint64_t limit,
                  uint64_t *entry, uint64_t *frames)
{
    const struct elf64_ehdr *eh = img;
    const struct elf64_phdr *ph;
    uint32_t i;
    us_err_t e;

    e = check_image(img, size, limit, &ph);
    if (e != US_OK) {
        return e;
    }
    *frames = 0;
    for (i = 0; i < eh->phnum; i++) {
        uint64_t lo, hi, count;
        uint32_t rights = 0;
        paddr_t pa;

        if (ph[i].type != PT_LOAD) {
            continue;
        }
        lo = align_down(ph[i].vaddr, PAGE_SIZE);
        hi = align_up(ph[i].vaddr + ph[i].memsz, PAGE_SIZE);
        count = (hi - lo) / PAGE_SIZE;
        e = kmem_frames(count, &pa);
        if (e != US_OK) {
            return e;
        }
        memcpy((uint8_t *)pa_ptr(pa) + (ph[i].vaddr - lo), (const uint8_t *)img + ph[i].offset,
               ph[i].filesz);
        rights |= (ph[i].flags & PF_R) ? US_RIGHT_READ : 0u;
        rights |= (ph[i].flags & PF_W) ? US_RIGHT_WRITE : 0u;
        rights |= (ph[i].flags & PF_X) ? US_RIGHT_EXEC : 0u;
        if (rights == 0) {
            rights = US_RIGHT_READ;
        }
        e = arch_aspace_map(as, va_init(lo), pa, hi - lo, rights);
        if (e != US_OK) {
            kmem_free_frames(pa, count);
            return e == US_EINVAL ? US_ECORRUPT : e;
        }
        *frames += count;
    }
    arch_sync_icache();
    *entry = eh->entry;
    return US_OK;
}
