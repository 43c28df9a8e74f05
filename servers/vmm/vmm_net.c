/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-net devices and the switch that joins them to each other and to the node's NIC.
 *
 * The switch has one port per VM with a virtio-net device, numbered by VM slot, and an
 * uplink (VMM_NET_UPLINK) to the NIC that vmm_nic.c drives. Each VM's address is the one
 * the vmm gave its device, so there are no addresses to learn: a frame for a VM's address goes
 * to that VM, broadcast and multicast to every other port, and any other unicast to the uplink
 * (the outside world is behind it). A VM may only send from its own address; frames with
 * another source are dropped and logged, so one guest cannot steal another's traffic.
 *
 * Twins (US_VM_CREATE_TWIN) share an address; one is active and gets its frames, the others
 * are standby and neither send nor receive, except on the TCP connections vmm_switch.c saw
 * them serve. US_VMM_NET_SERVICE (vmm_net_service()) holds an address's frames, cuts over
 * from one twin to another and forgets a twin's connections.
 *
 * Frames move by copying: guest transmit buffers to a bounce buffer, then into each
 * receiver's buffers. A receiver with no buffer posted loses the frame, as it would on a
 * real wire; TCP and ARP retransmit.
 */
#include <uslib/string.h>
#include "vmm.h"
#include "vmm_virtq.h"

static bool is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1u) != 0; /* the group bit; broadcast included */
}

/* Whether standby port @in may send TCP segment @t: on a connection tracked to it, or, if it
 * keeps its older connections, on one tracked to nobody (the switch learns it from this). */
static bool standby_serves(const struct vmm_net_ports *p, const struct vmm_switch *sw, uint32_t in,
                           const struct vmm_switch_tcp *t)
{
    uint32_t port = vmm_switch_find(sw, p->mac[in], t->dst_ip, t->dst_port, t->src_port);

    return port == in + 1u || (port == 0 && (p->keeps_old & (1u << in)));
}

uint32_t vmm_net_route(const struct vmm_net_ports *p, const struct vmm_switch *sw, uint32_t in,
                       const uint8_t *frame, uint32_t len)
{
    const uint8_t *dst = frame, *src = frame + 6;
    uint32_t others, sharers = 0, active, tracked = 0;
    struct vmm_switch_tcp t;
    bool tcp, arp;

    if (len < VIO_NET_FRAME_MIN || in > VMM_NET_UPLINK || !(p->present & (1u << in))) {
        return 0;
    }
    others = p->present & ~(1u << in);
    tcp = sw != NULL && vmm_switch_parse_tcp(frame, len, &t);
    /* ARP: a standby twin resolves its neighbours too, so that its first frames after a
     * cut-over (a restored process's retransmissions) wait for no resolution. Its requests
     * and replies carry the address it shares, so they tell the others nothing new. */
    arp = frame[12] == 0x08u && frame[13] == 0x06u;
    if (in != VMM_NET_UPLINK) {
        if (!vmm_mac_eq(src, p->mac[in]) || vmm_mac_eq(dst, p->mac[in])) {
            return 0; /* spoofed source, or addressed to itself (or its twins) */
        }
        if ((p->standby & (1u << in)) && !arp && !(tcp && standby_serves(p, sw, in, &t))) {
            return 0; /* a standby twin speaks only on the connections it serves */
        }
    }
    if (is_multicast(dst)) {
        for (uint32_t q = 0; in != VMM_NET_UPLINK && q < VMM_NET_UPLINK; q++) {
            if (vmm_mac_eq(src, p->mac[q])) {
                others &= ~(1u << q); /* not to its own twins: they share its address */
            }
        }
        return others & ~p->standby;
    }
    for (uint32_t q = 0; q < VMM_NET_UPLINK; q++) {
        if ((others & (1u << q)) && vmm_mac_eq(dst, p->mac[q])) {
            sharers |= 1u << q;
        }
    }
    if (sharers == 0) {
        return in != VMM_NET_UPLINK ? (others & (1u << VMM_NET_UPLINK)) : 0u;
    }
    if (arp) {
        return sharers; /* an answer to whichever twin asked */
    }
    if (tcp) {
        tracked = vmm_switch_find(sw, dst, t.src_ip, t.src_port, t.dst_port);
    }
    if (tracked != 0 && (sharers & (1u << (tracked - 1u)))) {
        return 1u << (tracked - 1u); /* the port that served it so far, active or not */
    }
    if (tcp && !(t.flags & VMM_TCP_SYN) && (sharers & p->keeps_old)) {
        /* Not the start of a connection, and none the switch knows: one older than the
         * cut-over that was idle since the twins met. Its twin of old still has it. */
        active = sharers & p->keeps_old;
        return active & (~active + 1u);
    }
    active = sharers & ~p->standby;
    return active & (~active + 1u); /* the active twin (the lowest, were there several) */
}

/* The switch's ports now: running VMs with a virtio-net device, and the NIC if there is one. */
static void net_ports(const struct vmm_state *st, struct vmm_net_ports *p)
{
    memset(p, 0, sizeof(*p));
    p->present = st->nic.regs != NULL ? 1u << VMM_NET_UPLINK : 0u;
    for (uint32_t q = 0; q < st->config.vm_count && q < VMM_NET_UPLINK; q++) {
        const struct vmm_vm *vm = &st->vms[q];

        memcpy(p->mac[q], vm->net.mac, 6);
        if ((vm->visible & VMM_DEV_VIRTIO_NET) && vm->state == US_VM_STATE_RUNNING) {
            p->present |= 1u << q;
            p->standby |= vm->net_standby ? 1u << q : 0u;
            p->keeps_old |= vm->net_standby && vm->net_keeps_old ? 1u << q : 0u;
        }
    }
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
        uint32_t h = done < VIO_NET_HDR_LEN ? VIO_NET_HDR_LEN - done : 0;

        h = h < take ? h : take;
        memcpy(buf, hdr + done, h); /* the header's bytes this buffer holds, then the frame's */
        if (take > h) {
            memcpy(buf + h, frame + (done + h - VIO_NET_HDR_LEN), take - h);
        }
        done += take;
    }
    if (done < total) {
        vmm_virtio_vq_push(&v, head, 0); /* too small for the frame: returned empty */
        return false;
    }
    vmm_virtio_vq_push(&v, head, total);
    if (vmm_virtio_vq_wants_irq(&v)) {
        vmm_virtio_raise(st, slot, &vm->net, VMM_VIRTIO_NET_INTID);
    }
    return true;
}

void vmm_net_switch(struct vmm_state *st, uint32_t in, const uint8_t *frame, uint32_t len)
{
    struct vmm_net_ports p;
    struct vmm_net_stats *in_stats = in == VMM_NET_UPLINK ? &st->nic.stats : &st->vms[in].net_stats;
    uint32_t out;
    bool from_vm, accepted, held;

    net_ports(st, &p);
    from_vm = in != VMM_NET_UPLINK && (p.present & (1u << in)) && len >= VIO_NET_FRAME_MIN;
    accepted = in == VMM_NET_UPLINK
                   ? len >= VIO_NET_FRAME_MIN
                   : from_vm && vmm_mac_eq(frame + 6, p.mac[in]) && !vmm_mac_eq(frame, p.mac[in]);
    if (accepted) {
        vmm_switch_learn(&st->sw, &p, in, frame, len); /* before routing: a SYN+ACK goes out */
    }
    out = vmm_net_route(&p, &st->sw, in, frame, len);
    if (out == 0 && from_vm && !vmm_mac_eq(frame + 6, p.mac[in])) {
        in_stats->tx_drops++;
        net_warn(in_stats, st->config.vms[in].name, "source address is not the VM's own");
        return;
    }
    if (out == 0 && accepted && in != VMM_NET_UPLINK && (p.standby & (1u << in))) {
        in_stats->tx_drops++; /* a standby twin's: expected, not logged */
    }
    held = vmm_switch_hold_frame(st, &p, in, out, frame, len);
    if (accepted) {
        vmm_switch_seen(&st->sw, &p, in, frame, len, !held);
    }
    if (held) {
        return;
    }
    for (uint32_t q = 0; q <= VMM_NET_UPLINK; q++) {
        struct vmm_net_stats *s;
        bool ok;

        if (!(out & (1u << q))) {
            continue;
        }
        s = q == VMM_NET_UPLINK ? &st->nic.stats : &st->vms[q].net_stats;
        ok =
            q == VMM_NET_UPLINK ? vmm_nic_send(st, frame, len) == US_OK : net_rx(st, q, frame, len);
        if (ok) {
            s->rx_frames++;
        } else {
            s->rx_drops++;
        }
    }
}

/* A slot that is a switch port: a running VM with a virtio-net device. */
static bool is_port(const struct vmm_state *st, uint64_t slot)
{
    return slot < st->config.vm_count && slot < VMM_NET_UPLINK &&
           st->vms[slot].state == US_VM_STATE_RUNNING &&
           (st->vms[slot].visible & VMM_DEV_VIRTIO_NET) != 0;
}

bool vmm_net_twins(const struct vmm_state *st, uint64_t a, uint64_t b)
{
    return a != b && is_port(st, a) && is_port(st, b) &&
           vmm_mac_eq(st->vms[a].net.mac, st->vms[b].net.mac);
}

/* US_NET_SVC_CUTOVER of @a to @b, checked. */
static us_err_t cutover(struct vmm_state *st, uint64_t a, uint64_t b, bool keep_old)
{
    struct vmm_vm *va = &st->vms[a], *vb = &st->vms[b];

    if (!vmm_net_twins(st, a, b) || !vb->net_standby || va->net_standby) {
        return US_EINVAL; /* not twins, or not active to standby: two would be active */
    }
    vb->net_standby = false;
    vb->net_keeps_old = false;
    va->net_standby = true;
    va->net_keeps_old = keep_old;
    US_LOG_INFO("%s: now serves its address; %s standby", st->config.vms[b].name,
                st->config.vms[a].name);
    return US_OK;
}

void vmm_net_service(struct vmm_state *st, struct us_msg *m)
{
    uint64_t op, slot, held, conns, dropped;
    uint32_t n;
    us_err_t e = US_OK;

    if (us_msg_check(m, 8, 32) != US_OK) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    op = m->w[0];
    if (op < US_NET_SVC_HOLD || op > US_NET_SVC_STATUS) {
        us_msg_reply_err(m, US_EINVAL);
        return;
    }
    if (m->hdr.len < (op == US_NET_SVC_CUTOVER ? 24u : 16u)) {
        us_msg_reply_err(m, US_ETRUNC);
        return;
    }
    slot = m->w[1];
    if (!is_port(st, slot) || (op == US_NET_SVC_CUTOVER && !is_port(st, m->w[2]))) {
        us_msg_reply_err(m, US_ENOENT);
        return;
    }
    switch (op) {
    case US_NET_SVC_HOLD:
        e = vmm_switch_hold_start(&st->sw, st->vms[slot].net.mac,
                                  m->hdr.len >= 24u && (m->w[2] & US_NET_SVC_HOLD_ALL) != 0);
        break;
    case US_NET_SVC_RELEASE:
        n = vmm_switch_release(st, st->vms[slot].net.mac);
        if (n != 0) {
            US_LOG_INFO("%s: %u held frame(s) released", st->config.vms[slot].name, n);
        }
        break;
    case US_NET_SVC_CUTOVER:
        e = cutover(st, slot, m->w[2], m->hdr.len >= 32u && (m->w[3] & US_NET_SVC_KEEP_OLD));
        break;
    case US_NET_SVC_FORGET:
        (void)vmm_switch_forget(&st->sw, (uint32_t)slot);
        break;
    default: /* US_NET_SVC_STATUS */
        vmm_switch_status(&st->sw, st->vms[slot].net.mac, (uint32_t)slot, &held, &conns, &dropped);
        us_msg_init(m, US_VMM_NET_SERVICE, 24);
        m->w[0] = held;
        m->w[1] = conns;
        m->w[2] = dropped;
        return;
    }
    if (e != US_OK) {
        us_msg_reply_err(m, e);
        return;
    }
    us_msg_init(m, US_VMM_NET_SERVICE, 0);
}

void vmm_net_forget_slot(struct vmm_state *st, uint32_t slot)
{
    struct vmm_net_ports p;

    if (slot >= VMM_NET_UPLINK) {
        return;
    }
    (void)vmm_switch_forget(&st->sw, slot);
    net_ports(st, &p);
    p.present &= ~(1u << slot); /* it may still look running if it is not torn down yet */
    vmm_switch_drop_orphans(&st->sw, &p);
}
