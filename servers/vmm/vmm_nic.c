/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vmm's driver of the node's NIC: the switch's uplink (vmm_net.c).
 *
 * The NIC is a virtio-net device, granted to the vmm by the boot manifest with its interrupt:
 * on QEMU virt on a virtio-mmio transport (vmm_nic_mmio.c), on a PC a PCI function
 * (vmm_nic_pci.c); either way the driver reads and writes it in virtio-mmio's register
 * numbering. It follows virtio 1.2's initialisation (3.1.1), negotiates nothing beyond
 * VERSION_1 and MAC, keeps every receive buffer posted, and copies frames through buffers in
 * one DMA area of its own memory. QEMU's device receives every frame (no filtering without
 * CTRL_RX), which is what a switch uplink needs.
 */
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <uslib/string.h>
#include "vmm_arch.h"

#define NIC_BUF 2048u /* per frame: header and 1514 bytes fit */
#define NIC_RING(q) (0x1000u * (q))
#define NIC_AVAIL_OFF 0x400u
#define NIC_USED_OFF 0x800u
#define NIC_RX_BUFS 0x2000u
#define NIC_TX_BUFS (NIC_RX_BUFS + VMM_NIC_QN * NIC_BUF)
#define NIC_MEM_SIZE (NIC_TX_BUFS + VMM_NIC_QN * NIC_BUF)
#define NIC_RX 0u
#define NIC_TX 1u

_Static_assert(16u * VMM_NIC_QN <= NIC_AVAIL_OFF &&
                   6u + 2u * VMM_NIC_QN <= NIC_USED_OFF - NIC_AVAIL_OFF &&
                   6u + 8u * VMM_NIC_QN <= 0x1000u - NIC_USED_OFF,
               "a queue's rings fit in its page");
_Static_assert(NIC_BUF >= VIO_NET_HDR_LEN + VIO_NET_FRAME_MAX, "a buffer holds a frame");

static struct vring_desc *ring_desc(struct vmm_nic *n, uint32_t q)
{
    return (struct vring_desc *)(void *)(n->mem + NIC_RING(q));
}

static uint16_t *ring_avail(struct vmm_nic *n, uint32_t q)
{
    return (uint16_t *)(void *)(n->mem + NIC_RING(q) + NIC_AVAIL_OFF);
}

static volatile uint16_t *ring_used(struct vmm_nic *n, uint32_t q)
{
    return (volatile uint16_t *)(void *)(n->mem + NIC_RING(q) + NIC_USED_OFF);
}

/* The used ring's element @i: the descriptor id (its length we read separately). */
static uint32_t used_elem(struct vmm_nic *n, uint32_t q, uint16_t i, uint32_t *len)
{
    volatile uint32_t *e =
        (volatile uint32_t *)(volatile void *)&ring_used(n, q)[2 + 4 * (i % VMM_NIC_QN)];

    *len = e[1];
    return e[0];
}

/* Publish avail index @idx of queue @q and tell the device. */
static void kick(struct vmm_nic *n, uint32_t q, uint16_t idx)
{
    __atomic_store_n(&ring_avail(n, q)[1], idx, __ATOMIC_RELEASE);
    us_cpu_dma_wmb(); /* ring writes before the doorbell */
    vmm_nic_reg_set(n, VIO_QUEUE_NOTIFY, q);
}

static bool queue_setup(struct vmm_nic *n, uint32_t q)
{
    uint64_t pa = n->mem_pa + NIC_RING(q);

    vmm_nic_reg_set(n, VIO_QUEUE_SEL, q);
    if (vmm_nic_reg(n, VIO_QUEUE_READY) != 0 || vmm_nic_reg(n, VIO_QUEUE_NUM_MAX) < VMM_NIC_QN) {
        return false;
    }
    vmm_nic_reg_set(n, VIO_QUEUE_NUM, VMM_NIC_QN);
    vmm_nic_reg_set(n, VIO_QUEUE_DESC_LOW, (uint32_t)pa);
    vmm_nic_reg_set(n, VIO_QUEUE_DESC_HIGH, (uint32_t)(pa >> 32));
    vmm_nic_reg_set(n, VIO_QUEUE_DRIVER_LOW, (uint32_t)(pa + NIC_AVAIL_OFF));
    vmm_nic_reg_set(n, VIO_QUEUE_DRIVER_HIGH, (uint32_t)((pa + NIC_AVAIL_OFF) >> 32));
    vmm_nic_reg_set(n, VIO_QUEUE_DEVICE_LOW, (uint32_t)(pa + NIC_USED_OFF));
    vmm_nic_reg_set(n, VIO_QUEUE_DEVICE_HIGH, (uint32_t)((pa + NIC_USED_OFF) >> 32));
    vmm_nic_reg_set(n, VIO_QUEUE_READY, 1);
    return true;
}

/* Sent frames raise no interrupt (VRING_AVAIL_F_NO_INTERRUPT on the transmit ring, virtio 1.2
 * 2.7.7): tx_reclaim() takes their descriptors back at the next send or poll, so an interrupt
 * per sent frame would only wake the vmm for nothing. Receiving interrupts as before. */
void vmm_nic_rings_init(struct vmm_nic *n)
{
    for (uint16_t i = 0; i < VMM_NIC_QN; i++) {
        ring_desc(n, NIC_RX)[i] = (struct vring_desc){
            n->mem_pa + NIC_RX_BUFS + (uint64_t)i * NIC_BUF, NIC_BUF, VRING_DESC_F_WRITE, 0};
        ring_avail(n, NIC_RX)[2 + i] = i;
        n->tx_free[i] = i;
    }
    ring_avail(n, NIC_TX)[0] = VRING_AVAIL_F_NO_INTERRUPT;
    n->rx_used = n->tx_used = n->tx_avail = 0;
    n->tx_free_count = VMM_NIC_QN;
    n->rx_avail = VMM_NIC_QN;
}

/* Feature negotiation and queues (virtio 1.2, 3.1.1). Returns a reason on failure. */
static const char *nic_start(struct vmm_nic *n)
{
    uint32_t f0;

    vmm_nic_reg_set(n, VIO_STATUS, 0);
    vmm_nic_reg_set(n, VIO_STATUS, VIO_STATUS_ACKNOWLEDGE);
    vmm_nic_reg_set(n, VIO_STATUS, VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER);
    vmm_nic_reg_set(n, VIO_DEVICE_FEATURES_SEL, 1);
    if (!(vmm_nic_reg(n, VIO_DEVICE_FEATURES) & VIO_F_VERSION_1_HI)) {
        return "no VERSION_1";
    }
    vmm_nic_reg_set(n, VIO_DEVICE_FEATURES_SEL, 0);
    f0 = vmm_nic_reg(n, VIO_DEVICE_FEATURES) & VIO_NET_F_MAC;
    vmm_nic_reg_set(n, VIO_DRIVER_FEATURES_SEL, 0);
    vmm_nic_reg_set(n, VIO_DRIVER_FEATURES, f0);
    vmm_nic_reg_set(n, VIO_DRIVER_FEATURES_SEL, 1);
    vmm_nic_reg_set(n, VIO_DRIVER_FEATURES, VIO_F_VERSION_1_HI);
    vmm_nic_reg_set(n, VIO_STATUS,
                    VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER | VIO_STATUS_FEATURES_OK);
    if (!(vmm_nic_reg(n, VIO_STATUS) & VIO_STATUS_FEATURES_OK)) {
        return "features refused";
    }
    if (!queue_setup(n, NIC_RX) || !queue_setup(n, NIC_TX)) {
        return "queues too small or already live";
    }
    for (uint32_t i = 0; f0 != 0 && i < sizeof(n->mac); i++) {
        n->mac[i] = (uint8_t)vmm_nic_reg(n, VIO_CONFIG + i);
    }
    vmm_nic_rings_init(n);
    vmm_nic_reg_set(n, VIO_STATUS,
                    VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER | VIO_STATUS_FEATURES_OK |
                        VIO_STATUS_DRIVER_OK);
    kick(n, NIC_RX, n->rx_avail);
    return NULL;
}

us_err_t vmm_nic_init(struct vmm_state *st)
{
    struct vmm_nic *n = &st->nic;
    const char *why;
    us_cap_t mem;
    us_err_t e;

    e = vmm_nic_bus_find(n);
    if (e != US_OK) {
        n->regs = NULL;
        return e == US_ENOENT ? US_OK : e; /* no NIC: the switch joins the guests only */
    }
    e = us_mem_alloc(US_SLOT_VMM_VM_CONTROL, NIC_MEM_SIZE, &mem);
    if (e == US_OK) {
        e = us_mem_map(mem, VMM_NIC_DMA_VA, US_RIGHT_READ | US_RIGHT_WRITE);
    }
    if (e == US_OK) {
        e = us_mem_info(mem, NULL, &n->mem_pa);
    }
    if (e != US_OK) {
        US_LOG_ERR("NIC: no memory for its queues: %s", us_err_name(e));
        n->regs = NULL;
        return e;
    }
    n->mem_cap = mem;
    n->mem = (uint8_t *)(uintptr_t)VMM_NIC_DMA_VA;
    memset(n->mem, 0, NIC_MEM_SIZE);
    why = nic_start(n);
    if (why != NULL) {
        vmm_nic_reg_set(n, VIO_STATUS, VIO_STATUS_FAILED);
        n->regs = NULL;
        US_LOG_ERR("NIC: virtio-net device unusable: %s", why);
        return US_ENOTSUP;
    }
    US_LOG_INFO("NIC: virtio-net %02x:%02x:%02x:%02x:%02x:%02x is the switch's uplink", n->mac[0],
                n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
    return US_OK;
}

/* Take back the transmit descriptors the device has finished with. */
static void tx_reclaim(struct vmm_nic *n)
{
    uint16_t used = __atomic_load_n(&ring_used(n, NIC_TX)[1], __ATOMIC_ACQUIRE);
    uint32_t len;

    while (n->tx_used != used && n->tx_free_count < VMM_NIC_QN) {
        uint32_t id = used_elem(n, NIC_TX, n->tx_used++, &len);
        if (id < VMM_NIC_QN) {
            n->tx_free[n->tx_free_count++] = (uint16_t)id;
        }
    }
}

us_err_t vmm_nic_send(struct vmm_state *st, const uint8_t *frame, uint32_t len)
{
    struct vmm_nic *n = &st->nic;
    uint16_t id;
    uint8_t *buf;

    if (n->regs == NULL) {
        return US_ENOENT;
    }
    if (len > VIO_NET_FRAME_MAX) {
        return US_EINVAL;
    }
    tx_reclaim(n);
    if (n->tx_free_count == 0) {
        return US_EBUSY;
    }
    id = n->tx_free[--n->tx_free_count];
    buf = n->mem + NIC_TX_BUFS + (uint32_t)id * NIC_BUF;
    memset(buf, 0, VIO_NET_HDR_LEN);
    memcpy(buf + VIO_NET_HDR_LEN, frame, len);
    ring_desc(n, NIC_TX)[id] = (struct vring_desc){n->mem_pa + NIC_TX_BUFS + (uint64_t)id * NIC_BUF,
                                                   VIO_NET_HDR_LEN + len, 0, 0};
    ring_avail(n, NIC_TX)[2 + n->tx_avail % VMM_NIC_QN] = id;
    kick(n, NIC_TX, ++n->tx_avail);
    return US_OK;
}

void vmm_nic_poll(struct vmm_state *st)
{
    struct vmm_nic *n = &st->nic;
    bool refilled = false;
    uint16_t used;
    uint32_t len;

    if (n->regs == NULL) {
        return;
    }
    vmm_nic_reg_set(n, VIO_INTERRUPT_ACK, vmm_nic_reg(n, VIO_INTERRUPT_STATUS));
    /* Each pass re-reads the index: frames that land while we switch are taken too, before
     * the interrupt is re-enabled. */
    while (n->rx_used != (used = __atomic_load_n(&ring_used(n, NIC_RX)[1], __ATOMIC_ACQUIRE))) {
        while (n->rx_used != used) {
            uint32_t id = used_elem(n, NIC_RX, n->rx_used++, &len);

            if (id >= VMM_NIC_QN) {
                continue; /* the device misbehaves: nothing of ours to give back */
            }
            if (len >= VIO_NET_HDR_LEN && len <= NIC_BUF) {
                n->stats.tx_frames++;
                vmm_net_switch(st, VMM_NET_UPLINK,
                               n->mem + NIC_RX_BUFS + id * NIC_BUF + VIO_NET_HDR_LEN,
                               len - VIO_NET_HDR_LEN);
            }
            ring_avail(n, NIC_RX)[2 + n->rx_avail++ % VMM_NIC_QN] = (uint16_t)id;
            refilled = true;
        }
    }
    if (refilled) {
        kick(n, NIC_RX, n->rx_avail);
    }
    tx_reclaim(n);
    (void)us_irq_ack(US_SLOT_VMM_NIC_IRQ);
}
