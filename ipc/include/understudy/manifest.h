/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The binary boot manifest: which servers the kernel starts and which capabilities each gets. */
#pragma once

#include <stdint.h>
#include <understudy/abi.h>

/*
 * Written by tools/uspack from boot/manifest.txt, read by kernel/boot_manifest.c. The kernel
 * creates one service endpoint and one notification per server before granting anything, so a
 * cap may name any server by index.
 */
#define US_MANIFEST_MAGIC "USMANIF1"
#define US_MANIFEST_MAX_SERVERS 8u
#define US_MANIFEST_MAX_CAPS 24u

/* Manifest cap kinds: how the kernel makes the object for a slot. */
#define US_MCAP_ENDPOINT 1u     /* arg0 = server index whose service endpoint; arg1 = badge */
#define US_MCAP_NOTIFICATION 2u /* arg0 = server index whose notification */
#define US_MCAP_MMIO 3u         /* arg0 = physical base, arg1 = size (page multiple) */
#define US_MCAP_IRQ 4u          /* arg0 = SPI INTID, arg1 = bit index (0..63) in own notification */
#define US_MCAP_IRQ_EDGE (1u << 8) /* in an irq cap's arg1: the SPI is edge-triggered (pulses) */
#define US_MCAP_VM_CONTROL 5u      /* arg0 = memory quota in bytes */
#define US_MCAP_KLOG 6u
#define US_MCAP_SERVER_CTL 7u
#define US_MCAP_BUNDLE 8u       /* read-only memory cap over the whole bundle */
#define US_MCAP_PLATFORM_DTB 9u /* read-only copy of the DTB the kernel was booted with */
#define US_MCAP_SHARED 10u      /* arg0 = shared region id, arg1 = size; same id, same RAM */
#define US_MCAP_IOPORT 11u      /* arg0 = first I/O port, arg1 = count (x86_64 only) */
#define US_MANIFEST_MAX_SHARED 8u
#define US_MANIFEST_MAX_SHARED_SIZE (1u << 20)

struct us_manifest_hdr {
    char magic[8];
    uint32_t abi_revision;
    uint32_t server_count;
};
_Static_assert(sizeof(struct us_manifest_hdr) == 16, "us_manifest_hdr is ABI");

struct us_manifest_cap {
    uint32_t slot;   /* handle number in the server's table */
    uint32_t kind;   /* US_MCAP_* */
    uint32_t rights; /* US_RIGHT_* */
    uint32_t reserved;
    uint64_t arg0;
    uint64_t arg1;
};
_Static_assert(sizeof(struct us_manifest_cap) == 32, "us_manifest_cap is ABI");

struct us_manifest_server {
    char name[16];        /* NUL-terminated */
    char image[32];       /* bundle entry name of its ELF, NUL-terminated */
    uint32_t priority;    /* 1..255, higher runs first */
    uint32_t state_pages; /* restart-surviving state region at US_VA_STATE */
    uint32_t heap_pages;  /* zeroed pages after the ELF's bss */
    uint32_t cap_count;
    struct us_manifest_cap caps[US_MANIFEST_MAX_CAPS];
};
_Static_assert(sizeof(struct us_manifest_server) == 832, "us_manifest_server is ABI");

/* Page at US_VA_BOOTINFO, read-only to the server. */
struct us_bootinfo {
    uint32_t abi_revision;
    uint32_t server_index;
    uint32_t restart_count; /* 0 on a cold start */
    uint32_t cpu_count;
    uint64_t state_size; /* bytes at US_VA_STATE */
    uint64_t heap_base;
    uint64_t heap_size;
    char name[16];
    uint64_t cpu_features; /* US_CPU_* */
    /* Ticks a second of the counter servers read (CNTVCT, the TSC). Added after the rest: a
     * server built before it never reads it, one built after gets 0 from an older kernel. */
    uint64_t counter_freq;
};
_Static_assert(sizeof(struct us_bootinfo) == 72, "us_bootinfo is ABI");

#define US_CPU_SHA2 (1ull << 0) /* SHA-256 instructions usable at EL0 (FEAT_SHA256) */
