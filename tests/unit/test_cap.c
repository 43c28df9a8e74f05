/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of per-process capability tables. */
#include <us/cap.h>
#include "ut.h"

static struct cap_table t;
static int obj_a, obj_b;

static void setup(void)
{
    cap_table_init(&t);
}

static void install_then_lookup(void)
{
    struct cap *c;
    setup();
    UT_EXPECT_EQ(cap_install(&t, 3, US_CAPK_ENDPOINT, US_RIGHT_SEND, &obj_a, 7), US_OK);
    UT_EXPECT_EQ(cap_lookup(&t, 3, US_CAPK_ENDPOINT, US_RIGHT_SEND, &c), US_OK);
    UT_EXPECT(c->obj == &obj_a);
    UT_EXPECT_EQ(c->badge, 7);
}

static void lookup_rejects_handle_out_of_range(void)
{
    struct cap *c;
    setup();
    UT_EXPECT_EQ(cap_lookup(&t, US_CAP_SLOTS, US_CAPK_ENDPOINT, 0, &c), US_ERANGE);
    UT_EXPECT_EQ(cap_lookup(&t, US_INVALID_CAP, US_CAPK_ENDPOINT, 0, &c), US_ERANGE);
}

static void lookup_rejects_empty_slot(void)
{
    struct cap *c;
    setup();
    UT_EXPECT_EQ(cap_lookup(&t, 0, US_CAPK_ENDPOINT, 0, &c), US_ECAP);
}

static void lookup_rejects_wrong_kind(void)
{
    struct cap *c;
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_MEMORY, US_RIGHT_READ, &obj_a, 0), US_OK);
    UT_EXPECT_EQ(cap_lookup(&t, 1, US_CAPK_ENDPOINT, 0, &c), US_ECAP);
}

static void lookup_rejects_missing_rights(void)
{
    struct cap *c;
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_SEND, &obj_a, 0), US_OK);
    UT_EXPECT_EQ(cap_lookup(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_RECV, &c), US_ECAP);
    UT_EXPECT_EQ(cap_lookup(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_SEND | US_RIGHT_RECV, &c), US_ECAP);
}

static void install_rejects_taken_slot(void)
{
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_SEND, &obj_a, 0), US_OK);
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_SEND, &obj_b, 0), US_EEXIST);
}

static void install_rejects_bad_kind(void)
{
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_NONE, 0, &obj_a, 0), US_EINVAL);
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_COUNT, 0, &obj_a, 0), US_EINVAL);
    UT_EXPECT_EQ(cap_install(&t, US_CAP_SLOTS, US_CAPK_ENDPOINT, 0, &obj_a, 0), US_ERANGE);
}

static void install_rejects_null_object(void)
{
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_ENDPOINT, 0, NULL, 0), US_EINVAL);
}

static void install_rejects_unknown_rights(void)
{
    setup();
    UT_EXPECT_EQ(cap_install(&t, 1, US_CAPK_ENDPOINT, US_RIGHT_ALL + 1u, &obj_a, 0), US_EINVAL);
}

static void alloc_slot_finds_lowest_free(void)
{
    us_cap_t h;
    setup();
    UT_EXPECT_EQ(cap_install(&t, 16, US_CAPK_IRQ, 0, &obj_a, 0), US_OK);
    UT_EXPECT_EQ(cap_alloc_slot(&t, 16, &h), US_OK);
    UT_EXPECT_EQ(h, 17);
}

static void alloc_slot_reports_full(void)
{
    us_cap_t h, i;
    setup();
    for (i = 0; i < US_CAP_SLOTS; i++) {
        UT_EXPECT_EQ(cap_install(&t, i, US_CAPK_IRQ, 0, &obj_a, 0), US_OK);
    }
    UT_EXPECT_EQ(cap_alloc_slot(&t, 0, &h), US_ENOMEM);
}

UT_MAIN({"install_then_lookup", install_then_lookup},
        {"lookup_rejects_handle_out_of_range", lookup_rejects_handle_out_of_range},
        {"lookup_rejects_empty_slot", lookup_rejects_empty_slot},
        {"lookup_rejects_wrong_kind", lookup_rejects_wrong_kind},
        {"lookup_rejects_missing_rights", lookup_rejects_missing_rights},
        {"install_rejects_taken_slot", install_rejects_taken_slot},
        {"install_rejects_bad_kind", install_rejects_bad_kind},
        {"install_rejects_null_object", install_rejects_null_object},
        {"install_rejects_unknown_rights", install_rejects_unknown_rights},
        {"alloc_slot_finds_lowest_free", alloc_slot_finds_lowest_free},
        {"alloc_slot_reports_full", alloc_slot_reports_full})
