/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* kmem_frames() and kmem_free_frames() for the translation-table tests (frames_fx.h). */
#include <stdlib.h>
#include <uslib/string.h>
#include <us/kmem.h>
#include "frames_fx.h"
#include "ut.h"

long frame_budget;
long frames_live;

us_err_t kmem_frames(uint64_t count, paddr_t *out)
{
    void *p;

    if (count != 1 || frame_budget <= 0) {
        return US_ENOMEM;
    }
    p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    if (p == NULL) {
        return US_ENOMEM;
    }
    memset(p, 0, PAGE_SIZE);
    frame_budget--;
    frames_live++;
    *out = pa_from_ptr(p);
    return US_OK;
}

void kmem_free_frames(paddr_t pa, uint64_t count)
{
    UT_EXPECT_EQ(count, 1);
    free(pa_ptr(pa));
    frames_live--;
}
