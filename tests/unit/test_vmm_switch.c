/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_switch.c and the service-address half of vmm_net.c: twins
 * sharing an address, TCP connection tracking across a cut-over, holding and releasing frames,
 * US_VMM_NET_SERVICE, and hostile headers. VM 0 (A) and its standby twin VM 1 (B) share one
 * address; VM 2 (C) has its own; the NIC is a recording fake. A port that got a frame shows it
 * in its rx counters (without a receive queue every delivery counts as rx_drops). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"

#define VMS 3u
#define RAM_SIZE (1u << 20)
#define QN 8u
#define RING(q) (0x1000u + 0x3000u * (q)) /* desc; avail at +0x1000, used at +0x2000 */
#define RXBUF(i) (0x11000u + 0x800u * (i))
#define UPLINK VMM_NET_UPLINK
#define A 0u
#define B 1u
#define C 2u

static struct vmm_state st;
static uint8_t *ram[VMS];
static unsigned warnings, infos, nic_frames;
static uint8_t nic_last[VIO_NET_FRAME_MAX];

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)fmt;
    warnings += level <= US_LOG_LEVEL_WARN ? 1u : 0u;
    infos += level == US_LOG_LEVEL_INFO ? 1u : 0u;
}

/* vmm_virtio.c's console half needs these; no test here reaches them. */
void vmm_console_out(struct vmm_state *s, uint32_t slot, const uint8_t *b, uint64_t n)
{
    (void)s, (void)slot, (void)b, (void)n;
}

uint32_t vmm_console_room(struct vmm_state *s, uint32_t slot, uint64_t want)
{
    (void)s, (void)slot;
    return (uint32_t)want;
}

bool vmm_gic_deliverable(const struct vmm_gic *g, uint32_t intid)
{
    (void)g;
    return intid == VMM_VIRTIO_NET_INTID;
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    (void)ntfn, (void)bits;
    UT_EXPECT(0);
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    UT_EXPECT(intid == VMM_VIRTIO_NET_INTID && vcpu < VMS);
    return US_OK;
}

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    (void)s;
    nic_frames++;
    memcpy(nic_last, frame, len);
    return US_OK;
}

static const uint8_t svc_mac[6] = {0x02, 0x75, 0x73, 0, 0, 1}; /* A's, and so B's */
static const uint8_t c_mac[6] = {0x02, 0x75, 0x73, 0, 0, 3};
static const uint8_t gw_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t svc_ip[4] = {10, 0, 2, 15}, c_ip[4] = {10, 0, 2, 16};
static const uint8_t far_ip[4] = {192, 0, 2, 7};

#define SVC_PORT 7000u
#define F_SYN VMM_TCP_SYN
#define F_ACK VMM_TCP_ACK
#define F_FIN VMM_TCP_FIN
#define F_RST VMM_TCP_RST

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    st.config.vm_count = VMS;
    st.nic.regs = (volatile uint32_t *)(uintptr_t)0x1000; /* present; the fake never touches it */
    for (uint32_t i = 0; i < VMS; i++) {
        free(ram[i]);
        ram[i] = calloc(1, RAM_SIZE);
        st.config.vms[i].mem_size = RAM_SIZE;
        st.config.vms[i].devices = st.vms[i].visible = VMM_DEV_VIRTIO_NET;
        st.config.vms[i].name[0] = (char)('a' + i);
        st.vms[i].ram = ram[i];
        st.vms[i].state = US_VM_STATE_RUNNING;
        st.vms[i].vcpu_cap[0] = i;
        memcpy(st.vms[i].net.mac, i == C ? c_mac : svc_mac, 6);
        vmm_virtio_reset(&st.vms[i].net, VIO_ID_NET);
    }
    st.vms[B].net_twin = A + 1u;
    st.vms[B].net_standby = true;
    warnings = infos = nic_frames = 0;
}

/* Frames port @vm was given (delivered, or lost for want of a receive buffer). */
static uint64_t got(uint32_t vm)
{
    return st.vms[vm].net_stats.rx_frames + st.vms[vm].net_stats.rx_drops;
}

/* Ethernet II + IPv4 (20 bytes) + TCP (20 bytes), padded to 60 bytes; @mark in the sequence
 * number's last byte tells frames apart. Ports are host numbers here. */
static uint32_t tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src, const uint8_t *sip,
                    uint32_t sport, const uint8_t *dip, uint32_t dport, uint8_t flags, uint8_t mark)
{
    memset(f, 0, 60);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    f[14] = 0x45;
    f[17] = 40; /* total length */
    f[22] = 64;
    f[23] = 6;
    memcpy(f + 26, sip, 4);
    memcpy(f + 30, dip, 4);
    f[34] = (uint8_t)(sport >> 8), f[35] = (uint8_t)sport;
    f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
    f[41] = mark;
    f[46] = 0x50;
    f[47] = flags;
    return 60;
}

/* From the outside (a client at far_ip:@port, behind the gateway) to the service. */
static void from_client(uint32_t port, uint8_t flags, uint8_t mark)
{
    uint8_t f[60];

    vmm_net_switch(&st, UPLINK, f,
                   tcp(f, svc_mac, gw_mac, far_ip, port, svc_ip, SVC_PORT, flags, mark));
}

/* From twin @vm (A or B) to the client at far_ip:@port. */
static void to_client(uint32_t vm, uint32_t port, uint8_t flags)
{
    uint8_t f[60];

    vmm_net_switch(&st, vm, f, tcp(f, gw_mac, svc_mac, svc_ip, SVC_PORT, far_ip, port, flags, 0));
}

static uint32_t tracked(uint32_t port)
{
    uint8_t be[2] = {(uint8_t)(port >> 8), (uint8_t)port}, lp[2] = {SVC_PORT >> 8, SVC_PORT & 0xff};
    uint16_t rport, lport;

    memcpy(&rport, be, 2);
    memcpy(&lport, lp, 2);
    return vmm_switch_find(&st.sw, svc_mac, far_ip, rport, lport);
}

/* US_VMM_NET_SERVICE with @len bytes of words; returns the reply's error. */
static uint32_t service(uint16_t len, uint64_t op, uint64_t w1, uint64_t w2, struct us_msg *m)
{
    memset(m, 0, sizeof(*m));
    us_msg_init(m, US_VMM_NET_SERVICE, len);
    m->w[0] = op;
    m->w[1] = w1;
    m->w[2] = w2;
    vmm_net_service(&st, m);
    return m->hdr.err;
}

static uint32_t svc(uint64_t op, uint64_t w1, uint64_t w2)
{
    struct us_msg m;

    return service(24, op, w1, w2, &m);
}

static void status(uint32_t slot, uint64_t *held, uint64_t *conns, uint64_t *dropped)
{
    struct us_msg m;

    UT_EXPECT(service(16, US_NET_SVC_STATUS, slot, 0, &m) == US_OK);
    UT_EXPECT(m.hdr.len == 24 && m.hdr.label == US_VMM_NET_SERVICE);
    *held = m.w[0];
    *conns = m.w[1];
    *dropped = m.w[2];
}

/* A client connects from @port and the active twin (@vm) accepts. */
static void connect(uint32_t port, uint32_t vm)
{
    uint64_t before = got(vm), nic = nic_frames;

    from_client(port, F_SYN, 0);
    UT_EXPECT(got(vm) == before + 1);
    to_client(vm, port, F_SYN | F_ACK);
    UT_EXPECT(nic_frames == nic + 1 && tracked(port) == vm + 1u);
}

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

/* Linux's bring-up of VM @vm's virtio-net device, and @n receive buffers posted. */
static void net_up(uint32_t vm, uint32_t n)
{
    static const uint32_t seq[][2] = {{0x070, 0}, {0x070, 3}, {0x024, 0}, {0x020, 1u << 5},
                                      {0x024, 1}, {0x020, 1}, {0x070, 11}};
    uint64_t ignored;
    uint32_t irq;
    uint16_t idx = 0;

    for (uint32_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        UT_EXPECT(vmm_virtio_access(&st, vm, VMM_VIRTIO_NET_IPA + seq[i][0], 4, true, seq[i][1],
                                    &ignored, &irq));
    }
    for (uint32_t q = 0; q < 2; q++) {
        const uint32_t regs[][2] = {{0x030, q},
                                    {0x038, QN},
                                    {0x080, (uint32_t)(VMM_RAM_IPA + RING(q))},
                                    {0x090, (uint32_t)(VMM_RAM_IPA + RING(q) + 0x1000)},
                                    {0x0a0, (uint32_t)(VMM_RAM_IPA + RING(q) + 0x2000)},
                                    {0x044, 1}};
        for (uint32_t i = 0; i < 6; i++) {
            UT_EXPECT(vmm_virtio_access(&st, vm, VMM_VIRTIO_NET_IPA + regs[i][0], 4, true,
                                        regs[i][1], &ignored, &irq));
        }
    }
    UT_EXPECT(vmm_virtio_access(&st, vm, VMM_VIRTIO_NET_IPA + 0x070, 4, true, 15, &ignored, &irq));
    for (uint16_t i = 0; i < n; i++) {
        uint8_t *d = ram[vm] + RING(0) + 16u * i, *avail = ram[vm] + RING(0) + 0x1000;
        uint64_t addr = VMM_RAM_IPA + RXBUF(i);
        uint32_t len = 2048;
        uint16_t flags = VRING_DESC_F_WRITE, next = 0;

        memcpy(d, &addr, 8);
        memcpy(d + 8, &len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
        memcpy(avail + 4 + 2u * i, &i, 2);
        idx = (uint16_t)(i + 1u);
    }
    memcpy(ram[vm] + RING(0) + 0x1000 + 2, &idx, 2);
}

/* The mark of the @k-th frame VM @vm received, or -1 if it has not received that many. */
static int rx_mark(uint32_t vm, uint32_t k)
{
    uint8_t *used = ram[vm] + RING(0) + 0x2000;
    uint16_t n;
    uint32_t id;

    memcpy(&n, used + 2, 2);
    if (k >= n) {
        return -1;
    }
    memcpy(&id, used + 4 + 8u * k, 4);
    return ram[vm][RXBUF(id) + VIO_NET_HDR_LEN + 41];
}

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
    UT_EXPECT(service(32, US_NET_SVC_HOLD, A, 0, &m) == US_ETRUNC);
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

UT_MAIN({"switch_twin_routing", switch_twin_routing},
        {"switch_standby_sends_nothing", switch_standby_sends_nothing},
        {"switch_learns_syn_ack", switch_learns_syn_ack},
        {"switch_cutover_keeps_connections", switch_cutover_keeps_connections},
        {"switch_learns_old_connections", switch_learns_old_connections},
        {"switch_rst_ends", switch_rst_ends},
        {"switch_fin_both_ways_ends", switch_fin_both_ways_ends},
        {"switch_evicts_oldest", switch_evicts_oldest},
        {"switch_hold_release_in_order", switch_hold_release_in_order},
        {"switch_hold_queue_full", switch_hold_queue_full}, {"switch_forget", switch_forget},
        {"switch_status", switch_status}, {"switch_service_errors", switch_service_errors},
        {"switch_hostile_headers", switch_hostile_headers},
        {"switch_forget_slot_on_retire", switch_forget_slot_on_retire},
        {"switch_hold_all_holds_established", switch_hold_all_holds_established})
