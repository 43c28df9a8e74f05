/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_nic.c, the vmm's driver of the node's NIC: its rings as they
 * start, sending without transmit interrupts, receiving into the switch, and a device that
 * misbehaves. The device's registers are a plain host array and its DMA area a host buffer;
 * the test plays the device by writing the used rings. QEMU's device itself is exercised by
 * every system test that reaches kvd from the host. */
#include <stdlib.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"

/* vmm_nic.c's layout: each queue's rings in a page, then the receive and transmit buffers. */
#define RING(q) (0x1000u * (q))
#define AVAIL 0x400u
#define USED 0x800u
#define RX_BUFS 0x2000u
#define TX_BUFS (RX_BUFS + VMM_NIC_QN * 2048u)
#define MEM_SIZE (TX_BUFS + VMM_NIC_QN * 2048u)
#define MEM_PA 0x40000000ull

static struct vmm_state st;
static uint32_t regs[0x200 / 4];
static unsigned switched, irq_acks;
static uint32_t switched_len[8];
static uint8_t switched_first[8];
static bool nic_granted;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return nic_granted ? US_OK : US_ENOENT;
}

us_err_t us_mem_alloc(us_cap_t vm_control, uint64_t size, us_cap_t *mem)
{
    (void)vm_control, (void)size, (void)mem;
    UT_EXPECT(0); /* only reached past the register check, which a host run never passes */
    return US_ENOMEM;
}

us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa)
{
    (void)mem, (void)size, (void)pa;
    UT_EXPECT(0);
    return US_ENOENT;
}

us_err_t us_irq_ack(us_cap_t irq)
{
    (void)irq;
    irq_acks++;
    return US_OK;
}

void vmm_net_switch(struct vmm_state *s, uint32_t in, const uint8_t *frame, uint32_t len)
{
    UT_EXPECT(s == &st && in == VMM_NET_UPLINK);
    if (switched < 8) {
        switched_len[switched] = len;
        switched_first[switched] = frame[0];
    }
    switched++;
}

static uint16_t *avail(uint32_t q)
{
    return (uint16_t *)(void *)(st.nic.mem + RING(q) + AVAIL);
}

static uint16_t *used(uint32_t q)
{
    return (uint16_t *)(void *)(st.nic.mem + RING(q) + USED);
}

static struct vring_desc *desc(uint32_t q)
{
    return (struct vring_desc *)(void *)(st.nic.mem + RING(q));
}

/* The device finishes descriptor @id of queue @q with @len bytes. */
static void device_used(uint32_t q, uint32_t id, uint32_t len)
{
    uint16_t i = used(q)[1];
    uint32_t *e = (uint32_t *)(void *)&used(q)[2 + 4 * (i % VMM_NIC_QN)];

    e[0] = id;
    e[1] = len;
    used(q)[1] = (uint16_t)(i + 1);
}

static uint32_t reg(uint32_t off)
{
    return regs[off / 4];
}

static void nic_up(void)
{
    memset(&st, 0, sizeof(st));
    memset(regs, 0, sizeof(regs));
    st.nic.mem = aligned_alloc(4096, MEM_SIZE);
    UT_EXPECT(st.nic.mem != NULL);
    memset(st.nic.mem, 0, MEM_SIZE);
    st.nic.mem_pa = MEM_PA;
    st.nic.regs = regs;
    vmm_nic_rings_init(&st.nic);
    switched = irq_acks = 0;
}

static void nic_down(void)
{
    free(st.nic.mem);
    st.nic.mem = NULL;
    st.nic.regs = NULL;
}

/* Every receive buffer is posted and writable by the device; the transmit ring asks for no
 * interrupts, the receive ring does. */
static void rings_start(void)
{
    nic_up();
    for (uint32_t i = 0; i < VMM_NIC_QN; i++) {
        UT_EXPECT_EQ(desc(0)[i].addr, MEM_PA + RX_BUFS + i * 2048u);
        UT_EXPECT_EQ(desc(0)[i].len, 2048u);
        UT_EXPECT_EQ(desc(0)[i].flags, VRING_DESC_F_WRITE);
        UT_EXPECT_EQ(avail(0)[2 + i], i);
    }
    UT_EXPECT_EQ(avail(1)[0], VRING_AVAIL_F_NO_INTERRUPT);
    UT_EXPECT_EQ(avail(0)[0], 0);
    UT_EXPECT_EQ(st.nic.tx_free_count, VMM_NIC_QN);
    nic_down();
}

/* With transmit interrupts off, a full ring empties by the next send alone: what the device
 * finished is taken back there, and nothing waits for a poll. */
static void send_reclaims_without_interrupt(void)
{
    uint8_t frame[60];
    const struct vring_desc *d;

    nic_up();
    for (uint32_t i = 0; i < VMM_NIC_QN; i++) {
        memset(frame, (int)i, sizeof(frame));
        UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_OK);
    }
    UT_EXPECT_EQ(avail(1)[1], VMM_NIC_QN);
    UT_EXPECT_EQ(reg(VIO_QUEUE_NOTIFY), 1u);
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_EBUSY);

    /* The second frame went out with a zeroed header and its bytes behind it. */
    d = &desc(1)[avail(1)[3]];
    UT_EXPECT_EQ(d->len, VIO_NET_HDR_LEN + sizeof(frame));
    UT_EXPECT(d->addr >= MEM_PA + TX_BUFS && d->addr < MEM_PA + MEM_SIZE);
    for (uint32_t k = 0; k < VIO_NET_HDR_LEN; k++) {
        UT_EXPECT_EQ(st.nic.mem[d->addr - MEM_PA + k], 0);
    }
    UT_EXPECT_EQ(st.nic.mem[d->addr - MEM_PA + VIO_NET_HDR_LEN], 1);
    UT_EXPECT_EQ(st.nic.mem[d->addr - MEM_PA + VIO_NET_HDR_LEN + sizeof(frame) - 1], 1);

    /* The device sends three; no interrupt, no poll: the next sends find room. */
    for (uint32_t i = 0; i < 3; i++) {
        device_used(1, avail(1)[2 + i], 0);
    }
    for (uint32_t i = 0; i < 3; i++) {
        UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_OK);
    }
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_EBUSY);
    UT_EXPECT_EQ(avail(1)[1], VMM_NIC_QN + 3u);
    UT_EXPECT_EQ(avail(1)[0], VRING_AVAIL_F_NO_INTERRUPT);
    UT_EXPECT_EQ(irq_acks, 0u);
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, VIO_NET_FRAME_MAX + 1u), US_EINVAL);
    nic_down();
}

/* A receive interrupt: every frame goes to the switch without its header, each buffer goes
 * back to the device, the status is acknowledged, and the interrupt is re-enabled. */
static void poll_switches_and_refills(void)
{
    nic_up();
    regs[VIO_INTERRUPT_STATUS / 4] = VIO_INT_USED;
    for (uint32_t i = 0; i < 2; i++) {
        st.nic.mem[RX_BUFS + i * 2048u + VIO_NET_HDR_LEN] = (uint8_t)(0xa0 + i);
        device_used(0, i, VIO_NET_HDR_LEN + 60u + i);
    }
    vmm_nic_poll(&st);
    UT_EXPECT_EQ(switched, 2u);
    UT_EXPECT_EQ(switched_len[0], 60u);
    UT_EXPECT_EQ(switched_len[1], 61u);
    UT_EXPECT_EQ(switched_first[0], 0xa0);
    UT_EXPECT_EQ(switched_first[1], 0xa1);
    UT_EXPECT_EQ(avail(0)[1], VMM_NIC_QN + 2u);
    UT_EXPECT_EQ(avail(0)[2 + VMM_NIC_QN % VMM_NIC_QN], 0);
    UT_EXPECT_EQ(avail(0)[2 + (VMM_NIC_QN + 1) % VMM_NIC_QN], 1);
    UT_EXPECT_EQ(reg(VIO_QUEUE_NOTIFY), 0u);
    UT_EXPECT_EQ(reg(VIO_INTERRUPT_ACK), VIO_INT_USED);
    UT_EXPECT_EQ(st.nic.stats.tx_frames, 2u);
    UT_EXPECT_EQ(irq_acks, 1u);
    nic_down();
}

/* A device that returns ids we never gave or lengths no buffer has: nothing is switched for
 * them, a bad id is not given back, and the driver goes on. */
static void hostile_device(void)
{
    uint8_t frame[60] = {0};

    nic_up();
    device_used(0, 9999, VIO_NET_HDR_LEN + 60u); /* not ours */
    device_used(0, 3, VIO_NET_HDR_LEN - 1u);     /* shorter than its header */
    device_used(0, 4, 4096u);                    /* longer than its buffer */
    device_used(0, 5, VIO_NET_HDR_LEN + 42u);    /* a good one after them */
    vmm_nic_poll(&st);
    UT_EXPECT_EQ(switched, 1u);
    UT_EXPECT_EQ(switched_len[0], 42u);
    UT_EXPECT_EQ(avail(0)[1], VMM_NIC_QN + 3u);

    /* Transmit completions naming ids out of range are ignored; the free list stays whole. */
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_OK);
    device_used(1, 7777, 0);
    device_used(1, avail(1)[2], 0);
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_OK);
    UT_EXPECT_EQ(st.nic.tx_free_count, VMM_NIC_QN - 1u);
    nic_down();
}

/* Without a granted NIC the switch joins the guests only: sends fail, polls do nothing. */
static void no_nic(void)
{
    uint8_t frame[60] = {0};

    memset(&st, 0, sizeof(st));
    nic_granted = false;
    UT_EXPECT_EQ(vmm_nic_init(&st), US_OK);
    UT_EXPECT(st.nic.regs == NULL);
    UT_EXPECT_EQ(vmm_nic_send(&st, frame, sizeof(frame)), US_ENOENT);
    irq_acks = 0;
    vmm_nic_poll(&st);
    UT_EXPECT_EQ(irq_acks, 0u);
}

UT_MAIN({"rings_start", rings_start},
        {"send_reclaims_without_interrupt", send_reclaims_without_interrupt},
        {"poll_switches_and_refills", poll_switches_and_refills},
        {"hostile_device", hostile_device}, {"no_nic", no_nic})
