/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The kernel lock: one ticket lock around all kernel work (like seL4's big kernel lock).
 * Each entry from a guest or server takes it and the return drops it, and an idle CPU drops
 * it while it waits for an interrupt. Kernel paths are short and never block, so one lock
 * keeps every object's invariants as simple as on one CPU, while guests and servers run in
 * parallel outside the kernel. */
#pragma once

/** kernel_lock() - take the kernel lock (CPUs get it in arrival order). */
void kernel_lock(void);

/** kernel_unlock() - release it. */
void kernel_unlock(void);
