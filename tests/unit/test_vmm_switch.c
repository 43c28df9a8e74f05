/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The switch's service addresses (vmm_switch.c, vmm_net.c): twins sharing an address, and TCP
 * connection tracking across a cut-over (vmm_switch_fx.h has the setting). */
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_switch_fx.h"

static void switch_twin_routing(void)
{
    uint8_t f[60];
    struct vmm_net_ports p = {.present = 1u | 2u | 4u | (1u << UPLINK), .standby = 2u};

    setup();
    from_client(40000, F_SYN, 0); /* a new connection: the active twin */
    UT_EXPECT(got(A) == 1 && got(B) == 0 && got(C) == 0);
    memset(f, 0, sizeof(f)); /* not TCP (IPv6): the active twin too */
    memcpy(f, svc_mac, 6);
    memcpy(f + 6, gw_mac, 6);
    f[12] = 0x86, f[13] = 0xdd;
    vmm_net_switch(&st, UPLINK, f, 60);
    UT_EXPECT(got(A) == 2 && got(B) == 0);
    memcpy(f, bcast, 6); /* broadcast from outside: everyone but the standby twin */
    vmm_net_switch(&st, UPLINK, f, 60);
    UT_EXPECT(got(A) == 3 && got(B) == 0 && got(C) == 1);
    memcpy(f + 6, c_mac, 6); /* and from another VM */
    vmm_net_switch(&st, C, f, 60);
    UT_EXPECT(got(A) == 4 && got(B) == 0 && nic_frames == 1);
    memcpy(f, svc_mac, 6); /* another VM to the service: the active twin */
    vmm_net_switch(&st, C, f, 60);
    UT_EXPECT(got(A) == 5 && got(B) == 0);
    /* The rule itself: the active one whichever slot it has; none active, nowhere. */
    for (uint32_t i = 0; i < 3; i++) {
        memcpy(p.mac[i], i == 2 ? c_mac : svc_mac, 6);
    }
    memcpy(f + 6, gw_mac, 6);
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 1u);
    p.standby = 1u;
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 2u);
    p.standby = 3u;
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 0);
    memcpy(f, bcast, 6);
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 4u);
    /* ARP for the shared address reaches every twin, the standby one too (it resolves its
     * neighbours before it serves); broadcast ARP still skips the standby one. */
    p.standby = 2u;
    memcpy(f, svc_mac, 6);
    f[12] = 0x08, f[13] = 0x06;
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 3u);
    memcpy(f, bcast, 6);
    UT_EXPECT(vmm_net_route(&p, &st.sw, UPLINK, f, 60) == 5u);
}

static void switch_standby_sends_nothing(void)
{
    uint8_t f[60];

    setup();
    memset(f, 0, sizeof(f)); /* B's IPv6 multicast: dropped, counted, not logged */
    memcpy(f, bcast, 6);
    memcpy(f + 6, svc_mac, 6);
    f[12] = 0x86, f[13] = 0xdd;
    vmm_net_switch(&st, B, f, 60);
    UT_EXPECT(got(A) == 0 && got(C) == 0 && nic_frames == 0);
    UT_EXPECT(st.vms[B].net_stats.tx_drops == 1 && warnings == 0);
    f[12] = 0x08, f[13] = 0x06; /* its ARP request goes out: it asks as the address would */
    vmm_net_switch(&st, B, f, 60);
    UT_EXPECT(got(A) == 0 && got(C) == 1 && nic_frames == 1); /* not to its own twin */
    UT_EXPECT(st.vms[B].net_stats.tx_drops == 1);
    nic_frames = 0;
    to_client(B, 40000, F_ACK); /* TCP of a connection it does not serve; a SYN too */
    to_client(B, 40001, F_SYN);
    UT_EXPECT(nic_frames == 0 && st.vms[B].net_stats.tx_drops == 3 && warnings == 0);
    UT_EXPECT(tracked(40000) == 0 && tracked(40001) == 0);
    memcpy(f + 6, c_mac, 6); /* spoofing is still spoofing, and logged */
    vmm_net_switch(&st, B, f, 60);
    UT_EXPECT(st.vms[B].net_stats.tx_drops == 4 && warnings == 1);
    to_client(A, 40000, F_ACK); /* the active twin is heard */
    UT_EXPECT(nic_frames == 1 && st.vms[A].net_stats.tx_drops == 0);
}

static void switch_learns_syn_ack(void)
{
    uint64_t held, conns, dropped;

    setup();
    connect(40000, A);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(conns == 1 && held == 0 && dropped == 0);
    status(B, &held, &conns, &dropped);
    UT_EXPECT(conns == 0);
    /* Without a running twin there is nothing to choose between: nothing is learned. */
    setup();
    st.vms[B].state = US_VM_STATE_OFF;
    from_client(40000, F_SYN, 0);
    to_client(A, 40000, F_SYN | F_ACK);
    UT_EXPECT(nic_frames == 1 && tracked(40000) == 0);
}

static void switch_cutover_keeps_connections(void)
{
    uint8_t f[60];

    setup();
    connect(40000, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    UT_EXPECT(st.vms[A].net_standby && !st.vms[B].net_standby && infos == 1);
    from_client(40000, F_ACK, 1); /* the established connection: still A */
    UT_EXPECT(got(A) == 2 && got(B) == 0);
    to_client(A, 40000, F_ACK); /* and A's replies pass */
    UT_EXPECT(nic_frames == 2 && st.vms[A].net_stats.tx_drops == 0);
    from_client(40001, F_SYN, 0); /* a new one: B */
    UT_EXPECT(got(A) == 2 && got(B) == 1);
    to_client(B, 40001, F_SYN | F_ACK);
    UT_EXPECT(nic_frames == 3 && tracked(40001) == B + 1u);
    to_client(A, 40001, F_ACK); /* A cannot answer on B's connection */
    UT_EXPECT(nic_frames == 3 && st.vms[A].net_stats.tx_drops == 1);
    to_client(A, 40002, F_SYN | F_ACK); /* it may still finish a handshake it began */
    UT_EXPECT(nic_frames == 4 && tracked(40002) == A + 1u);
    memset(f, 0, sizeof(f)); /* everything else goes to B now: broadcast skips A */
    memcpy(f, bcast, 6);
    memcpy(f + 6, gw_mac, 6);
    vmm_net_switch(&st, UPLINK, f, 60);
    UT_EXPECT(got(A) == 2 && got(B) == 2 && got(C) == 1);
    /* And back: B to A. */
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, B, A) == US_OK);
    from_client(40003, F_SYN, 0);
    from_client(40001, F_ACK, 0);
    UT_EXPECT(got(A) == 3 && got(B) == 3);
}

static void switch_learns_old_connections(void)
{
    setup();
    to_client(A, 40000, F_ACK); /* older than the twin: learned from A's next frame */
    UT_EXPECT(tracked(40000) == A + 1u && nic_frames == 1);
    to_client(B, 40005, F_ACK); /* a standby port learns nothing that way, and is not heard */
    UT_EXPECT(tracked(40005) == 0 && nic_frames == 1 && st.vms[B].net_stats.tx_drops == 1);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    from_client(40000, F_ACK, 0);
    UT_EXPECT(got(A) == 1 && got(B) == 0);
    to_client(B, 40005, F_ACK); /* B is active now: 40005 is B's and passes */
    UT_EXPECT(tracked(40005) == B + 1u && nic_frames == 2);
    to_client(A, 40006, F_ACK);
    UT_EXPECT(tracked(40006) == 0 && nic_frames == 2 && st.vms[A].net_stats.tx_drops == 1);
}

static void switch_rst_ends(void)
{
    setup();
    connect(40000, A);
    connect(40001, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    from_client(40000, F_RST, 0); /* the client's RST reaches A, then the entry goes */
    UT_EXPECT(got(A) == 3 && got(B) == 0 && tracked(40000) == 0);
    from_client(40000, F_ACK, 0);
    UT_EXPECT(got(A) == 3 && got(B) == 1);
    to_client(A, 40001, F_RST | F_ACK); /* A's RST goes out, then the entry goes */
    UT_EXPECT(nic_frames == 3 && tracked(40001) == 0);
    to_client(A, 40001, F_ACK);
    UT_EXPECT(nic_frames == 3 && st.vms[A].net_stats.tx_drops == 1);
}

static void switch_fin_both_ways_ends(void)
{
    setup();
    connect(40000, A);
    connect(40001, A);
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    /* A closes first: FIN out, FIN+ACK in, A's last ACK out; then it is over. */
    to_client(A, 40000, F_FIN | F_ACK);
    from_client(40000, F_FIN | F_ACK, 0);
    UT_EXPECT(got(A) == 3 && tracked(40000) == A + 1u);
    to_client(A, 40000, F_ACK);
    UT_EXPECT(nic_frames == 4 && tracked(40000) == 0);
    /* The client closes first: its last ACK still reaches A, then it is over. */
    from_client(40001, F_FIN | F_ACK, 0);
    to_client(A, 40001, F_ACK);
    to_client(A, 40001, F_FIN | F_ACK);
    UT_EXPECT(tracked(40001) == A + 1u && nic_frames == 6);
    from_client(40001, F_ACK, 0);
    UT_EXPECT(got(A) == 5 && got(B) == 0 && tracked(40001) == 0);
    from_client(40001, F_ACK, 0);
    UT_EXPECT(got(A) == 5 && got(B) == 1);
    /* One FIN alone (a half-close) keeps it. */
    connect(40002, B);
    from_client(40002, F_FIN | F_ACK, 0);
    from_client(40002, F_ACK, 0);
    to_client(B, 40002, F_ACK);
    UT_EXPECT(tracked(40002) == B + 1u);
}

/* Entries are taken lowest free first, and lookups stop at the highest ever taken: an address
 * without a twin leaves the table empty, and a freed entry is taken again before a new one. */
static void switch_tracks_below_high_water(void)
{
    setup();
    to_client(C, 40000, F_SYN | F_ACK); /* C has no twin: nothing to remember */
    UT_EXPECT(st.sw.top == 0);
    connect(40000, A);
    connect(40001, A);
    connect(40002, A);
    UT_EXPECT(st.sw.top == 3);
    from_client(40000, F_RST, 0);
    UT_EXPECT(tracked(40000) == 0);
    connect(40003, A);
    UT_EXPECT(st.sw.top == 3 && st.sw.conn[0].port == A + 1u);
    UT_EXPECT(tracked(40003) == A + 1u && tracked(40001) == A + 1u && tracked(40002) == A + 1u);
}

static void switch_evicts_oldest(void)
{
    uint64_t held, conns, dropped;

    setup();
    for (uint32_t i = 0; i < VMM_SWITCH_CONNS; i++) {
        to_client(A, 1000 + i, F_SYN | F_ACK);
    }
    status(A, &held, &conns, &dropped);
    UT_EXPECT(conns == VMM_SWITCH_CONNS);
    from_client(1000, F_ACK, 0); /* the first is used again: 1001 is the oldest now */
    to_client(A, 5000, F_SYN | F_ACK);
    UT_EXPECT(tracked(5000) == A + 1u && tracked(1000) == A + 1u && tracked(1001) == 0);
    UT_EXPECT(tracked(1002) == A + 1u && tracked(1000 + VMM_SWITCH_CONNS - 1) == A + 1u);
    status(A, &held, &conns, &dropped);
    UT_EXPECT(conns == VMM_SWITCH_CONNS);
}

/* A redirect's cut-over: the old twin keeps its connections, even one idle since the twins
 * met (the switch never saw it); new ones go to the new twin. */
static void switch_cutover_keeps_old(void)
{
    struct us_msg m;

    setup();
    connect(40000, A);
    memset(&m, 0, sizeof(m));
    us_msg_init(&m, US_VMM_NET_SERVICE, 32);
    m.w[0] = US_NET_SVC_CUTOVER, m.w[1] = A, m.w[2] = B, m.w[3] = US_NET_SVC_KEEP_OLD;
    vmm_net_service(&st, &m);
    UT_EXPECT(m.hdr.err == US_OK && st.vms[A].net_standby && !st.vms[B].net_standby);
    from_client(40009, F_ACK, 1); /* idle until now, unknown: the old twin has it */
    UT_EXPECT(got(A) == 2 && got(B) == 0);
    to_client(A, 40009, F_ACK); /* its answer passes, and teaches the switch */
    UT_EXPECT(nic_frames == 2 && tracked(40009) == A + 1u);
    from_client(40010, F_SYN, 0); /* a new connection: the new twin */
    UT_EXPECT(got(A) == 2 && got(B) == 1);
    to_client(B, 40010, F_SYN | F_ACK);
    from_client(40010, F_ACK, 1);
    UT_EXPECT(got(B) == 2 && tracked(40010) == B + 1u);
    to_client(A, 40010, F_ACK); /* the old twin may not speak on the new twin's connection */
    UT_EXPECT(nic_frames == 3 && st.vms[A].net_stats.tx_drops == 1);
    /* Without the flag an unknown connection's segments go to the new twin (criu, restart). */
    setup();
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, A, B) == US_OK);
    from_client(40009, F_ACK, 1);
    UT_EXPECT(got(A) == 0 && got(B) == 1);
    to_client(A, 40009, F_ACK);
    UT_EXPECT(nic_frames == 0 && st.vms[A].net_stats.tx_drops == 1);
    /* The new twin being cut over from again drops the flag from the old one. */
    UT_EXPECT(svc(US_NET_SVC_CUTOVER, B, A) == US_OK && !st.vms[A].net_keeps_old);
}

UT_MAIN({"switch_twin_routing", switch_twin_routing},
        {"switch_standby_sends_nothing", switch_standby_sends_nothing},
        {"switch_learns_syn_ack", switch_learns_syn_ack},
        {"switch_cutover_keeps_connections", switch_cutover_keeps_connections},
        {"switch_learns_old_connections", switch_learns_old_connections},
        {"switch_rst_ends", switch_rst_ends},
        {"switch_fin_both_ways_ends", switch_fin_both_ways_ends},
        {"switch_evicts_oldest", switch_evicts_oldest},
        {"switch_tracks_below_high_water", switch_tracks_below_high_water},
        {"switch_cutover_keeps_old", switch_cutover_keeps_old})
