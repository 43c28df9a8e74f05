/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The switch's service addresses (vmm_switch.c, vmm_net.c): frames held and released,
 * US_VMM_NET_SERVICE and its errors, hostile headers, a retired VM's connections forgotten
 * (vmm_switch_fx.h has the setting). */
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_switch_fx.h"

static void switch_hold_release_in_order(void)
{
    uint64_t held, conns, dropped;
    uint8_t f[60];

    setup();
    net_up(A, 6);
    net_up(B, 4);
    net_up(C, 1);
    connect(40000, A); /* A's buffers 0 and 1 */
    connect(40009, A);
    UT_EXPECT(svc(US_NET_SVC_HOLD, B, 0) == US_OK); /* by either twin: it is the address's */
    from_client(40001, F_SYN, 1);
    from_client(40000, F_ACK, 2); /* A's established connection: not held, it finishes */
    from_client(40002, F_SYN, 3);
    from_client(40009, F_RST, 6); /* delivered at once, and ends the connection */
    from_client(40003, F_SYN, 4);
    UT_EXPECT(rx_mark(A, 2) == 2 && rx_mark(A, 3) == 6 && rx_mark(B, 0) == -1);
    UT_EXPECT(tracked(40009) == 0 && tracked(40000) == A + 1u);
    vmm_net_switch(&st, UPLINK, f, tcp(f, c_mac, gw_mac, far_ip, 1, c_ip, 2, F_SYN, 9));
    UT_EXPECT(rx_mark(C, 0) == 9); /* another address is not held */
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 3 && conns == 1 && dropped == 0);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    UT_EXPECT(svc(US_NET_SVC_RELEASE, A, 0) == US_OK);
    /* Routed at release: the new connections to B, in order; nothing more to A. */
    UT_EXPECT(rx_mark(B, 0) == 1 && rx_mark(B, 1) == 3 && rx_mark(B, 2) == 4);
    UT_EXPECT(rx_mark(B, 3) == -1 && rx_mark(A, 4) == -1);
    UT_EXPECT(tracked(40000) == A + 1u);
    status(B, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && dropped == 0);
    from_client(40004, F_SYN, 5); /* no longer held */
    UT_EXPECT(rx_mark(B, 3) == 5);
    /* Released while not held: nothing happens. */
    UT_EXPECT(svc(US_NET_SVC_RELEASE, A, 0) == US_OK && got(B) == 4);
    /* Held again: a connection tracked to the standby twin is not held, the rest is. */
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK);
    from_client(40000, F_ACK, 7);
    from_client(40010, F_SYN, 8);
    UT_EXPECT(rx_mark(A, 4) == 7 && got(B) == 4);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 1);
}

/* HOLD_ALL (a process moving with its connections): established connections wait too, and
 * after the cut-over and FORGET their frames reach the new owner. */
static void switch_hold_all_holds_established(void)
{
    uint64_t held, conns, dropped;

    setup();
    net_up(A, 4);
    net_up(B, 4);
    connect(40000, A); /* A's buffers 0 and 1 */
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, US_NET_SVC_HOLD_ALL) == US_OK);
    from_client(40000, F_ACK, 1);
    from_client(40001, F_SYN, 2);
    UT_EXPECT(rx_mark(A, 2) == -1 && rx_mark(B, 0) == -1);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 2 && conns == 1);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    UT_EXPECT(svc(US_NET_SVC_FORGET, A, 0) == US_OK);
    UT_EXPECT(svc(US_NET_SVC_RELEASE, A, 0) == US_OK);
    UT_EXPECT(rx_mark(B, 0) == 1 && rx_mark(B, 1) == 2 && rx_mark(A, 2) == -1);
}

static void switch_hold_queue_full(void)
{
    uint64_t held, conns, dropped;
    uint8_t f[60];

    setup();
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK);
    UT_EXPECT(svc(US_NET_SVC_HOLD, C, 0) == US_OK);
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK); /* again: no change */
    for (uint32_t i = 0; i < VMM_SWITCH_HOLD_FRAMES; i++) {
        if (i % 4 == 0) {
            vmm_net_switch(&st, UPLINK, f, tcp(f, c_mac, gw_mac, far_ip, 1, c_ip, 2, F_ACK, 0));
        } else {
            from_client(40000 + i, F_SYN, (uint8_t)i);
        }
    }
    from_client(39999, F_SYN, 0);
    from_client(39998, F_SYN, 0);
    UT_EXPECT(got(A) == 0 && got(C) == 0);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == VMM_SWITCH_HOLD_FRAMES * 3 / 4 && dropped == 2);
    status(C, &held, &conns, &dropped);
    UT_EXPECT(held == VMM_SWITCH_HOLD_FRAMES / 4 && dropped == 0);
    UT_EXPECT(svc(US_NET_SVC_RELEASE, A, 0) == US_OK);
    UT_EXPECT(got(A) == VMM_SWITCH_HOLD_FRAMES * 3 / 4 && got(C) == 0);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && dropped == 2); /* the count stays */
    /* The freed buffers take new frames; C's are still held. */
    from_client(40000, F_SYN, 0);
    UT_EXPECT(got(A) == VMM_SWITCH_HOLD_FRAMES * 3 / 4 + 1);
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK);
    for (uint32_t i = 0; i < VMM_SWITCH_HOLD_FRAMES; i++) {
        from_client(40000 + i, F_SYN, 0);
    }
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == VMM_SWITCH_HOLD_FRAMES * 3 / 4 && dropped == 2 + VMM_SWITCH_HOLD_FRAMES / 4);
    UT_EXPECT(svc(US_NET_SVC_RELEASE, C, 0) == US_OK);
    UT_EXPECT(got(C) == VMM_SWITCH_HOLD_FRAMES / 4);
}

static void switch_forget(void)
{
    uint64_t held, conns, dropped;

    setup();
    connect(40000, A);
    connect(40001, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    connect(40002, B);
    UT_EXPECT(svc(US_NET_SVC_FORGET, A, 0) == US_OK);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(conns == 0);
    status(B, &held, &conns, &dropped);
    UT_EXPECT(conns == 1);
    from_client(40000, F_ACK, 0); /* A's connections follow the active twin now */
    UT_EXPECT(got(A) == 2 && got(B) == 2);
    to_client(A, 40001, F_ACK);
    UT_EXPECT(st.vms[A].net_stats.tx_drops == 1);
}

static void switch_status(void)
{
    struct us_msg m;
    uint64_t held, conns, dropped;

    setup();
    connect(40000, A);
    connect(40001, A);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && conns == 2 && dropped == 0);
    status(C, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && conns == 0 && dropped == 0);
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK);
    from_client(40002, F_SYN, 0);       /* a new connection: held */
    status(B, &held, &conns, &dropped); /* the address's frames; B's connections */
    UT_EXPECT(held == 1 && conns == 0 && dropped == 0);
    /* A STATUS of 24 bytes is fine too (w[2] ignored). */
    UT_EXPECT(service(24, US_NET_SVC_STATUS, A, 77, &m) == US_OK && m.w[0] == 1 && m.w[1] == 2);
}

static void switch_service_errors(void)
{
    struct us_msg m;
    uint64_t held, conns, dropped;

    setup();
    UT_EXPECT(service(0, US_NET_SVC_HOLD, A, 0, &m) == US_ETRUNC);
    UT_EXPECT(service(8, US_NET_SVC_HOLD, A, 0, &m) == US_ETRUNC);
    UT_EXPECT(service(12, US_NET_SVC_HOLD, A, 0, &m) == US_ETRUNC);
    UT_EXPECT(service(40, US_NET_SVC_HOLD, A, 0, &m) == US_ETRUNC);
    UT_EXPECT(service(16, US_NET_SVC_CUTOVER, A, B, &m) == US_ETRUNC);
    UT_EXPECT(service(US_MSG_MAX_LEN + 8, US_NET_SVC_STATUS, A, 0, &m) == US_ETRUNC);
    UT_EXPECT(m.hdr.len == 0 && m.hdr.label == US_VMM_NET_SERVICE);
    UT_EXPECT(service(16, 0, A, 0, &m) == US_EINVAL);
    UT_EXPECT(service(16, US_NET_SVC_STATUS + 1, A, 0, &m) == US_EINVAL);
    UT_EXPECT(service(8, 1ull << 40, A, 0, &m) == US_EINVAL);
    UT_EXPECT(svc(US_NET_SVC_HOLD, 7, 0) == US_ENOENT); /* no VM there */
    UT_EXPECT(svc(US_NET_SVC_HOLD, VMM_NET_UPLINK, 0) == US_ENOENT);
    UT_EXPECT(svc(US_NET_SVC_STATUS, 1ull << 40, 0) == US_ENOENT);
    UT_EXPECT(svc(US_NET_SVC_FORGET, ~0ull, 0) == US_ENOENT);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, 9) == US_ENOENT);
    st.vms[C].visible = 0; /* no virtio-net device at this boot */
    UT_EXPECT(svc(US_NET_SVC_HOLD, C, 0) == US_ENOENT);
    st.vms[C].visible = VMM_DEV_VIRTIO_NET;
    st.vms[C].state = US_VM_STATE_CRASHED;
    UT_EXPECT(svc(US_NET_SVC_RELEASE, C, 0) == US_ENOENT);
    st.vms[C].state = US_VM_STATE_RUNNING;
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, C) == US_EINVAL); /* not twins */
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, A) == US_EINVAL);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, B, A) == US_EINVAL); /* B is not the active one */
    st.vms[B].net_standby = false;                         /* two active: B is not standby */
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_EINVAL);
    st.vms[B].net_standby = true;
    st.vms[A].net_standby = true; /* none active: A is not the active one */
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_EINVAL);
    st.vms[A].net_standby = false;
    /* Nothing changed. */
    UT_EXPECT(!st.vms[A].net_standby && st.vms[B].net_standby && infos == 0);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && conns == 0 && dropped == 0);
    from_client(40000, F_SYN, 0);
    UT_EXPECT(got(A) == 1);
}

static void switch_hostile_headers(void)
{
    uint8_t f[128], *copy;
    struct vmm_switch_tcp t;
    uint32_t n = tcp(f, svc_mac, gw_mac, far_ip, 40000, svc_ip, SVC_PORT, F_ACK, 0);

    setup();
    UT_EXPECT(vmm_switch_parse_tcp(f, n, &t) && t.flags == F_ACK && t.src_ip[0] == 192);
    for (uint32_t len = 0; len < 54; len++) { /* cut short: never TCP, never read past */
        static const uint32_t ports[] = {A, B, C, UPLINK};

        copy = malloc(len > 0 ? len : 1u); /* exactly @len: ASan sees any read past it */
        memcpy(copy, f, len);
        UT_EXPECT(!vmm_switch_parse_tcp(copy, len, &t));
        for (uint32_t i = 0; i < 4; i++) {
            vmm_net_switch(&st, ports[i], copy, len);
        }
        free(copy);
    }
    /* IP options (IHL 15): the TCP header is 40 bytes further. */
    memmove(f + 74, f + 34, 26);
    memset(f + 34, 1, 40);
    f[14] = 0x4f;
    f[17] = 80;
    UT_EXPECT(vmm_switch_parse_tcp(f, 94, &t) && t.flags == F_ACK);
    UT_EXPECT(!vmm_switch_parse_tcp(f, 93, &t)); /* total length past the frame */
    n = tcp(f, svc_mac, gw_mac, far_ip, 40000, svc_ip, SVC_PORT, F_ACK, 0);
    f[14] = 0x44, f[42] = 0x50; /* IHL < 5 (with a TCP header where it would then be) */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[42] = 0;
    f[14] = 0x40;
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[14] = 0x65; /* not version 4 */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[14] = 0x45, f[16] = 1; /* total length 296 > 46 */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[16] = 0, f[17] = 19; /* total length shorter than the IP header */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[17] = 39; /* no room for the TCP header */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[17] = 20; /* an IP header alone, in a frame that ends there */
    copy = malloc(34);
    memcpy(copy, f, 34);
    UT_EXPECT(!vmm_switch_parse_tcp(copy, 34, &t));
    free(copy);
    f[17] = 40, f[46] = 0x40; /* TCP data offset < 5 */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[46] = 0x60; /* data offset past the total length */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[46] = 0x50, f[21] = 1; /* a later fragment */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[21] = 0, f[20] = 0x40; /* DF: fine */
    UT_EXPECT(vmm_switch_parse_tcp(f, n, &t));
    f[23] = 17; /* UDP */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    f[23] = 6, f[12] = 0x86, f[13] = 0xdd; /* IPv6's type */
    UT_EXPECT(!vmm_switch_parse_tcp(f, n, &t));
    /* Malformed is not TCP: a tracked connection's frame with a bad header follows the active
     * twin, and a standby twin's bad SYN+ACK teaches nothing and goes nowhere. */
    setup();
    connect(40000, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    n = tcp(f, svc_mac, gw_mac, far_ip, 40000, svc_ip, SVC_PORT, F_ACK, 0);
    f[14] = 0x44;
    vmm_net_switch(&st, UPLINK, f, n);
    f[14] = 0x45, f[17] = 100;
    vmm_net_switch(&st, UPLINK, f, n);
    UT_EXPECT(got(A) == 1 && got(B) == 2);
    n = tcp(f, gw_mac, svc_mac, svc_ip, SVC_PORT, far_ip, 40007, F_SYN | F_ACK, 0);
    f[14] = 0x45, f[46] = 0x30;
    vmm_net_switch(&st, A, f, n);
    UT_EXPECT(tracked(40007) == 0 && nic_frames == 1 && st.vms[A].net_stats.tx_drops == 1);
    /* A frame of the wrong length from outside is not held either; too long is dropped. */
    UT_EXPECT(svc(US_NET_SVC_HOLD, A, 0) == US_OK);
    vmm_net_switch(&st, UPLINK, f, 13);
    {
        static uint8_t big[VIO_NET_FRAME_MAX + 1];
        uint64_t held, conns, dropped;

        memcpy(big, svc_mac, 6);
        vmm_net_switch(&st, UPLINK, big, sizeof(big));
        status(A, &held, &conns, &dropped);
        UT_EXPECT(held == 0 && dropped == 1 && warnings == 0);
    }
}

static void switch_forget_slot_on_retire(void)
{
    uint64_t held, conns, dropped;

    setup();
    connect(40000, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    connect(40001, B);
    UT_EXPECT(svc(US_NET_SVC_HOLD, B, 0) == US_OK);
    from_client(40002, F_SYN, 0);
    from_client(40003, F_SYN, 0);
    /* A is retired (forgotten after its slot is cleared): its connection goes, B keeps its
     * own and the held frames, which are still for B's address. */
    memset(&st.vms[A], 0, sizeof(st.vms[A]));
    vmm_net_forget_slot(&st, A);
    UT_EXPECT(tracked(40000) == 0 && tracked(40001) == B + 1u);
    status(B, &held, &conns, &dropped);
    UT_EXPECT(held == 2 && conns == 1);
    /* B is retired (forgotten before its slot is cleared): no port has the address any more,
     * so its held frames are dropped and the hold ends. */
    vmm_net_forget_slot(&st, B);
    UT_EXPECT(tracked(40001) == 0 && st.sw.queued == 0 && got(B) == 1); /* not delivered */
    memset(&st.vms[B], 0, sizeof(st.vms[B]));
    UT_EXPECT(st.sw.buf_used[0] == 0 && st.sw.buf_used[1] == 0 && st.sw.buf_used[2] == 0 &&
              st.sw.buf_used[3] == 0);
    /* A new VM in slot 0 with that address is not held, and learns afresh. */
    st.vms[A].state = US_VM_STATE_RUNNING;
    st.vms[A].visible = VMM_DEV_VIRTIO_NET;
    st.vms[A].ram = ram[A];
    memcpy(st.vms[A].net.mac, svc_mac, 6);
    from_client(40004, F_SYN, 0);
    UT_EXPECT(got(A) == 1);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(held == 0 && conns == 0);
    vmm_net_forget_slot(&st, 99); /* out of range: ignored */
}

UT_MAIN({"switch_hold_release_in_order", switch_hold_release_in_order},
        {"switch_hold_queue_full", switch_hold_queue_full}, {"switch_forget", switch_forget},
        {"switch_status", switch_status}, {"switch_service_errors", switch_service_errors},
        {"switch_hostile_headers", switch_hostile_headers},
        {"switch_forget_slot_on_retire", switch_forget_slot_on_retire},
        {"switch_hold_all_holds_established", switch_hold_all_holds_established})
