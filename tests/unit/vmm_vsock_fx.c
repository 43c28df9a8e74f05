/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The fixture of the vmm's virtio-vsock tests (vmm_vsock_fx.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_arch.h"
#include "vmm_vsock_fx.h"

struct vmm_state st;
uint8_t *ram;
struct vmm_vsock *conns;
unsigned warnings;
char info[256]; /* the last INFO line */

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

/* As vmm_board_arm64.c's, the guest's GIC played by the test: injected if deliverable. */
void vmm_board_irq(struct vmm_state *s, uint32_t slot, uint32_t intid)
{
    if (true) {
        (void)us_vcpu_inject(s->vms[slot].vcpu_cap[0], intid);
    }
}

unsigned injects;

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    (void)vcpu;
    injects += intid == VMM_VIRTIO_VSOCK_INTID;
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
int last_conn = -1;
unsigned closes;
bool accept_connects = true;
uint8_t got[4096];
uint32_t got_len;

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

const struct vmm_vsock_ops test_ops = {"test", t_connect, t_data, t_close, NULL};

/* The guest's side. */
uint16_t rx_avail, rx_seen, tx_avail;
bool rx_split; /* post receive buffers as Linux 6.1 does: header and data apart */
uint32_t rx_size = 4096;
uint32_t guest_buf_alloc = 65536, guest_fwd;

uint32_t rd_at(uint64_t ipa, uint32_t size)
{
    uint64_t v = 0;
    uint32_t irq;

    UT_EXPECT(vmm_virtio_access(&st, 0, ipa, size, false, 0, &v, &irq));
    return (uint32_t)v;
}

uint32_t rd(uint32_t off)
{
    return rd_at(VMM_VIRTIO_VSOCK_IPA + off, 4);
}

bool wr(uint32_t off, uint32_t v)
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

void bring_up(void)
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
struct us_agent_chan chans[US_AGENT_CHANS];
unsigned migrate_signals;

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    UT_EXPECT_EQ(ntfn, US_SLOT_VMM_MIGRATE_NTFN);
    UT_EXPECT_EQ(bits, US_NTFN_AGENT_UP);
    migrate_signals++;
    return US_OK;
}

/* The next record the vmm put on VM 0's channel up to migrate, or "" if none. */
const char *up_line(void)
{
    static char line[US_AGENT_TEXT_MAX + 8];

    if (us_ring_line(&chans[0].up, line, sizeof(line)) < 0) {
        line[0] = '\0';
    }
    return line;
}

/* migrate's line @s for VM 0's agent, delivered as the vmm does on US_NTFN_AGENT_DOWN. */
void down_line(const char *s)
{
    UT_EXPECT(us_ring_put(&chans[0].down, s, (uint32_t)strlen(s)) >= 0);
    vmm_agent_pump(&st);
}

void setup(void)
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

void desc_at(uint32_t table, unsigned i, uint64_t off, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = ram + table + 16 * i;
    uint64_t addr = VMM_RAM_IPA + off;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

void make_avail(uint32_t avail_off, uint16_t *idx, uint16_t head)
{
    memcpy(ram + avail_off + 4 + 2 * (*idx % QN), &head, 2);
    (*idx)++;
    memcpy(ram + avail_off + 2, idx, 2);
}

uint16_t used_idx(uint32_t used_off)
{
    uint16_t u;

    memcpy(&u, ram + used_off + 2, 2);
    return u;
}

/* Post @n receive buffers (without a notify: the device finds them on its next pass). */
void post_rx_quiet(unsigned n)
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
bool post_rx(unsigned n)
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

uint32_t le32(const uint8_t *b)
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
bool next_rx(struct pkt *p)
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
bool tx_raw(const uint8_t *b, uint32_t hdr_len, const uint8_t *data, uint32_t data_len)
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

void encode(uint8_t *h, uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport,
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
bool tx(uint16_t op, uint32_t sport, uint32_t dport, const char *data)
{
    uint8_t h[HDR];
    uint32_t len = data != NULL ? (uint32_t)strlen(data) : 0u;

    encode(h, GUEST_CID, VMM_VSOCK_CID_HOST, sport, dport, len, 1, op);
    return tx_raw(h, HDR, (const uint8_t *)data, len);
}

void expect_pkt(const struct pkt *p, uint16_t op, uint32_t sport, uint32_t dport)
{
    UT_EXPECT_EQ(p->op, op);
    UT_EXPECT_EQ(p->src_cid, VMM_VSOCK_CID_HOST);
    UT_EXPECT_EQ(p->dst_cid, GUEST_CID);
    UT_EXPECT_EQ(p->src_port, sport);
    UT_EXPECT_EQ(p->dst_port, dport);
    UT_EXPECT_EQ(p->type, 1);
}

unsigned open_conns(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < VMM_VSOCK_CONNS; i++) {
        n += conns->conn[i].open != 0;
    }
    return n;
}

/* Connect guest port @sport to @dport with buffers posted; expect the RESPONSE. */
void connect_ok(uint32_t sport, uint32_t dport)
{
    struct pkt p;

    post_rx_quiet(1);
    UT_EXPECT(tx(OP_REQUEST, sport, dport, NULL));
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RESPONSE, dport, sport);
    UT_EXPECT_EQ(p.buf_alloc, VMM_VSOCK_BUF_ALLOC);
    UT_EXPECT_EQ(p.len, 0);
}
