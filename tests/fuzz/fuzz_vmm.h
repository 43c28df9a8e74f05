/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Shared by the vmm fuzz targets: a RAM disk and guest RAM that make out-of-range accesses
 * fault, and no input sees what an earlier one left. */
#pragma once

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz_input.h"
#include "vmm.h"

/*
 * The VMM_DISK_SIZE disk: mapped once between two inaccessible pages, and handed back to the
 * kernel at each call (only the pages written are freed, so this is cheap), which leaves it
 * all zero again.
 */
static inline uint8_t *fuzz_vmm_disk(void)
{
    static uint8_t *disk;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (disk == NULL) {
        uint8_t *map = mmap(NULL, VMM_DISK_SIZE + 2 * page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        FUZZ_CHECK(map != MAP_FAILED);
        FUZZ_CHECK(mprotect(map, page, PROT_NONE) == 0);
        FUZZ_CHECK(mprotect(map + page + VMM_DISK_SIZE, page, PROT_NONE) == 0);
        disk = map + page;
    } else {
        FUZZ_CHECK(madvise(disk, VMM_DISK_SIZE, MADV_DONTNEED) == 0);
    }
    return disk;
}

/* Guest RAM of VM @slot (0 or 1): exactly @size bytes of heap, so ASan sees any access outside
 * it; zeroed at each call. */
static inline uint8_t *fuzz_vmm_ram(uint32_t slot, uint32_t size)
{
    static uint8_t *ram[2];

    FUZZ_CHECK(slot < 2);
    if (ram[slot] == NULL) {
        ram[slot] = malloc(size);
        FUZZ_CHECK(ram[slot] != NULL);
    }
    memset(ram[slot], 0, size);
    return ram[slot];
}
