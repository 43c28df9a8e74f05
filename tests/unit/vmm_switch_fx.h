/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The fixture of the switch's tests (test_vmm_switch*.c), for servers/vmm/vmm_switch.c and the
 * service-address half of vmm_net.c. VM 0 (A) and its standby twin VM 1 (B) share one
 * address; VM 2 (C) has its own; the NIC is a recording fake. A port that got a frame shows it
 * in its rx counters (without a receive queue every delivery counts as rx_drops). */
#pragma once

#include <stdint.h>
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
#define SVC_PORT 7000u
#define F_SYN VMM_TCP_SYN
#define F_ACK VMM_TCP_ACK
#define F_FIN VMM_TCP_FIN
#define F_RST VMM_TCP_RST

extern struct vmm_state st;
extern uint8_t *ram[VMS];
extern unsigned warnings, infos, nic_frames;
extern uint8_t nic_last[VIO_NET_FRAME_MAX];
extern const uint8_t svc_mac[6], c_mac[6], gw_mac[6], bcast[6];
extern const uint8_t svc_ip[4], c_ip[4], far_ip[4];

void setup(void);
uint64_t got(uint32_t vm);
uint32_t tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src, const uint8_t *sip, uint32_t sport,
             const uint8_t *dip, uint32_t dport, uint8_t flags, uint8_t mark);
void from_client(uint32_t port, uint8_t flags, uint8_t mark);
void to_client(uint32_t vm, uint32_t port, uint8_t flags);
uint32_t tracked(uint32_t port);
uint32_t service(uint16_t len, uint64_t op, uint64_t w1, uint64_t w2, struct us_msg *m);
uint32_t svc(uint64_t op, uint64_t w1, uint64_t w2);
void status(uint32_t slot, uint64_t *held, uint64_t *conns, uint64_t *dropped);
void connect(uint32_t port, uint32_t vm);
void net_up(uint32_t vm, uint32_t n);
int rx_mark(uint32_t vm, uint32_t k);
