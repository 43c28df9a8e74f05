/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What each guest may see: devmgr's per-VM view of the virtual devices (pure logic, so the
 * host's unit tests run it). */
#pragma once

#include <stdbool.h>
#include <understudy/devmgr.h>
#include <understudy/msg.h>

/* Devices hidden from each VM slot's next boot on. */
struct devmgr_view {
    uint32_t hidden[US_GUEST_SLOTS];
};

/**
 * devmgr_view_request() - answer US_DEVMGR_GUEST_VIEW or US_DEVMGR_GUEST_HIDE in @m (the
 * reply replaces it) against @v.
 * Returns: false if @m has neither label (it is left alone).
 */
bool devmgr_view_request(struct devmgr_view *v, struct us_msg *m);
