/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Capability tables: checks every handle a process passes before the kernel touches an object. */
#include <us/cap.h>
#include <us/log.h>

void cap_table_init(struct cap_table *t)
{
    uint32_t i;
    for (i = 0; i < US_CAP_SLOTS; i++) {
        t->slot[i] = (struct cap){US_CAPK_NONE, 0, NULL, 0};
    }
}

us_err_t cap_install(struct cap_table *t, us_cap_t h, uint32_t kind, uint32_t rights, void *obj,
                     us_badge_t badge)
{
    if (h >= US_CAP_SLOTS) {
        return US_TRACE(US_ERANGE);
    }
    if (kind == US_CAPK_NONE || kind >= US_CAPK_COUNT || obj == NULL ||
        (rights & ~US_RIGHT_ALL) != 0) {
        return US_TRACE(US_EINVAL);
    }
    if (t->slot[h].kind != US_CAPK_NONE) {
        return US_TRACE(US_EEXIST);
    }
    t->slot[h] = (struct cap){kind, rights, obj, badge};
    return US_OK;
}

us_err_t cap_lookup(struct cap_table *t, us_cap_t h, uint32_t kind, uint32_t rights,
                    struct cap **out)
{
    struct cap *c;

    if (h >= US_CAP_SLOTS) {
        return US_TRACE(US_ERANGE);
    }
    c = &t->slot[h];
    if (c->kind == US_CAPK_NONE || c->kind != kind || (c->rights & rights) != rights) {
        return US_TRACE(US_ECAP);
    }
    *out = c;
    return US_OK;
}

us_err_t cap_alloc_slot(const struct cap_table *t, us_cap_t first, us_cap_t *out)
{
    us_cap_t h;
    for (h = first; h < US_CAP_SLOTS; h++) {
        if (t->slot[h].kind == US_CAPK_NONE) {
            *out = h;
            return US_OK;
        }
    }
    return US_ENOMEM;
}

uint32_t cap_revoke(struct cap_table *t, uint32_t kind, const void *obj)
{
    uint32_t n = 0;

    for (us_cap_t h = 0; h < US_CAP_SLOTS; h++) {
        if (t->slot[h].kind == kind && t->slot[h].obj == obj) {
            t->slot[h] = (struct cap){US_CAPK_NONE, 0, NULL, 0};
            n++;
        }
    }
    return n;
}
