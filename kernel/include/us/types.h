/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Address wrapper types so physical, intermediate-physical and virtual addresses never mix. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t pa;
} paddr_t;
typedef struct {
    uint64_t ipa;
} ipa_t;
typedef struct {
    uint64_t va;
} vaddr_t;

static inline paddr_t pa_init(uint64_t v)
{
    return (paddr_t){v};
}
static inline uint64_t pa_of(paddr_t p)
{
    return p.pa;
}
static inline paddr_t pa_add(paddr_t p, uint64_t off)
{
    return (paddr_t){p.pa + off};
}
static inline ipa_t ipa_init(uint64_t v)
{
    return (ipa_t){v};
}
static inline uint64_t ipa_of(ipa_t i)
{
    return i.ipa;
}
static inline vaddr_t va_init(uint64_t v)
{
    return (vaddr_t){v};
}
static inline uint64_t va_of(vaddr_t v)
{
    return v.va;
}
/* The kernel identity-maps RAM, so a physical address is also a kernel pointer. */
static inline void *pa_ptr(paddr_t p)
{
    return (void *)(uintptr_t)p.pa;
}
static inline paddr_t pa_from_ptr(const void *p)
{
    return (paddr_t){(uint64_t)(uintptr_t)p};
}

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
static inline uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}
static inline uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}
static inline bool is_aligned(uint64_t v, uint64_t a)
{
    return (v & (a - 1)) == 0;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
