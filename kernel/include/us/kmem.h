/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel's memory: the global frame pool and fixed pools of kernel objects. */
#pragma once

#include <understudy/errors.h>
#include <us/frame.h>

extern struct frame_pool kmem_pool;

/** kmem_frames() - @count contiguous zeroed frames. Returns: US_OK; US_ENOMEM. */
us_err_t kmem_frames(uint64_t count, paddr_t *out);

/** kmem_frames_aligned() - like kmem_frames(), base aligned to @align bytes (power of 2). */
us_err_t kmem_frames_aligned(uint64_t count, uint64_t align, paddr_t *out);

void kmem_free_frames(paddr_t pa, uint64_t count);

/** kmem_zero() - zero @size bytes at @pa. */
void kmem_zero(paddr_t pa, uint64_t size);

struct endpoint;
struct notification;
struct memobj;
struct vm;
struct vcpu;
struct vm_control;
struct irq_route;

/* Constructors from fixed pools; NULL when the pool is exhausted. */
struct endpoint *kmem_endpoint_alloc(void);
struct notification *kmem_notification_alloc(void);
struct memobj *kmem_memobj_alloc(void);
#define KMEM_MEMOBJS 256u
/** kmem_memobj_at() - memory object @i of the pool if in use, else NULL. */
struct memobj *kmem_memobj_at(uint32_t i);
struct vm_control *kmem_vm_control_alloc(void);
