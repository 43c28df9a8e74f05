/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* uspack's build-time check of the system configuration: the vmm's own parser, then what
 * each VM names against what the bundle packs and what the manifest lets the vmm allocate. */
#include <stdio.h>
#include <string.h>
#include <understudy/bundle.h>
#include <understudy/manifest.h>
#include "uspack.h"
#include "vmm_config.h"

/* The guest memory the manifest grants (its VM-control capabilities' quotas), or 0. */
static uint64_t manifest_guest_memory(const uint8_t *man)
{
    const struct us_manifest_hdr *hdr = (const struct us_manifest_hdr *)(const void *)man;
    const struct us_manifest_server *s =
        (const struct us_manifest_server *)(const void *)(man + sizeof(*hdr));
    uint64_t quota = 0;

    for (uint32_t i = 0; i < hdr->server_count; i++) {
        for (uint32_t k = 0; k < s[i].cap_count; k++) {
            if (s[i].caps[k].kind == US_MCAP_VM_CONTROL && s[i].caps[k].arg0 > quota) {
                quota = s[i].caps[k].arg0;
            }
        }
    }
    return quota;
}

/* Whether VM @vm's entry @name (of bundle @type) is packed; "" (none) is fine unless @type
 * is the kernel's. */
static bool names_packed(const struct vmm_vm_config *vm, uint32_t type, const char *name,
                         const char *what, uspack_has_entry_fn *has, const void *ctx)
{
    if (name[0] == '\0' && type != US_BUNDLE_GUEST_KERNEL) {
        return true;
    }
    if (has(ctx, type, name)) {
        return true;
    }
    fprintf(
        stderr, "uspack: config: VM '%s' boots %s '%s', which is not packed (give it with %s)\n",
        vm->name, what, name,
        type == US_BUNDLE_GUEST_KERNEL ? "--guest"
                                       : (type == US_BUNDLE_GUEST_INITRD ? "--initrd" : "--blob"));
    return false;
}

us_err_t uspack_config_check(const uint8_t *dtb, size_t len, const uint8_t *manifest,
                             uspack_has_entry_fn *has, const void *ctx)
{
    static struct vmm_config cfg;
    uint64_t quota = manifest_guest_memory(manifest), total = 0;
    us_err_t err = vmm_config_parse(dtb, len, &cfg);
    bool ok = true;

    if (err != US_OK) {
        fprintf(stderr, "uspack: config: %s%s%s (the vmm would refuse it at boot)\n",
                us_err_name(err), cfg.err_path[0] != '\0' ? " at " : "", cfg.err_path);
        return err;
    }
    for (uint32_t i = 0; i < cfg.vm_count; i++) {
        const struct vmm_vm_config *vm = &cfg.vms[i];

        ok &= names_packed(vm, US_BUNDLE_GUEST_KERNEL, vm->kernel, "kernel", has, ctx);
        ok &= names_packed(vm, US_BUNDLE_GUEST_INITRD, vm->initrd, "initrd", has, ctx);
        ok &= names_packed(vm, US_BUNDLE_BLOB, vm->disk, "disk", has, ctx);
        if (vm->mem_size > quota) {
            fprintf(stderr,
                    "uspack: config: VM '%s' needs %llu MiB, more than the %llu MiB of guest "
                    "memory the manifest grants the vmm\n",
                    vm->name, (unsigned long long)(vm->mem_size >> 20),
                    (unsigned long long)(quota >> 20));
            ok = false;
        }
        total += vm->mem_size;
    }
    if (ok && total > quota) {
        fprintf(stderr,
                "uspack: config: the VMs need %llu MiB together, more than the %llu MiB of "
                "guest memory the manifest grants the vmm\n",
                (unsigned long long)(total >> 20), (unsigned long long)(quota >> 20));
        ok = false;
    }
    return ok ? US_OK : US_EINVAL;
}
