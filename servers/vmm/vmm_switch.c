/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Service addresses in the switch: TCP connection tracking, and frames held for a cut-over.
 *
 * Twins share one MAC and IP address; one of them is active. A cut-over makes a standby twin
 * active, but the connections the old one accepted must keep reaching it until they end, or
 * their clients would see them reset: so the switch remembers which port served each TCP
 * connection of an address that twins share, and vmm_net_route() sends the connection's
 * frames there. Only a port's own frames teach it (a SYN+ACK: the port accepted; any frame
 * from the active port: a connection older than the tracking), and only frames seen on the
 * wire end an entry (an RST either way; the ACK after FINs both ways), so a crashed guest's
 * entries stay until vmm_net_forget_slot() or eviction of the least recently used.
 *
 * A connection idle since the twins met has taught the switch nothing. A cut-over that lets
 * the old twin keep its connections (US_NET_SVC_KEEP_OLD, a redirect) covers those too: a
 * segment that opens nothing (no SYN) of a connection tracked to nobody can only belong to a
 * connection older than the cut-over, so it goes to the old twin, which may answer on it, and
 * its answer teaches the switch.
 *
 * Threat model: frames come from guests and from the outside world; every header is parsed
 * against the frame's length and anything malformed is not TCP here. A guest teaches only
 * entries of its own address (vmm_net_switch() checked the source address before), so it can
 * disturb only its own twins. The table and the queue have a fixed size: a flood of
 * connections evicts the oldest entries, a flood of frames while held is dropped and counted.
 */
#include <uslib/string.h>
#include "vmm.h"

#define ETH_HDR_LEN 14u
#define ETH_TYPE_IPV4 0x0800u
#define IP_HDR_MIN 20u
#define IP_PROTO_TCP 6u
#define IP_FRAG_OFFSET 0x1fffu
#define TCP_HDR_MIN 20u
#define NO_ENTRY (-1)

/* The held frames' bytes: 190 KiB, too big for vmm_state's pages. Which buffer is in use is
 * in vmm_state (buf_used), so clearing the state frees them all. */
static uint8_t held_bytes[VMM_SWITCH_HOLD_FRAMES][VIO_NET_FRAME_MAX];

static bool is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1u) != 0;
}

static uint32_t be16(const uint8_t *b)
{
    return (uint32_t)b[0] << 8 | b[1];
}

bool vmm_switch_parse_tcp(const uint8_t *frame, uint32_t len, struct vmm_switch_tcp *t)
{
    const uint8_t *ip = frame + ETH_HDR_LEN, *tcp;
    uint32_t ihl, total, doff;

    if (len < ETH_HDR_LEN + IP_HDR_MIN || be16(frame + 12) != ETH_TYPE_IPV4) {
        return false;
    }
    ihl = (ip[0] & 0xfu) * 4u;
    total = be16(ip + 2); /* may be less than the frame: Ethernet pads short frames */
    if ((ip[0] >> 4) != 4u || ihl < IP_HDR_MIN || total < ihl || total > len - ETH_HDR_LEN ||
        ip[9] != IP_PROTO_TCP) {
        return false;
    }
    if ((be16(ip + 6) & IP_FRAG_OFFSET) != 0 || total - ihl < TCP_HDR_MIN) {
        return false; /* a later fragment has no TCP header; or it is cut short */
    }
    tcp = ip + ihl;
    doff = (uint32_t)(tcp[12] >> 4) * 4u;
    if (doff < TCP_HDR_MIN || doff > total - ihl) {
        return false;
    }
    /* The compiler's own copies: a call each would cost more than the parse (every frame is
     * parsed up to three times). */
    __builtin_memcpy(t->src_ip, ip + 12, 4);
    __builtin_memcpy(t->dst_ip, ip + 16, 4);
    __builtin_memcpy(&t->src_port, tcp, 2);
    __builtin_memcpy(&t->dst_port, tcp + 2, 2);
    t->flags = tcp[13];
    return true;
}

/* Entries are taken lowest free first (free_or_oldest()), so those in use lie below the
 * switch's high-water mark: every frame is looked up two to four times, and without twins
 * the table stays empty and nothing is scanned. */
static uint32_t conns_top(const struct vmm_switch *sw)
{
    return sw->top < VMM_SWITCH_CONNS ? sw->top : VMM_SWITCH_CONNS;
}

static int32_t find_index(const struct vmm_switch *sw, const uint8_t *mac, const uint8_t *rip,
                          uint16_t rport, uint16_t lport)
{
    for (uint32_t i = 0; i < conns_top(sw); i++) {
        const struct vmm_switch_conn *c = &sw->conn[i];

        if (c->port != 0 && c->remote_port == rport && c->local_port == lport &&
            __builtin_memcmp(c->remote_ip, rip, 4) == 0 && vmm_mac_eq(c->mac, mac)) {
            return (int32_t)i;
        }
    }
    return NO_ENTRY;
}

uint32_t vmm_switch_find(const struct vmm_switch *sw, const uint8_t *mac, const uint8_t *remote_ip,
                         uint16_t remote_port, uint16_t local_port)
{
    int32_t i = find_index(sw, mac, remote_ip, remote_port, local_port);

    return i == NO_ENTRY ? 0u : sw->conn[i].port;
}

/* The VM ports that have address @mac. */
static uint32_t sharers(const struct vmm_net_ports *p, const uint8_t *mac)
{
    uint32_t mask = 0;

    for (uint32_t q = 0; q < VMM_NET_UPLINK; q++) {
        if ((p->present & (1u << q)) && vmm_mac_eq(p->mac[q], mac)) {
            mask |= 1u << q;
        }
    }
    return mask;
}

/* A free entry, or else the one unused the longest (ages count up from its last frame, so
 * the clock wrapping around does not matter). */
static uint32_t free_or_oldest(const struct vmm_switch *sw)
{
    uint32_t best = 0, best_age = 0;

    for (uint32_t i = 0; i < VMM_SWITCH_CONNS; i++) {
        uint32_t age = sw->clock - sw->conn[i].used;

        if (sw->conn[i].port == 0 || i >= conns_top(sw)) {
            return i;
        }
        if (age > best_age) {
            best = i;
            best_age = age;
        }
    }
    return best;
}

void vmm_switch_learn(struct vmm_switch *sw, const struct vmm_net_ports *p, uint32_t in,
                      const uint8_t *frame, uint32_t len)
{
    struct vmm_switch_tcp t;
    struct vmm_switch_conn *c;
    uint32_t share;
    int32_t i;

    if (in >= VMM_NET_UPLINK || !(p->present & (1u << in)) ||
        !vmm_switch_parse_tcp(frame, len, &t) || (t.flags & VMM_TCP_RST)) {
        return;
    }
    share = sharers(p, p->mac[in]);
    if ((share & (share - 1u)) == 0) {
        return; /* no twin: nothing to choose between, so nothing to remember */
    }
    i = find_index(sw, p->mac[in], t.dst_ip, t.dst_port, t.src_port);
    if (i != NO_ENTRY && (share & (1u << (sw->conn[i].port - 1u)))) {
        return; /* a twin that still runs serves it: first come, first served */
    }
    if ((t.flags & (VMM_TCP_SYN | VMM_TCP_ACK)) != (VMM_TCP_SYN | VMM_TCP_ACK) &&
        (p->standby & ~p->keeps_old & (1u << in))) {
        /* A standby port only takes on connections it accepts, or, keeping its older ones,
         * those it is still found serving. */
        return;
    }
    if (i == NO_ENTRY) {
        i = (int32_t)free_or_oldest(sw);
        sw->top = (uint32_t)i >= sw->top ? (uint32_t)i + 1u : sw->top;
    }
    c = &sw->conn[i];
    memcpy(c->mac, p->mac[in], 6);
    memcpy(c->remote_ip, t.dst_ip, 4);
    c->remote_port = t.dst_port;
    c->local_port = t.src_port;
    c->port = (uint8_t)(in + 1u);
    c->fin = 0;
    c->used = ++sw->clock;
}

/* A frame of tracked connection @i went by, from the side @dir says. */
static void note(struct vmm_switch *sw, int32_t i, uint8_t dir, uint8_t flags)
{
    struct vmm_switch_conn *c = &sw->conn[i];

    if (flags & VMM_TCP_RST) {
        c->port = 0;
        return;
    }
    c->used = ++sw->clock;
    if (flags & VMM_TCP_FIN) {
        c->fin |= dir;
    } else if (c->fin == (VMM_SWITCH_FIN_OUT | VMM_SWITCH_FIN_IN) && (flags & VMM_TCP_ACK)) {
        c->port = 0; /* the last ACK has gone to the port: nothing more of it will come */
    }
}

void vmm_switch_seen(struct vmm_switch *sw, const struct vmm_net_ports *p, uint32_t in,
                     const uint8_t *frame, uint32_t len, bool delivered)
{
    struct vmm_switch_tcp t;
    int32_t i;

    if (!vmm_switch_parse_tcp(frame, len, &t)) {
        return;
    }
    if (in < VMM_NET_UPLINK && (p->present & (1u << in))) {
        i = find_index(sw, p->mac[in], t.dst_ip, t.dst_port, t.src_port);
        if (i != NO_ENTRY && sw->conn[i].port == in + 1u) {
            note(sw, i, VMM_SWITCH_FIN_OUT, t.flags); /* a twin's dropped frame ends nothing */
        }
    }
    if (delivered && !is_multicast(frame)) {
        i = find_index(sw, frame, t.src_ip, t.src_port, t.dst_port);
        if (i != NO_ENTRY) {
            note(sw, i, VMM_SWITCH_FIN_IN, t.flags);
        }
    }
}

static int32_t hold_index(const struct vmm_switch *sw, const uint8_t *mac)
{
    for (uint32_t h = 0; h < VMM_SWITCH_HOLDS; h++) {
        if (sw->hold[h].used && vmm_mac_eq(sw->hold[h].mac, mac)) {
            return (int32_t)h;
        }
    }
    return NO_ENTRY;
}

static uint32_t held_count(const struct vmm_switch *sw, uint32_t h)
{
    uint32_t n = 0;

    for (uint32_t q = 0; q < sw->queued; q++) {
        n += sw->queue[q].hold == h ? 1u : 0u;
    }
    return n;
}

static void buf_free(struct vmm_switch *sw, uint32_t b)
{
    sw->buf_used[b / 32u] &= ~(1u << (b % 32u));
}

/* Take hold @h's frames out of the queue, oldest first, into @out; the others keep their
 * order. Returns how many. Their buffers stay in use until the caller frees them. */
static uint32_t unqueue(struct vmm_switch *sw, uint32_t h, struct vmm_switch_held *out)
{
    uint32_t n = 0, kept = 0;

    for (uint32_t q = 0; q < sw->queued; q++) {
        if (sw->queue[q].hold == h) {
            out[n++] = sw->queue[q];
        } else {
            sw->queue[kept++] = sw->queue[q];
        }
    }
    sw->queued = kept;
    return n;
}

bool vmm_switch_hold_frame(struct vmm_state *st, const struct vmm_net_ports *p, uint32_t in,
                           uint32_t out, const uint8_t *frame, uint32_t len)
{
    struct vmm_switch *sw = &st->sw;
    struct vmm_switch_tcp t;
    uint32_t port = 0, b;
    int32_t h;

    if (out == 0 || (out & (out - 1u)) != 0 || (out & (1u << VMM_NET_UPLINK)) ||
        is_multicast(frame)) {
        return false; /* only unicast to one VM port: broadcast (ARP) reaches the active twin */
    }
    while (!(out & (1u << port))) {
        port++;
    }
    if ((p->standby & out) || !vmm_mac_eq(frame, p->mac[port])) {
        return false; /* a connection tracked to a standby twin goes on */
    }
    h = hold_index(sw, frame);
    if (h == NO_ENTRY || !sw->hold[h].on) {
        return false;
    }
    if (!sw->hold[h].all && vmm_switch_parse_tcp(frame, len, &t) &&
        vmm_switch_find(sw, frame, t.src_ip, t.src_port, t.dst_port) != 0) {
        return false; /* an established connection finishes where it is: only new ones wait */
    }
    for (b = 0; b < VMM_SWITCH_HOLD_FRAMES; b++) {
        if (!(sw->buf_used[b / 32u] & (1u << (b % 32u)))) {
            break;
        }
    }
    if (b == VMM_SWITCH_HOLD_FRAMES || sw->queued == VMM_SWITCH_HOLD_FRAMES ||
        len > VIO_NET_FRAME_MAX) {
        sw->hold[h].dropped++;
        return true;
    }
    memcpy(held_bytes[b], frame, len);
    sw->buf_used[b / 32u] |= 1u << (b % 32u);
    sw->queue[sw->queued++] = (struct vmm_switch_held){
        .len = (uint16_t)len, .in = (uint8_t)in, .buf = (uint8_t)b, .hold = (uint8_t)h};
    return true;
}

us_err_t vmm_switch_hold_start(struct vmm_switch *sw, const uint8_t *mac, bool all)
{
    int32_t h = hold_index(sw, mac);

    if (h == NO_ENTRY) {
        /* A record never used, else one released and empty (losing its drop count). */
        for (uint32_t k = 0; k < 2u * VMM_SWITCH_HOLDS && h == NO_ENTRY; k++) {
            uint32_t i = k % VMM_SWITCH_HOLDS;
            const struct vmm_switch_hold *r = &sw->hold[i];

            if (k < VMM_SWITCH_HOLDS ? !r->used : (!r->on && held_count(sw, i) == 0)) {
                h = (int32_t)i;
            }
        }
        if (h == NO_ENTRY) {
            return US_ENOMEM;
        }
        memcpy(sw->hold[h].mac, mac, 6);
        sw->hold[h].used = true;
        sw->hold[h].dropped = 0;
    }
    sw->hold[h].on = true;
    sw->hold[h].all = all;
    return US_OK;
}

uint32_t vmm_switch_release(struct vmm_state *st, const uint8_t *mac)
{
    struct vmm_switch_held mine[VMM_SWITCH_HOLD_FRAMES];
    int32_t h = hold_index(&st->sw, mac);
    uint32_t n;

    if (h == NO_ENTRY) {
        return 0;
    }
    st->sw.hold[h].on = false;
    n = unqueue(&st->sw, (uint32_t)h, mine);
    for (uint32_t k = 0; k < n; k++) {
        /* Routed now: after a cut-over, to the new active twin. */
        vmm_net_switch(st, mine[k].in, held_bytes[mine[k].buf], mine[k].len);
        buf_free(&st->sw, mine[k].buf);
    }
    return n;
}

uint32_t vmm_switch_forget(struct vmm_switch *sw, uint32_t slot)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < conns_top(sw); i++) {
        if (sw->conn[i].port != 0 && sw->conn[i].port == slot + 1u) {
            sw->conn[i].port = 0;
            n++;
        }
    }
    return n;
}

void vmm_switch_status(const struct vmm_switch *sw, const uint8_t *mac, uint32_t slot,
                       uint64_t *held, uint64_t *conns, uint64_t *dropped)
{
    int32_t h = hold_index(sw, mac);

    *held = h == NO_ENTRY ? 0u : held_count(sw, (uint32_t)h);
    *dropped = h == NO_ENTRY ? 0u : sw->hold[h].dropped;
    *conns = 0;
    for (uint32_t i = 0; i < conns_top(sw); i++) {
        *conns += sw->conn[i].port != 0 && sw->conn[i].port == slot + 1u ? 1u : 0u;
    }
}

void vmm_switch_drop_orphans(struct vmm_switch *sw, const struct vmm_net_ports *p)
{
    struct vmm_switch_held gone[VMM_SWITCH_HOLD_FRAMES];

    for (uint32_t h = 0; h < VMM_SWITCH_HOLDS; h++) {
        if (!sw->hold[h].used || sharers(p, sw->hold[h].mac) != 0) {
            continue;
        }
        for (uint32_t k = 0, n = unqueue(sw, h, gone); k < n; k++) {
            buf_free(sw, gone[k].buf);
        }
        memset(&sw->hold[h], 0, sizeof(sw->hold[h]));
    }
}
