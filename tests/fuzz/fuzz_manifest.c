/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: boot manifest validation (lib/manifest_parse.c), against a reference checker. */
#include <stdbool.h>
#include <understudy/abi.h>
#include <understudy/manifest.h>
#include <uslib/manifest_parse.h>
#include "fuzz_input.h"

/* Input: one flags byte, then the manifest. */
#define F_EXACT_LEN (1u << 0) /* size the buffer as its server_count says, zero-padded */
#define F_ODD_BUFFER (1u << 1)

/* manifest_parse.h's rules for one cap, restated independently. */
static bool ref_cap_ok(const struct us_manifest_cap *c, uint32_t server_count)
{
    if (c->slot >= US_CAP_SLOTS || (c->rights & ~(uint32_t)US_RIGHT_ALL) != 0) {
        return false;
    }
    switch (c->kind) {
    case US_MCAP_ENDPOINT:
        return c->rights != 0 && (c->arg1 & US_BADGE_VCPU) == 0 && c->arg1 != US_INVALID_BADGE &&
               c->arg0 < server_count;
    case US_MCAP_NOTIFICATION:
        return c->arg0 < server_count;
    case US_MCAP_MMIO:
        return c->arg0 % US_PAGE_SIZE == 0 && c->arg1 % US_PAGE_SIZE == 0 && c->arg1 != 0 &&
               c->arg0 + c->arg1 > c->arg0;
    case US_MCAP_IRQ:
        return c->arg0 < 1020 && c->arg1 < 64;
    case US_MCAP_VM_CONTROL:
        return c->arg0 != 0 && c->arg0 % US_PAGE_SIZE == 0;
    case US_MCAP_SHARED:
        return c->arg0 < US_MANIFEST_MAX_SHARED && c->arg1 != 0 &&
               c->arg1 <= US_MANIFEST_MAX_SHARED_SIZE;
    case US_MCAP_IOPORT:
        return c->arg1 != 0 && c->arg0 <= 0xffff && c->arg1 <= 0x10000 - c->arg0;
    case US_MCAP_KLOG:
    case US_MCAP_SERVER_CTL:
    case US_MCAP_BUNDLE:
    case US_MCAP_PLATFORM_DTB:
        return true;
    default:
        return false;
    }
}

static bool ref_str_ok(const char *s, size_t field)
{
    size_t n = strnlen(s, field);

    return n > 0 && n < field;
}

static bool ref_server_ok(const struct us_manifest_server *s, uint32_t server_count)
{
    if (!ref_str_ok(s->name, sizeof(s->name)) || !ref_str_ok(s->image, sizeof(s->image)) ||
        s->priority < 1 || s->priority > 255 || s->cap_count > US_MANIFEST_MAX_CAPS) {
        return false;
    }
    for (uint32_t i = 0; i < s->cap_count; i++) {
        if (!ref_cap_ok(&s->caps[i], server_count)) {
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (s->caps[j].slot == s->caps[i].slot) {
                return false;
            }
        }
    }
    return true;
}

static bool ref_manifest_ok(const uint8_t *buf, uint64_t len)
{
    struct us_manifest_hdr hdr;
    const struct us_manifest_server *srv;

    if (len < sizeof(hdr)) {
        return false;
    }
    memcpy(&hdr, buf, sizeof(hdr));
    if (memcmp(hdr.magic, US_MANIFEST_MAGIC, 8) != 0 || hdr.abi_revision != US_ABI_REVISION ||
        hdr.server_count == 0 || hdr.server_count > US_MANIFEST_MAX_SERVERS ||
        len != sizeof(hdr) + (uint64_t)hdr.server_count * sizeof(*srv)) {
        return false;
    }
    srv = (const struct us_manifest_server *)(const void *)(buf + sizeof(hdr));
    for (uint32_t i = 0; i < hdr.server_count; i++) {
        if (!ref_server_ok(&srv[i], hdr.server_count)) {
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(srv[i].name, srv[j].name) == 0) {
                return false;
            }
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct manifest_parse_diag diag = {NULL, 0, 0};
    const struct us_manifest_server *s;
    size_t len;
    uint8_t *buf, flags;
    us_err_t err;

    if (size == 0) {
        return 0;
    }
    flags = data[0];
    data++;
    size--;
    len = size;
    if ((flags & F_EXACT_LEN) && size >= sizeof(struct us_manifest_hdr)) {
        struct us_manifest_hdr hdr;

        memcpy(&hdr, data, sizeof(hdr));
        if (hdr.server_count <= US_MANIFEST_MAX_SERVERS) {
            len = sizeof(hdr) + hdr.server_count * sizeof(struct us_manifest_server);
        }
    }
    buf = calloc(1, len > 0 ? len : 1);
    FUZZ_CHECK(buf != NULL && ((uintptr_t)buf & 7u) == 0);
    memcpy(buf, data, size < len ? size : len);

    err = manifest_parse_check_diag(buf, len, &diag);
    FUZZ_CHECK((unsigned)err < US_ERR_COUNT && diag.why != NULL);
    FUZZ_CHECK((err == US_OK) == ref_manifest_ok(buf, len));
    FUZZ_CHECK(manifest_parse_check(buf, len) == err);
    if (err == US_OK) {
        uint32_t count = ((const struct us_manifest_hdr *)(const void *)buf)->server_count;

        FUZZ_CHECK(diag.server == UINT32_MAX && diag.cap == UINT32_MAX);
        for (uint32_t i = 0; i < count; i++) {
            FUZZ_CHECK(manifest_parse_server(buf, len, i, &s) == US_OK);
            FUZZ_CHECK((const uint8_t *)s == buf + sizeof(struct us_manifest_hdr) + i * sizeof(*s));
            for (uint32_t c = 0; c < s->cap_count; c++) {
                FUZZ_CHECK(strcmp(manifest_parse_kind_name(s->caps[c].kind), "?") != 0);
            }
        }
        FUZZ_CHECK(manifest_parse_server(buf, len, count, &s) == US_ENOENT);
    } else {
        FUZZ_CHECK(manifest_parse_server(buf, len, 0, &s) == err);
    }
    if ((flags & F_ODD_BUFFER) && len > 0) {
        uint8_t *odd = malloc(len + 4);

        FUZZ_CHECK(odd != NULL);
        memcpy(odd + 4, buf, len);
        FUZZ_CHECK(manifest_parse_check(odd + 4, len) == US_EINVAL);
        free(odd);
    }
    free(buf);
    return 0;
}
