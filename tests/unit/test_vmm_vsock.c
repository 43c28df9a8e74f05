/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_vsock.c: the virtio-vsock device driven like Linux's
 * vmw_vsock_virtio_transport would, through fake guest RAM, then with hostile packets. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "ut.h"
#include "vmm.h"

#define RAM_SIZE (1u << 20)
#define QN 16u /* entries per queue; each buffer takes two descriptors, so 8 in flight */
#define RX_DESC 0x1000u
#define RX_AVAIL 0x2000u
#define RX_USED 0x3000u
#define TX_DESC 0x4000u
#define TX_AVAIL 0x5000u
#define TX_USED 0x6000u
#define EV_DESC 0x7000u
#define EV_AVAIL 0x7800u
#define EV_USED 0x8000u
#define RXBUF 0x10000u  /* receive buffer s at RXBUF + s * 0x2000 */
#define TXBUF 0x30000u  /* transmitted headers */
#define TXDATA 0x80000u /* transmitted payloads, up to 64 KiB + a bit */
#define HDR 44u
#define GUEST_CID 3u
#define OP_REQUEST 1u
#define OP_RESPONSE 2u
#define OP_RST 3u
#define OP_SHUTDOWN 4u
#define OP_RW 5u
#define OP_CREDIT_UPDATE 6u
#define OP_CREDIT_REQUEST 7u

static struct vmm_state st;
static uint8_t *ram;
static struct vmm_vsock *conns;
static unsigned warnings;
static char info[256]; /* the last INFO line */

void us_logf(uint32_t level, const char *fmt, ...)
{
    va_list ap;

    if (level == US_LOG_LEVEL_INFO) {
        va_start(ap, fmt);
        vsnprintf(info, sizeof(info), fmt, ap);
        va_end(ap);
    } else {
        warnings++;
    }
}

/* vmm_virtio.c's console half and vmm_net.c need these; no test here reaches them. */
void vmm_console_out(struct vmm_state *s, uint32_t slot, const uint8_t *b, uint64_t n)
{
    (void)s;
    (void)slot;
    (void)b;
    (void)n;
}

uint32_t vmm_console_room(struct vmm_state *s, uint32_t slot, uint64_t want)
{
    (void)s;
    (void)slot;
    return (uint32_t)want;
}

bool vmm_gic_deliverable(const struct vmm_gic *g, uint32_t intid)
{
    (void)g;
    (void)intid;
    return true;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    (void)vcpu;
    (void)intid;
    return US_OK;
}

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    (void)s;
    (void)frame;
    (void)len;
    return US_OK;
}

/* A test service on port 2000: records what happens, sends nothing by itself. */
#define TEST_PORT 2000u
static int last_conn = -1;
static unsigned closes;
static bool accept_connects = true;
static uint8_t got[4096];
static uint32_t got_len;

static bool t_connect(struct vmm_state *s, uint32_t slot, uint32_t conn)
{
    (void)s;
    (void)slot;
    last_conn = (int)conn;
    return accept_connects;
}

static void t_data(struct vmm_state *s, uint32_t slot, uint32_t conn, const uint8_t *b,
                   uint32_t len)
{
    (void)s;
    (void)slot;
    (void)conn;
    for (uint32_t k = 0; k < len && got_len < sizeof(got); k++) {
        got[got_len++] = b[k];
    }
}

static void t_close(struct vmm_state *s, uint32_t slot, uint32_t conn)
{
    (void)s;
    (void)slot;
    (void)conn;
    closes++;
}

static const struct vmm_vsock_ops test_ops = {"test", t_connect, t_data, t_close};

/* The guest's side. */
static uint16_t rx_avail, rx_seen, tx_avail;
static bool rx_split; /* post receive buffers as Linux 6.1 does: header and data apart */
static uint32_t rx_size = 4096;
static uint32_t guest_buf_alloc = 65536, guest_fwd;

struct pkt {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
    uint8_t data[4096];
};

static uint32_t rd_at(uint64_t ipa, uint32_t size)
{
    uint64_t v = 0;
    uint32_t irq;

    UT_EXPECT(vmm_virtio_access(&st, 0, ipa, size, false, 0, &v, &irq));
    return (uint32_t)v;
}

static uint32_t rd(uint32_t off)
{
    return rd_at(VMM_VIRTIO_VSOCK_IPA + off, 4);
}

static bool wr(uint32_t off, uint32_t v)
{
    uint64_t ignored;
    uint32_t irq = 0;

    UT_EXPECT(vmm_virtio_access(&st, 0, VMM_VIRTIO_VSOCK_IPA + off, 4, true, v, &ignored, &irq));
    return irq == VMM_VIRTIO_VSOCK_INTID;
}

static void queue_at(uint32_t q, uint32_t desc_off, uint32_t avail_off, uint32_t used_off)
{
    wr(0x030, q);
    UT_EXPECT(rd(0x034) == VMM_VIRTQ_SIZE);
    wr(0x038, QN);
    wr(0x080, (uint32_t)(VMM_RAM_IPA + desc_off));
    wr(0x084, 0);
    wr(0x090, (uint32_t)(VMM_RAM_IPA + avail_off));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(VMM_RAM_IPA + used_off));
    wr(0x0a4, 0);
    wr(0x044, 1);
}

static void bring_up(void)
{
    memset(ram, 0, TXBUF); /* rings of an earlier bring-up */
    wr(0x070, 0);
    wr(0x070, 1 | 2);
    wr(0x024, 1);
    wr(0x020, 1);
    wr(0x070, 1 | 2 | 8);
    queue_at(0, RX_DESC, RX_AVAIL, RX_USED);
    queue_at(1, TX_DESC, TX_AVAIL, TX_USED);
    queue_at(2, EV_DESC, EV_AVAIL, EV_USED);
    wr(0x070, 1 | 2 | 8 | 4);
    rx_avail = rx_seen = tx_avail = 0;
}

/* The agent channels the vmm shares with migrate; signals to migrate are counted. */
static struct us_agent_chan chans[US_AGENT_CHANS];
static unsigned migrate_signals;

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    UT_EXPECT_EQ(ntfn, US_SLOT_VMM_MIGRATE_NTFN);
    UT_EXPECT_EQ(bits, US_NTFN_AGENT_UP);
    migrate_signals++;
    return US_OK;
}

/* The next record the vmm put on VM 0's channel up to migrate, or "" if none. */
static const char *up_line(void)
{
    static char line[US_AGENT_TEXT_MAX + 8];

    if (us_ring_line(&chans[0].up, line, sizeof(line)) < 0) {
        line[0] = '\0';
    }
    return line;
}

/* migrate's line @s for VM 0's agent, delivered as the vmm does on US_NTFN_AGENT_DOWN. */
static void down_line(const char *s)
{
    UT_EXPECT(us_ring_put(&chans[0].down, s, (uint32_t)strlen(s)) >= 0);
    vmm_agent_pump(&st);
}

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    memset(chans, 0, sizeof(chans));
    migrate_signals = 0;
    st.agent_chans = chans;
    free(ram);
    free(conns);
    ram = calloc(1, RAM_SIZE);
    conns = calloc(1, sizeof(*conns));
    st.config.vm_count = 1;
    strcpy(st.config.vms[0].name, "vm0");
    st.config.vms[0].mem_size = RAM_SIZE;
    st.config.vms[0].devices = st.vms[0].visible = VMM_DEV_VIRTIO_VSOCK;
    st.vms[0].ram = ram;
    st.vms[0].vmid = 1;
    st.vms[0].vsock.guest_cid = GUEST_CID;
    st.vms[0].vsock_conns = conns;
    vmm_virtio_reset(&st.vms[0].vsock, VIO_ID_VSOCK);
    vmm_vsock_init();
    (void)vmm_vsock_listen(TEST_PORT, &test_ops);
    warnings = 0;
    info[0] = '\0';
    last_conn = -1;
    closes = 0;
    accept_connects = true;
    got_len = 0;
    rx_split = false;
    rx_size = 4096;
    guest_buf_alloc = 65536;
    guest_fwd = 0;
    bring_up();
}

static void desc_at(uint32_t table, unsigned i, uint64_t off, uint32_t len, uint16_t flags,
                    uint16_t next)
{
    uint8_t *d = ram + table + 16 * i;
    uint64_t addr = VMM_RAM_IPA + off;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

static void make_avail(uint32_t avail_off, uint16_t *idx, uint16_t head)
{
    memcpy(ram + avail_off + 4 + 2 * (*idx % QN), &head, 2);
    (*idx)++;
    memcpy(ram + avail_off + 2, idx, 2);
}

static uint16_t used_idx(uint32_t used_off)
{
    uint16_t u;

    memcpy(&u, ram + used_off + 2, 2);
    return u;
}

/* Post @n receive buffers (without a notify: the device finds them on its next pass). */
static void post_rx_quiet(unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        unsigned s = rx_avail % 8u;
        uint32_t buf = RXBUF + s * 0x2000u;

        if (rx_split) {
            desc_at(RX_DESC, 2 * s, buf, HDR, 2 | 1, (uint16_t)(2 * s + 1));
            desc_at(RX_DESC, 2 * s + 1, buf + 0x100, rx_size, 2, 0);
        } else {
            desc_at(RX_DESC, 2 * s, buf, HDR + rx_size, 2, 0);
        }
        memset(ram + buf, 0xee, 0x2000);
        make_avail(RX_AVAIL, &rx_avail, (uint16_t)(2 * s));
    }
}

/* Post @n receive buffers and notify the receive queue; returns whether it interrupted. */
static bool post_rx(unsigned n)
{
    post_rx_quiet(n);
    return wr(0x050, 0);
}

static uint16_t le16(const uint8_t *b)
{
    uint16_t v;
    memcpy(&v, b, 2);
    return v;
}

static uint32_t le32(const uint8_t *b)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return v;
}

static uint64_t le64(const uint8_t *b)
{
    uint64_t v;
    memcpy(&v, b, 8);
    return v;
}

/* The next packet the device put in a receive buffer; false if none. */
static bool next_rx(struct pkt *p)
{
    uint32_t id, len, buf;
    const uint8_t *h, *data;

    if (used_idx(RX_USED) == rx_seen) {
        return false;
    }
    id = le32(ram + RX_USED + 4 + 8 * (rx_seen % QN));
    len = le32(ram + RX_USED + 8 + 8 * (rx_seen % QN));
    rx_seen++;
    buf = RXBUF + (id / 2) * 0x2000u;
    h = ram + buf;
    data = rx_split ? h + 0x100 : h + HDR;
    memset(p, 0, sizeof(*p));
    UT_EXPECT(len >= HDR);
    if (len < HDR) {
        return true;
    }
    p->src_cid = le64(h);
    p->dst_cid = le64(h + 8);
    p->src_port = le32(h + 16);
    p->dst_port = le32(h + 20);
    p->len = le32(h + 24);
    p->type = le16(h + 28);
    p->op = le16(h + 30);
    p->flags = le32(h + 32);
    p->buf_alloc = le32(h + 36);
    p->fwd_cnt = le32(h + 40);
    UT_EXPECT_EQ(p->len, len - HDR);
    UT_EXPECT(p->len <= rx_size && p->len <= sizeof(p->data));
    if (p->len <= sizeof(p->data)) {
        memcpy(p->data, data, p->len);
    }
    return true;
}

/* Transmit raw bytes: @hdr_len header bytes at TXBUF, then @data_len bytes at TXDATA (a
 * second descriptor if non-zero). Returns whether the device interrupted. */
static bool tx_raw(const uint8_t *b, uint32_t hdr_len, const uint8_t *data, uint32_t data_len)
{
    unsigned s = tx_avail % 8u;

    memcpy(ram + TXBUF + s * 0x100u, b, hdr_len);
    if (data_len > 0) {
        memcpy(ram + TXDATA, data, data_len);
        desc_at(TX_DESC, 2 * s, TXBUF + s * 0x100u, hdr_len, 1, (uint16_t)(2 * s + 1));
        desc_at(TX_DESC, 2 * s + 1, TXDATA, data_len, 0, 0);
    } else {
        desc_at(TX_DESC, 2 * s, TXBUF + s * 0x100u, hdr_len, 0, 0);
    }
    make_avail(TX_AVAIL, &tx_avail, (uint16_t)(2 * s));
    return wr(0x050, 1);
}

static void encode(uint8_t *h, uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport,
                   uint32_t len, uint16_t type, uint16_t op)
{
    memcpy(h, &src_cid, 8);
    memcpy(h + 8, &dst_cid, 8);
    memcpy(h + 16, &sport, 4);
    memcpy(h + 20, &dport, 4);
    memcpy(h + 24, &len, 4);
    memcpy(h + 28, &type, 2);
    memcpy(h + 30, &op, 2);
    memset(h + 32, 0, 4);
    memcpy(h + 36, &guest_buf_alloc, 4);
    memcpy(h + 40, &guest_fwd, 4);
}

/* A well-formed stream packet from the guest's port @sport to host port @dport. */
static bool tx(uint16_t op, uint32_t sport, uint32_t dport, const char *data)
{
    uint8_t h[HDR];
    uint32_t len = data != NULL ? (uint32_t)strlen(data) : 0u;

    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, sport, dport, len, 1, op);
    return tx_raw(h, HDR, (const uint8_t *)data, len);
}

static void expect_pkt(const struct pkt *p, uint16_t op, uint32_t sport, uint32_t dport)
{
    UT_EXPECT_EQ(p->op, op);
    UT_EXPECT_EQ(p->src_cid, VMM_VSOCK_CID_HOST);
    UT_EXPECT_EQ(p->dst_cid, GUEST_CID);
    UT_EXPECT_EQ(p->src_port, sport);
    UT_EXPECT_EQ(p->dst_port, dport);
    UT_EXPECT_EQ(p->type, 1);
}

static unsigned open_conns(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < VMM_VSOCK_CONNS; i++) {
        n += conns->conn[i].open != 0;
    }
    return n;
}

/* Connect guest port @sport to @dport with buffers posted; expect the RESPONSE. */
static void connect_ok(uint32_t sport, uint32_t dport)
{
    struct pkt p;

    post_rx_quiet(1);
    UT_EXPECT(tx(OP_REQUEST, sport, dport, NULL));
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RESPONSE, dport, sport);
    UT_EXPECT_EQ(p.buf_alloc, VMM_VSOCK_BUF_ALLOC);
    UT_EXPECT_EQ(p.len, 0);
}

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

/* The agent's lines go up to migrate framed by open and close records; a HELLO is also
 * logged and greeted; migrate's lines come down to the agent; one agent per VM. */
static void vsock_agent_lines_reach_migrate(void)
{
    static const char hello[] = "HELLO host=kvd0 boot=1 apps=kvd\x01\n";
    struct pkt p;

    setup();
    rx_split = true; /* Linux 6.1's receive buffers */
    connect_ok(5000, 1024);
    UT_EXPECT(strcmp(up_line(), "\001open vm0") == 0);
    UT_EXPECT_EQ(migrate_signals, 1);
    post_rx_quiet(4);
    UT_EXPECT(tx(OP_RW, 5000, 1024, hello));
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RW, 1024, 5000);
    UT_EXPECT(p.len == 12 && memcmp(p.data, "WELCOME vm0\n", 12) == 0);
    UT_EXPECT_EQ(p.fwd_cnt, strlen(hello)); /* what we consumed, credited */
    UT_EXPECT(strcmp(info, "vm0: agent: HELLO host=kvd0 boot=1 apps=kvd?") == 0);
    UT_EXPECT(strcmp(up_line(), "HELLO host=kvd0 boot=1 apps=kvd?") == 0);
    UT_EXPECT(tx(OP_RW, 5000, 1024, "HEALTH kvd=u"));
    UT_EXPECT(strcmp(up_line(), "") == 0); /* half a line: nothing yet */
    UT_EXPECT(tx(OP_RW, 5000, 1024, "p keys=3\r\nHELLO again\n"));
    UT_EXPECT(strcmp(up_line(), "HEALTH kvd=up keys=3") == 0);
    UT_EXPECT(strcmp(up_line(), "HELLO again") == 0); /* only the first is a greeting */
    UT_EXPECT(!next_rx(&p));
    /* migrate's requests reach the agent at once, in order. */
    down_line("HEALTH\n");
    UT_EXPECT(next_rx(&p) && p.len == 7 && memcmp(p.data, "HEALTH\n", 7) == 0);
    down_line("INVENTORY\n");
    UT_EXPECT(next_rx(&p) && p.len == 10 && memcmp(p.data, "INVENTORY\n", 10) == 0);
    UT_EXPECT_EQ(warnings, 0);
    /* A second agent connection on the same VM is refused. */
    UT_EXPECT(tx(OP_REQUEST, 5001, 1024, NULL));
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5001);
    UT_EXPECT(strcmp(up_line(), "") == 0);
    /* The agent leaves: migrate hears so, and a line for it is dropped. */
    UT_EXPECT(tx(OP_RST, 5000, 1024, NULL));
    UT_EXPECT(strcmp(up_line(), "\001close") == 0);
    down_line("HEALTH\n");
    UT_EXPECT(!next_rx(&p));
    /* A new agent may connect. */
    connect_ok(5002, 1024);
    UT_EXPECT(strcmp(up_line(), "\001open vm0") == 0);
}

/* migrate stops reading: the agent's connection is reset rather than its lines lost
 * silently, and the next connection says so. */
static void vsock_agent_channel_full_resets(void)
{
    char line[100];
    struct pkt p;
    int sent = 0;

    setup();
    connect_ok(5000, 1024);
    post_rx_quiet(8);
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 2] = '\n';
    line[sizeof(line) - 1] = '\0';
    while (st.vms[0].agent_conn != 0 && sent < 100) {
        UT_EXPECT(tx(OP_RW, 5000, 1024, line));
        sent++;
    }
    UT_EXPECT_EQ(st.vms[0].agent_conn, 0);
    UT_EXPECT(sent > 1 && sent < 100);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST);
    UT_EXPECT_EQ(warnings, 1);
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
        {"vsock_agent_lines_reach_migrate", vsock_agent_lines_reach_migrate},
        {"vsock_agent_channel_full_resets", vsock_agent_channel_full_resets},
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
        {"vsock_hidden_or_absent", vsock_hidden_or_absent})
