/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for kernel/kmem.c and kernel/memobj.c: zeroed frames, the fixed object pools,
 * and memory objects over RAM and MMIO. */
#include <string.h>
#include <us/endpoint.h>
#include <us/kmem.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/vm.h>
#include "kernel_fx.h"
#include "ut.h"

static void frames_come_zeroed_and_aligned(void)
{
    paddr_t pa, pb;

    kfx_init(1);
    UT_EXPECT_EQ(kmem_frames(2, &pa), US_OK);
    memset(pa_ptr(pa), 0xff, 2 * PAGE_SIZE);
    kmem_free_frames(pa, 2);
    UT_EXPECT_EQ(kmem_frames(2, &pb), US_OK);
    UT_EXPECT_EQ(pa_of(pb), pa_of(pa));
    UT_EXPECT_EQ(((uint8_t *)pa_ptr(pb))[PAGE_SIZE + 5], 0);
    UT_EXPECT_EQ(kmem_frames_aligned(1, 1u << 20, &pa), US_OK);
    UT_EXPECT(is_aligned(pa_of(pa), 1u << 20));
    UT_EXPECT_EQ(kmem_frames_aligned(1, 16, &pa), US_OK); /* below a page: any frame */
    UT_EXPECT_EQ(kmem_frames(KFX_FRAMES, &pa), US_ENOMEM);
}

static void pools_run_out(void)
{
    uint32_t n;

    kfx_init(1);
    for (n = 0; kmem_endpoint_alloc() != NULL; n++) {
    }
    UT_EXPECT_EQ(n, 32);
    for (n = 0; kmem_notification_alloc() != NULL; n++) {
    }
    UT_EXPECT_EQ(n, 32);
    for (n = 0; kmem_vm_control_alloc() != NULL; n++) {
    }
    UT_EXPECT_EQ(n, 4);
}

static void pool_object_comes_cleared(void)
{
    struct endpoint *ep;
    struct notification *nt;

    kfx_init(1);
    ep = kmem_endpoint_alloc();
    ep->owner = (struct process *)ep;
    ep->in_use = false; /* given back */
    UT_EXPECT(kmem_endpoint_alloc() == ep);
    UT_EXPECT(ep->owner == NULL && ep->in_use);
    nt = kmem_notification_alloc();
    nt->bits = 5;
    nt->in_use = false;
    UT_EXPECT(kmem_notification_alloc() == nt);
    UT_EXPECT_EQ(nt->bits, 0);
}

static void memobj_ram_is_zeroed_frames(void)
{
    struct memobj *m;
    uint64_t free_before;

    kfx_init(1);
    free_before = kmem_pool.free_count;
    UT_EXPECT_EQ(memobj_create_ram(4 * PAGE_SIZE, 4 * PAGE_SIZE, &m), US_OK);
    UT_EXPECT_EQ(m->size, 4 * PAGE_SIZE);
    UT_EXPECT(is_aligned(pa_of(m->base), 4 * PAGE_SIZE));
    UT_EXPECT(m->owned && !m->device && m->in_use);
    UT_EXPECT_EQ(m->refs, 1);
    UT_EXPECT_EQ(kmem_pool.free_count, free_before - 4);
    UT_EXPECT_EQ(((uint8_t *)pa_ptr(m->base))[3 * PAGE_SIZE], 0);
}

static void memobj_ram_rejects_bad_size(void)
{
    struct memobj *m;

    kfx_init(1);
    UT_EXPECT_EQ(memobj_create_ram(0, PAGE_SIZE, &m), US_EINVAL);
    UT_EXPECT_EQ(memobj_create_ram(PAGE_SIZE + 1, PAGE_SIZE, &m), US_EINVAL);
}

static void memobj_ram_gives_object_back_without_frames(void)
{
    struct memobj *m;
    uint32_t n;

    kfx_init(1);
    UT_EXPECT_EQ(memobj_create_ram((KFX_FRAMES + 1) * PAGE_SIZE, PAGE_SIZE, &m), US_ENOMEM);
    for (n = 0; memobj_create_window(pa_init(0), PAGE_SIZE, true, &m) == US_OK; n++) {
    }
    UT_EXPECT_EQ(n, 256); /* the failed one did not keep its slot */
    UT_EXPECT_EQ(memobj_create_ram(PAGE_SIZE, PAGE_SIZE, &m), US_ENOMEM);
}

static void memobj_window_describes_range(void)
{
    struct memobj *m;

    kfx_init(1);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x9000000), 2 * PAGE_SIZE, true, &m), US_OK);
    UT_EXPECT_EQ(pa_of(m->base), 0x9000000);
    UT_EXPECT_EQ(m->size, 2 * PAGE_SIZE);
    UT_EXPECT(m->device && !m->owned);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x9000800), PAGE_SIZE, true, &m), US_EINVAL);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x9000000), 100, true, &m), US_EINVAL);
    UT_EXPECT_EQ(memobj_create_window(pa_init(0x9000000), 0, true, &m), US_EINVAL);
}

UT_MAIN({"frames_come_zeroed_and_aligned", frames_come_zeroed_and_aligned},
        {"pools_run_out", pools_run_out}, {"pool_object_comes_cleared", pool_object_comes_cleared},
        {"memobj_ram_is_zeroed_frames", memobj_ram_is_zeroed_frames},
        {"memobj_ram_rejects_bad_size", memobj_ram_rejects_bad_size},
        {"memobj_ram_gives_object_back_without_frames",
         memobj_ram_gives_object_back_without_frames},
        {"memobj_window_describes_range", memobj_window_describes_range})
