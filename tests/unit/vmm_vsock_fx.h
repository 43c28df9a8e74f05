/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The fixture of the vmm's virtio-vsock tests (test_vmm_vsock*.c): one VM with the device in
 * fake guest RAM, a guest side that posts and reads buffers as Linux's driver does, a test
 * service on TEST_PORT, and the agent channel to migrate. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/migrate.h>
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
#define TEST_PORT 2000u

struct pkt {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
    uint8_t data[4096];
};

extern const struct vmm_vsock_ops test_ops; /* the service on TEST_PORT */
extern struct vmm_state st;
extern uint8_t *ram;
extern struct vmm_vsock *conns;
extern unsigned warnings;
extern char info[256];
extern int last_conn;
extern unsigned closes;
extern bool accept_connects;
extern uint8_t got[4096];
extern uint32_t got_len;
extern uint16_t rx_avail, rx_seen, tx_avail;
extern bool rx_split;
extern uint32_t rx_size;
extern uint32_t guest_buf_alloc, guest_fwd;
extern struct us_agent_chan chans[US_AGENT_CHANS];
extern unsigned migrate_signals;
extern unsigned injects; /* the device's interrupts the vmm raised */

uint32_t rd_at(uint64_t ipa, uint32_t size);
uint32_t rd(uint32_t off);
bool wr(uint32_t off, uint32_t v);
void bring_up(void);
const char *up_line(void);
void down_line(const char *s);
void setup(void);
void desc_at(uint32_t table, unsigned i, uint64_t off, uint32_t len, uint16_t flags, uint16_t next);
void make_avail(uint32_t avail_off, uint16_t *idx, uint16_t head);
uint16_t used_idx(uint32_t used_off);
void post_rx_quiet(unsigned n);
bool post_rx(unsigned n);
uint32_t le32(const uint8_t *b);
bool next_rx(struct pkt *p);
bool tx_raw(const uint8_t *b, uint32_t hdr_len, const uint8_t *data, uint32_t data_len);
void encode(uint8_t *h, uint64_t src_cid, uint64_t dst_cid, uint32_t sport, uint32_t dport,
            uint32_t len, uint16_t type, uint16_t op);
bool tx(uint16_t op, uint32_t sport, uint32_t dport, const char *data);
void expect_pkt(const struct pkt *p, uint16_t op, uint32_t sport, uint32_t dport);
unsigned open_conns(void);
void connect_ok(uint32_t sport, uint32_t dport);
