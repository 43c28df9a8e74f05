/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for lib/manifest_parse.c: one valid manifest and one case per rejected condition. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/abi.h>
#include <understudy/manifest.h>
#include <uslib/manifest_parse.h>
#include "ut.h"

#define SERVERS 2u
#define MAN_LEN (sizeof(struct us_manifest_hdr) + SERVERS * sizeof(struct us_manifest_server))

/* uint64_t storage keeps the buffer 8-byte aligned as manifest_parse requires. */
static uint64_t man_store[(MAN_LEN + 7u) / 8u + 1u];

static struct us_manifest_hdr *hdr(void)
{
    return (struct us_manifest_hdr *)(void *)man_store;
}

static struct us_manifest_server *srv(uint32_t i)
{
    return (struct us_manifest_server *)(void *)((uint8_t *)man_store + sizeof(*hdr())) + i;
}

static void set_cap(struct us_manifest_cap *c, uint32_t slot, uint32_t kind, uint32_t rights,
                    uint64_t arg0, uint64_t arg1)
{
    c->slot = slot;
    c->kind = kind;
    c->rights = rights;
    c->arg0 = arg0;
    c->arg1 = arg1;
}

/* console (index 0) with a UART and IRQ, vmm (index 1) with an endpoint to console. */
static void build_manifest(void)
{
    struct us_manifest_server *s;

    memset(man_store, 0, sizeof(man_store));
    memcpy(hdr()->magic, US_MANIFEST_MAGIC, 8);
    hdr()->abi_revision = US_ABI_REVISION;
    hdr()->server_count = SERVERS;
    s = srv(0);
    strcpy(s->name, "console");
    strcpy(s->image, "console");
    s->priority = 20;
    s->state_pages = 4;
    s->heap_pages = 16;
    s->cap_count = 6;
    set_cap(&s->caps[0], 0, US_MCAP_ENDPOINT, US_RIGHT_RECV, 0, 0);
    set_cap(&s->caps[1], 1, US_MCAP_NOTIFICATION, US_RIGHT_SEND | US_RIGHT_RECV, 0, 0);
    set_cap(&s->caps[2], 6, US_MCAP_MMIO, US_RIGHT_READ | US_RIGHT_WRITE, 0x09000000, 0x1000);
    set_cap(&s->caps[3], 7, US_MCAP_IRQ, US_RIGHT_ALL, 33, 0);
    set_cap(&s->caps[4], 8, US_MCAP_KLOG, US_RIGHT_READ, 0, 0);
    set_cap(&s->caps[5], 9, US_MCAP_SERVER_CTL, US_RIGHT_ALL, 0, 0);
    s = srv(1);
    strcpy(s->name, "vmm");
    strcpy(s->image, "vmm");
    s->priority = 30;
    s->cap_count = 4;
    set_cap(&s->caps[0], 0, US_MCAP_ENDPOINT, US_RIGHT_RECV, 1, 0);
    set_cap(&s->caps[1], 2, US_MCAP_ENDPOINT, US_RIGHT_SEND, 0, 2);
    set_cap(&s->caps[2], 6, US_MCAP_VM_CONTROL, US_RIGHT_ALL, 0x10000000, 0);
    set_cap(&s->caps[3], 7, US_MCAP_BUNDLE, US_RIGHT_READ, 0, 0);
}

static us_err_t check(void)
{
    return manifest_parse_check(man_store, MAN_LEN);
}

static void manifest_accepts_valid(void)
{
    const struct us_manifest_server *s = NULL;

    build_manifest();
    UT_EXPECT_EQ(check(), US_OK);
    UT_EXPECT_EQ(manifest_parse_server(man_store, MAN_LEN, 1, &s), US_OK);
    UT_EXPECT(s == srv(1));
    UT_EXPECT_EQ(manifest_parse_server(man_store, MAN_LEN, SERVERS, &s), US_ENOENT);
}

static void manifest_rejects_bad_magic(void)
{
    build_manifest();
    hdr()->magic[0] = 'X';
    UT_EXPECT_EQ(check(), US_ECORRUPT);
}

static void manifest_rejects_wrong_abi(void)
{
    build_manifest();
    hdr()->abi_revision = 0;
    UT_EXPECT_EQ(check(), US_EINVAL);
}

static void manifest_rejects_bad_length(void)
{
    build_manifest();
    UT_EXPECT_EQ(manifest_parse_check(man_store, 0), US_ETRUNC);
    UT_EXPECT_EQ(manifest_parse_check(man_store, sizeof(struct us_manifest_hdr) - 1u), US_ETRUNC);
    UT_EXPECT_EQ(manifest_parse_check(man_store, MAN_LEN - 1u), US_ETRUNC);
    UT_EXPECT_EQ(manifest_parse_check(man_store, MAN_LEN + 1u), US_ETRUNC);
}

static void manifest_rejects_misaligned_buffer(void)
{
    build_manifest();
    UT_EXPECT_EQ(manifest_parse_check((uint8_t *)man_store + 4, MAN_LEN), US_EINVAL);
    UT_EXPECT_EQ(manifest_parse_check(NULL, MAN_LEN), US_EINVAL);
}

static void manifest_rejects_bad_server_count(void)
{
    build_manifest();
    hdr()->server_count = 0;
    UT_EXPECT_EQ(check(), US_ERANGE);
    hdr()->server_count = US_MANIFEST_MAX_SERVERS + 1u;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_too_many_caps(void)
{
    build_manifest();
    srv(1)->cap_count = US_MANIFEST_MAX_CAPS + 1u;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_bad_names(void)
{
    build_manifest();
    memset(srv(1)->name, 'v', sizeof(srv(1)->name));
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    srv(1)->name[0] = '\0';
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    memset(srv(0)->image, 'i', sizeof(srv(0)->image));
    UT_EXPECT_EQ(check(), US_EINVAL);
}

static void manifest_rejects_duplicate_server_name(void)
{
    build_manifest();
    strcpy(srv(1)->name, "console");
    UT_EXPECT_EQ(check(), US_EEXIST);
}

static void manifest_rejects_bad_priority(void)
{
    build_manifest();
    srv(0)->priority = 0;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->priority = 256;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->priority = 255;
    UT_EXPECT_EQ(check(), US_OK);
}

static void manifest_rejects_slot_out_of_range(void)
{
    build_manifest();
    srv(0)->caps[4].slot = US_CAP_SLOTS;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_duplicate_slot(void)
{
    build_manifest();
    srv(0)->caps[5].slot = 6;
    UT_EXPECT_EQ(check(), US_EEXIST);
}

static void manifest_rejects_unknown_kind(void)
{
    build_manifest();
    srv(0)->caps[4].kind = 0;
    UT_EXPECT_EQ(check(), US_EINVAL);
    srv(0)->caps[4].kind = US_MCAP_IOPORT + 1u;
    UT_EXPECT_EQ(check(), US_EINVAL);
}

/* Port ranges: non-empty, within the 64 Ki ports; the kernel judges which it keeps. */
static void manifest_rejects_bad_ioport(void)
{
    build_manifest();
    srv(0)->caps[4].kind = US_MCAP_IOPORT;
    srv(0)->caps[4].arg0 = 0x3f8;
    srv(0)->caps[4].arg1 = 8;
    UT_EXPECT_EQ(check(), US_OK);
    srv(0)->caps[4].arg1 = 0;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->caps[4].arg0 = 0xfff8;
    srv(0)->caps[4].arg1 = 9;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->caps[4].arg1 = 8;
    UT_EXPECT_EQ(check(), US_OK);
    srv(0)->caps[4].arg0 = UINT64_MAX;
    srv(0)->caps[4].arg1 = 2;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_bad_shared(void)
{
    build_manifest();
    srv(0)->caps[4].kind = US_MCAP_SHARED;
    srv(0)->caps[4].arg0 = 0;
    srv(0)->caps[4].arg1 = 0x8000;
    UT_EXPECT_EQ(check(), US_OK);
    srv(0)->caps[4].arg0 = US_MANIFEST_MAX_SHARED;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->caps[4].arg0 = 0;
    srv(0)->caps[4].arg1 = 0;
    UT_EXPECT_EQ(check(), US_ERANGE);
    srv(0)->caps[4].arg1 = US_MANIFEST_MAX_SHARED_SIZE + 1u;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_unknown_rights(void)
{
    build_manifest();
    srv(0)->caps[2].rights = US_RIGHT_ALL + 1u;
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    srv(1)->caps[1].rights = 0;
    UT_EXPECT_EQ(check(), US_EINVAL);
}

static void manifest_rejects_endpoint_server_out_of_range(void)
{
    build_manifest();
    srv(1)->caps[1].arg0 = SERVERS;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_notification_server_out_of_range(void)
{
    build_manifest();
    srv(0)->caps[1].arg0 = UINT64_MAX;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_kernel_badge(void)
{
    build_manifest();
    srv(1)->caps[1].arg1 = US_BADGE_VCPU | 1u;
    UT_EXPECT_EQ(check(), US_EINVAL);
}

static void manifest_rejects_bad_mmio(void)
{
    build_manifest();
    srv(0)->caps[2].arg0 += 0x10u;
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    srv(0)->caps[2].arg1 = 0x800;
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    srv(0)->caps[2].arg1 = 0;
    UT_EXPECT_EQ(check(), US_EINVAL);
    build_manifest();
    srv(0)->caps[2].arg0 = UINT64_MAX - 0xfffu;
    srv(0)->caps[2].arg1 = 0x2000;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_bad_irq(void)
{
    build_manifest();
    srv(0)->caps[3].arg0 = 1020;
    UT_EXPECT_EQ(check(), US_ERANGE);
    build_manifest();
    srv(0)->caps[3].arg1 = 64;
    UT_EXPECT_EQ(check(), US_ERANGE);
}

static void manifest_rejects_bad_vm_quota(void)
{
    build_manifest();
    srv(1)->caps[2].arg0 = 0;
    UT_EXPECT_EQ(check(), US_EINVAL);
    srv(1)->caps[2].arg0 = 0x10000001;
    UT_EXPECT_EQ(check(), US_EINVAL);
}

static void manifest_diag_names_cap(void)
{
    struct manifest_parse_diag diag;

    build_manifest();
    srv(1)->caps[3].slot = US_CAP_SLOTS + 35;
    UT_EXPECT_EQ(manifest_parse_check_diag(man_store, MAN_LEN, &diag), US_ERANGE);
    UT_EXPECT_EQ(diag.server, 1);
    UT_EXPECT_EQ(diag.cap, 3);
}

UT_MAIN(
    {"accepts_valid", manifest_accepts_valid}, {"rejects_bad_magic", manifest_rejects_bad_magic},
    {"rejects_wrong_abi", manifest_rejects_wrong_abi},
    {"rejects_bad_length", manifest_rejects_bad_length},
    {"rejects_misaligned_buffer", manifest_rejects_misaligned_buffer},
    {"rejects_bad_server_count", manifest_rejects_bad_server_count},
    {"rejects_too_many_caps", manifest_rejects_too_many_caps},
    {"rejects_bad_names", manifest_rejects_bad_names},
    {"rejects_duplicate_server_name", manifest_rejects_duplicate_server_name},
    {"rejects_bad_priority", manifest_rejects_bad_priority},
    {"rejects_slot_out_of_range", manifest_rejects_slot_out_of_range},
    {"rejects_duplicate_slot", manifest_rejects_duplicate_slot},
    {"rejects_unknown_kind", manifest_rejects_unknown_kind},
    {"rejects_bad_ioport", manifest_rejects_bad_ioport},
    {"rejects_unknown_rights", manifest_rejects_unknown_rights},
    {"rejects_bad_shared", manifest_rejects_bad_shared},
    {"rejects_endpoint_server_out_of_range", manifest_rejects_endpoint_server_out_of_range},
    {"rejects_notification_server_out_of_range", manifest_rejects_notification_server_out_of_range},
    {"rejects_kernel_badge", manifest_rejects_kernel_badge},
    {"rejects_bad_mmio", manifest_rejects_bad_mmio}, {"rejects_bad_irq", manifest_rejects_bad_irq},
    {"rejects_bad_vm_quota", manifest_rejects_bad_vm_quota},
    {"diag_names_cap", manifest_diag_names_cap})
