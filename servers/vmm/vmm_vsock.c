/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-vsock (virtio 1.2, section 5.10): stream sockets between a guest and the vmm.
 *
 * The vmm is the host end, CID 2 (VMADDR_CID_HOST); a guest's CID is its kernel vmid + 2
 * (vmids start at 1, so guests get 3, 4, ...; 0-2 are reserved). Guests connect to the
 * ports the vmm's services listen on (vmm_vsock_listen()); the vmm opens no connections.
 * Queue 0 takes packets to the guest, queue 1 brings the guest's, and queue 2 (events) is
 * left alone: the vmm never sends a transport reset event.
 *
 * Each connection has credit-based flow control both ways. The vmm sends no more payload
 * than the guest's buf_alloc - (bytes sent - the guest's fwd_cnt); it advertises its own
 * buffer (VMM_VSOCK_BUF_ALLOC) and credits what its services consumed, in every packet it
 * sends or in a CREDIT_UPDATE when the guest asks or half the buffer has been used
 * unannounced. Most services consume bytes as they arrive; one that passes them on at another
 * guest's pace (the relay) keeps them and credits them as they leave (vmm_vsock_keep()). A guest
 * that sends past its credit loses the connection. What the vmm sends waits in a bounded
 * per-connection queue (and RSTs in a per-VM one) until the guest posts receive buffers and credit:
 * nothing is dropped, and a service whose queue is full gets US_ENOMEM back.
 *
 * A guest packet that is malformed (shorter than its header, a payload beyond the chain, a
 * source CID not the guest's own, a non-stream type, an unknown operation) is dropped or
 * answered with an RST and logged, rate-limited; a transmit chain with buffers outside the
 * guest's RAM or that the device would write stops the device (DEVICE_NEEDS_RESET). Every
 * pass over a queue ends at the available index it started with (vmm_virtio_vq_open()).
 */
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm.h"
#include "vmm_virtq.h"

#define OWE_RESPONSE 1u /* the guest's REQUEST is accepted */
#define OWE_CREDIT 2u   /* the guest should hear our fwd_cnt */
#define PKT_MAX 65536u  /* largest payload a guest may send in one packet */
#define RX_MAX 4096u    /* largest payload the vmm puts in one receive buffer */
#define CHUNK 256u      /* bytes handed to a service at a time */

/* A packet header, decoded. */
struct vsock_hdr {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

/* The services, registered at start-up: the vmm's code, not state to keep across restarts. */
static struct {
    uint32_t port;
    const struct vmm_vsock_ops *ops;
} listeners[VMM_VSOCK_LISTENERS];
static uint32_t listener_count;

static void hdr_decode(const uint8_t *b, struct vsock_hdr *h)
{
    memcpy(&h->src_cid, b, 8);
    memcpy(&h->dst_cid, b + 8, 8);
    memcpy(&h->src_port, b + 16, 4);
    memcpy(&h->dst_port, b + 20, 4);
    memcpy(&h->len, b + 24, 4);
    memcpy(&h->type, b + 28, 2);
    memcpy(&h->op, b + 30, 2);
    memcpy(&h->flags, b + 32, 4);
    memcpy(&h->buf_alloc, b + 36, 4);
    memcpy(&h->fwd_cnt, b + 40, 4);
}

static void hdr_encode(const struct vsock_hdr *h, uint8_t *b)
{
    memcpy(b, &h->src_cid, 8);
    memcpy(b + 8, &h->dst_cid, 8);
    memcpy(b + 16, &h->src_port, 4);
    memcpy(b + 20, &h->dst_port, 4);
    memcpy(b + 24, &h->len, 4);
    memcpy(b + 28, &h->type, 2);
    memcpy(b + 30, &h->op, 2);
    memcpy(b + 32, &h->flags, 4);
    memcpy(b + 36, &h->buf_alloc, 4);
    memcpy(b + 40, &h->fwd_cnt, 4);
}

static void vsock_warn(struct vmm_state *st, uint32_t slot, const char *what)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;

    if (vs->warnings < VMM_FAULT_LOG_LIMIT) {
        vs->warnings++;
        US_LOG_WARN("%s: virtio-vsock: %s", st->config.vms[slot].name, what);
    }
}

/* Bytes in the buffers of @chain, which must all be in guest RAM and all device-writable
 * (@writable) or all device-readable. Returns -1 otherwise. */
static int64_t chain_bytes(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                           uint32_t n, bool writable)
{
    int64_t total = 0;

    for (uint32_t k = 0; k < n; k++) {
        if (((chain[k].flags & VRING_DESC_F_WRITE) != 0) != writable ||
            vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len) == NULL) {
            return -1;
        }
        total += chain[k].len;
    }
    return total;
}

/* Copy @len bytes between @b and the chain's buffers taken as one byte stream, from @skip on.
 * The chain was checked with chain_bytes() and holds them. */
static void chain_copy(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                       uint32_t n, uint32_t skip, uint8_t *b, uint32_t len, bool to_guest)
{
    uint64_t at = 0; /* offset in the stream of chain[k]'s first byte */

    for (uint32_t k = 0; k < n && len > 0; at += chain[k].len, k++) {
        uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);
        uint32_t from, take;

        if (buf == NULL || at + chain[k].len <= skip) {
            continue;
        }
        from = skip > at ? (uint32_t)(skip - at) : 0u;
        take = chain[k].len - from < len ? chain[k].len - from : len;
        if (to_guest) {
            memcpy(buf + from, b, take);
        } else {
            memcpy(b, buf + from, take);
        }
        b += take;
        len -= take;
    }
}

static int32_t listener_find(uint32_t port)
{
    for (uint32_t l = 0; l < listener_count; l++) {
        if (listeners[l].port == port) {
            return (int32_t)l;
        }
    }
    return -1;
}

us_err_t vmm_vsock_listen(uint32_t port, const struct vmm_vsock_ops *ops)
{
    if (listener_find(port) >= 0) {
        return US_EEXIST;
    }
    if (listener_count == VMM_VSOCK_LISTENERS) {
        return US_ENOMEM;
    }
    listeners[listener_count].port = port;
    listeners[listener_count++].ops = ops;
    return US_OK;
}

/* The open connection between our @host_port and the guest's @guest_port, or -1. */
static int32_t conn_find(const struct vmm_vsock *vs, uint32_t host_port, uint32_t guest_port)
{
    for (uint32_t i = 0; i < VMM_VSOCK_CONNS; i++) {
        const struct vmm_vsock_conn *c = &vs->conn[i];

        if (c->open && c->host_port == host_port && c->guest_port == guest_port) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* Queue an RST from @src_cid:@host_port to the guest's @guest_port. The transmit handler
 * keeps room for one per packet; a service's extra close finding none is counted. */
static void owe_rst(struct vmm_vsock *vs, uint64_t src_cid, uint32_t host_port, uint32_t guest_port)
{
    struct vmm_vsock_rst *r;

    if (vs->rst_tail - vs->rst_head == VMM_VSOCK_RSTS) {
        vs->drops++;
        return;
    }
    r = &vs->rst[vs->rst_tail++ % VMM_VSOCK_RSTS];
    r->src_cid = src_cid;
    r->host_port = host_port;
    r->guest_port = guest_port;
}

/* Close connection @i, with an RST to the guest if @rst, and tell its service. */
static void conn_free(struct vmm_state *st, uint32_t slot, uint32_t i, bool rst)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;
    struct vmm_vsock_conn *c = &vs->conn[i];
    const struct vmm_vsock_ops *ops = listeners[c->listener].ops;

    c->open = 0; /* first: the service can send nothing more on it */
    if (rst) {
        owe_rst(vs, VMM_VSOCK_CID_HOST, c->host_port, c->guest_port);
    }
    if (ops->on_close != NULL) {
        ops->on_close(st, slot, i);
    }
}

static struct vmm_vsock_conn *open_conn(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    struct vmm_vsock *vs = slot < VMM_CONFIG_MAX_VMS ? st->vms[slot].vsock_conns : NULL;

    if (vs == NULL || conn >= VMM_VSOCK_CONNS || !vs->conn[conn].open) {
        return NULL;
    }
    return &vs->conn[conn];
}

void *vmm_vsock_priv(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    return st->vms[slot].vsock_conns->conn[conn].priv;
}

us_err_t vmm_vsock_send(struct vmm_state *st, uint32_t slot, uint32_t conn, const uint8_t *b,
                        uint32_t len)
{
    struct vmm_vsock_conn *c = open_conn(st, slot, conn);

    if (c == NULL) {
        return US_ENOENT;
    }
    if (len > VMM_VSOCK_OUT - (c->out_tail - c->out_head)) {
        return US_ENOMEM;
    }
    for (uint32_t k = 0; k < len; k++) {
        c->out[c->out_tail++ % VMM_VSOCK_OUT] = b[k];
    }
    return US_OK;
}

void vmm_vsock_close(struct vmm_state *st, uint32_t slot, uint32_t conn, const char *why)
{
    if (open_conn(st, slot, conn) != NULL) {
        st->vms[slot].vsock_conns->resets++;
        vsock_warn(st, slot, why);
        conn_free(st, slot, conn, true);
    }
}

void vmm_vsock_reset(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;
    uint32_t warnings;
    uint64_t drops, resets;

    if (vs == NULL) {
        return;
    }
    for (uint32_t i = 0; i < VMM_VSOCK_CONNS; i++) {
        if (vs->conn[i].open) {
            conn_free(st, slot, i, false);
        }
    }
    warnings = vs->warnings; /* the log's limit and the counters outlive the connections */
    drops = vs->drops;
    resets = vs->resets;
    memset(vs, 0, sizeof(*vs));
    vs->warnings = warnings;
    vs->drops = drops;
    vs->resets = resets;
}

/* A guest REQUEST to our @h->dst_port (@existing: a connection with the same ports, or -1). */
static void vsock_connect(struct vmm_state *st, uint32_t slot, const struct vsock_hdr *h,
                          int32_t existing)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;
    int32_t l = listener_find(h->dst_port), free_i = -1;
    const struct vmm_vsock_ops *ops;
    struct vmm_vsock_conn *c;

    if (existing >= 0) {
        vmm_vsock_close(st, slot, (uint32_t)existing, "REQUEST on an open connection; reset");
        return;
    }
    for (uint32_t i = 0; l >= 0 && i < VMM_VSOCK_CONNS && free_i < 0; i++) {
        free_i = vs->conn[i].open ? -1 : (int32_t)i;
    }
    if (l >= 0 && free_i < 0) {
        vsock_warn(st, slot, "connection table full; request refused");
    }
    if (free_i < 0) {
        owe_rst(vs, VMM_VSOCK_CID_HOST, h->dst_port, h->src_port); /* or: nobody listens */
        return;
    }
    c = &vs->conn[free_i];
    memset(c, 0, sizeof(*c));
    c->open = 1;
    c->host_port = h->dst_port;
    c->guest_port = h->src_port;
    c->listener = (uint32_t)l;
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    c->owed = OWE_RESPONSE;
    ops = listeners[l].ops;
    if (ops->on_connect != NULL && !ops->on_connect(st, slot, (uint32_t)free_i)) {
        c->open = 0;
        owe_rst(vs, VMM_VSOCK_CID_HOST, h->dst_port, h->src_port);
    }
}

/* Announce consumed bytes once half the buffer's worth is unannounced. */
static void owe_credit_if_due(struct vmm_vsock_conn *c)
{
    if (c->open && c->rx_cnt - c->kept - c->fwd_told >= VMM_VSOCK_BUF_ALLOC / 2u) {
        c->owed |= OWE_CREDIT;
    }
}

int vmm_vsock_take_line(char *line, uint32_t *line_len, uint32_t cap, const uint8_t *b,
                        uint32_t len, uint32_t *at)
{
    while (*at < len) {
        char c = (char)b[(*at)++];

        if (c == '\n') {
            line[*line_len] = '\0';
            return 1;
        }
        if (*line_len + 1u >= cap) {
            return -1;
        }
        line[(*line_len)++] = c;
    }
    return 0;
}

uint32_t vmm_vsock_room(struct vmm_state *st, uint32_t slot, uint32_t conn)
{
    const struct vmm_vsock_conn *c = open_conn(st, slot, conn);

    return c == NULL ? 0u : VMM_VSOCK_OUT - (c->out_tail - c->out_head);
}

void vmm_vsock_keep(struct vmm_state *st, uint32_t slot, uint32_t conn, uint32_t len)
{
    struct vmm_vsock_conn *c = open_conn(st, slot, conn);

    if (c != NULL && len <= c->rx_cnt - c->kept - c->fwd_told) {
        c->kept += len;
    }
}

void vmm_vsock_consumed(struct vmm_state *st, uint32_t slot, uint32_t conn, uint32_t len)
{
    struct vmm_vsock_conn *c = open_conn(st, slot, conn);

    if (c != NULL) {
        c->kept -= len < c->kept ? len : c->kept;
        owe_credit_if_due(c);
    }
}

/* An RW packet on connection @i: its payload, in chunks, to the service. */
static void vsock_receive(struct vmm_state *st, uint32_t slot, uint32_t i,
                          const struct vsock_hdr *h, const struct vring_desc *chain, uint32_t n)
{
    struct vmm_vsock_conn *c = &st->vms[slot].vsock_conns->conn[i];
    const struct vmm_vsock_ops *ops = listeners[c->listener].ops;
    uint8_t buf[CHUNK];

    if (h->len > VMM_VSOCK_BUF_ALLOC - (c->rx_cnt - c->fwd_told)) {
        vmm_vsock_close(st, slot, i, "guest sent past its credit; connection reset");
        return;
    }
    c->rx_cnt += h->len; /* consumed as it is handed over, unless the service keeps some */
    for (uint32_t off = 0, take; off < h->len && c->open; off += take) {
        take = h->len - off < CHUNK ? h->len - off : CHUNK;
        chain_copy(st, slot, chain, n, VIO_VSOCK_HDR_LEN + off, buf, take, false);
        ops->on_data(st, slot, i, buf, take);
    }
    owe_credit_if_due(c);
}

/* A well-formed packet from the guest's own CID. */
static void vsock_packet(struct vmm_state *st, uint32_t slot, const struct vsock_hdr *h,
                         const struct vring_desc *chain, uint32_t n)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;
    int32_t i = h->dst_cid == VMM_VSOCK_CID_HOST ? conn_find(vs, h->dst_port, h->src_port) : -1;
    bool known = h->op >= VIO_VSOCK_OP_REQUEST && h->op <= VIO_VSOCK_OP_CREDIT_REQUEST;

    if (h->op == VIO_VSOCK_OP_RST) {
        if (i >= 0) {
            conn_free(st, slot, (uint32_t)i, false); /* never answer an RST */
        }
        return;
    }
    if (h->type != VIO_VSOCK_TYPE_STREAM || !known) {
        vsock_warn(st, slot, known ? "not a stream packet; reset" : "unknown operation; reset");
    }
    if (h->dst_cid != VMM_VSOCK_CID_HOST || h->type != VIO_VSOCK_TYPE_STREAM || !known ||
        (i < 0 && h->op != VIO_VSOCK_OP_REQUEST)) {
        if (i >= 0) {
            conn_free(st, slot, (uint32_t)i, true);
        } else {
            owe_rst(vs, h->dst_cid, h->dst_port, h->src_port); /* no one there: refused */
        }
        return;
    }
    if (h->op == VIO_VSOCK_OP_REQUEST) {
        vsock_connect(st, slot, h, i);
        return;
    }
    vs->conn[i].peer_buf_alloc = h->buf_alloc; /* every packet carries the guest's credit */
    vs->conn[i].peer_fwd_cnt = h->fwd_cnt;
    switch (h->op) {
    case VIO_VSOCK_OP_RW:
        vsock_receive(st, slot, (uint32_t)i, h, chain, n);
        break;
    case VIO_VSOCK_OP_CREDIT_REQUEST:
        vs->conn[i].owed |= OWE_CREDIT;
        break;
    case VIO_VSOCK_OP_SHUTDOWN:
        conn_free(st, slot, (uint32_t)i, true); /* either direction ends the connection */
        break;
    case VIO_VSOCK_OP_CREDIT_UPDATE:
        break; /* taken above; waiting data goes out with the receive buffers */
    default:
        vmm_vsock_close(st, slot, (uint32_t)i, "RESPONSE to no request; reset");
        break;
    }
}

/* Transmit queue (1): one packet from the guest. */
static int64_t vsock_tx(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                        uint32_t n)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;
    uint8_t raw[VIO_VSOCK_HDR_LEN];
    struct vsock_hdr h;
    int64_t total;

    if (vs->rst_tail - vs->rst_head == VMM_VSOCK_RSTS) {
        return VMM_VQ_LATER; /* its answer might not fit: wait for receive buffers */
    }
    total = chain_bytes(st, slot, chain, n, false);
    if (total < 0) {
        return -1; /* outside guest RAM, or a buffer for the device to write: not vsock's */
    }
    if (total < VIO_VSOCK_HDR_LEN) {
        vs->drops++;
        vsock_warn(st, slot, "packet shorter than its header; dropped");
        return 0;
    }
    chain_copy(st, slot, chain, n, 0, raw, VIO_VSOCK_HDR_LEN, false);
    hdr_decode(raw, &h);
    if (h.len > total - VIO_VSOCK_HDR_LEN || h.len > PKT_MAX) {
        vs->drops++;
        vsock_warn(st, slot, "payload length beyond the packet; dropped");
        return 0;
    }
    if (h.src_cid != st->vms[slot].vsock.guest_cid) {
        vs->drops++;
        vsock_warn(st, slot, "source CID is not the guest's own; dropped");
        return 0;
    }
    vsock_packet(st, slot, &h, chain, n);
    return 0;
}

/* Payload bytes the guest has room for on connection @c. */
static uint32_t peer_credit(const struct vmm_vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

    return in_flight > c->peer_buf_alloc ? 0u : c->peer_buf_alloc - in_flight;
}

static bool conn_ready(const struct vmm_vsock_conn *c)
{
    return c->open && (c->owed != 0 || (c->out_tail != c->out_head && peer_credit(c) > 0));
}

static bool anything_ready(const struct vmm_vsock *vs)
{
    if (vs->rst_tail != vs->rst_head) {
        return true;
    }
    for (uint32_t i = 0; i < VMM_VSOCK_CONNS; i++) {
        if (conn_ready(&vs->conn[i])) {
            return true;
        }
    }
    return false;
}

/* A packet for connection @c: RESPONSE first, then data as credit allows, else a credit
 * update; at most @room payload bytes into @payload. */
static void conn_packet(struct vmm_vsock_conn *c, uint32_t room, struct vsock_hdr *h,
                        uint8_t *payload)
{
    uint32_t queued = c->out_tail - c->out_head, credit = peer_credit(c), n;

    h->src_cid = VMM_VSOCK_CID_HOST;
    h->src_port = c->host_port;
    h->dst_port = c->guest_port;
    h->buf_alloc = VMM_VSOCK_BUF_ALLOC;
    h->fwd_cnt = c->fwd_told = c->rx_cnt - c->kept;
    if (c->owed & OWE_RESPONSE) {
        h->op = VIO_VSOCK_OP_RESPONSE;
        c->owed &= ~OWE_RESPONSE;
        return;
    }
    c->owed &= ~OWE_CREDIT; /* this packet carries it */
    if (queued == 0 || credit == 0) {
        h->op = VIO_VSOCK_OP_CREDIT_UPDATE;
        return;
    }
    n = queued < credit ? queued : credit;
    n = n < room ? n : room;
    for (uint32_t k = 0; k < n; k++) {
        payload[k] = c->out[c->out_head++ % VMM_VSOCK_OUT];
    }
    c->tx_cnt += n;
    h->op = VIO_VSOCK_OP_RW;
    h->len = n;
}

/* The next packet for the guest, RSTs first, then connections in turn. Returns false if
 * there is none. */
static bool next_packet(struct vmm_vsock *vs, uint64_t guest_cid, uint32_t room,
                        struct vsock_hdr *h, uint8_t *payload)
{
    memset(h, 0, sizeof(*h));
    h->dst_cid = guest_cid;
    h->type = VIO_VSOCK_TYPE_STREAM;
    if (vs->rst_tail != vs->rst_head) {
        const struct vmm_vsock_rst *r = &vs->rst[vs->rst_head++ % VMM_VSOCK_RSTS];

        h->src_cid = r->src_cid;
        h->src_port = r->host_port;
        h->dst_port = r->guest_port;
        h->op = VIO_VSOCK_OP_RST;
        return true;
    }
    for (uint32_t k = 0; k < VMM_VSOCK_CONNS; k++) {
        uint32_t i = (vs->next + k) % VMM_VSOCK_CONNS;

        if (conn_ready(&vs->conn[i])) {
            vs->next = (i + 1u) % VMM_VSOCK_CONNS;
            conn_packet(&vs->conn[i], room, h, payload);
            return true;
        }
    }
    return false;
}

/* Let the streaming services queue more where a connection's output has room again. */
static void top_up(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vsock *vs = st->vms[slot].vsock_conns;

    for (uint32_t i = 0; i < VMM_VSOCK_CONNS; i++) {
        struct vmm_vsock_conn *c = &vs->conn[i];
        const struct vmm_vsock_ops *ops = listeners[c->listener].ops;

        if (c->open && ops->on_writable != NULL &&
            VMM_VSOCK_OUT - (c->out_tail - c->out_head) >= VMM_VSOCK_OUT / 2u) {
            ops->on_writable(st, slot, i);
        }
    }
}

/* Receive queue (0): fill the buffers the guest posted with what waits for it, one pass.
 * Returns whether any buffer was used and the driver wants an interrupt for it. */
static bool vsock_fill(struct vmm_state *st, uint32_t slot)
{
    static uint8_t payload[RX_MAX]; /* the vmm is single-threaded */
    struct vmm_vm *vm = &st->vms[slot];
    struct vring_desc chain[VMM_VIRTQ_SIZE];
    uint8_t raw[VIO_VSOCK_HDR_LEN];
    struct vsock_hdr h;
    struct vmm_vq_view v;
    uint32_t n;
    uint16_t head;
    bool any = false;

    top_up(st, slot);
    if (!anything_ready(vm->vsock_conns) || !vmm_virtio_vq_open(st, slot, &vm->vsock, 0, &v)) {
        return false;
    }
    while (anything_ready(vm->vsock_conns) &&
           vmm_virtio_vq_pop(st, slot, &vm->vsock, 0, &v, chain, &n, &head) == 1) {
        int64_t room = chain_bytes(st, slot, chain, n, true);

        if (room < 0) {
            vmm_virtio_needs_reset(st, slot, &vm->vsock, "receive buffer outside RAM or read-only");
            return any;
        }
        any = true;
        if (room <= VIO_VSOCK_HDR_LEN) {
            vm->vsock_conns->drops++;
            vsock_warn(st, slot, "receive buffer too small for a packet; returned empty");
            vmm_virtio_vq_push(&v, head, 0);
            continue;
        }
        room -= VIO_VSOCK_HDR_LEN;
        (void)next_packet(vm->vsock_conns, vm->vsock.guest_cid,
                          room < RX_MAX ? (uint32_t)room : RX_MAX, &h, payload);
        hdr_encode(&h, raw);
        chain_copy(st, slot, chain, n, 0, raw, VIO_VSOCK_HDR_LEN, true);
        chain_copy(st, slot, chain, n, VIO_VSOCK_HDR_LEN, payload, h.len, true);
        vmm_virtio_vq_push(&v, head, VIO_VSOCK_HDR_LEN + h.len);
        top_up(st, slot);
    }
    return any && vmm_virtio_vq_wants_irq(&v);
}

void vmm_vsock_flush(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];

    if (vm->vsock_conns != NULL && vsock_fill(st, slot)) {
        vmm_virtio_raise(st, slot, &vm->vsock, VMM_VIRTIO_VSOCK_INTID);
    }
}

bool vmm_vsock_notify(struct vmm_state *st, uint32_t slot, uint32_t qi)
{
    struct vmm_vm *vm = &st->vms[slot];
    bool done = false;

    if (vm->vsock_conns == NULL || qi > 1) {
        return false; /* the event queue: the vmm sends no events */
    }
    if (qi == 0) {
        done = vsock_fill(st, slot); /* then the transmissions that waited for RST room */
    }
    if (vmm_virtio_vq_drain(st, slot, &vm->vsock, 1, vsock_tx)) {
        done = true;
    }
    if (vsock_fill(st, slot)) {
        done = true;
    }
    return done;
}
