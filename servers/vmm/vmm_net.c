/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-net devices and the switch that joins them to each other and to the node's NIC.
 *
 * The switch has one port per VM with a virtio-net device, numbered by VM slot, and an
 * uplink (VMM_NET_UPLINK) to the NIC that vmm_nic.c drives. Each VM's address is the one
 * the vmm gave its device, so there is nothing to learn: a frame for a VM's address goes to
 * that VM, broadcast and multicast to every other port, and any other unicast to the uplink
 * (the outside world is behind it). A VM may only send from its own address; frames with
 * another source are dropped and logged, so one guest cannot steal another's traffic.
 *
 * Frames move by copying: guest transmit buffers to a bounce buffer, then into each
 * receiver's buffers. A receiver with no buffer posted loses the frame, as it would on a
 * real wire; TCP and ARP retransmit.
 */
#include <uslib/string.h>
#include "vmm.h"

static bool is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1u) != 0; /* the group bit; broadcast included */
}

uint32_t vmm_net_route(const uint8_t (*macs)[6], uint32_t present, uint32_t in,
                       const uint8_t *frame, uint32_t len)
{
    const uint8_t *dst = frame, *src = frame + 6;
    uint32_t others = present & ~(1u << in);

    if (len < VIO_NET_FRAME_MIN || !(present & (1u << in))) {
        return 0;
    }
    if (in != VMM_NET_UPLINK && (memcmp(src, macs[in], 6) != 0 || memcmp(dst, macs[in], 6) == 0)) {
        return 0; /* spoofed source, or addressed to itself */
    }
    if (is_multicast(dst)) {
        return others;
    }
    for (uint32_t p = 0; p < VMM_NET_UPLINK; p++) {
        if ((others & (1u << p)) && memcmp(dst, macs[p], 6) == 0) {
            return 1u << p;
        }
    }
    return in != VMM_NET_UPLINK ? (others & (1u << VMM_NET_UPLINK)) : 0u;
}

static void net_warn(struct vmm_net_stats *s, const char *port, const char *what)
{
    if (s->warnings < VMM_FAULT_LOG_LIMIT) {
        s->warnings++;
        US_LOG_WARN("%s: virtio-net: %s; frame dropped", port, what);
    }
}

/* Copy @len bytes, starting @skip bytes into the readable buffers of @chain, to @dst.
 * Returns false if a buffer is outside guest RAM. */
static bool chain_read(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                       uint32_t n, uint32_t skip, uint8_t *dst, uint32_t len)
{
    uint32_t at = 0; /* offset in the chain of chain[k]'s first byte */

    for (uint32_t k = 0; k < n && len > 0; at += chain[k].len, k++) {
        const uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);
        uint32_t from, take;

        if (buf == NULL) {
            return false;
        }
        if (at + chain[k].len <= skip) {
            continue;
        }
        from = skip > at ? skip - at : 0u;
        take = chain[k].len - from < len ? chain[k].len - from : len;
        memcpy(dst, buf + from, take);
        dst += take;
        len -= take;
    }
    return len == 0;
}

int64_t vmm_net_tx(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain, uint32_t n)
{
    static uint8_t frame[VIO_NET_FRAME_MAX]; /* the vmm is single-threaded */
    struct vmm_net_stats *s = &st->vms[slot].net_stats;
    uint64_t total = 0;

    for (uint32_t k = 0; k < n; k++) {
        if (chain[k].flags & VRING_DESC_F_WRITE) {
            return -1; /* a transmit chain the device would write to: not virtio-net's shape */
        }
        total += chain[k].len;
    }
    if (total < VIO_NET_HDR_LEN + VIO_NET_FRAME_MIN ||
        total > VIO_NET_HDR_LEN + VIO_NET_FRAME_MAX) {
        s->tx_drops++;
        net_warn(s, st->config.vms[slot].name, "transmitted frame of a bad length");
        return 0;
    }
    total -= VIO_NET_HDR_LEN; /* no offloads were offered: the header carries nothing */
    if (!chain_read(st, slot, chain, n, VIO_NET_HDR_LEN, frame, (uint32_t)total)) {
        return -1;
    }
    s->tx_frames++;
    vmm_net_switch(st, slot, frame, (uint32_t)total);
    return 0;
}

/* Into VM @slot's next receive buffer. Returns false if the frame was dropped. */
static bool net_rx(struct vmm_state *st, uint32_t slot, const uint8_t *frame, uint32_t len)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct vring_desc chain[VMM_VIRTQ_SIZE];
    struct vmm_vq_view v;
    uint8_t hdr[VIO_NET_HDR_LEN] = {0};
    uint32_t n, done = 0, total = VIO_NET_HDR_LEN + len;
    uint16_t head;

    hdr[VIO_NET_HDR_NUM_BUFFERS] = 1u;
    if (!vmm_virtio_vq_open(st, slot, &vm->net, 0, &v) ||
        vmm_virtio_vq_pop(st, slot, &vm->net, 0, &v, chain, &n, &head) != 1) {
        return false; /* no buffer posted (or the queue is broken and now stopped) */
    }
    for (uint32_t k = 0; k < n && done < total; k++) {
        uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);
        uint32_t take = chain[k].len < total - done ? chain[k].len : total - done;

        if (buf == NULL || !(chain[k].flags & VRING_DESC_F_WRITE)) {
            vmm_virtio_needs_reset(st, slot, &vm->net, "receive buffer outside RAM or read-only");
            return false;
        }
        for (uint32_t b = 0; b < take; b++, done++) {
            buf[b] = done < VIO_NET_HDR_LEN ? hdr[done] : frame[done - VIO_NET_HDR_LEN];
        }
    }
    if (done < total) {
        vmm_virtio_vq_push(&v, head, 0); /* too small for the frame: returned empty */
        return false;
    }
    vmm_virtio_vq_push(&v, head, total);
    vmm_virtio_raise(st, slot, &vm->net, VMM_VIRTIO_NET_INTID);
    return true;
}

void vmm_net_switch(struct vmm_state *st, uint32_t in, const uint8_t *frame, uint32_t len)
{
    uint8_t macs[VMM_NET_UPLINK][6];
    uint32_t present = st->nic.regs != NULL ? 1u << VMM_NET_UPLINK : 0u, out;
    struct vmm_net_stats *in_stats = in == VMM_NET_UPLINK ? &st->nic.stats : &st->vms[in].net_stats;

    for (uint32_t p = 0; p < st->config.vm_count && p < VMM_NET_UPLINK; p++) {
        memcpy(macs[p], st->vms[p].net.mac, 6);
        if ((st->vms[p].visible & VMM_DEV_VIRTIO_NET) && st->vms[p].state == US_VM_STATE_RUNNING) {
            present |= 1u << p;
        }
    }
    out = vmm_net_route((const uint8_t(*)[6])macs, present, in, frame, len);
    if (out == 0 && in != VMM_NET_UPLINK && len >= VIO_NET_FRAME_MIN &&
        memcmp(frame + 6, macs[in], 6) != 0) {
        in_stats->tx_drops++;
        net_warn(in_stats, st->config.vms[in].name, "source address is not the VM's own");
        return;
    }
    for (uint32_t p = 0; p <= VMM_NET_UPLINK; p++) {
        struct vmm_net_stats *s;
        bool ok;

        if (!(out & (1u << p))) {
            continue;
        }
        s = p == VMM_NET_UPLINK ? &st->nic.stats : &st->vms[p].net_stats;
        ok =
            p == VMM_NET_UPLINK ? vmm_nic_send(st, frame, len) == US_OK : net_rx(st, p, frame, len);
        if (ok) {
            s->rx_frames++;
        } else {
            s->rx_drops++;
        }
    }
}
