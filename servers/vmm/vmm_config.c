/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Parser of the system configuration DTB; boot/configs/README.md is the format's reference. */
#include "vmm_config.h"

#include <stdbool.h>
#include <uslib/fdt_check.h>
#include <uslib/string.h>
#include <libfdt.h>

/* Indexed by bit number (VMM_DEV_*). */
static const char *const vmm_config_devices[] = US_GUEST_DEV_NAMES;

/* Properties a vm node may carry; anything else is refused. */
static const char *const vmm_config_vm_props[] = {
    "memory", "vcpus", "kernel", "initrd", "bootargs", "devices", "disk", "passthrough",
};

static const char *const vmm_config_root_props[] = {
    "compatible",
    "understudy,abi",
};

/* Character classes of the string properties. */
enum vmm_config_charset {
    CHARSET_NAME,     /* [A-Za-z0-9_-] */
    CHARSET_IMAGE,    /* printable ASCII without space */
    CHARSET_BOOTARGS, /* printable ASCII */
};

const char *vmm_config_device_name(uint32_t bit)
{
    uint32_t i;

    for (i = 0; i < sizeof(vmm_config_devices) / sizeof(vmm_config_devices[0]); i++) {
        if (bit == (1u << i)) {
            return vmm_config_devices[i];
        }
    }
    return NULL;
}

/* Record "<dir><node>/<prop>" for the caller's log; a long path is cut, never overflowed. */
static void config_set_err_path(struct vmm_config *out, const char *dir, const char *node,
                                const char *prop)
{
    size_t pos = 0, i;
    const char *parts[4] = {dir, node, prop != NULL ? "/" : NULL, prop};

    for (i = 0; i < 4; i++) {
        const char *s = parts[i];
        while (s != NULL && *s != '\0' && pos + 1 < sizeof(out->err_path)) {
            out->err_path[pos++] = *s++;
        }
    }
    out->err_path[pos] = '\0';
}

static bool config_char_ok(char c, enum vmm_config_charset set)
{
    switch (set) {
    case CHARSET_NAME:
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    case CHARSET_IMAGE:
        return c > ' ' && c <= '~';
    case CHARSET_BOOTARGS:
        return c >= ' ' && c <= '~';
    default:
        return false;
    }
}

/* DTB cells are big-endian and a property value may sit at any 4-byte offset. */
static uint32_t config_be32(const void *p)
{
    const uint8_t *b = p;

    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/*
 * Look up @prop of @node. A missing property gives US_ENOENT with *val = NULL; any other libfdt
 * failure means the blob lied about its structure.
 */
static us_err_t config_getprop(const void *fdt, int node, const char *prop, const void **val,
                               int *len)
{
    *val = fdt_getprop(fdt, node, prop, len);
    if (*val == NULL) {
        return *len == -FDT_ERR_NOTFOUND ? US_ENOENT : US_ECORRUPT;
    }
    return US_OK;
}

/* Copy a single string property into dst[dst_size]. An absent optional property reads as "". */
static us_err_t config_get_string(const void *fdt, int node, const char *prop, bool required,
                                  enum vmm_config_charset set, char *dst, size_t dst_size)
{
    const void *val;
    const char *s;
    int len;
    size_t n, i;
    us_err_t err;

    dst[0] = '\0';
    err = config_getprop(fdt, node, prop, &val, &len);
    if (err == US_ENOENT && !required) {
        return US_OK;
    }
    if (err != US_OK) {
        return err;
    }
    s = val;
    n = (size_t)len;
    /* Exactly one NUL, at the end: no empty value, no string list, nothing unterminated. */
    if (n == 0 || memchr(s, '\0', n) != s + n - 1) {
        return US_EINVAL;
    }
    if (n > dst_size) {
        return US_ERANGE;
    }
    if (n == 1 && set != CHARSET_BOOTARGS && required) {
        return US_EINVAL;
    }
    for (i = 0; i + 1 < n; i++) {
        if (!config_char_ok(s[i], set)) {
            return US_EINVAL;
        }
    }
    memcpy(dst, s, n);
    return US_OK;
}

/* One cell. */
static us_err_t config_get_u32(const void *fdt, int node, const char *prop, uint32_t *v)
{
    const void *val;
    int len;
    us_err_t err;

    err = config_getprop(fdt, node, prop, &val, &len);
    if (err != US_OK) {
        return err;
    }
    if (len != 4) {
        return US_EINVAL;
    }
    *v = config_be32(val);
    return US_OK;
}

/* One cell, or two cells high word first. */
static us_err_t config_get_u64(const void *fdt, int node, const char *prop, uint64_t *v)
{
    const void *val;
    int len;
    us_err_t err;

    err = config_getprop(fdt, node, prop, &val, &len);
    if (err != US_OK) {
        return err;
    }
    if (len == 4) {
        *v = config_be32(val);
    } else if (len == 8) {
        *v = ((uint64_t)config_be32(val) << 32) | config_be32((const uint8_t *)val + 4);
    } else {
        return US_EINVAL;
    }
    return US_OK;
}

/* "devices": a string list of known names, each at most once. Absent or empty means none. */
static us_err_t config_get_devices(const void *fdt, int node, uint32_t *mask)
{
    const void *val;
    const char *s, *nul;
    int len;
    size_t pos = 0, n, i, count = sizeof(vmm_config_devices) / sizeof(vmm_config_devices[0]);
    us_err_t err;

    *mask = 0;
    err = config_getprop(fdt, node, "devices", &val, &len);
    if (err == US_ENOENT) {
        return US_OK;
    }
    if (err != US_OK) {
        return err;
    }
    s = val;
    n = (size_t)len;
    while (pos < n) {
        nul = memchr(s + pos, '\0', n - pos);
        if (nul == NULL || nul == s + pos) {
            return US_EINVAL; /* unterminated, or an empty name */
        }
        for (i = 0; i < count; i++) {
            if (strcmp(s + pos, vmm_config_devices[i]) == 0) {
                break;
            }
        }
        if (i == count || (*mask & (1u << i)) != 0) {
            return US_EINVAL;
        }
        *mask |= 1u << i;
        pos = (size_t)(nul - s) + 1;
    }
    return US_OK;
}

/*
 * Refuse any property of @node not in props[count]. On failure *bad names the offender (it
 * points into the blob's strings block, which fdt_check_full() proved NUL-terminated).
 */
static us_err_t config_check_props(const void *fdt, int node, const char *const *props,
                                   size_t count, const char **bad)
{
    const char *name;
    int off, len;
    size_t i;

    fdt_for_each_property_offset(off, fdt, node)
    {
        if (fdt_getprop_by_offset(fdt, off, &name, &len) == NULL) {
            return US_ECORRUPT;
        }
        for (i = 0; i < count && strcmp(name, props[i]) != 0; i++) {
        }
        if (i == count) {
            *bad = name;
            return US_EINVAL;
        }
    }
    return off == -FDT_ERR_NOTFOUND ? US_OK : US_ECORRUPT;
}

/* A VM's name is its node's name: dtc keeps node names unique within /vms. */
static us_err_t config_vm_name(const char *node_name, int len, struct vmm_vm_config *vm)
{
    size_t n = (size_t)len, i;

    if (n == 0) {
        return US_EINVAL;
    }
    if (n >= sizeof(vm->name)) {
        return US_ERANGE;
    }
    for (i = 0; i < n; i++) {
        if (!config_char_ok(node_name[i], CHARSET_NAME)) {
            return US_EINVAL;
        }
    }
    memcpy(vm->name, node_name, n);
    vm->name[n] = '\0';
    return US_OK;
}

static us_err_t config_parse_vm(const void *fdt, int node, struct vmm_vm_config *vm,
                                const char **bad)
{
    us_err_t err;

    *bad = NULL;
    err = config_check_props(fdt, node, vmm_config_vm_props,
                             sizeof(vmm_config_vm_props) / sizeof(vmm_config_vm_props[0]), bad);
    if (err != US_OK) {
        return err;
    }
    /* A VM node holds properties only. */
    if (fdt_first_subnode(fdt, node) >= 0) {
        return US_EINVAL;
    }

    *bad = "memory";
    err = config_get_u64(fdt, node, "memory", &vm->mem_size);
    if (err != US_OK) {
        return err;
    }
    if (vm->mem_size < VMM_CONFIG_MEM_MIN || vm->mem_size > VMM_CONFIG_MEM_MAX) {
        return US_ERANGE;
    }
    if (vm->mem_size % VMM_CONFIG_MEM_GRANULE != 0) {
        return US_EINVAL;
    }
    *bad = "vcpus";
    vm->vcpu_count = 1;
    err = config_get_u32(fdt, node, "vcpus", &vm->vcpu_count);
    if (err != US_OK && err != US_ENOENT) {
        return err;
    }
    if (vm->vcpu_count < 1 || vm->vcpu_count > VMM_CONFIG_MAX_VCPUS) {
        return US_ERANGE;
    }
    *bad = "kernel";
    err =
        config_get_string(fdt, node, "kernel", true, CHARSET_IMAGE, vm->kernel, sizeof(vm->kernel));
    if (err != US_OK) {
        return err;
    }
    *bad = "initrd";
    err = config_get_string(fdt, node, "initrd", false, CHARSET_IMAGE, vm->initrd,
                            sizeof(vm->initrd));
    if (err != US_OK) {
        return err;
    }
    *bad = "bootargs";
    err = config_get_string(fdt, node, "bootargs", false, CHARSET_BOOTARGS, vm->bootargs,
                            sizeof(vm->bootargs));
    if (err != US_OK) {
        return err;
    }
    *bad = "devices";
    err = config_get_devices(fdt, node, &vm->devices);
    if (err != US_OK) {
        return err;
    }
    *bad = "disk";
    err = config_get_string(fdt, node, "disk", false, CHARSET_IMAGE, vm->disk, sizeof(vm->disk));
    if (err != US_OK) {
        return err;
    }
    if (vm->disk[0] != '\0' && !(vm->devices & VMM_DEV_VIRTIO_BLK)) {
        return US_EINVAL; /* contents for a disk the VM does not have */
    }
    *bad = "passthrough";
    err = config_get_string(fdt, node, "passthrough", false, CHARSET_IMAGE, vm->passthrough,
                            sizeof(vm->passthrough));
    if (err != US_OK) {
        return err;
    }
    if (vm->passthrough[0] != '\0' && !(vm->devices & VMM_DEV_PCIE)) {
        return US_EINVAL; /* a PCI function needs the PCIe host bridge to sit on */
    }
    *bad = NULL;
    return US_OK;
}

/* Every child of /vms is one VM, in node order. */
static us_err_t config_parse_vms(const void *fdt, int vms, struct vmm_config *out)
{
    const char *node_name, *bad = NULL;
    int node, len;
    us_err_t err;

    err = config_check_props(fdt, vms, NULL, 0, &bad);
    if (err != US_OK) {
        config_set_err_path(out, "", "/vms", bad);
        return err;
    }
    fdt_for_each_subnode(node, fdt, vms)
    {
        struct vmm_vm_config *vm;
        uint32_t i;

        node_name = fdt_get_name(fdt, node, &len);
        if (node_name == NULL) {
            return US_ECORRUPT;
        }
        if (out->vm_count == VMM_CONFIG_MAX_VMS) {
            config_set_err_path(out, "/vms/", node_name, NULL);
            return US_ERANGE;
        }
        vm = &out->vms[out->vm_count];
        err = config_vm_name(node_name, len, vm);
        if (err == US_OK) {
            err = config_parse_vm(fdt, node, vm, &bad);
        }
        if (err != US_OK) {
            config_set_err_path(out, "/vms/", node_name, bad);
            return err;
        }
        /* dtc merges same-named nodes, but a hand-made blob may repeat one. */
        for (i = 0; i < out->vm_count; i++) {
            if (strcmp(out->vms[i].name, vm->name) == 0) {
                config_set_err_path(out, "/vms/", node_name, NULL);
                return US_EEXIST;
            }
        }
        out->vm_count++;
    }
    return node == -FDT_ERR_NOTFOUND ? US_OK : US_ECORRUPT;
}

static us_err_t config_parse_root(const void *fdt, struct vmm_config *out)
{
    const char *bad = NULL, *name;
    uint32_t abi;
    int vms, node, len, ret;
    us_err_t err;

    err =
        config_check_props(fdt, 0, vmm_config_root_props,
                           sizeof(vmm_config_root_props) / sizeof(vmm_config_root_props[0]), &bad);
    if (err != US_OK) {
        config_set_err_path(out, "", "", bad);
        return err;
    }
    ret = fdt_node_check_compatible(fdt, 0, VMM_CONFIG_COMPATIBLE);
    if (ret != 0) {
        config_set_err_path(out, "", "", "compatible");
        return ret == -FDT_ERR_NOTFOUND ? US_ENOENT : ret == 1 ? US_EINVAL : US_ECORRUPT;
    }
    err = config_get_u32(fdt, 0, "understudy,abi", &abi);
    if (err == US_OK && abi != US_ABI_REVISION) {
        err = US_ENOTSUP;
    }
    if (err != US_OK) {
        config_set_err_path(out, "", "", "understudy,abi");
        return err;
    }
    vms = -FDT_ERR_NOTFOUND;
    fdt_for_each_subnode(node, fdt, 0)
    {
        name = fdt_get_name(fdt, node, &len);
        if (name == NULL) {
            return US_ECORRUPT;
        }
        if (strcmp(name, "vms") != 0 || vms >= 0) {
            config_set_err_path(out, "/", name, NULL);
            return US_EINVAL;
        }
        vms = node;
    }
    if (node != -FDT_ERR_NOTFOUND) {
        return US_ECORRUPT;
    }
    if (vms < 0) {
        config_set_err_path(out, "", "/vms", NULL);
        return US_ENOENT;
    }
    return config_parse_vms(fdt, vms, out);
}

us_err_t vmm_config_parse(const void *blob, size_t blob_len, struct vmm_config *out)
{
    us_err_t err;

    if (out == NULL) {
        return US_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (blob == NULL) {
        return US_EINVAL;
    }
    err = us_fdt_check_blob(blob, blob_len);
    if (err == US_OK) {
        err = config_parse_root(blob, out);
    }
    if (err != US_OK) {
        /* Half-parsed VMs must not be mistaken for a configuration. */
        out->vm_count = 0;
        memset(out->vms, 0, sizeof(out->vms));
    }
    return err;
}

/* A NUL-terminated string of @set characters within @size bytes; "" if @may_be_empty. */
static bool config_field_ok(const char *s, size_t size, enum vmm_config_charset set,
                            bool may_be_empty)
{
    const char *end = memchr(s, '\0', size);

    if (end == NULL || (end == s && !may_be_empty)) {
        return false;
    }
    for (; s < end; s++) {
        if (!config_char_ok(*s, set)) {
            return false;
        }
    }
    return true;
}

/* The slot of the VM named @name, or -1. */
int vmm_config_find(const struct vmm_config *cfg, const char *name)
{
    for (uint32_t i = 0; i < cfg->vm_count; i++) {
        if (cfg->vms[i].name[0] != '\0' &&
            strncmp(cfg->vms[i].name, name, sizeof(cfg->vms[i].name)) == 0) {
            return (int)i;
        }
    }
    return -1;
}

us_err_t vmm_config_derive(const struct vmm_config *cfg, const struct us_vm_create *req,
                           struct vmm_vm_config *out, const char **why)
{
    const struct vmm_vm_config *base;
    int b;

    memset(out, 0, sizeof(*out));
    *why = "the new VM's name must be 1-15 of [A-Za-z0-9_-]";
    if (!config_field_ok(req->name, sizeof(req->name), CHARSET_NAME, false)) {
        return US_EINVAL;
    }
    *why = "a VM of that name exists";
    if (vmm_config_find(cfg, req->name) >= 0) {
        return US_EEXIST;
    }
    *why = "no base VM of that name";
    if (!config_field_ok(req->base, sizeof(req->base), CHARSET_NAME, false) ||
        (b = vmm_config_find(cfg, req->base)) < 0) {
        return US_ENOENT;
    }
    base = &cfg->vms[b];
    *why = "bad kernel or initrd name";
    if (!config_field_ok(req->kernel, sizeof(req->kernel), CHARSET_IMAGE, true) ||
        !config_field_ok(req->initrd, sizeof(req->initrd), CHARSET_IMAGE, true)) {
        return US_EINVAL;
    }
    *why = "bootargs must be printable ASCII";
    if (!config_field_ok(req->bootargs, sizeof(req->bootargs), CHARSET_BOOTARGS, true)) {
        return US_EINVAL;
    }
    *why = "a passed-through function needs the PCIe bridge: a name without spaces";
    if (!config_field_ok(req->passthrough, sizeof(req->passthrough), CHARSET_IMAGE, true) ||
        (req->passthrough[0] != '\0' && !(cfg->vms[b].devices & VMM_DEV_PCIE))) {
        return US_EINVAL;
    }
    *why = "unknown flags";
    if ((req->flags & ~(US_VM_CREATE_APPEND | US_VM_CREATE_TWIN)) != 0) {
        return US_EINVAL;
    }
    *why = "memory must be a multiple of 1 MiB between 2 MiB and 4 GiB";
    if (req->mem_size != 0 &&
        (req->mem_size < VMM_CONFIG_MEM_MIN || req->mem_size > VMM_CONFIG_MEM_MAX ||
         req->mem_size % VMM_CONFIG_MEM_GRANULE != 0)) {
        return US_ERANGE;
    }
    *why = "vcpus must be 1-8";
    if (req->vcpus > VMM_CONFIG_MAX_VCPUS) {
        return US_ERANGE;
    }
    *out = *base;
    memcpy(out->name, req->name, sizeof(req->name));
    /* The base holds its passed-through function: the new VM boots without it, or with the
     * one the request names (docs/pci.md). */
    memset(out->passthrough, 0, sizeof(out->passthrough));
    memcpy(out->passthrough, req->passthrough, sizeof(req->passthrough));
    if (req->kernel[0] != '\0') {
        memcpy(out->kernel, req->kernel, sizeof(req->kernel));
    }
    if (req->initrd[0] != '\0') {
        memcpy(out->initrd, req->initrd, sizeof(req->initrd));
    }
    out->mem_size = req->mem_size != 0 ? req->mem_size : base->mem_size;
    out->vcpu_count = req->vcpus != 0 ? req->vcpus : base->vcpu_count;
    if (req->flags & US_VM_CREATE_APPEND) {
        size_t have = strlen(out->bootargs), add = strlen(req->bootargs);

        *why = "bootargs too long with the base's";
        if (have + 1u + add >= sizeof(out->bootargs)) {
            memset(out, 0, sizeof(*out));
            return US_ERANGE;
        }
        if (add > 0) {
            out->bootargs[have] = have > 0 ? ' ' : '\0';
            memcpy(out->bootargs + have + (have > 0 ? 1u : 0u), req->bootargs, add + 1u);
        }
    } else if (req->bootargs[0] != '\0') {
        memcpy(out->bootargs, req->bootargs, strlen(req->bootargs) + 1u);
    }
    *why = NULL;
    return US_OK;
}
