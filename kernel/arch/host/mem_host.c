/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's RAM: the kernel's frame pool over a heap buffer (the kernel
 * identity-maps RAM, so these host pointers are its physical addresses). */
#include <stdlib.h>
#include <us/kmem.h>
#include <arch/host.h>

#define HOST_RAM_ALIGN (2ull << 20)

static void *host_ram;
static uint64_t *host_bitmap;

void host_kmem_init(uint64_t frames)
{
    uint64_t size = align_up(frames * PAGE_SIZE, HOST_RAM_ALIGN);

    free(host_ram);
    free(host_bitmap);
    host_ram = aligned_alloc(HOST_RAM_ALIGN, size);
    host_bitmap = calloc(frame_pool_bitmap_words(frames), sizeof(uint64_t));
    if (host_ram == NULL || host_bitmap == NULL) {
        abort();
    }
    frame_pool_init(&kmem_pool, pa_from_ptr(host_ram), frames, host_bitmap);
}
