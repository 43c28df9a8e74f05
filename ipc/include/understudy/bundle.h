/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Layout of the boot bundle (the FIT ramdisk): a table of named, hashed components. */
#pragma once

#include <stdint.h>

/*
 * A bundle is a header, entry_count entries, then the component bytes. Every component starts
 * on a 4 KiB boundary so it can be mapped in place. Readers must check, before trusting any
 * field: magic, abi_revision, entry_count <= US_BUNDLE_MAX_ENTRIES, the table hash, every
 * entry's offset/size inside total_size, names NUL-terminated, and each component's sha256
 * before using it. tools/uspack.c, kernel/process.c and the vmm all use lib/bundle_parse.c.
 */
#define US_BUNDLE_MAGIC "USBUNDL1"
#define US_BUNDLE_MAX_ENTRIES 64u
#define US_BUNDLE_NAME_LEN 32u
#define US_BUNDLE_ALIGN 4096u

/* Entry types. */
#define US_BUNDLE_SERVER 1u       /* static ELF64 aarch64 executable for EL0 */
#define US_BUNDLE_MANIFEST 2u     /* binary boot manifest, see manifest.h */
#define US_BUNDLE_CONFIG 3u       /* system configuration DTB */
#define US_BUNDLE_GUEST_KERNEL 4u /* arm64 Linux Image format */
#define US_BUNDLE_GUEST_INITRD 5u
#define US_BUNDLE_BLOB 6u

struct us_bundle_hdr {
    char magic[8];
    uint32_t abi_revision;
    uint32_t entry_count;
    uint64_t total_size;      /* header + table + components, bytes */
    uint8_t table_sha256[32]; /* over the entry_count entries that follow the header */
    uint8_t reserved[8];
};
_Static_assert(sizeof(struct us_bundle_hdr) == 64, "us_bundle_hdr is ABI");

struct us_bundle_entry {
    char name[US_BUNDLE_NAME_LEN]; /* NUL-terminated, NUL-padded */
    uint32_t type;                 /* US_BUNDLE_* */
    uint32_t flags;
    uint64_t offset; /* from the start of the bundle, US_BUNDLE_ALIGN aligned */
    uint64_t size;
    uint8_t sha256[32];
    uint8_t reserved[40];
};
_Static_assert(sizeof(struct us_bundle_entry) == 128, "us_bundle_entry is ABI");
