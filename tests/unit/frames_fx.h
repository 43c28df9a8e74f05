/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel's frame allocator as the translation-table tests see it (frames_fx.c): single
 * frames from the build machine's heap, as many as the test's budget allows, so a mapping can
 * be made to run out of tables half way. */
#pragma once

extern long frame_budget; /* frames kmem_frames() may still hand out */
extern long frames_live;  /* handed out and not yet freed */
