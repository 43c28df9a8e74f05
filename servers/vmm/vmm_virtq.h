/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The virtqueue helpers the vmm's virtio device models share: vmm_virtio.c implements them
 * (and the transports), vmm_net.c and vmm_vsock.c drive their queues with them. */
#pragma once

#include "vmm.h"

/* A virtqueue's rings, checked and mapped for one pass. The pass ends at avail_end, the
 * driver's index as it was when the pass began: another vCPU that keeps adding chains cannot
 * keep the vmm in one pass (each ends after at most num chains); what it adds waits for the
 * notify that follows its index write. */
struct vmm_vq_view {
    const struct vring_desc *desc;
    const uint16_t *avail;
    uint16_t *used;
    uint32_t num;
    uint16_t avail_end;
};

/* A device's handling of one chain: the used length; -1 if the chain is malformed; or
 * VMM_VQ_LATER to leave it available and stop for now (the device has no room yet). */
#define VMM_VQ_LATER (-2)
typedef int64_t vmm_vq_handler(struct vmm_state *st, uint32_t slot, const struct vring_desc *chain,
                               uint32_t n);

/** vmm_virtio_guest_ptr() - guest RAM bytes [@gpa, @gpa + @len) of VM @slot as a vmm
 * pointer, or NULL if any of them is outside the guest's RAM. */
uint8_t *vmm_virtio_guest_ptr(struct vmm_state *st, uint32_t slot, uint64_t gpa, uint64_t len);

/** vmm_virtio_needs_reset() - stop device @d (DEVICE_NEEDS_RESET), logging @why once. */
void vmm_virtio_needs_reset(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d,
                            const char *why);

/** vmm_virtio_vq_open() - map queue @qi for a pass. Returns false if it is unusable (and
 * stops the device if its rings are bad). */
bool vmm_virtio_vq_open(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                        struct vmm_vq_view *v);

/** vmm_virtio_vq_pop() - the next available chain, copied out of guest memory (the guest may
 * change it meanwhile). Returns: 1 with the chain in @chain/@n/@head; 0 if none is
 * available; -1 if it is malformed (the device is then stopped). */
int vmm_virtio_vq_pop(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                      const struct vmm_vq_view *v, struct vring_desc *chain, uint32_t *n,
                      uint16_t *head);

/** vmm_virtio_vq_push() - give chain @head back to the driver with @len bytes written. */
void vmm_virtio_vq_push(const struct vmm_vq_view *v, uint16_t head, uint32_t len);

/** vmm_virtio_vq_wants_irq() - after pushing used buffers to @v: whether the driver wants an
 * interrupt for them. Without VIRTIO_F_EVENT_IDX its only say is VRING_AVAIL_F_NO_INTERRUPT
 * in the available ring's flags (virtio 1.x, 2.7.7), read after the used index is out. */
bool vmm_virtio_vq_wants_irq(const struct vmm_vq_view *v);

/** vmm_virtio_vq_drain() - complete every chain available on queue @qi with @fn.
 * Returns whether any completed and the driver wants an interrupt for them. */
bool vmm_virtio_vq_drain(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t qi,
                         vmm_vq_handler *fn);

/** vmm_virtio_raise() - VM @slot's device @d completed requests: set its interrupt status and
 * make @intid pending in vCPU 0 if the guest has enabled it (outside an exit of that VM). */
void vmm_virtio_raise(struct vmm_state *st, uint32_t slot, struct vmm_virtio *d, uint32_t intid);
