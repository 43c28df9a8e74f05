/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-mmio (virtio 1.2, section 4.2, version 2 registers) with a block device and a
 * console behind it (virtio-net's and virtio-vsock's packets are vmm_net.c's and
 * vmm_vsock.c's).
 *
 * The disk is a RAM region the vmm owns, so it outlives guest reboots within a run. The
 * console's output joins the VM's console ring (like the PL011's) and operator input goes to
 * it once its driver is ready. Every
 * guest-supplied number (queue addresses and sizes, descriptor indices, chain lengths, buffer
 * ranges, sectors) is checked before use; a malformed request is logged, completed with an
 * I/O error status when it can be, and never touches memory outside the guest's RAM or the
 * disk. A queue the guest has corrupted beyond that (bad ring addresses, a looping chain) is
 * stopped: the device sets DEVICE_NEEDS_RESET and the guest keeps running.
 */
#include <uslib/string.h>
#include "virtio_mmio.h"
#include "vmm.h"
#include "vmm_arch.h"
#include "vmm_virtq.h"

#define VIO_VENDOR 0x53554e44u /* "DNUS": Understudy */

#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u
#define BLK_S_OK 0u
#define BLK_S_IOERR 1u
#define BLK_S_UNSUPP 2u
#define BLK_SECTOR 512u
#define BLK_ID_LEN 20u

uint8_t *vmm_virtio_guest_ptr(struct vmm_state *st, uint32_t slot, uint64_t gpa, uint64_t len)
{
    uint64_t size = st->config.vms[slot].mem_size;
    uint64_t off = gpa - VMM_RAM_IPA; /* below RAM, it wraps to above any size */

    if (off > size || len > size - off) {
        return NULL;
    }
    return st->vms[slot].ram + off;
}

const char *vmm_virtio_name(const struct vmm_virtio *d)
{
    switch (d->dev_id) {
    case VIO_ID_BLOCK:
        return "virtio-blk";
    case VIO_ID_NET:
        return "virtio-net";
    case VIO_ID_VSOCK:
        return "virtio-vsock";
    default:
        return "virtio-console";
    }
}

uint32_t vmm_virtio_isr_index(const struct vmm_vm *vm, const struct vmm_virtio *d)
{
    /* By which transport it is, not by its device ID: that is set only at its first reset. */
    return d == &vm->blk ? 0u : d == &vm->con ? 1u : d == &vm->net ? 2u : 3u;
}

/* Where @d's interrupt status lives: in the VM's fast-MMIO page, where the kernel answers the
 * guest's reads and acknowledgements itself (US_FASTMMIO_W1C); in @d without that page. */
static uint32_t *isr_word(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d)
{
    struct us_fastmmio_page *p = st->vms[slot].uart_fast;

    return p != NULL ? &p->isr[vmm_virtio_isr_index(&st->vms[slot], d)] : &d->isr;
}

static void isr_set(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t bits)
{
    (void)__atomic_fetch_or(isr_word(st, slot, d), bits, __ATOMIC_ACQ_REL);
}

/* Queues of device @d: block 1; console and net 2 (receive, transmit); vsock 3 (and event). */
static uint32_t queue_count(const struct vmm_virtio *d)
{
    return d->dev_id == VIO_ID_BLOCK ? 1u : (d->dev_id == VIO_ID_VSOCK ? 3u : 2u);
}

void vmm_virtio_needs_reset(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d,
                            const char *why)
{
    if (!(d->status & VIO_STATUS_NEEDS_RESET)) {
        US_LOG_WARN("%s: %s: %s; device needs reset", st->config.vms[slot].name, vmm_virtio_name(d),
                    why);
    }
    d->status |= VIO_STATUS_NEEDS_RESET;
    for (uint32_t i = 0; i < VMM_VIRTIO_QUEUES; i++) {
        d->q[i].ready = 0;
    }
}

bool vmm_virtio_vq_open(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                        struct vmm_vq_view *v)
{
    struct vmm_virtq *q = &d->q[qi];

    if (!q->ready || !(d->status & VIO_STATUS_DRIVER_OK) || (d->status & VIO_STATUS_NEEDS_RESET)) {
        return false;
    }
    if (q->num == 0) {
        vmm_virtio_needs_reset(st, slot, d, "queue used without a size");
        return false;
    }
    v->num = q->num;
    v->desc = (const struct vring_desc *)(const void *)vmm_virtio_guest_ptr(st, slot, q->desc,
                                                                            16ull * v->num);
    v->avail = (const uint16_t *)(const void *)vmm_virtio_guest_ptr(st, slot, q->driver,
                                                                    6ull + 2ull * v->num);
    v->used = (uint16_t *)(void *)vmm_virtio_guest_ptr(st, slot, q->device, 6ull + 8ull * v->num);
    if (v->desc == NULL || v->avail == NULL || v->used == NULL || ((q->desc | q->driver) & 1u) ||
        (q->device & 3u)) {
        vmm_virtio_needs_reset(st, slot, d, "queue outside guest RAM or misaligned");
        return false;
    }
    v->avail_end = __atomic_load_n(&v->avail[1], __ATOMIC_ACQUIRE);
    if ((uint16_t)(v->avail_end - q->last_avail) > v->num) {
        vmm_virtio_needs_reset(st, slot, d, "available index runs ahead of the queue");
        return false;
    }
    return true;
}

int vmm_virtio_vq_pop(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                      const struct vmm_vq_view *v, struct vring_desc *chain, uint32_t *n,
                      uint16_t *head)
{
    struct vmm_virtq *q = &d->q[qi];
    uint16_t i;

    if (q->last_avail == v->avail_end) {
        return 0;
    }
    *head = i = v->avail[2 + q->last_avail % v->num];
    *n = 0;
    for (;;) {
        if (i >= v->num || *n == v->num) {
            vmm_virtio_needs_reset(st, slot, d, "malformed descriptor chain");
            return -1; /* out of the table, or longer than it: a loop */
        }
        chain[*n] = v->desc[i];
        if (!(chain[(*n)++].flags & VRING_DESC_F_NEXT)) {
            break;
        }
        i = chain[*n - 1].next;
    }
    q->last_avail++;
    return 1;
}

void vmm_virtio_vq_push(const struct vmm_vq_view *v, uint16_t head, uint32_t len)
{
    uint16_t u = v->used[1];
    uint32_t *elem = (uint32_t *)(void *)&v->used[2 + 4 * (u % v->num)];

    elem[0] = head;
    elem[1] = len;
    __atomic_store_n(&v->used[1], (uint16_t)(u + 1), __ATOMIC_RELEASE);
}

/* The full barrier orders our used index before the flag's read; the driver clears the flag
 * before it looks at the used index again. So either it sees our buffers, or we see the flag
 * clear and interrupt: none is left unannounced. Linux sets the flag while it polls (NAPI). */
bool vmm_virtio_vq_wants_irq(const struct vmm_vq_view *v)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(__atomic_load_n(&v->avail[0], __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* One block request. Returns the bytes written into the guest's buffers (status included),
 * or -1 if the chain does not have a block request's shape. */
static int64_t blk_request(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                           uint32_t n)
{
    struct vmm_vm *vm = &st->vms[slot];
    uint32_t type;
    uint64_t sector, pos, written = 0;
    const uint8_t *hdr;
    uint8_t *status_byte, status = BLK_S_OK;

    if (n < 2 || chain[0].len < 16 || (chain[0].flags & VRING_DESC_F_WRITE) ||
        chain[n - 1].len < 1 || !(chain[n - 1].flags & VRING_DESC_F_WRITE)) {
        return -1;
    }
    hdr = vmm_virtio_guest_ptr(st, slot, chain[0].addr, 16);
    status_byte = vmm_virtio_guest_ptr(st, slot, chain[n - 1].addr, 1);
    if (hdr == NULL || status_byte == NULL) {
        return -1;
    }
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    if (sector > VMM_DISK_SIZE / BLK_SECTOR) {
        status = BLK_S_IOERR;
        sector = 0;
    }
    pos = sector * BLK_SECTOR;
    for (uint32_t k = 1; k + 1 < n && status == BLK_S_OK; k++) {
        bool to_guest = (chain[k].flags & VRING_DESC_F_WRITE) != 0;
        uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);

        if (buf == NULL) {
            status = BLK_S_IOERR;
        } else if (type == BLK_T_GET_ID && to_guest) {
            static const char id[BLK_ID_LEN] = "understudy-vblk";
            uint32_t len = chain[k].len < BLK_ID_LEN ? chain[k].len : BLK_ID_LEN;

            memcpy(buf, id, len);
            written += len;
        } else if ((type != BLK_T_IN && type != BLK_T_OUT) || to_guest != (type == BLK_T_IN)) {
            status = type == BLK_T_IN || type == BLK_T_OUT ? BLK_S_IOERR : BLK_S_UNSUPP;
        } else if (chain[k].len > VMM_DISK_SIZE - pos) {
            status = BLK_S_IOERR; /* past the end of the disk */
        } else {
            if (type == BLK_T_IN) {
                memcpy(buf, vm->disk + pos, chain[k].len);
                written += chain[k].len;
            } else {
                memcpy(vm->disk + pos, buf, chain[k].len);
            }
            pos += chain[k].len;
        }
    }
    if (n == 2 && type != BLK_T_FLUSH && type != BLK_T_IN && type != BLK_T_OUT) {
        status = BLK_S_UNSUPP;
    }
    *status_byte = status;
    return (int64_t)(written + 1);
}

bool vmm_virtio_vq_drain(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                         vmm_vq_handler *fn)
{
    struct vring_desc chain[VMM_VIRTQ_SIZE];
    struct vmm_vq_view v;
    uint32_t n;
    uint16_t head;
    bool any = false;

    if (!vmm_virtio_vq_open(st, slot, d, qi, &v)) {
        return false;
    }
    while (vmm_virtio_vq_pop(st, slot, d, qi, &v, chain, &n, &head) == 1) {
        int64_t len = fn(st, slot, chain, n);

        if (len == VMM_VQ_LATER) {
            d->q[qi].last_avail--; /* still the guest's to wait on; retried later */
            break;
        }
        if (len < 0) {
            vmm_virtio_needs_reset(st, slot, d, "malformed descriptor chain");
            break;
        }
        vmm_virtio_vq_push(&v, head, (uint32_t)len);
        any = true;
    }
    return any && vmm_virtio_vq_wants_irq(&v);
}

/* Console transmit queue (1): the guest's bytes join its console ring, whole transfers only,
 * so nothing is dropped; one larger than the ring itself goes out as far as it fits. */
static int64_t con_tx(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                      uint32_t n)
{
    uint64_t total = 0;

    for (uint32_t k = 0; k < n; k++) {
        total += (chain[k].flags & VRING_DESC_F_WRITE) ? 0u : chain[k].len;
    }
    if (total > US_GUEST_RING_BYTES) {
        total = US_GUEST_RING_BYTES;
    }
    if (vmm_console_room(st, slot, total) < total) {
        return VMM_VQ_LATER;
    }
    for (uint32_t k = 0; k < n; k++) {
        const uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);

        if (buf != NULL && !(chain[k].flags & VRING_DESC_F_WRITE)) {
            vmm_console_out(st, slot, buf, chain[k].len);
        }
    }
    return 0;
}

bool vmm_virtio_console_rx(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct vmm_virtio *d = &vm->con;
    struct vmm_pl011 *u = &vm->uart;
    struct vring_desc chain[VMM_VIRTQ_SIZE];
    struct vmm_vq_view v;
    uint32_t n;
    uint16_t head;
    bool any = false;

    if (u->in_head == u->in_tail || !vmm_virtio_vq_open(st, slot, d, 0, &v)) {
        return false;
    }
    while (u->in_head != u->in_tail &&
           vmm_virtio_vq_pop(st, slot, d, 0, &v, chain, &n, &head) == 1) {
        uint32_t len = 0;

        for (uint32_t k = 0; k < n && u->in_head != u->in_tail; k++) {
            uint8_t *buf = vmm_virtio_guest_ptr(st, slot, chain[k].addr, chain[k].len);

            for (uint32_t b = 0; buf != NULL && (chain[k].flags & VRING_DESC_F_WRITE) &&
                                 b < chain[k].len && u->in_head != u->in_tail;
                 b++) {
                buf[b] = vmm_input_take(st, slot);
                len++;
            }
        }
        vmm_virtio_vq_push(&v, head, len);
        any = true;
    }
    if (any) {
        isr_set(st, slot, d, VIO_INT_USED);
    }
    return any;
}

void vmm_virtio_raise(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t intid)
{
    isr_set(st, slot, d, VIO_INT_USED);
    vmm_board_irq(st, slot, intid);
}

void vmm_virtio_console_retry(struct vmm_state *st, uint32_t slot)
{
    struct vmm_virtio *d = &st->vms[slot].con;

    if ((st->vms[slot].visible & VMM_DEV_VIRTIO_CONSOLE) &&
        vmm_virtio_vq_drain(st, slot, d, 1, con_tx)) {
        vmm_virtio_raise(st, slot, d, VMM_VIRTIO_CON_INTID);
    }
}

bool vmm_virtio_console_ready(const struct vmm_state *st, uint32_t slot)
{
    const struct vmm_virtio *d = &st->vms[slot].con;

    return (st->vms[slot].visible & VMM_DEV_VIRTIO_CONSOLE) && (d->status & VIO_STATUS_DRIVER_OK) &&
           d->q[0].ready;
}

void vmm_virtio_reset(struct vmm_virtio *d, uint32_t dev_id)
{
    uint8_t mac[sizeof(d->mac)];
    uint64_t cid = d->guest_cid;

    memcpy(mac, d->mac, sizeof(mac));
    memset(d, 0, sizeof(*d));
    d->dev_id = dev_id;
    memcpy(d->mac, mac, sizeof(mac));
    d->guest_cid = cid;
}

struct vmm_virtio *vmm_virtio_device(struct vmm_state *st, uint32_t slot, uint64_t ipa,
                                     uint64_t *off, uint32_t *intid)
{
    uint32_t devs = st->vms[slot].visible; /* what this boot may see, not all it was given */

    if ((devs & VMM_DEV_VIRTIO_BLK) && st->vms[slot].disk != NULL && ipa >= VMM_VIRTIO_BLK_IPA &&
        ipa < VMM_VIRTIO_BLK_IPA + VMM_VIRTIO_SIZE) {
        *off = ipa - VMM_VIRTIO_BLK_IPA;
        *intid = VMM_VIRTIO_BLK_INTID;
        return &st->vms[slot].blk;
    }
    if ((devs & VMM_DEV_VIRTIO_NET) && ipa >= VMM_VIRTIO_NET_IPA &&
        ipa < VMM_VIRTIO_NET_IPA + VMM_VIRTIO_SIZE) {
        *off = ipa - VMM_VIRTIO_NET_IPA;
        *intid = VMM_VIRTIO_NET_INTID;
        return &st->vms[slot].net;
    }
    if ((devs & VMM_DEV_VIRTIO_CONSOLE) && ipa >= VMM_VIRTIO_CON_IPA &&
        ipa < VMM_VIRTIO_CON_IPA + VMM_VIRTIO_SIZE) {
        *off = ipa - VMM_VIRTIO_CON_IPA;
        *intid = VMM_VIRTIO_CON_INTID;
        return &st->vms[slot].con;
    }
    if ((devs & VMM_DEV_VIRTIO_VSOCK) && st->vms[slot].vsock_conns != NULL &&
        ipa >= VMM_VIRTIO_VSOCK_IPA && ipa < VMM_VIRTIO_VSOCK_IPA + VMM_VIRTIO_SIZE) {
        *off = ipa - VMM_VIRTIO_VSOCK_IPA;
        *intid = VMM_VIRTIO_VSOCK_INTID;
        return &st->vms[slot].vsock;
    }
    return NULL;
}

/* @size bytes at @off of the device-specific configuration (little-endian, any alignment
 * the driver chooses; bytes past the device's configuration read as zero). */
static uint32_t config_read(const struct vmm_virtio *d, uint64_t off, uint32_t size)
{
    uint8_t cfg[8] = {0};
    uint32_t v = 0;

    if (d->dev_id == VIO_ID_BLOCK) {
        uint64_t sectors = VMM_DISK_SIZE / BLK_SECTOR; /* capacity */
        memcpy(cfg, &sectors, sizeof(sectors));
    } else if (d->dev_id == VIO_ID_NET) {
        memcpy(cfg, d->mac, sizeof(d->mac)); /* mac; no F_STATUS, so nothing after it */
    } else if (d->dev_id == VIO_ID_VSOCK) {
        memcpy(cfg, &d->guest_cid, sizeof(d->guest_cid)); /* le64 guest_cid */
    } /* console: no F_SIZE, F_MULTIPORT or F_EMERG_WRITE, so no configuration */
    for (uint32_t i = 0; i < size; i++) {
        uint64_t at = off - VIO_CONFIG + i;
        v |= at < sizeof(cfg) ? (uint32_t)cfg[at] << (8u * i) : 0u;
    }
    return v;
}

/* The driver made queue @val of @d available (QueueNotify, or its doorbell): serve it.
 * Returns: whether the device used buffers, so its interrupt is due. */
static bool queue_notify(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t val)
{
    if (d->dev_id == VIO_ID_BLOCK) {
        return val == 0 && vmm_virtio_vq_drain(st, slot, d, 0, blk_request);
    }
    if (d->dev_id == VIO_ID_NET) {
        /* Receive buffers (queue 0) wait for frames; nothing is held back for them. */
        return val == 1 && vmm_virtio_vq_drain(st, slot, d, 1, vmm_net_tx);
    }
    if (d->dev_id == VIO_ID_VSOCK) {
        return vmm_vsock_notify(st, slot, val);
    }
    if (val == 1) {
        return vmm_virtio_vq_drain(st, slot, d, 1, con_tx);
    }
    return val == 0 && vmm_virtio_console_rx(st, slot);
}

/* Out of line, so that the look on every exit (vmm_virtio_rung()) stays a few loads,
 * without this one's frame and stack guard. */
__attribute__((noinline)) void vmm_virtio_bells_rung(struct vmm_state *st, uint32_t slot,
                                                     struct us_fastmmio_page *p)
{
    static const uint64_t bases[] = VMM_VIRTIO_WINDOWS;

    for (uint32_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        uint64_t off;
        uint32_t intid;
        struct vmm_virtio *d = vmm_virtio_device(st, slot, bases[i], &off, &intid);
        uint32_t rang;

        if (d == NULL ||
            (rang = __atomic_exchange_n(&p->bell[vmm_virtio_isr_index(&st->vms[slot], d)], 0u,
                                        __ATOMIC_ACQ_REL)) == 0) {
            continue;
        }
        for (uint32_t q = 0; q < 32u; q++) {
            if ((rang & (1u << q)) && queue_notify(st, slot, d, q)) {
                vmm_virtio_raise(st, slot, d, intid);
            }
        }
    }
}

static uint32_t reg_read(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint64_t off)
{
    uint32_t nq = queue_count(d);
    const struct vmm_virtq *q = d->queue_sel < nq ? &d->q[d->queue_sel] : NULL;

    switch (off) {
    case VIO_MAGIC:
        return VIO_MAGIC_VALUE;
    case VIO_VERSION:
        return 2;
    case VIO_DEVICE_ID:
        return d->dev_id;
    case VIO_VENDOR_ID:
        return VIO_VENDOR;
    case VIO_DEVICE_FEATURES:
        if (d->features_sel == 0) {
            return d->dev_id == VIO_ID_NET ? VIO_NET_F_MAC : 0u;
        }
        return d->features_sel == 1 ? VIO_F_VERSION_1_HI : 0;
    case VIO_QUEUE_NUM_MAX:
        return q != NULL ? VMM_VIRTQ_SIZE : 0;
    case VIO_QUEUE_READY:
        return q != NULL ? q->ready : 0;
    case VIO_INTERRUPT_STATUS:
        return __atomic_load_n(isr_word(st, slot, d), __ATOMIC_ACQUIRE);
    case VIO_STATUS:
        return d->status;
    default:
        return 0; /* ConfigGeneration 0; write-only registers read 0 */
    }
}

static void set_half(uint64_t *r, bool high, uint32_t v)
{
    *r = high ? (*r & 0xffffffffull) | ((uint64_t)v << 32) : (*r & ~0xffffffffull) | v;
}

/* Returns whether the write completed requests that call for an interrupt. */
static bool reg_write(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint64_t off,
                      uint32_t val)
{
    uint32_t nq = queue_count(d);
    struct vmm_virtq *q = d->queue_sel < nq ? &d->q[d->queue_sel] : NULL;
    bool done = false;

    switch (off) {
    case VIO_DEVICE_FEATURES_SEL:
        d->features_sel = val;
        break;
    case VIO_QUEUE_SEL:
        d->queue_sel = val;
        break;
    case VIO_QUEUE_NUM:
        if (q != NULL && val >= 1 && val <= VMM_VIRTQ_SIZE && (val & (val - 1)) == 0) {
            q->num = val;
        }
        break;
    case VIO_QUEUE_READY:
        if (q != NULL) {
            q->ready = val & 1u;
            q->last_avail = 0;
        }
        break;
    case VIO_QUEUE_NOTIFY:
        done = queue_notify(st, slot, d, val);
        break;
    case VIO_INTERRUPT_ACK:
        (void)__atomic_fetch_and(isr_word(st, slot, d), ~val, __ATOMIC_ACQ_REL);
        break;
    case VIO_STATUS:
        if (val == 0) {
            vmm_virtio_reset(d, d->dev_id);
            __atomic_store_n(isr_word(st, slot, d), 0u, __ATOMIC_RELEASE);
            if (d->dev_id == VIO_ID_VSOCK) {
                vmm_vsock_reset(st, slot); /* the driver starts over: so do its connections */
            }
        } else {
            d->status = val & 0xffu;
        }
        break;
    case VIO_QUEUE_DESC_LOW:
    case VIO_QUEUE_DESC_HIGH:
        if (q != NULL) {
            set_half(&q->desc, off == VIO_QUEUE_DESC_HIGH, val);
        }
        break;
    case VIO_QUEUE_DRIVER_LOW:
    case VIO_QUEUE_DRIVER_HIGH:
        if (q != NULL) {
            set_half(&q->driver, off == VIO_QUEUE_DRIVER_HIGH, val);
        }
        break;
    case VIO_QUEUE_DEVICE_LOW:
    case VIO_QUEUE_DEVICE_HIGH:
        if (q != NULL) {
            set_half(&q->device, off == VIO_QUEUE_DEVICE_HIGH, val);
        }
        break;
    default:
        break; /* driver features (VERSION_1 is all there is), unknown registers */
    }
    if (done) {
        isr_set(st, slot, d, VIO_INT_USED);
    }
    return done;
}

__attribute__((noinline)) struct vmm_virtio_hit vmm_virtio_mmio(struct vmm_state *st, uint32_t slot,
                                                                uint64_t ipa, uint32_t size,
                                                                bool write, uint64_t v)
{
    struct vmm_virtio_hit h = {0, 0, false};

    h.hit = vmm_virtio_access(st, slot, ipa, size, write, v, &h.value, &h.irq);
    return h;
}

bool vmm_virtio_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                       uint64_t v, uint64_t *result, uint32_t *irq)
{
    uint64_t off;
    uint32_t intid;
    struct vmm_virtio *d = vmm_virtio_device(st, slot, ipa, &off, &intid);

    *irq = 0;
    *result = 0;
    if (d == NULL) {
        return false;
    }
    if (off >= VIO_CONFIG) {
        /* Configuration space takes 8-, 16- and 32-bit accesses (a MAC is read bytewise);
         * none of our devices has a writable field. */
        if (size != 1u && size != 2u && size != 4u) {
            return false;
        }
        *result = write ? 0u : config_read(d, off, size);
        return true;
    }
    if (size != 4u) {
        return false; /* registers are 32 bits wide */
    }
    if (write) {
        if (reg_write(st, slot, d, off, (uint32_t)v)) {
            *irq = intid;
        }
    } else {
        *result = reg_read(st, slot, d, off);
    }
    return true;
}
