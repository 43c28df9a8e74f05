/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* devmgr's per-VM view of the virtual devices.
 *
 * A device hidden from a VM is left out of the device tree the vmm builds at its next boot and
 * refused if the guest pokes its address anyway; the guest that runs now keeps what it booted
 * with, so nothing is pulled from under a running driver. Showing it again works the same way.
 * This is where the maintenance flows hide hardware from one guest instance and give it to the
 * next. */
#include <understudy/usys.h>
#include "devmgr_view.h"

static void view(struct devmgr_view *v, struct us_msg *m)
{
    uint64_t slot = m->w[0], configured = m->w[1];

    if (slot >= US_GUEST_SLOTS || (configured & ~(uint64_t)US_GUEST_DEV_ALL)) {
        us_msg_reply_err(m, slot >= US_GUEST_SLOTS ? US_ENOENT : US_EINVAL);
        return;
    }
    us_msg_init(m, US_DEVMGR_GUEST_VIEW, 8);
    m->w[0] = configured & ~(uint64_t)v->hidden[slot];
}

static void hide(struct devmgr_view *v, struct us_msg *m)
{
    uint64_t slot = m->w[0], mask = m->w[1], on = m->w[2];

    if (slot >= US_GUEST_SLOTS) {
        us_msg_reply_err(m, US_ENOENT);
        return;
    }
    if (mask == 0 || (mask & ~(uint64_t)US_GUEST_DEV_ALL) || on > 1) {
        us_msg_reply_err(m, US_EINVAL);
        return;
    }
    if (on) {
        v->hidden[slot] |= (uint32_t)mask;
    } else {
        v->hidden[slot] &= ~(uint32_t)mask;
    }
    US_LOG_INFO("vm %u: devices 0x%x %s from its next boot; hidden now 0x%x", (unsigned)slot,
                (unsigned)mask, on ? "hidden" : "shown", v->hidden[slot]);
    us_msg_init(m, US_DEVMGR_GUEST_HIDE, 8);
    m->w[0] = v->hidden[slot];
}

bool devmgr_view_request(struct devmgr_view *v, struct us_msg *m)
{
    uint32_t need;

    if (m->hdr.label == US_DEVMGR_GUEST_VIEW) {
        need = 16;
    } else if (m->hdr.label == US_DEVMGR_GUEST_HIDE) {
        need = 24;
    } else {
        return false;
    }
    if (us_msg_check(m, need, need) != US_OK) {
        us_msg_reply_err(m, US_ETRUNC);
        return true;
    }
    if (m->hdr.label == US_DEVMGR_GUEST_VIEW) {
        view(v, m);
    } else {
        hide(v, m);
    }
    return true;
}
