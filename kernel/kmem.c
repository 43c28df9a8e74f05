/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Kernel memory: frames from the global pool, objects from static arrays. */
#include <stddef.h>
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

/* The first of @count objects of @size bytes at @pool whose in_use flag (at offset @flag) is
 * clear, zeroed and marked in use; NULL if all are in use. */
static void *take(void *pool, size_t count, size_t size, size_t flag)
{
    for (size_t i = 0; i < count; i++) {
        uint8_t *o = (uint8_t *)pool + i * size;

        if (!*(bool *)(o + flag)) {
            memset(o, 0, size);
            *(bool *)(o + flag) = true;
            return o;
        }
    }
    return NULL;
}
#define TAKE(pool, type) take(pool, ARRAY_SIZE(pool), sizeof(type), offsetof(type, in_use))

struct endpoint *kmem_endpoint_alloc(void)
{
    return TAKE(endpoints, struct endpoint);
}

struct notification *kmem_notification_alloc(void)
{
    return TAKE(notifications, struct notification);
}

struct memobj *kmem_memobj_alloc(void)
{
    return TAKE(memobjs, struct memobj);
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
