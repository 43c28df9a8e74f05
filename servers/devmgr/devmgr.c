/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr handlers: build the inventory from the platform DTB, answer listing requests. */
#include <libfdt.h>
#include <understudy/slots.h>
#include <uslib/string.h>
#include "devmgr.h"
#include "devmgr_inventory.h"
#include "devmgr_pci.h"

static uint32_t ecam_read(void *ecam, uint32_t bdf, uint32_t reg)
{
    return *(volatile uint32_t *)((uintptr_t)ecam + ((uintptr_t)bdf << 12) + reg);
}

static void ecam_write(void *ecam, uint32_t bdf, uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)((uintptr_t)ecam + ((uintptr_t)bdf << 12) + reg) = value;
}

/* The ECAM window the manifest grants, if it is the one the device tree's host bridge (record
 * @host) decodes. Returns the buses it covers, or 0. */
static uint32_t map_ecam(const struct us_dev_info *host)
{
    uint64_t size = 0, pa = 0;

    if (us_mem_info(US_SLOT_DEVMGR_ECAM, &size, &pa) != US_OK) {
        US_LOG_INFO("PCIe: no ECAM window granted; its functions are not listed");
        return 0;
    }
    if (pa != host->base || size > host->size) {
        US_LOG_ERR("PCIe: the granted ECAM window 0x%llx+0x%llx is not the host bridge's "
                   "0x%llx+0x%llx: not used",
                   (unsigned long long)pa, (unsigned long long)size, (unsigned long long)host->base,
                   (unsigned long long)host->size);
        return 0;
    }
    if (us_mem_map(US_SLOT_DEVMGR_ECAM, DEVMGR_ECAM_VA, US_RIGHT_READ | US_RIGHT_WRITE) != US_OK) {
        return 0;
    }
    return (uint32_t)(size >> 20); /* 1 MiB of configuration space per bus */
}

/* The host's PCIe: every function behind the device tree's ECAM host bridge gets its bus
 * number and BARs, and a record in the inventory. */
static void scan_pci(struct devmgr_state *s, const void *dtb)
{
    struct devmgr_pci_fn fns[DEVMGR_PCI_MAX_FNS];
    struct devmgr_pci_window win;
    const struct us_dev_info *host = NULL;
    struct devmgr_pci_cfg cfg = {ecam_read, ecam_write, (void *)(uintptr_t)DEVMGR_ECAM_VA, 0};
    int node = fdt_node_offset_by_compatible(dtb, -1, "pci-host-ecam-generic"), len = 0;
    const uint8_t *ranges = node >= 0 ? fdt_getprop(dtb, node, "ranges", &len) : NULL;
    uint32_t n = 0;
    us_err_t e;

    for (uint32_t i = 0; i < s->dev_count && host == NULL; i++) {
        host = strcmp(s->devs[i].compat, "pci-host-ecam-generic") == 0 ? &s->devs[i] : NULL;
    }
    if (host == NULL || !devmgr_pci_ranges(ranges, len > 0 ? (uint32_t)len : 0u, &win)) {
        US_LOG_INFO("PCIe: no ECAM host bridge with a 32-bit memory window in the device tree");
        return;
    }
    cfg.buses = map_ecam(host);
    if (cfg.buses == 0) {
        return;
    }
    e = devmgr_pci_scan(&cfg, &win, fns, DEVMGR_PCI_MAX_FNS, &n);
    for (uint32_t i = 0; i < n && s->dev_count < DEVMGR_MAX_DEVS; i++) {
        devmgr_pci_record(&fns[i], &s->devs[s->dev_count++]);
    }
    US_LOG_INFO("PCIe: %u function(s) behind the host bridge at 0x%llx, BARs in "
                "0x%llx-0x%llx%s",
                n, (unsigned long long)host->base, (unsigned long long)win.base,
                (unsigned long long)win.next,
                e == US_OK ? "" : " (not all fitted: some functions are unconfigured)");
}

us_err_t devmgr_init(struct devmgr_state **st, bool recovered)
{
    struct devmgr_state *s = (struct devmgr_state *)(uintptr_t)US_VA_STATE;
    uint64_t size = 0;
    us_err_t e;

    *st = s;
    s->magic = DEVMGR_MAGIC;
    s->version = DEVMGR_VERSION;
    e = us_mem_info(US_SLOT_DEVMGR_DTB, &size, NULL);
    if (e == US_OK) {
        e = us_mem_map(US_SLOT_DEVMGR_DTB, DEVMGR_DTB_VA, US_RIGHT_READ);
    }
    if (e == US_OK && recovered) {
        /* The inventory and every guest's view are as the last instance left them. */
        US_LOG_INFO("up: %u devices, the guests' views recovered", s->dev_count);
        return US_OK;
    }
    if (e == US_OK) {
        e = devmgr_inventory_scan((const void *)(uintptr_t)DEVMGR_DTB_VA, (size_t)size, s->devs,
                                  DEVMGR_MAX_DEVS, &s->dev_count);
    }
    if (e != US_OK) {
        US_LOG_ERR("platform device tree unusable: %s; inventory empty", us_err_name(e));
        s->dev_count = 0;
        return e;
    }
    US_LOG_INFO("up: %u devices in the platform device tree", s->dev_count);
    scan_pci(s, (const void *)(uintptr_t)DEVMGR_DTB_VA);
    return US_OK;
}

void devmgr_dispatch(struct devmgr_state *st, us_badge_t badge, struct us_msg *m)
{
    uint64_t idx;

    (void)badge;
    st->requests++;
    if (devmgr_view_request(&st->view, m)) {
        return;
    }
    switch (m->hdr.label) {
    case US_LABEL_PING:
        us_msg_init(m, US_LABEL_PING, 8);
        memcpy(m->w, "devmgr", 7);
        return;
    case US_DEVMGR_DEV_COUNT:
        us_msg_init(m, US_DEVMGR_DEV_COUNT, 8);
        m->w[0] = st->dev_count;
        return;
    case US_DEVMGR_DEV_INFO:
        if (us_msg_check(m, 8, 8) != US_OK) {
            us_msg_reply_err(m, US_ETRUNC);
            return;
        }
        idx = m->w[0];
        if (idx >= st->dev_count) {
            us_msg_reply_err(m, US_ENOENT);
            return;
        }
        us_msg_init(m, US_DEVMGR_DEV_INFO, sizeof(struct us_dev_info));
        memcpy(m->w, &st->devs[idx], sizeof(struct us_dev_info));
        return;
    case US_LABEL_NOTIFY:
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}
