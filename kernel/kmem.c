/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Kernel memory: frames from the global pool, objects from static arrays. */
#include <uslib/string.h>
#include <us/endpoint.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/memobj.h>
#include <us/notification.h>
#include <us/vm.h>

struct frame_pool kmem_pool;

static struct endpoint endpoints[32];
static struct notification notifications[32];
static struct memobj memobjs[KMEM_MEMOBJS];
static struct vm_control vm_controls[4];
static uint32_t vm_control_count;

void kmem_zero(paddr_t pa, uint64_t size)
{
    memset(pa_ptr(pa), 0, size);
}

us_err_t kmem_frames_aligned(uint64_t count, uint64_t align, paddr_t *out)
{
    uint64_t af = align < PAGE_SIZE ? 1 : align / PAGE_SIZE;
    us_err_t e = frame_alloc(&kmem_pool, count, af, out);
    if (e == US_OK) {
        kmem_zero(*out, count * PAGE_SIZE);
    }
    return e;
}

us_err_t kmem_frames(uint64_t count, paddr_t *out)
{
    return kmem_frames_aligned(count, PAGE_SIZE, out);
}

void kmem_free_frames(paddr_t pa, uint64_t count)
{
    US_CHECK(frame_free(&kmem_pool, pa, count) == US_OK);
}

struct endpoint *kmem_endpoint_alloc(void)
{
    uint32_t i;
    for (i = 0; i < ARRAY_SIZE(endpoints); i++) {
        if (!endpoints[i].in_use) {
            memset(&endpoints[i], 0, sizeof(endpoints[i]));
            endpoints[i].in_use = true;
            return &endpoints[i];
        }
    }
    return NULL;
}

struct notification *kmem_notification_alloc(void)
{
    uint32_t i;
    for (i = 0; i < ARRAY_SIZE(notifications); i++) {
        if (!notifications[i].in_use) {
            memset(&notifications[i], 0, sizeof(notifications[i]));
            notifications[i].in_use = true;
            return &notifications[i];
        }
    }
    return NULL;
}

struct memobj *kmem_memobj_alloc(void)
{
    uint32_t i;
    for (i = 0; i < ARRAY_SIZE(memobjs); i++) {
        if (!memobjs[i].in_use) {
            memset(&memobjs[i], 0, sizeof(memobjs[i]));
            memobjs[i].in_use = true;
            return &memobjs[i];
        }
    }
    return NULL;
}

struct memobj *kmem_memobj_at(uint32_t i)
{
    return i < KMEM_MEMOBJS && memobjs[i].in_use ? &memobjs[i] : NULL;
}

struct vm_control *kmem_vm_control_alloc(void)
{
    if (vm_control_count >= ARRAY_SIZE(vm_controls)) {
        return NULL;
    }
    return &vm_controls[vm_control_count++];
}
