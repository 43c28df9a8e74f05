/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_net.c: the switch's forwarding rules, and virtio-net devices
 * of two VMs driven through the vmm's virtio-mmio transport like Linux's driver would, then
 * with hostile queues. Guest RAM is a host buffer per VM; the NIC is a recording fake. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_arch.h"

#define RAM_SIZE (1u << 20)
#define QN 8u
#define RING(q) (0x1000u + 0x3000u * (q)) /* desc; avail at +0x1000, used at +0x2000 */
#define BUF 0x10000u

static struct vmm_state st;
static uint8_t *ram[2];
static unsigned warnings, injected[2], nic_frames;
static uint8_t nic_last[VIO_NET_FRAME_MAX];
static uint32_t nic_last_len;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
    warnings++;
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

/* No agent channels here (st.agent_chans is NULL), so the vmm never signals migrate. */
us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    (void)ntfn;
    (void)bits;
    UT_EXPECT(0);
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    UT_EXPECT(intid == VMM_VIRTIO_NET_INTID && vcpu < 2);
    injected[vcpu]++;
    return US_OK;
}

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    (void)s;
    nic_frames++;
    memcpy(nic_last, frame, len);
    nic_last_len = len;
    return US_OK;
}

static const uint8_t mac0[6] = {0x02, 0x75, 0x73, 0, 0, 1}, mac1[6] = {0x02, 0x75, 0x73, 0, 0, 2};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t outside[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static uint32_t rd(uint32_t vm, uint32_t off, uint32_t size)
{
    uint64_t v = 0;
    uint32_t irq;

    UT_EXPECT(vmm_virtio_access(&st, vm, VMM_VIRTIO_NET_IPA + off, size, false, 0, &v, &irq));
    return (uint32_t)v;
}

static bool wr(uint32_t vm, uint32_t off, uint32_t v)
{
    uint64_t ignored;
    uint32_t irq = 0;

    UT_EXPECT(vmm_virtio_access(&st, vm, VMM_VIRTIO_NET_IPA + off, 4, true, v, &ignored, &irq));
    return irq != 0;
}

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    st.config.vm_count = 2;
    st.nic.regs = NULL;
    for (uint32_t i = 0; i < 2; i++) {
        free(ram[i]);
        ram[i] = calloc(1, RAM_SIZE);
        st.config.vms[i].mem_size = RAM_SIZE;
        st.config.vms[i].devices = st.vms[i].visible = VMM_DEV_VIRTIO_NET;
        st.vms[i].ram = ram[i];
        st.vms[i].state = US_VM_STATE_RUNNING;
        st.vms[i].vcpu_cap[0] = i;
        memcpy(st.vms[i].net.mac, i == 0 ? mac0 : mac1, 6);
        vmm_virtio_reset(&st.vms[i].net, VIO_ID_NET);
        injected[i] = 0;
    }
    warnings = nic_frames = 0;
}

/* Linux's bring-up: features VERSION_1 and MAC, queues 0 (rx) and 1 (tx) of QN entries. */
static void net_up(uint32_t vm)
{
    wr(vm, 0x070, 0);
    wr(vm, 0x070, 1 | 2);
    wr(vm, 0x014, 0);
    UT_EXPECT(rd(vm, 0x010, 4) & (1u << 5));
    wr(vm, 0x014, 1);
    UT_EXPECT(rd(vm, 0x010, 4) == 1);
    wr(vm, 0x070, 1 | 2 | 8);
    for (uint32_t q = 0; q < 2; q++) {
        wr(vm, 0x030, q);
        wr(vm, 0x038, QN);
        wr(vm, 0x080, (uint32_t)(VMM_RAM_IPA + RING(q)));
        wr(vm, 0x090, (uint32_t)(VMM_RAM_IPA + RING(q) + 0x1000));
        wr(vm, 0x0a0, (uint32_t)(VMM_RAM_IPA + RING(q) + 0x2000));
        wr(vm, 0x044, 1);
    }
    wr(vm, 0x070, 1 | 2 | 8 | 4);
}

static void desc(uint32_t vm, uint32_t q, unsigned i, uint64_t off, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    uint8_t *d = ram[vm] + RING(q) + 16 * i;
    uint64_t addr = VMM_RAM_IPA + off;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* Make chain @head available on queue @q (notifying only the transmit queue). */
static bool submit(uint32_t vm, uint32_t q, uint16_t head)
{
    uint8_t *avail = ram[vm] + RING(q) + 0x1000;
    uint16_t idx;

    memcpy(&idx, avail + 2, 2);
    memcpy(avail + 4 + 2 * (idx % QN), &head, 2);
    idx++;
    memcpy(avail + 2, &idx, 2);
    return q == 1 ? wr(vm, 0x050, 1) : false;
}

static uint16_t used_idx(uint32_t vm, uint32_t q, uint32_t *last_len)
{
    uint8_t *used = ram[vm] + RING(q) + 0x2000;
    uint16_t u;

    memcpy(&u, used + 2, 2);
    if (u > 0 && last_len != NULL) {
        memcpy(last_len, used + 4 + 8 * ((u - 1u) % QN) + 4, 4);
    }
    return u;
}

/* VM @vm transmits a @len-byte frame dst/src/payload, header and frame in two descriptors. */
static bool transmit(uint32_t vm, const uint8_t *dst, const uint8_t *src, uint32_t len)
{
    uint8_t *f = ram[vm] + BUF + 0x100;

    memset(ram[vm] + BUF, 0, VIO_NET_HDR_LEN);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    for (uint32_t i = 12; i < len; i++) {
        f[i] = (uint8_t)(i * 3u);
    }
    desc(vm, 1, 0, BUF, VIO_NET_HDR_LEN, 1, 1);
    desc(vm, 1, 1, BUF + 0x100, len, 0, 0);
    return submit(vm, 1, 0);
}

/* VM @vm posts one receive buffer of @len bytes at BUF + 0x1000. */
static void post_rx(uint32_t vm, uint32_t len, uint16_t flags)
{
    desc(vm, 0, 0, BUF + 0x1000, len, flags, 0);
    (void)submit(vm, 0, 0);
}

static void route_rules(void)
{
    struct vmm_net_ports p = {
        .mac = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}},
        .present = 1u | 2u | (1u << VMM_NET_UPLINK), /* VMs 0 and 1 and the uplink; not 2 */
    };
    const uint8_t(*macs)[6] = p.mac;
    uint32_t all = p.present;
    uint8_t f[64] = {0};

    memcpy(f + 6, macs[0], 6);
    memcpy(f, bcast, 6);
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == (2u | (1u << VMM_NET_UPLINK)));
    memcpy(f, macs[1], 6);
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == 2u);
    memcpy(f, macs[2], 6); /* a VM that has no port: its address is nobody's here */
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == 1u << VMM_NET_UPLINK);
    memcpy(f, outside, 6);
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == 1u << VMM_NET_UPLINK);
    p.present = 1u | 2u; /* no uplink */
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == 0);
    p.present = all;
    memcpy(f, macs[0], 6); /* to itself */
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 60) == 0);
    UT_EXPECT(vmm_net_route(&p, NULL, 0, f, 13) == 0);  /* shorter than a header */
    UT_EXPECT(vmm_net_route(&p, NULL, 2, f, 60) == 0);  /* from a port that does not exist */
    UT_EXPECT(vmm_net_route(&p, NULL, 40, f, 60) == 0); /* nor does this one */
    /* Spoofing: VM 1 sends with VM 0's source address. */
    memcpy(f, outside, 6);
    UT_EXPECT(vmm_net_route(&p, NULL, 1, f, 60) == 0);
    /* From the uplink: to a VM, broadcast to the VMs, anything else nowhere (no hairpin). */
    memcpy(f + 6, outside, 6);
    memcpy(f, macs[1], 6);
    UT_EXPECT(vmm_net_route(&p, NULL, VMM_NET_UPLINK, f, 60) == 2u);
    memcpy(f, bcast, 6);
    UT_EXPECT(vmm_net_route(&p, NULL, VMM_NET_UPLINK, f, 60) == 3u);
    memcpy(f, (const uint8_t[6]){0x52, 0, 0, 0, 0, 9}, 6);
    UT_EXPECT(vmm_net_route(&p, NULL, VMM_NET_UPLINK, f, 60) == 0);
}

static void identifies_device_and_mac(void)
{
    setup();
    UT_EXPECT(rd(0, 0x000, 4) == 0x74726976u && rd(0, 0x008, 4) == VIO_ID_NET);
    for (uint32_t i = 0; i < 6; i++) {
        UT_EXPECT(rd(1, 0x100 + i, 1) == mac1[i]); /* Linux reads the MAC bytewise */
    }
    UT_EXPECT(rd(0, 0x104, 2) == 0x0100u);
    UT_EXPECT(rd(0, 0x100, 4) == 0x00737502u);
    UT_EXPECT(rd(0, 0x106, 4) == 0); /* past the configuration */
    {
        uint64_t v;
        uint32_t irq;
        UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_NET_IPA + 0x100, 8, false, 0, &v, &irq));
        UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_NET_IPA + 0x070, 1, false, 0, &v, &irq));
    }
    /* A reset keeps the address. */
    net_up(0);
    wr(0, 0x070, 0);
    UT_EXPECT(rd(0, 0x070, 4) == 0 && rd(0, 0x105, 1) == mac0[5]);
}

static void frame_between_guests(void)
{
    uint32_t len = 0;
    uint16_t nb;

    setup();
    net_up(0);
    net_up(1);
    post_rx(1, 2048, VRING_DESC_F_WRITE);
    UT_EXPECT(transmit(0, mac1, mac0, 100)); /* the sender's transmit completion interrupts */
    UT_EXPECT(used_idx(0, 1, NULL) == 1);
    UT_EXPECT(used_idx(1, 0, &len) == 1 && len == VIO_NET_HDR_LEN + 100u);
    UT_EXPECT(memcmp(ram[1] + BUF + 0x1000 + VIO_NET_HDR_LEN, ram[0] + BUF + 0x100, 100) == 0);
    memcpy(&nb, ram[1] + BUF + 0x1000 + VIO_NET_HDR_NUM_BUFFERS, 2);
    UT_EXPECT(nb == 1);
    UT_EXPECT(injected[1] == 1 && injected[0] == 0 && nic_frames == 0);
    UT_EXPECT(st.vms[0].net_stats.tx_frames == 1 && st.vms[1].net_stats.rx_frames == 1);
    /* No buffer posted any more: the next frame is dropped, the sender still completes. */
    UT_EXPECT(transmit(0, mac1, mac0, 60));
    UT_EXPECT(used_idx(0, 1, NULL) == 2 && used_idx(1, 0, NULL) == 1);
    UT_EXPECT(st.vms[1].net_stats.rx_drops == 1 && warnings == 0);
}

static void uplink_and_broadcast(void)
{
    uint8_t f[60] = {0};

    setup();
    st.nic.regs = (volatile uint32_t *)(uintptr_t)0x1000; /* present; the fake never touches it */
    net_up(0);
    net_up(1);
    post_rx(1, 2048, VRING_DESC_F_WRITE);
    UT_EXPECT(transmit(0, outside, mac0, 80));
    UT_EXPECT(nic_frames == 1 && nic_last_len == 80 && memcmp(nic_last, outside, 6) == 0);
    UT_EXPECT(used_idx(1, 0, NULL) == 0);
    UT_EXPECT(transmit(0, bcast, mac0, 42)); /* ARP-sized broadcast: VM 1 and the NIC */
    UT_EXPECT(nic_frames == 2 && used_idx(1, 0, NULL) == 1);
    /* From the NIC to VM 0, which has no receive buffer: dropped. To VM 1: delivered. */
    memcpy(f + 6, outside, 6);
    memcpy(f, mac0, 6);
    vmm_net_switch(&st, VMM_NET_UPLINK, f, sizeof(f));
    UT_EXPECT(st.vms[0].net_stats.rx_drops == 1);
    post_rx(1, 2048, VRING_DESC_F_WRITE);
    memcpy(f, mac1, 6);
    vmm_net_switch(&st, VMM_NET_UPLINK, f, sizeof(f));
    UT_EXPECT(used_idx(1, 0, NULL) == 2 && injected[1] == 2);
}

static void hostile_frames_and_queues(void)
{
    uint32_t len;

    setup();
    net_up(0);
    net_up(1);
    post_rx(1, 2048, VRING_DESC_F_WRITE);
    /* Spoofed source: dropped and logged, the sender completes and keeps its device. */
    UT_EXPECT(transmit(0, mac1, outside, 60));
    UT_EXPECT(used_idx(1, 0, NULL) == 0 && st.vms[0].net_stats.tx_drops == 1 && warnings == 1);
    /* Too short, too long: dropped, not fatal. */
    UT_EXPECT(transmit(0, mac1, mac0, 13));
    UT_EXPECT(transmit(0, mac1, mac0, VIO_NET_FRAME_MAX + 1));
    UT_EXPECT(st.vms[0].net_stats.tx_drops == 3 && !(rd(0, 0x070, 4) & 0x40));
    UT_EXPECT(used_idx(1, 0, NULL) == 0);
    /* A receive buffer smaller than the frame: given back empty, the frame dropped. */
    setup();
    net_up(0);
    net_up(1);
    post_rx(1, 40, VRING_DESC_F_WRITE);
    UT_EXPECT(transmit(0, mac1, mac0, 100));
    UT_EXPECT(used_idx(1, 0, &len) == 1 && len == 0 && st.vms[1].net_stats.rx_drops == 1);
    /* A read-only receive buffer: the receiver's device stops; the sender carries on. */
    post_rx(1, 2048, 0);
    UT_EXPECT(transmit(0, mac1, mac0, 100));
    UT_EXPECT((rd(1, 0x070, 4) & 0x40) && !(rd(0, 0x070, 4) & 0x40));
    /* A transmit chain with a device-writable buffer, and one outside RAM: malformed. */
    desc(0, 1, 0, BUF, VIO_NET_HDR_LEN, 1, 1);
    desc(0, 1, 1, BUF + 0x100, 60, VRING_DESC_F_WRITE, 0);
    UT_EXPECT(!submit(0, 1, 0));
    UT_EXPECT(rd(0, 0x070, 4) & 0x40);
    setup();
    net_up(0);
    desc(0, 1, 0, RAM_SIZE - 4, 80, 0, 0);
    UT_EXPECT(!submit(0, 1, 0));
    UT_EXPECT(rd(0, 0x070, 4) & 0x40);
    /* After a reset the device works again. */
    net_up(0);
    net_up(1);
    post_rx(1, 2048, VRING_DESC_F_WRITE);
    UT_EXPECT(transmit(0, mac1, mac0, 64) && used_idx(1, 0, NULL) == 1);
}

UT_MAIN({"route_rules", route_rules}, {"identifies_device_and_mac", identifies_device_and_mac},
        {"frame_between_guests", frame_between_guests},
        {"uplink_and_broadcast", uplink_and_broadcast},
        {"hostile_frames_and_queues", hostile_frames_and_queues})
