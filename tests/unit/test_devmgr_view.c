/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/devmgr/devmgr_view.c: what each guest may see, and malformed asks. */
#include <stdarg.h>
#include <string.h>
#include <understudy/usys.h>
#include "devmgr_view.h"
#include "ut.h"

static struct devmgr_view v;
static struct us_msg m;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

static us_err_t ask(uint32_t label, uint16_t len, uint64_t w0, uint64_t w1, uint64_t w2)
{
    memset(&m, 0, sizeof(m));
    us_msg_init(&m, label, len);
    m.w[0] = w0;
    m.w[1] = w1;
    m.w[2] = w2;
    UT_EXPECT(devmgr_view_request(&v, &m));
    return (us_err_t)m.hdr.err;
}

static void view_follows_hide_and_show(void)
{
    const uint32_t all = US_GUEST_DEV_UART | US_GUEST_DEV_VIRTIO_BLK | US_GUEST_DEV_VIRTIO_NET;

    memset(&v, 0, sizeof(v));
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 1, all, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], all); /* nothing hidden: what the configuration gives */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 1, US_GUEST_DEV_VIRTIO_BLK, 1), US_OK);
    UT_EXPECT_EQ(m.w[0], US_GUEST_DEV_VIRTIO_BLK);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 1, all, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], all & ~US_GUEST_DEV_VIRTIO_BLK);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 0, all, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], all); /* another VM's view is its own */
    /* Hiding what a VM was never given changes nothing it sees; showing gives back. */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 1, US_GUEST_DEV_VIRTIO_CONSOLE, 1), US_OK);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 1, all, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], all & ~US_GUEST_DEV_VIRTIO_BLK);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 1, US_GUEST_DEV_VIRTIO_BLK, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], US_GUEST_DEV_VIRTIO_CONSOLE);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 1, all, 0), US_OK);
    UT_EXPECT_EQ(m.w[0], all);
}

static void malformed_asks_change_nothing(void)
{
    memset(&v, 0, sizeof(v));
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 2, US_GUEST_DEV_UART, 1), US_OK);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, US_GUEST_SLOTS, 1, 0), US_ENOENT);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 16, 0, US_GUEST_DEV_ALL + 1u, 0), US_EINVAL);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_VIEW, 8, 0, 1, 0), US_ETRUNC);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, US_GUEST_SLOTS, 1, 1), US_ENOENT);
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 0, 0, 1), US_EINVAL);    /* no device */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 0, 0x60, 1), US_EINVAL); /* unknown */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 24, 0, 1, 2), US_EINVAL);    /* not 0/1 */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 16, 0, 1, 1), US_ETRUNC);    /* short */
    UT_EXPECT_EQ(ask(US_DEVMGR_GUEST_HIDE, 200, 0, 1, 1), US_ETRUNC);   /* long */
    for (uint32_t s = 0; s < US_GUEST_SLOTS; s++) {
        UT_EXPECT_EQ(v.hidden[s], s == 2 ? US_GUEST_DEV_UART : 0u);
    }
    /* Other labels are not the view's. */
    memset(&m, 0, sizeof(m));
    us_msg_init(&m, US_DEVMGR_DEV_COUNT, 0);
    UT_EXPECT(!devmgr_view_request(&v, &m));
}

UT_MAIN({"view_follows_hide_and_show", view_follows_hide_and_show},
        {"malformed_asks_change_nothing", malformed_asks_change_nothing})
