/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-mmio (virtio 1.2, section 4.2, version 2 registers) with a block device behind it.
 *
 * The disk is a RAM region the vmm owns, so it outlives guest reboots within a run. Every
 * guest-supplied number (queue addresses and sizes, descriptor indices, chain lengths, buffer
 * ranges, sectors) is checked before use; a malformed request is logged, completed with an
 * I/O error status when it can be, and never touches memory outside the guest's RAM or the
 * disk. A queue the guest has corrupted beyond that (bad ring addresses, a looping chain) is
 * stopped: the device sets DEVICE_NEEDS_RESET and the guest keeps running.
 */
#include <uslib/string.h>
#include "vmm.h"

/* Register offsets (virtio 1.2, 4.2.2). */
#define VIO_MAGIC 0x000u
#define VIO_VERSION 0x004u
#define VIO_DEVICE_ID 0x008u
#define VIO_VENDOR_ID 0x00cu
#define VIO_DEVICE_FEATURES 0x010u
#define VIO_DEVICE_FEATURES_SEL 0x014u
#define VIO_DRIVER_FEATURES 0x020u
#define VIO_DRIVER_FEATURES_SEL 0x024u
#define VIO_QUEUE_SEL 0x030u
#define VIO_QUEUE_NUM_MAX 0x034u
#define VIO_QUEUE_NUM 0x038u
#define VIO_QUEUE_READY 0x044u
#define VIO_QUEUE_NOTIFY 0x050u
#define VIO_INTERRUPT_STATUS 0x060u
#define VIO_INTERRUPT_ACK 0x064u
#define VIO_STATUS 0x070u
#define VIO_QUEUE_DESC_LOW 0x080u
#define VIO_QUEUE_DESC_HIGH 0x084u
#define VIO_QUEUE_DRIVER_LOW 0x090u
#define VIO_QUEUE_DRIVER_HIGH 0x094u
#define VIO_QUEUE_DEVICE_LOW 0x0a0u
#define VIO_QUEUE_DEVICE_HIGH 0x0a4u
#define VIO_CONFIG_GENERATION 0x0fcu
#define VIO_CONFIG 0x100u

#define VIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIO_VENDOR 0x53554e44u      /* "DNUS": Understudy */
#define VIO_ID_BLOCK 2u
#define VIO_F_VERSION_1_HI (1u << 0) /* feature bit 32 */
#define VIO_STATUS_NEEDS_RESET 0x40u
#define VIO_INT_USED 1u

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u

#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u
#define BLK_S_OK 0u
#define BLK_S_IOERR 1u
#define BLK_S_UNSUPP 2u
#define BLK_SECTOR 512u
#define BLK_ID_LEN 20u

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Guest RAM bytes [gpa, gpa + len) as a vmm pointer, or NULL if any of it is outside. */
static uint8_t *guest_ptr(struct vmm_state *st, uint32_t slot, uint64_t gpa, uint64_t len)
{
    uint64_t size = st->config.vms[slot].mem_size;

    if (gpa < VMM_RAM_IPA || gpa - VMM_RAM_IPA > size || len > size - (gpa - VMM_RAM_IPA)) {
        return NULL;
    }
    return st->vms[slot].ram + (gpa - VMM_RAM_IPA);
}

static void needs_reset(struct vmm_state *st, uint32_t slot, const char *why)
{
    struct vmm_virtio *d = &st->vms[slot].blk;

    if (!(d->status & VIO_STATUS_NEEDS_RESET)) {
        US_LOG_WARN("%s: virtio-blk: %s; device needs reset", st->config.vms[slot].name, why);
    }
    d->status |= VIO_STATUS_NEEDS_RESET;
    d->queue_ready = 0;
}

/* One request: the chain starting at @head. Returns the bytes written into the guest's
 * buffers for the used ring, or -1 if the chain itself is malformed. */
static int64_t blk_request(struct vmm_state *st, uint32_t slot, const struct vring_desc *desc,
                           uint16_t head)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct vmm_virtio *d = &vm->blk;
    struct vring_desc chain[VMM_VIRTQ_SIZE];
    uint32_t n = 0, type;
    uint64_t sector, pos, written = 0;
    const uint8_t *hdr;
    uint8_t *status_byte, status = BLK_S_OK;
    uint16_t i = head;

    /* Copy the chain out of guest memory first: the guest may change it meanwhile. */
    for (;;) {
        if (i >= d->queue_num || n == d->queue_num) {
            return -1; /* out of the table, or longer than it: a loop */
        }
        chain[n] = desc[i];
        if (!(chain[n].flags & VRING_DESC_F_NEXT)) {
            n++;
            break;
        }
        i = chain[n].next;
        n++;
    }
    if (n < 2 || chain[0].len < 16 || (chain[0].flags & VRING_DESC_F_WRITE) ||
        chain[n - 1].len < 1 || !(chain[n - 1].flags & VRING_DESC_F_WRITE)) {
        return -1;
    }
    hdr = guest_ptr(st, slot, chain[0].addr, 16);
    status_byte = guest_ptr(st, slot, chain[n - 1].addr, 1);
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
        uint8_t *buf = guest_ptr(st, slot, chain[k].addr, chain[k].len);

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

/* QueueNotify: complete everything the guest made available. Returns whether to interrupt. */
static bool blk_notify(struct vmm_state *st, uint32_t slot)
{
    struct vmm_virtio *d = &st->vms[slot].blk;
    uint32_t qn = d->queue_num;
    const struct vring_desc *desc;
    const uint16_t *avail;
    uint16_t *used;
    uint16_t avail_idx;
    bool any = false;

    if (!d->queue_ready || !(d->status & 4u) /* DRIVER_OK */) {
        return false;
    }
    if (qn == 0) {
        needs_reset(st, slot, "queue used without a size");
        return false;
    }
    desc = (const struct vring_desc *)(const void *)guest_ptr(st, slot, d->desc, 16ull * qn);
    avail = (const uint16_t *)(const void *)guest_ptr(st, slot, d->driver, 6ull + 2ull * qn);
    used = (uint16_t *)(void *)guest_ptr(st, slot, d->device, 6ull + 8ull * qn);
    if (desc == NULL || avail == NULL || used == NULL || ((d->desc | d->driver) & 1u) ||
        (d->device & 3u)) {
        needs_reset(st, slot, "queue outside guest RAM or misaligned");
        return false;
    }
    avail_idx = __atomic_load_n(&avail[1], __ATOMIC_ACQUIRE);
    if ((uint16_t)(avail_idx - d->last_avail) > qn) {
        needs_reset(st, slot, "available index runs ahead of the queue");
        return false;
    }
    while (d->last_avail != avail_idx) {
        uint16_t head = avail[2 + d->last_avail % qn];
        int64_t len = blk_request(st, slot, desc, head);
        uint16_t u = used[1];
        uint32_t *elem = (uint32_t *)(void *)&used[2 + 4 * (u % qn)];

        if (len < 0) {
            needs_reset(st, slot, "malformed descriptor chain");
            return any;
        }
        elem[0] = head;
        elem[1] = (uint32_t)len;
        __atomic_store_n(&used[1], (uint16_t)(u + 1), __ATOMIC_RELEASE);
        d->last_avail++;
        any = true;
    }
    if (any) {
        d->isr |= VIO_INT_USED;
    }
    return any;
}

void vmm_virtio_reset(struct vmm_virtio *d)
{
    memset(d, 0, sizeof(*d));
}

bool vmm_virtio_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                       uint64_t v, uint64_t *result, bool *irq)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct vmm_virtio *d = &vm->blk;
    uint64_t off = ipa - VMM_VIRTIO_BLK_IPA;
    uint32_t val = (uint32_t)v;

    *irq = false;
    *result = 0;
    if (!(st->config.vms[slot].devices & VMM_DEV_VIRTIO_BLK) || vm->disk == NULL ||
        ipa < VMM_VIRTIO_BLK_IPA || off >= VMM_VIRTIO_SIZE || size != 4u) {
        return false; /* not ours, or not a 32-bit access (config space included) */
    }
    if (off >= VIO_CONFIG) {
        uint64_t sectors = VMM_DISK_SIZE / BLK_SECTOR;

        if (!write && off == VIO_CONFIG) {
            *result = (uint32_t)sectors;
        } else if (!write && off == VIO_CONFIG + 4u) {
            *result = (uint32_t)(sectors >> 32);
        }
        return true;
    }
    if (!write) {
        switch (off) {
        case VIO_MAGIC:
            *result = VIO_MAGIC_VALUE;
            break;
        case VIO_VERSION:
            *result = 2;
            break;
        case VIO_DEVICE_ID:
            *result = VIO_ID_BLOCK;
            break;
        case VIO_VENDOR_ID:
            *result = VIO_VENDOR;
            break;
        case VIO_DEVICE_FEATURES:
            *result = d->features_sel == 1 ? VIO_F_VERSION_1_HI : 0;
            break;
        case VIO_QUEUE_NUM_MAX:
            *result = d->queue_sel == 0 ? VMM_VIRTQ_SIZE : 0;
            break;
        case VIO_QUEUE_READY:
            *result = d->queue_sel == 0 ? d->queue_ready : 0;
            break;
        case VIO_INTERRUPT_STATUS:
            *result = d->isr;
            break;
        case VIO_STATUS:
            *result = d->status;
            break;
        default:
            break; /* ConfigGeneration 0, write-only registers read 0 */
        }
        return true;
    }
    switch (off) {
    case VIO_DEVICE_FEATURES_SEL:
        d->features_sel = val;
        break;
    case VIO_DRIVER_FEATURES_SEL:
    case VIO_DRIVER_FEATURES:
        break; /* VERSION_1 is the only feature offered; nothing to record */
    case VIO_QUEUE_SEL:
        d->queue_sel = val;
        break;
    case VIO_QUEUE_NUM:
        if (d->queue_sel == 0 && val >= 1 && val <= VMM_VIRTQ_SIZE && (val & (val - 1)) == 0) {
            d->queue_num = val;
        }
        break;
    case VIO_QUEUE_READY:
        if (d->queue_sel == 0) {
            d->queue_ready = val & 1u;
            d->last_avail = 0;
        }
        break;
    case VIO_QUEUE_NOTIFY:
        *irq = val == 0 && blk_notify(st, slot);
        break;
    case VIO_INTERRUPT_ACK:
        d->isr &= ~val;
        break;
    case VIO_STATUS:
        if (val == 0) {
            vmm_virtio_reset(d);
        } else {
            d->status = val & 0xffu;
        }
        break;
    case VIO_QUEUE_DESC_LOW:
        d->desc = (d->desc & ~0xffffffffull) | val;
        break;
    case VIO_QUEUE_DESC_HIGH:
        d->desc = (d->desc & 0xffffffffull) | ((uint64_t)val << 32);
        break;
    case VIO_QUEUE_DRIVER_LOW:
        d->driver = (d->driver & ~0xffffffffull) | val;
        break;
    case VIO_QUEUE_DRIVER_HIGH:
        d->driver = (d->driver & 0xffffffffull) | ((uint64_t)val << 32);
        break;
    case VIO_QUEUE_DEVICE_LOW:
        d->device = (d->device & ~0xffffffffull) | val;
        break;
    case VIO_QUEUE_DEVICE_HIGH:
        d->device = (d->device & 0xffffffffull) | ((uint64_t)val << 32);
        break;
    default:
        break;
    }
    return true;
}
