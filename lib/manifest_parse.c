/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Boot manifest validation, so the kernel can trust every index and address it contains. */
#include <uslib/manifest_parse.h>
#include <stdbool.h>
#include <stddef.h>
#include <understudy/abi.h>
#include <uslib/string.h>

/* GICv3: INTIDs 1020..1023 are special, anything above is LPI/extended and not routed here. */
#define MANIFEST_PARSE_MAX_INTID 1020u
#define MANIFEST_PARSE_NTFN_BITS 64u
#define MANIFEST_PARSE_MAX_PRIORITY 255u

static us_err_t manifest_parse_fail(struct manifest_parse_diag *diag, us_err_t err, uint32_t server,
                                    uint32_t cap, const char *why)
{
    if (diag != NULL) {
        diag->why = why;
        diag->server = server;
        diag->cap = cap;
    }
    return err;
}

const char *manifest_parse_kind_name(uint32_t kind)
{
    switch (kind) {
    case US_MCAP_ENDPOINT:
        return "endpoint";
    case US_MCAP_NOTIFICATION:
        return "notification";
    case US_MCAP_MMIO:
        return "mmio";
    case US_MCAP_IRQ:
        return "irq";
    case US_MCAP_VM_CONTROL:
        return "vm_control";
    case US_MCAP_KLOG:
        return "klog";
    case US_MCAP_SERVER_CTL:
        return "server_ctl";
    case US_MCAP_BUNDLE:
        return "bundle";
    case US_MCAP_PLATFORM_DTB:
        return "platform_dtb";
    case US_MCAP_SHARED:
        return "shared";
    case US_MCAP_IOPORT:
        return "ioport";
    default:
        return "?";
    }
}

static bool manifest_parse_str_ok(const char *s, size_t field_len)
{
    size_t n = strnlen(s, field_len);

    return n > 0 && n < field_len;
}

static const struct us_manifest_server *manifest_parse_servers(const void *buf)
{
    return (const struct us_manifest_server *)(const void *)((const uint8_t *)buf +
                                                             sizeof(struct us_manifest_hdr));
}

/* Kind-specific argument checks for one cap. */
static us_err_t manifest_parse_check_args(const struct us_manifest_cap *c, uint32_t server_count,
                                          const char **why)
{
    switch (c->kind) {
    case US_MCAP_ENDPOINT:
        if (c->rights == 0) {
            *why = "endpoint without rights";
            return US_EINVAL;
        }
        if ((c->arg1 & US_BADGE_VCPU) != 0) {
            *why = "badge uses the kernel's vCPU bit";
            return US_EINVAL;
        }
        if (c->arg0 >= server_count) {
            *why = "server index out of range";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_NOTIFICATION:
        if (c->arg0 >= server_count) {
            *why = "server index out of range";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_MMIO:
        if (c->arg0 % US_PAGE_SIZE != 0 || c->arg1 % US_PAGE_SIZE != 0 || c->arg1 == 0) {
            *why = "mmio base or size not page aligned, or size zero";
            return US_EINVAL;
        }
        if (c->arg1 > UINT64_MAX - c->arg0) {
            *why = "mmio window wraps";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_IRQ:
        if (c->arg0 >= MANIFEST_PARSE_MAX_INTID ||
            (c->arg1 & ~(uint64_t)US_MCAP_IRQ_EDGE) >= MANIFEST_PARSE_NTFN_BITS) {
            *why = "irq number or notification bit out of range";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_VM_CONTROL:
        if (c->arg0 == 0 || c->arg0 % US_PAGE_SIZE != 0) {
            *why = "vm quota zero or not page aligned";
            return US_EINVAL;
        }
        return US_OK;
    case US_MCAP_SHARED:
        if (c->arg0 >= US_MANIFEST_MAX_SHARED || c->arg1 == 0 ||
            c->arg1 > US_MANIFEST_MAX_SHARED_SIZE) {
            *why = "shared region id or size out of range";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_IOPORT:
        if (c->arg1 == 0 || c->arg0 > 0xffffu || c->arg1 > 0x10000u - c->arg0) {
            *why = "ioport range empty or past port 0xffff";
            return US_ERANGE;
        }
        return US_OK;
    case US_MCAP_KLOG:
    case US_MCAP_SERVER_CTL:
    case US_MCAP_BUNDLE:
    case US_MCAP_PLATFORM_DTB:
        return US_OK;
    default:
        *why = "unknown cap kind";
        return US_EINVAL;
    }
}

static us_err_t manifest_parse_check_server(const struct us_manifest_server *s, uint32_t si,
                                            uint32_t server_count, struct manifest_parse_diag *diag)
{
    const char *why = "";
    uint32_t i, j;
    us_err_t err;

    if (!manifest_parse_str_ok(s->name, sizeof(s->name))) {
        return manifest_parse_fail(diag, US_EINVAL, si, UINT32_MAX, "bad server name");
    }
    if (!manifest_parse_str_ok(s->image, sizeof(s->image))) {
        return manifest_parse_fail(diag, US_EINVAL, si, UINT32_MAX, "bad image name");
    }
    if (s->priority == 0 || s->priority > MANIFEST_PARSE_MAX_PRIORITY) {
        return manifest_parse_fail(diag, US_ERANGE, si, UINT32_MAX, "priority not 1..255");
    }
    if (s->cap_count > US_MANIFEST_MAX_CAPS) {
        return manifest_parse_fail(diag, US_ERANGE, si, UINT32_MAX, "too many caps");
    }
    for (i = 0; i < s->cap_count; i++) {
        const struct us_manifest_cap *c = &s->caps[i];

        if (c->slot >= US_CAP_SLOTS) {
            return manifest_parse_fail(diag, US_ERANGE, si, i, "slot out of range");
        }
        for (j = 0; j < i; j++) {
            if (s->caps[j].slot == c->slot) {
                return manifest_parse_fail(diag, US_EEXIST, si, i, "slot used twice");
            }
        }
        if ((c->rights & ~US_RIGHT_ALL) != 0) {
            return manifest_parse_fail(diag, US_EINVAL, si, i, "unknown rights bits");
        }
        err = manifest_parse_check_args(c, server_count, &why);
        if (err != US_OK) {
            return manifest_parse_fail(diag, err, si, i, why);
        }
    }
    return US_OK;
}

us_err_t manifest_parse_check_diag(const void *buf, uint64_t len, struct manifest_parse_diag *diag)
{
    const struct us_manifest_hdr *hdr = buf;
    const struct us_manifest_server *servers;
    uint32_t i, j;
    us_err_t err;

    if (buf == NULL || ((uintptr_t)buf & 7u) != 0) {
        return manifest_parse_fail(diag, US_EINVAL, UINT32_MAX, UINT32_MAX,
                                   "buffer NULL or misaligned");
    }
    if (len < sizeof(*hdr)) {
        return manifest_parse_fail(diag, US_ETRUNC, UINT32_MAX, UINT32_MAX,
                                   "shorter than the header");
    }
    if (memcmp(hdr->magic, US_MANIFEST_MAGIC, sizeof(hdr->magic)) != 0) {
        return manifest_parse_fail(diag, US_ECORRUPT, UINT32_MAX, UINT32_MAX, "bad magic");
    }
    if (hdr->abi_revision != US_ABI_REVISION) {
        return manifest_parse_fail(diag, US_EINVAL, UINT32_MAX, UINT32_MAX,
                                   "abi revision mismatch");
    }
    if (hdr->server_count == 0 || hdr->server_count > US_MANIFEST_MAX_SERVERS) {
        return manifest_parse_fail(diag, US_ERANGE, UINT32_MAX, UINT32_MAX,
                                   "server count out of range");
    }
    if (len != sizeof(*hdr) + (uint64_t)hdr->server_count * sizeof(*servers)) {
        return manifest_parse_fail(diag, US_ETRUNC, UINT32_MAX, UINT32_MAX,
                                   "length does not match server count");
    }
    servers = manifest_parse_servers(buf);
    for (i = 0; i < hdr->server_count; i++) {
        err = manifest_parse_check_server(&servers[i], i, hdr->server_count, diag);
        if (err != US_OK) {
            return err;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(servers[i].name, servers[j].name) == 0) {
                return manifest_parse_fail(diag, US_EEXIST, i, UINT32_MAX, "duplicate server name");
            }
        }
    }
    return manifest_parse_fail(diag, US_OK, UINT32_MAX, UINT32_MAX, "ok");
}

us_err_t manifest_parse_check(const void *buf, uint64_t len)
{
    return manifest_parse_check_diag(buf, len, NULL);
}

us_err_t manifest_parse_server(const void *buf, uint64_t len, uint32_t index,
                               const struct us_manifest_server **out)
{
    us_err_t err = manifest_parse_check(buf, len);

    if (err != US_OK) {
        return err;
    }
    if (index >= ((const struct us_manifest_hdr *)buf)->server_count) {
        return US_ENOENT;
    }
    *out = &manifest_parse_servers(buf)[index];
    return US_OK;
}
