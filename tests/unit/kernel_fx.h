/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fixtures for the kernel's unit tests on the host fake architecture: RAM, CPUs, servers as
 * process_boot_all() leaves them, system calls, and boot bundles with tiny ELF images. */
#pragma once

#include <stdint.h>
#include <understudy/manifest.h>
#include <understudy/syscalls.h>
#include <us/frame.h>
#include <us/process.h>
#include <us/arch/mmu.h>
#include <arch/host.h>

#define KFX_FRAMES 2048u /* RAM of every fixture: 8 MiB */

/** kfx_frame_used() - whether the frame at @pa is in use (false outside the pool). */
static inline bool kfx_frame_used(const struct frame_pool *p, paddr_t pa)
{
    uint64_t used, free;

    frame_pool_count(p, pa, PAGE_SIZE, &used, &free);
    return used == 1u;
}

/** kfx_init() - @cpu_total CPUs up, CPU 0 running, KFX_FRAMES frames of RAM, no processes. */
void kfx_init(uint32_t cpu_total);

/** kfx_process() - the next process as process_boot_all() builds it: its endpoint and bound
 * notification, an address space with an IPC buffer, an empty handle table; state RUNNING,
 * its thread runnable on CPU 0. */
struct process *kfx_process(const char *name, uint32_t prio);

/** kfx_grant() - install a capability in @p's slot @h; fails the test if refused. */
void kfx_grant(struct process *p, us_cap_t h, uint32_t kind, uint32_t rights, void *obj,
               us_badge_t badge);

/** kfx_sys() - @t makes system call @nr with arguments x0..x5; returns its x0 (a us_err_t). */
uint64_t kfx_sys(struct thread *t, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t a4, uint64_t a5);

/** kfx_reply() - @t replies to its caller (endpoint_reply_held()) and the caller is woken. */
us_err_t kfx_reply(struct thread *t);

/** kfx_r() - @t's result register x@i. */
uint64_t kfx_r(const struct thread *t, uint32_t i);

/** kfx_msg() - set @t's IPC message to @label with @len payload bytes, w[0] = @w0. */
void kfx_msg(struct thread *t, uint32_t label, uint16_t len, uint64_t w0);

/** kfx_elf() - a valid static ELF64 aarch64 executable: text at 0x400000 (R+X) and data at
 * 0x401000 (R+W, 0x80 bytes of file, a page of memory), entry 0x400000. Returns its size. */
uint64_t kfx_elf(uint8_t *out, uint64_t max);

struct kfx_entry {
    const char *name;
    uint32_t type; /* US_BUNDLE_* */
    const void *data;
    uint64_t size;
};

/** kfx_bundle() - a valid, page-aligned boot bundle of @n entries (heap); *@size its size. */
uint8_t *kfx_bundle(const struct kfx_entry *e, uint32_t n, uint64_t *size);

/* A manifest of up to US_MANIFEST_MAX_SERVERS servers, laid out as the bundle holds it. */
struct kfx_manifest {
    struct us_manifest_hdr hdr;
    struct us_manifest_server srv[US_MANIFEST_MAX_SERVERS];
};

/** kfx_manifest_init() - header for @count servers; each named "s<i>", image "srv",
 * priority 10 + i, no caps. */
void kfx_manifest_init(struct kfx_manifest *m, uint32_t count);

/** kfx_manifest_cap() - append a cap to server @s of @m. */
void kfx_manifest_cap(struct kfx_manifest *m, uint32_t s, uint32_t slot, uint32_t kind,
                      uint32_t rights, uint64_t arg0, uint64_t arg1);

/** kfx_boot_bundle() - a bundle holding @m as "manifest" and kfx_elf() as "srv". */
uint8_t *kfx_boot_bundle(const struct kfx_manifest *m, uint64_t *size);
