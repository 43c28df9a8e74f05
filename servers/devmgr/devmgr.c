/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr handlers: build the inventory from the platform DTB, answer listing requests. */
#include <libfdt.h>
#include <understudy/slots.h>
#include <uslib/string.h>
#include "devmgr.h"
#include "devmgr_inventory.h"

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
        devmgr_pcie_attach(s, false);
        (void)devmgr_smmu_attach(&s->smmu, false); /* it logs what went wrong */
        /* The last instance may have died holding an interrupt it had not acknowledged, or
         * with a function masked for the vmm before telling it: look at everything once. */
        if (s->pci_buses != 0) {
            devmgr_pcie_interrupt(s, (1ull << DEVMGR_PCIE_IRQS) - 1u);
        }
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
    devmgr_pcie_attach(s, true);
    (void)devmgr_smmu_attach(&s->smmu, true); /* it logs what went wrong */
    return US_OK;
}

void devmgr_dispatch(struct devmgr_state *st, us_badge_t badge, struct us_msg *m)
{
    uint64_t idx;

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
    case US_DEVMGR_REMOVE:
        devmgr_pcie_remove(st, m);
        return;
    case US_DEVMGR_PT_ASSIGN:
        devmgr_pt_assign(st, m);
        return;
    case US_DEVMGR_PT_CONFIG:
        devmgr_pt_config(st, m);
        return;
    case US_DEVMGR_PT_PENDING:
        devmgr_pt_pending(st, m);
        return;
    case US_DEVMGR_PT_UNMASK:
        devmgr_pt_unmask(st, m);
        return;
    case US_DEVMGR_PT_RELEASE:
        devmgr_pt_release(st, m);
        return;
    case US_DEVMGR_PT_HOLDER:
        devmgr_pt_holder(st, m);
        return;
    case US_LABEL_NOTIFY:
        if (badge & ((1ull << DEVMGR_PCIE_IRQS) - 1u)) {
            devmgr_pcie_interrupt(st, badge);
        }
        if (badge & (1ull << DEVMGR_SMMU_NTFN_BIT)) {
            devmgr_smmu_interrupt(&st->smmu);
        }
        us_msg_init(m, US_LABEL_NOTIFY, 0);
        return;
    default:
        us_msg_reply_err(m, US_ENOTSUP);
        return;
    }
}
