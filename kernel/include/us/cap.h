/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Per-process capability tables: numbered handles to kernel objects with rights and a badge. */
#pragma once

#include <understudy/abi.h>
#include <understudy/errors.h>
#include <us/types.h>

struct cap {
    uint32_t kind;   /* US_CAPK_*; US_CAPK_NONE marks an empty slot */
    uint32_t rights; /* US_RIGHT_* */
    void *obj;
    us_badge_t badge;
};

struct cap_table {
    struct cap slot[US_CAP_SLOTS];
};

/** cap_table_init() - empty every slot. */
void cap_table_init(struct cap_table *t);

/** cap_install() - put a capability in slot @h.
 * Returns: US_OK; US_ERANGE if @h is not a slot; US_EEXIST if the slot is taken; US_EINVAL
 * for an unknown kind, a NULL object or rights outside US_RIGHT_ALL. */
us_err_t cap_install(struct cap_table *t, us_cap_t h, uint32_t kind, uint32_t rights, void *obj,
                     us_badge_t badge);

/** cap_lookup() - find the capability behind handle @h and check it.
 * @kind: required kind; @rights: rights that must all be present.
 * Returns: US_OK with *out set; US_ERANGE for a handle outside the table; US_ECAP for an empty
 * slot, another kind or missing rights. */
us_err_t cap_lookup(struct cap_table *t, us_cap_t h, uint32_t kind, uint32_t rights,
                    struct cap **out);

/** cap_alloc_slot() - lowest free slot at or above @first.
 * Returns: US_OK; US_ENOMEM if the table is full. */
us_err_t cap_alloc_slot(const struct cap_table *t, us_cap_t first, us_cap_t *out);

/** cap_revoke() - empty every slot of @t that holds a @kind capability to @obj.
 * Returns: how many slots were emptied. */
uint32_t cap_revoke(struct cap_table *t, uint32_t kind, const void *obj);
