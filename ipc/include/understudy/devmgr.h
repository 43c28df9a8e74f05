/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Protocol of the devmgr server: the hardware inventory. */
#pragma once

#include <stdint.h>
#include <understudy/msg.h>

#define US_DEVMGR_DEV_COUNT (US_LABEL_PROTO_BASE + 0x20u) /* reply w[0] = number of devices */
#define US_DEVMGR_DEV_INFO (US_LABEL_PROTO_BASE + 0x21u)  /* w[0]=index; reply us_dev_info */

#define US_DEV_NAME_LEN 48u
#define US_DEV_COMPAT_LEN 48u

struct us_dev_info {
    char name[US_DEV_NAME_LEN];     /* node name, e.g. "pl011@9000000" */
    char compat[US_DEV_COMPAT_LEN]; /* first compatible string */
    uint64_t base;                  /* first reg window, 0 if none */
    uint64_t size;
    uint32_t irq;   /* first interrupt as a GIC INTID, US_INVALID_IRQ if none */
    uint32_t owner; /* US_DEV_OWNER_* */
};
_Static_assert(sizeof(struct us_dev_info) == 120, "us_dev_info is ABI");

#define US_DEV_OWNER_NONE 0u
#define US_DEV_OWNER_HYP 1u   /* used by the hypervisor itself */
#define US_DEV_OWNER_GUEST 2u /* assigned to a guest */
