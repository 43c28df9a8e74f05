/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* virtio-mmio version 2 (virtio 1.2, section 4.2.2) and split virtqueue layouts, shared by the
 * vmm's device models (vmm_virtio.c, vmm_net.c) and its driver of the node's NIC (vmm_nic.c). */
#pragma once

#include <stdint.h>

/* Register offsets. */
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
#define VIO_ID_NET 1u
#define VIO_ID_BLOCK 2u
#define VIO_ID_CONSOLE 3u
#define VIO_ID_VSOCK 19u

/* Feature bits: the 32-bit word FeaturesSel selects, and the bit in it. */
#define VIO_F_VERSION_1_HI (1u << 0) /* feature bit 32, word 1 */
#define VIO_NET_F_MAC (1u << 5)      /* feature bit 5, word 0: config holds the MAC */

/* Device status (virtio 1.2, 2.1). */
#define VIO_STATUS_ACKNOWLEDGE 0x01u
#define VIO_STATUS_DRIVER 0x02u
#define VIO_STATUS_DRIVER_OK 0x04u
#define VIO_STATUS_FEATURES_OK 0x08u
#define VIO_STATUS_NEEDS_RESET 0x40u
#define VIO_STATUS_FAILED 0x80u

#define VIO_INT_USED 1u

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_AVAIL_F_NO_INTERRUPT 1u /* the available ring's flags: no used-buffer interrupt */

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* virtio-net (virtio 1.2, 5.1.6): every frame is preceded by this header (num_buffers is
 * present with VERSION_1 even without MRG_RXBUF, so 12 bytes). */
#define VIO_NET_HDR_LEN 12u
#define VIO_NET_HDR_NUM_BUFFERS 10u /* offset of le16 num_buffers */
#define VIO_NET_FRAME_MIN 14u       /* an Ethernet header */
#define VIO_NET_FRAME_MAX 1514u     /* 1500-byte MTU, no VLAN tag, no offloads */

/* virtio-vsock (virtio 1.2, 5.10): every packet starts with this 44-byte header, all fields
 * little-endian: le64 src_cid, le64 dst_cid, le32 src_port, le32 dst_port, le32 len, le16
 * type, le16 op, le32 flags, le32 buf_alloc, le32 fwd_cnt. */
#define VIO_VSOCK_HDR_LEN 44u
#define VIO_VSOCK_TYPE_STREAM 1u
#define VIO_VSOCK_OP_REQUEST 1u
#define VIO_VSOCK_OP_RESPONSE 2u
#define VIO_VSOCK_OP_RST 3u
#define VIO_VSOCK_OP_SHUTDOWN 4u
#define VIO_VSOCK_OP_RW 5u
#define VIO_VSOCK_OP_CREDIT_UPDATE 6u
#define VIO_VSOCK_OP_CREDIT_REQUEST 7u
