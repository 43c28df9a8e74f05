/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The system configuration (a DTB in the boot bundle) decoded into fixed-size VM descriptions. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <understudy/abi.h>
#include <understudy/bundle.h>
#include <understudy/devmgr.h>
#include <understudy/errors.h>
#include <understudy/vmm.h>

/* Limits of the format; boot/configs/README.md documents each one. */
#define VMM_CONFIG_MAX_VMS US_VM_MAX
#define VMM_CONFIG_NAME_LEN US_VM_NAME_LEN      /* 15 characters + NUL */
#define VMM_CONFIG_IMAGE_LEN US_BUNDLE_NAME_LEN /* bundle entry names: 31 characters + NUL */
#define VMM_CONFIG_BOOTARGS_LEN 256u            /* 255 characters + NUL */
#define VMM_CONFIG_MEM_MIN (2ull << 20)
#define VMM_CONFIG_MEM_MAX (4ull << 30)
#define VMM_CONFIG_MEM_GRANULE (1ull << 20)
#define VMM_CONFIG_MAX_VCPUS US_VM_VCPUS_MAX
#define VMM_CONFIG_ERR_PATH_LEN 64u

/* The root node's compatible string. */
#define VMM_CONFIG_COMPATIBLE "understudy,system-config"

/* Bits of vmm_vm_config.devices, one per name accepted in the "devices" property: the same
 * bits devmgr's protocol uses. */
#define VMM_DEV_UART US_GUEST_DEV_UART
#define VMM_DEV_VIRTIO_CONSOLE US_GUEST_DEV_VIRTIO_CONSOLE
#define VMM_DEV_VIRTIO_BLK US_GUEST_DEV_VIRTIO_BLK
#define VMM_DEV_VIRTIO_NET US_GUEST_DEV_VIRTIO_NET
#define VMM_DEV_VIRTIO_VSOCK US_GUEST_DEV_VIRTIO_VSOCK
#define VMM_DEV_PCIE US_GUEST_DEV_PCIE
#define VMM_DEV_ALL US_GUEST_DEV_ALL
_Static_assert(VMM_CONFIG_MAX_VMS == US_GUEST_SLOTS, "devmgr keeps a view per VM slot");

struct vmm_vm_config {
    char name[VMM_CONFIG_NAME_LEN];         /* the node's name: [A-Za-z0-9_-], unique */
    char kernel[VMM_CONFIG_IMAGE_LEN];      /* bundle entry name, non-empty */
    char initrd[VMM_CONFIG_IMAGE_LEN];      /* bundle entry name, "" for none */
    char bootargs[VMM_CONFIG_BOOTARGS_LEN]; /* printable ASCII, may be "" */
    char disk[VMM_CONFIG_IMAGE_LEN];        /* blob entry: the virtio-blk disk's first bytes */
    char passthrough[US_DEV_NAME_LEN];      /* a host PCI function it is given, or "" */
    uint64_t mem_size;                      /* bytes */
    uint32_t vcpu_count;
    uint32_t devices; /* VMM_DEV_* */
};

struct vmm_config {
    uint32_t vm_count;
    struct vmm_vm_config vms[VMM_CONFIG_MAX_VMS]; /* in the order of the vm nodes */
    /* On failure: "<node>/<property>" (or "<node>") where parsing stopped, for the log. */
    char err_path[VMM_CONFIG_ERR_PATH_LEN];
};

/**
 * vmm_config_device_name() - the "devices" string of one VMM_DEV_* bit.
 * Returns: a static string, or NULL if @bit is not exactly one known device bit.
 */
const char *vmm_config_device_name(uint32_t bit);

/**
 * vmm_config_parse() - validate and decode a system configuration blob.
 * @blob: the DTB, 8-byte aligned (libfdt's requirement); it may be hostile or truncated.
 * @blob_len: bytes readable at @blob; nothing past it is read, even if the header says more.
 * @out: filled on success; on failure zeroed except for err_path.
 *
 * Checks the header, that totalsize fits in @blob_len and the whole structure block
 * (fdt_check_full) before reading any node, then every node and property: unknown nodes and
 * properties are refused so a typo cannot silently select a default.
 *
 * Returns: US_OK;
 * US_EINVAL: NULL argument, misaligned blob, a wrong root compatible, a property of the wrong
 * length or type (unterminated string, empty required string, bad characters), an unknown
 * node, property or device name, a device listed twice, memory not a multiple of 1 MiB, a VM
 * node name with characters outside [A-Za-z0-9_-];
 * US_ECORRUPT: not a well-formed DTB (header version below 17 included), or truncated;
 * US_ENOENT: the root compatible, "understudy,abi", the "vms" node, or a VM's memory or
 * kernel is missing;
 * US_ENOTSUP: "understudy,abi" is not US_ABI_REVISION;
 * US_ERANGE: more than VMM_CONFIG_MAX_VMS VMs, a VM name or string longer than its field,
 * memory or vcpus outside their limits;
 * US_EEXIST: two VMs have the same name.
 */
us_err_t vmm_config_parse(const void *blob, size_t blob_len, struct vmm_config *out);

/**
 * vmm_config_find() - the slot of the VM named @name (at most VMM_CONFIG_NAME_LEN bytes
 * read), or -1. A slot with an empty name is free.
 */
int vmm_config_find(const struct vmm_config *cfg, const char *name);

/**
 * vmm_config_derive() - the configuration of a VM created at run time: the one of the VM
 * @req->base, with what @req changes, and without the base's passed-through function (which the
 * base holds). @req comes from another server: every field is checked.
 * Returns: US_OK with *@out; otherwise *@why says what is wrong, and:
 * US_EINVAL: a field unterminated or with bad characters, an empty name, unknown flags;
 * US_EEXIST: a VM of that name exists; US_ENOENT: no base VM of that name;
 * US_ERANGE: memory or vcpus outside their limits, bootargs too long after appending.
 */
us_err_t vmm_config_derive(const struct vmm_config *cfg, const struct us_vm_create *req,
                           struct vmm_vm_config *out, const char **why);
