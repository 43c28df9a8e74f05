/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The fixture of the switch's tests (vmm_switch_fx.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_arch.h"
#include "vmm_switch_fx.h"

struct vmm_state st;
uint8_t *ram[VMS];
unsigned warnings, infos, nic_frames;
uint8_t nic_last[VIO_NET_FRAME_MAX];

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

/* As vmm_board_arm64.c's, the guest's GIC played by the test: injected if deliverable. */
void vmm_board_irq(struct vmm_state *s, uint32_t slot, uint32_t intid)
{
    if (intid == VMM_VIRTIO_NET_INTID) {
        (void)us_vcpu_inject(s->vms[slot].vcpu_cap[0], intid);
    }
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

const uint8_t svc_mac[6] = {0x02, 0x75, 0x73, 0, 0, 1}; /* A's, and so B's */
const uint8_t c_mac[6] = {0x02, 0x75, 0x73, 0, 0, 3};
const uint8_t gw_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t svc_ip[4] = {10, 0, 2, 15}, c_ip[4] = {10, 0, 2, 16};
const uint8_t far_ip[4] = {192, 0, 2, 7};

void setup(void)
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
uint64_t got(uint32_t vm)
{
    return st.vms[vm].net_stats.rx_frames + st.vms[vm].net_stats.rx_drops;
}

/* Ethernet II + IPv4 (20 bytes) + TCP (20 bytes), padded to 60 bytes; @mark in the sequence
 * number's last byte tells frames apart. Ports are host numbers here. */
uint32_t tcp(uint8_t *f, const uint8_t *dst, const uint8_t *src, const uint8_t *sip, uint32_t sport,
             const uint8_t *dip, uint32_t dport, uint8_t flags, uint8_t mark)
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
void from_client(uint32_t port, uint8_t flags, uint8_t mark)
{
    uint8_t f[60];

    vmm_net_switch(&st, UPLINK, f,
                   tcp(f, svc_mac, gw_mac, far_ip, port, svc_ip, SVC_PORT, flags, mark));
}

/* From twin @vm (A or B) to the client at far_ip:@port. */
void to_client(uint32_t vm, uint32_t port, uint8_t flags)
{
    uint8_t f[60];

    vmm_net_switch(&st, vm, f, tcp(f, gw_mac, svc_mac, svc_ip, SVC_PORT, far_ip, port, flags, 0));
}

uint32_t tracked(uint32_t port)
{
    uint8_t be[2] = {(uint8_t)(port >> 8), (uint8_t)port}, lp[2] = {SVC_PORT >> 8, SVC_PORT & 0xff};
    uint16_t rport, lport;

    memcpy(&rport, be, 2);
    memcpy(&lport, lp, 2);
    return vmm_switch_find(&st.sw, svc_mac, far_ip, rport, lport);
}

/* US_VMM_NET_SERVICE with @len bytes of words; returns the reply's error. */
uint32_t service(uint16_t len, uint64_t op, uint64_t w1, uint64_t w2, struct us_msg *m)
{
    memset(m, 0, sizeof(*m));
    us_msg_init(m, US_VMM_NET_SERVICE, len);
    m->w[0] = op;
    m->w[1] = w1;
    m->w[2] = w2;
    vmm_net_service(&st, m);
    return m->hdr.err;
}

uint32_t svc(uint64_t op, uint64_t w1, uint64_t w2)
{
    struct us_msg m;

    return service(24, op, w1, w2, &m);
}

void status(uint32_t slot, uint64_t *held, uint64_t *conns, uint64_t *dropped)
{
    struct us_msg m;

    UT_EXPECT(service(16, US_NET_SVC_STATUS, slot, 0, &m) == US_OK);
    UT_EXPECT(m.hdr.len == 24 && m.hdr.label == US_VMM_NET_SERVICE);
    *held = m.w[0];
    *conns = m.w[1];
    *dropped = m.w[2];
}

/* A client connects from @port and the active twin (@vm) accepts. */
void connect(uint32_t port, uint32_t vm)
{
    uint64_t before = got(vm), nic = nic_frames;

    from_client(port, F_SYN, 0);
    UT_EXPECT(got(vm) == before + 1);
    to_client(vm, port, F_SYN | F_ACK);
    UT_EXPECT(nic_frames == nic + 1 && tracked(port) == vm + 1u);
}

/* Linux's bring-up of VM @vm's virtio-net device, and @n receive buffers posted. */
void net_up(uint32_t vm, uint32_t n)
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
int rx_mark(uint32_t vm, uint32_t k)
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
