/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_vsock.c: the virtio-vsock device driven like Linux's
 * vmw_vsock_virtio_transport would, through fake guest RAM, then with hostile packets
 * (fixture: vmm_vsock_fx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "ut.h"
#include "vmm_vsock_fx.h"

static void vsock_identifies_device_and_cid(void)
{
    setup();
    UT_EXPECT(rd(0x000) == 0x74726976u && rd(0x004) == 2 && rd(0x008) == 19);
    wr(0x014, 1);
    UT_EXPECT_EQ(rd(0x010), 1); /* VERSION_1 */
    wr(0x014, 0);
    UT_EXPECT_EQ(rd(0x010), 0); /* no SEQPACKET */
    UT_EXPECT_EQ(rd(0x100), GUEST_CID);
    UT_EXPECT_EQ(rd(0x104), 0);
    UT_EXPECT_EQ(rd_at(VMM_VIRTIO_VSOCK_IPA + 0x100, 1), GUEST_CID);
    wr(0x030, 2);
    UT_EXPECT_EQ(rd(0x034), VMM_VIRTQ_SIZE); /* the event queue */
    wr(0x030, 3);
    UT_EXPECT_EQ(rd(0x034), 0);
    /* Another VM's CID, kept across a device reset. */
    st.vms[0].vsock.guest_cid = 0x100000007ull;
    wr(0x070, 0);
    UT_EXPECT_EQ(rd(0x100), 7);
    UT_EXPECT_EQ(rd(0x104), 1);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_unlisted_port_gets_rst(void)
{
    struct pkt p;
    uint8_t h[HDR];

    setup();
    post_rx_quiet(2);
    UT_EXPECT(tx(OP_REQUEST, 5000, 4444, NULL));
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RST, 4444, 5000);
    UT_EXPECT_EQ(open_conns(), 0);
    /* To a CID that is not the host's: refused in that CID's name. */
    encode(h, GUEST_CID, 7, 5000, 1024, 0, 1, OP_REQUEST);
    UT_EXPECT(tx_raw(h, HDR, NULL, 0));
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.src_cid == 7 && p.src_port == 1024);
    UT_EXPECT_EQ(open_conns(), 0);
    /* A refusing service. */
    accept_connects = false;
    post_rx_quiet(1);
    UT_EXPECT(tx(OP_REQUEST, 5000, TEST_PORT, NULL));
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.src_port == TEST_PORT);
    UT_EXPECT(last_conn >= 0 && open_conns() == 0);
}

static void vsock_spoofed_cid_dropped(void)
{
    struct pkt p;
    uint8_t h[HDR];

    setup();
    post_rx_quiet(2);
    encode(h, 4, VMM_VSOCK_CID_HOST, 5000, 1024, 0, 1, OP_REQUEST); /* another guest's CID */
    tx_raw(h, HDR, NULL, 0);
    UT_EXPECT_EQ(used_idx(TX_USED), 1); /* taken, and dropped */
    UT_EXPECT(!next_rx(&p));
    UT_EXPECT_EQ(open_conns(), 0);
    UT_EXPECT_EQ(warnings, 1);
    UT_EXPECT_EQ(conns->drops, 1);
    /* Spoofing on an open connection does not touch it either. */
    connect_ok(5000, TEST_PORT);
    encode(h, 2, VMM_VSOCK_CID_HOST, 5000, TEST_PORT, 0, 1, OP_RST);
    tx_raw(h, HDR, NULL, 0);
    UT_EXPECT_EQ(open_conns(), 1);
    UT_EXPECT((rd(0x070) & 0x40) == 0);
}

static void vsock_respects_guest_credit(void)
{
    uint8_t data[300];
    uint8_t seen[300];
    uint32_t seen_len = 0;
    struct pkt p;

    setup();
    for (unsigned k = 0; k < sizeof(data); k++) {
        data[k] = (uint8_t)(k * 7u + 1u);
    }
    guest_buf_alloc = 100;
    connect_ok(5000, TEST_PORT);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, data, sizeof(data)), US_OK);
    post_rx(4);
    while (next_rx(&p)) {
        UT_EXPECT_EQ(p.op, OP_RW);
        memcpy(seen + seen_len, p.data, p.len);
        seen_len += p.len;
    }
    UT_EXPECT_EQ(seen_len, 100); /* the guest's whole buffer, no more */
    post_rx(4);
    UT_EXPECT(!next_rx(&p));
    /* The guest read 60 bytes: 60 more may come. */
    guest_fwd = 60;
    tx(OP_CREDIT_UPDATE, 5000, TEST_PORT, NULL);
    while (next_rx(&p)) {
        memcpy(seen + seen_len, p.data, p.len);
        seen_len += p.len;
    }
    UT_EXPECT_EQ(seen_len, 160);
    /* A nonsensical fwd_cnt (more read than sent) gives no credit at all. */
    guest_fwd = 1000;
    tx(OP_CREDIT_UPDATE, 5000, TEST_PORT, NULL);
    UT_EXPECT(!next_rx(&p));
    /* A bigger buffer: the rest. */
    guest_buf_alloc = 4096;
    guest_fwd = 160;
    tx(OP_CREDIT_UPDATE, 5000, TEST_PORT, NULL);
    while (next_rx(&p)) {
        UT_EXPECT(p.len <= 140);
        memcpy(seen + seen_len, p.data, p.len);
        seen_len += p.len;
    }
    UT_EXPECT_EQ(seen_len, sizeof(data));
    UT_EXPECT(memcmp(seen, data, sizeof(data)) == 0);
    UT_EXPECT_EQ(warnings, 0);
    /* Each receive buffer gets at most its size. */
    setup();
    rx_size = 50;
    connect_ok(5000, TEST_PORT);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, data, 80), US_OK);
    post_rx(2);
    UT_EXPECT(next_rx(&p) && p.len == 50 && memcmp(p.data, data, 50) == 0);
    UT_EXPECT(next_rx(&p) && p.len == 30 && memcmp(p.data, data + 50, 30) == 0);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_queued_until_rx_buffers(void)
{
    struct pkt p;
    uint8_t big[VMM_VSOCK_OUT + 1];

    setup();
    connect_ok(5000, 1024);
    UT_EXPECT(tx(OP_RW, 5000, 1024, "HELLO x\n")); /* the transmit buffer comes back... */
    UT_EXPECT_EQ(used_idx(TX_USED), 2);
    UT_EXPECT(!next_rx(&p)); /* ...but there is no receive buffer for the reply */
    UT_EXPECT(tx(OP_REQUEST, 5001, 4444, NULL)); /* an RST waits too */
    down_line("HEALTH\n");                       /* migrate's request waits too */
    UT_EXPECT(!next_rx(&p));
    UT_EXPECT(post_rx(1)); /* one at a time: nothing lost, nothing twice */
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5001);
    UT_EXPECT(!next_rx(&p));
    UT_EXPECT(post_rx(4));
    UT_EXPECT(next_rx(&p) && p.op == OP_RW);
    /* Both replies, possibly in one packet. */
    UT_EXPECT(p.len == 19 && memcmp(p.data, "WELCOME vm0\nHEALTH\n", 19) == 0);
    UT_EXPECT(!next_rx(&p));
    UT_EXPECT(!post_rx(1)); /* nothing waits: no interrupt */
    /* The queue is bounded: all or nothing. */
    memset(big, 'x', sizeof(big));
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, 0, big, sizeof(big)), US_ENOMEM);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, 0, big, VMM_VSOCK_OUT), US_OK);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, 0, big, 1), US_ENOMEM);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, 5, big, 1), US_ENOENT);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_shutdown_and_rst_free_slot(void)
{
    struct pkt p;

    setup();
    connect_ok(5000, TEST_PORT);
    UT_EXPECT_EQ(open_conns(), 1);
    post_rx_quiet(1);
    tx(OP_SHUTDOWN, 5000, TEST_PORT, NULL);
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RST, TEST_PORT, 5000);
    UT_EXPECT(open_conns() == 0 && closes == 1);
    /* Data for it now: refused. */
    post_rx_quiet(1);
    tx(OP_RW, 5000, TEST_PORT, "late");
    UT_EXPECT(next_rx(&p) && p.op == OP_RST);
    UT_EXPECT_EQ(got_len, 0);
    /* The guest resets: freed, and no answer. */
    connect_ok(5000, TEST_PORT);
    post_rx_quiet(1);
    tx(OP_RST, 5000, TEST_PORT, NULL);
    UT_EXPECT(open_conns() == 0 && closes == 2);
    UT_EXPECT(!next_rx(&p));
    tx(OP_RST, 5000, TEST_PORT, NULL); /* an RST for nothing: silence */
    UT_EXPECT(!next_rx(&p));
    connect_ok(5000, TEST_PORT); /* the same ports again */
    UT_EXPECT_EQ(open_conns(), 1);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_table_full_rst(void)
{
    struct pkt p;

    setup();
    for (uint32_t k = 0; k < VMM_VSOCK_CONNS; k++) {
        connect_ok(6000 + k, TEST_PORT);
    }
    UT_EXPECT_EQ(open_conns(), VMM_VSOCK_CONNS);
    post_rx_quiet(1);
    tx(OP_REQUEST, 7000, TEST_PORT, NULL);
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RST, TEST_PORT, 7000);
    UT_EXPECT_EQ(open_conns(), VMM_VSOCK_CONNS);
    UT_EXPECT_EQ(warnings, 1);
    tx(OP_RST, 6003, TEST_PORT, NULL);
    connect_ok(7000, TEST_PORT);
    UT_EXPECT_EQ(last_conn, 3);
}

static void vsock_malformed_packets(void)
{
    struct pkt p;
    uint8_t h[HDR];

    setup();
    connect_ok(5000, TEST_PORT);
    post_rx_quiet(4);
    /* Shorter than a header. */
    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, 5000, TEST_PORT, 0, 1, OP_RW);
    tx_raw(h, 20, NULL, 0);
    /* A payload length beyond the chain. */
    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, 5000, TEST_PORT, 100, 1, OP_RW);
    tx_raw(h, HDR, (const uint8_t *)"0123456789", 10);
    UT_EXPECT(!next_rx(&p));
    UT_EXPECT(got_len == 0 && open_conns() == 1 && warnings == 2);
    UT_EXPECT_EQ(used_idx(TX_USED), 3);
    /* Not a stream: refused, no connection made. */
    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, 5001, TEST_PORT, 0, 2, OP_REQUEST);
    tx_raw(h, HDR, NULL, 0);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5001);
    UT_EXPECT_EQ(open_conns(), 1);
    /* An unknown operation on the connection: it is reset. */
    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, 5000, TEST_PORT, 0, 1, 99);
    tx_raw(h, HDR, NULL, 0);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5000);
    UT_EXPECT(open_conns() == 0 && closes == 1);
    /* A RESPONSE from the guest: the vmm never asked. */
    connect_ok(5002, TEST_PORT);
    post_rx_quiet(1);
    tx(OP_RESPONSE, 5002, TEST_PORT, NULL);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5002);
    UT_EXPECT_EQ(open_conns(), 0);
    UT_EXPECT(warnings <= VMM_FAULT_LOG_LIMIT && warnings >= 4);
    /* The device still works. */
    connect_ok(5003, TEST_PORT);
    UT_EXPECT((rd(0x070) & 0x40) == 0);
    /* A receive buffer too small for a header comes back empty; the packet waits. */
    setup();
    connect_ok(5003, TEST_PORT);
    rx_size = 0;
    tx(OP_CREDIT_REQUEST, 5003, TEST_PORT, NULL);
    post_rx(1);
    UT_EXPECT(used_idx(RX_USED) == rx_seen + 1 &&
              le32(ram + RX_USED + 8 + 8 * (rx_seen % QN)) == 0);
    rx_seen++;
    rx_size = 64;
    post_rx(1);
    UT_EXPECT(next_rx(&p) && p.op == OP_CREDIT_UPDATE);
    /* A transmit chain the device would write to is not a packet: the device stops. */
    desc_at(TX_DESC, 0, TXBUF, HDR, 2, 0);
    make_avail(TX_AVAIL, &tx_avail, 0);
    UT_EXPECT(!wr(0x050, 1));
    UT_EXPECT(rd(0x070) & 0x40);
}

static void vsock_guest_past_credit_reset(void)
{
    static char data[VMM_VSOCK_BUF_ALLOC + 1];
    struct pkt p;

    setup();
    connect_ok(5000, TEST_PORT);
    memset(data, 'a', VMM_VSOCK_BUF_ALLOC); /* exactly the credit we gave */
    tx(OP_RW, 5000, TEST_PORT, data);
    UT_EXPECT(open_conns() == 1 && got_len == sizeof(got));
    tx(OP_RW, 5000, TEST_PORT, "b"); /* one byte too many */
    UT_EXPECT(open_conns() == 0 && closes == 1 && warnings == 1);
    post_rx(2);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5000);
    UT_EXPECT(!next_rx(&p));
    /* A packet larger than any a guest may send is dropped. */
    connect_ok(5001, TEST_PORT);
    memset(data, 'c', sizeof(data) - 1);
    got_len = 0;
    {
        uint8_t h[HDR];
        uint32_t big = 65537;

        encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, 5001, TEST_PORT, big, 1, OP_RW);
        tx_raw(h, HDR, (const uint8_t *)data, big);
    }
    UT_EXPECT(got_len == 0 && open_conns() == 1);
}

static void vsock_credit_request_answered(void)
{
    static char data[VMM_VSOCK_BUF_ALLOC / 2 + 1];
    struct pkt p;

    setup();
    connect_ok(5000, TEST_PORT);
    post_rx_quiet(2);
    tx(OP_RW, 5000, TEST_PORT, "abc");
    UT_EXPECT(!next_rx(&p)); /* little consumed: no update needed yet */
    tx(OP_CREDIT_REQUEST, 5000, TEST_PORT, NULL);
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_CREDIT_UPDATE, TEST_PORT, 5000);
    UT_EXPECT(p.buf_alloc == VMM_VSOCK_BUF_ALLOC && p.fwd_cnt == 3);
    /* Half the buffer consumed unannounced: an update comes unasked. */
    memset(data, 'd', sizeof(data) - 1);
    tx(OP_RW, 5000, TEST_PORT, data);
    UT_EXPECT(next_rx(&p));
    UT_EXPECT(p.op == OP_CREDIT_UPDATE && p.fwd_cnt == 3 + VMM_VSOCK_BUF_ALLOC / 2);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_reset_drops_connections(void)
{
    struct pkt p;

    setup();
    connect_ok(5000, TEST_PORT);
    connect_ok(5001, 1024);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, (const uint8_t *)"x", 1), US_OK);
    wr(0x070, 0); /* the driver resets the device */
    UT_EXPECT(open_conns() == 0 && closes == 1);
    bring_up();
    post_rx(2);
    UT_EXPECT(!next_rx(&p)); /* nothing from before the reset */
    connect_ok(5000, TEST_PORT);
    vmm_vsock_reset(&st, 0); /* the VM resets */
    UT_EXPECT(open_conns() == 0 && closes == 2);
}

/* While the driver says VRING_AVAIL_F_NO_INTERRUPT on its receive ring (Linux polling), the
 * packets still arrive but raise no interrupt, on a notify and on the vmm's own flush. */
static void vsock_driver_suppresses_rx_interrupts(void)
{
    uint16_t *rx_flags;
    struct pkt p;

    setup();
    connect_ok(5000, TEST_PORT);
    rx_flags = (uint16_t *)(void *)(ram + RX_AVAIL);
    *rx_flags = VRING_AVAIL_F_NO_INTERRUPT;
    UT_EXPECT(tx(OP_REQUEST, 5001, 4444, NULL)); /* an RST waits for a buffer */
    UT_EXPECT(!post_rx(1));
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5001);

    post_rx_quiet(1);
    injects = 0;
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, (const uint8_t *)"hi", 2), US_OK);
    vmm_vsock_flush(&st, 0);
    UT_EXPECT_EQ(injects, 0);
    UT_EXPECT(next_rx(&p) && p.op == OP_RW && p.len == 2 && memcmp(p.data, "hi", 2) == 0);

    /* Polling over: the next packet interrupts again, both ways. */
    *rx_flags = 0;
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, (const uint8_t *)"yo", 2), US_OK);
    UT_EXPECT(post_rx(1));
    UT_EXPECT(next_rx(&p) && p.op == OP_RW && memcmp(p.data, "yo", 2) == 0);
    post_rx_quiet(1);
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, (uint32_t)last_conn, (const uint8_t *)"ok", 2), US_OK);
    vmm_vsock_flush(&st, 0);
    UT_EXPECT_EQ(injects, 1);
    UT_EXPECT(next_rx(&p) && memcmp(p.data, "ok", 2) == 0);
    UT_EXPECT_EQ(warnings, 0);
}

static void vsock_hidden_or_absent(void)
{
    uint64_t v;
    uint32_t irq;
    struct pkt p;

    setup();
    /* The event queue is the guest's to fill; the vmm takes nothing from it. */
    desc_at(EV_DESC, 0, RXBUF, 8, 2, 0);
    memcpy(ram + EV_AVAIL + 2, &(uint16_t){1}, 2);
    UT_EXPECT(!wr(0x050, 2));
    UT_EXPECT_EQ(used_idx(EV_USED), 0);
    UT_EXPECT(!next_rx(&p));
    /* Hidden from this boot, or never configured: not there. */
    st.vms[0].visible = VMM_DEV_UART;
    UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_VSOCK_IPA, 4, false, 0, &v, &irq));
    st.vms[0].visible = VMM_DEV_VIRTIO_VSOCK;
    st.vms[0].vsock_conns = NULL;
    UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_VSOCK_IPA, 4, false, 0, &v, &irq));
    UT_EXPECT_EQ(vmm_vsock_send(&st, 0, 0, (const uint8_t *)"x", 1), US_ENOENT);
    UT_EXPECT(!vmm_vsock_notify(&st, 0, 1));
    vmm_vsock_reset(&st, 0);
    /* The agent's port is taken once. */
    UT_EXPECT_EQ(vmm_vsock_listen(1024, &test_ops), US_EEXIST);
}

UT_MAIN({"vsock_identifies_device_and_cid", vsock_identifies_device_and_cid},
        {"vsock_unlisted_port_gets_rst", vsock_unlisted_port_gets_rst},
        {"vsock_spoofed_cid_dropped", vsock_spoofed_cid_dropped},
        {"vsock_respects_guest_credit", vsock_respects_guest_credit},
        {"vsock_queued_until_rx_buffers", vsock_queued_until_rx_buffers},
        {"vsock_shutdown_and_rst_free_slot", vsock_shutdown_and_rst_free_slot},
        {"vsock_table_full_rst", vsock_table_full_rst},
        {"vsock_malformed_packets", vsock_malformed_packets},
        {"vsock_guest_past_credit_reset", vsock_guest_past_credit_reset},
        {"vsock_credit_request_answered", vsock_credit_request_answered},
        {"vsock_reset_drops_connections", vsock_reset_drops_connections},
        {"vsock_driver_suppresses_rx_interrupts", vsock_driver_suppresses_rx_interrupts},
        {"vsock_hidden_or_absent", vsock_hidden_or_absent})
