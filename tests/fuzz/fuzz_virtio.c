/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: the vmm's virtio-mmio devices (block, console, net and its switch, vsock and
 * its agent port) driven by a script of register accesses and guest-memory writes against a
 * fake guest RAM. */
#include <stdbool.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "fuzz_input.h"
#include "fuzz_vmm.h"
#include "vmm_arch.h"

/*
 * Two VMs, each with 96 KiB of RAM (exactly that much heap: ASan sees any access outside) and
 * the four virtio devices. The script's ring operations use one page per queue: queue q of
 * device d at RAM offset 0x1000 * (1 + 2d + q), its descriptor table at +0, available ring at
 * +0x800, used ring at +0xa00; buffers live from 0x10000 up. The guest may of course point its
 * rings anywhere, and the script can too (raw register writes, raw RAM writes).
 *
 * Input: one setup byte (bit 0: the node has a NIC; bit 1: the guests enabled the devices'
 * interrupts), then operations until the input ends: an opcode byte (enum op, modulo
 * OP_COUNT), a selector byte (bit 0: the VM; bits 1-2: the device, blk/console/net/vsock; bit 3:
 * the queue; bit 7: a raw 32-bit notify value follows), then the operands the case reads.
 */
#define VMS 2u
#define RAM_SIZE 0x18000u
#define AVAIL_OFF 0x800u
#define USED_OFF 0xa00u
#define BUF_BASE 0x10000u
#define DEVS 4u

enum op {
    OP_BRING_UP,
    OP_MMIO,
    OP_DESC,
    OP_AVAIL_PUSH,
    OP_AVAIL_IDX,
    OP_NOTIFY,
    OP_RAM,
    OP_CONSOLE_IN,
    OP_CONSOLE_RETRY,
    OP_CONSOLE_ROOM,
    OP_TOGGLE,
    OP_UPLINK_FRAME,
    OP_BLK_REQUEST,
    OP_NET_TX,
    OP_COUNT
};

static struct vmm_state st;
static uint8_t *ram[VMS];
static uint8_t *disk;
static uint32_t console_room;
static bool gic_enabled;
static uint32_t nic_dummy;

static const uint64_t dev_ipa[DEVS] = {VMM_VIRTIO_BLK_IPA, VMM_VIRTIO_CON_IPA, VMM_VIRTIO_NET_IPA,
                                       VMM_VIRTIO_VSOCK_IPA};
static const uint32_t dev_intid[DEVS] = {VMM_VIRTIO_BLK_INTID, VMM_VIRTIO_CON_INTID,
                                         VMM_VIRTIO_NET_INTID, VMM_VIRTIO_VSOCK_INTID};
static const uint32_t dev_id[DEVS] = {VIO_ID_BLOCK, VIO_ID_CONSOLE, VIO_ID_NET, VIO_ID_VSOCK};
static struct vmm_vsock vsock_conns[VMS];

/* What the rest of the vmm would do, reduced to checks of what the devices ask of it. */
void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

void vmm_console_out(struct vmm_state *s, uint32_t slot, const uint8_t *b, uint64_t n)
{
    volatile uint8_t sink = 0;

    FUZZ_CHECK(s == &st && slot < VMS);
    for (uint64_t i = 0; i < n; i++) {
        sink ^= b[i]; /* every byte must be readable */
    }
    (void)sink;
}

uint32_t vmm_console_room(struct vmm_state *s, uint32_t slot, uint64_t want)
{
    (void)want;
    FUZZ_CHECK(s == &st && slot < VMS);
    return console_room;
}

/* As vmm_board_arm64.c's, the guest's GIC played by the fuzzer: injected if enabled. */
void vmm_board_irq(struct vmm_state *s, uint32_t slot, uint32_t intid)
{
    FUZZ_CHECK(intid == VMM_VIRTIO_BLK_INTID || intid == VMM_VIRTIO_CON_INTID ||
               intid == VMM_VIRTIO_NET_INTID);
    if (gic_enabled) {
        (void)us_vcpu_inject(s->vms[slot].vcpu_cap[0], intid);
    }
}

/* The agent channels to migrate: every VM's, checked after each input. */
static struct us_agent_chan agent_chans[US_AGENT_CHANS];

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    /* migrate: an agent's line; the console: a guest read from its full console input */
    FUZZ_CHECK((ntfn == US_SLOT_VMM_MIGRATE_NTFN && bits == US_NTFN_AGENT_UP) ||
               (ntfn == US_SLOT_VMM_CONSOLE_NTFN && bits == US_NTFN_GUEST_IN_ROOM));
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    FUZZ_CHECK(vcpu < VMS);
    FUZZ_CHECK(intid == VMM_VIRTIO_BLK_INTID || intid == VMM_VIRTIO_CON_INTID ||
               intid == VMM_VIRTIO_NET_INTID);
    return US_OK;
}

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    volatile uint8_t sink = 0;

    FUZZ_CHECK(s == &st && s->nic.regs != NULL);
    FUZZ_CHECK(len >= VIO_NET_FRAME_MIN && len <= VIO_NET_FRAME_MAX);
    for (uint32_t i = 0; i < len; i++) {
        sink ^= frame[i];
    }
    (void)sink;
    return US_OK;
}

static struct vmm_virtio *dev_of(uint32_t vm, uint32_t dev)
{
    struct vmm_virtio *const devs[DEVS] = {&st.vms[vm].blk, &st.vms[vm].con, &st.vms[vm].net,
                                           &st.vms[vm].vsock};

    return devs[dev];
}

static uint32_t ring_page(uint32_t dev, uint32_t q)
{
    return 0x1000u * (1u + 2u * dev + q);
}

static void setup(struct fuzz_in *in)
{
    static bool services;
    uint8_t cfg = fi_u8(in);

    if (!services) {
        vmm_vsock_init(); /* the agent port, registered once as the vmm does at start */
        services = true;
    }
    memset(&st, 0, sizeof(st));
    memset(vsock_conns, 0, sizeof(vsock_conns));
    memset(agent_chans, 0, sizeof(agent_chans));
    st.agent_chans = agent_chans;
    disk = fuzz_vmm_disk();
    st.config.vm_count = VMS;
    st.nic.regs = (cfg & 1u) ? &nic_dummy : NULL;
    gic_enabled = (cfg & 2u) != 0;
    console_room = 1u << 20;
    for (uint32_t i = 0; i < VMS; i++) {
        ram[i] = fuzz_vmm_ram(i, RAM_SIZE);
        memcpy(st.config.vms[i].name, i == 0 ? "vm0" : "vm1", 4);
        st.config.vms[i].mem_size = RAM_SIZE;
        st.config.vms[i].vcpu_count = 1;
        st.config.vms[i].devices = VMM_DEV_ALL;
        st.vms[i].visible = VMM_DEV_ALL;
        st.vms[i].state = US_VM_STATE_RUNNING;
        st.vms[i].ram = ram[i];
        st.vms[i].disk = disk;
        st.vms[i].vcpu_cap[0] = i;
        st.vms[i].vcpus_on = 1;
        st.vms[i].vcpus_created = 1;
        st.vms[i].net.mac[0] = 0x02;
        st.vms[i].net.mac[5] = (uint8_t)(i + 1);
        vmm_virtio_reset(&st.vms[i].blk, VIO_ID_BLOCK);
        vmm_virtio_reset(&st.vms[i].con, VIO_ID_CONSOLE);
        vmm_virtio_reset(&st.vms[i].net, VIO_ID_NET);
        st.vms[i].vmid = i + 1u;
        st.vms[i].vsock_conns = &vsock_conns[i];
        st.vms[i].vsock.guest_cid = st.vms[i].vmid + VMM_VSOCK_CID_OFFSET;
        vmm_virtio_reset(&st.vms[i].vsock, VIO_ID_VSOCK);
    }
}

/* One register access as the guest would make it; checks what every answer must satisfy. */
static bool mmio(uint32_t vm, uint32_t dev, uint64_t off, uint32_t size, bool write, uint32_t v,
                 uint64_t *result)
{
    uint64_t r = 0xdeadbeefull;
    uint32_t irq = 0xdeadbeefu;
    bool ok = vmm_virtio_access(&st, vm, dev_ipa[dev] + off, size, write, v, &r, &irq);

    FUZZ_CHECK(irq == 0 || (ok && irq == dev_intid[dev]));
    FUZZ_CHECK(ok || r == 0);
    FUZZ_CHECK(!ok || off < VMM_VIRTIO_SIZE);
    FUZZ_CHECK(!ok || size == 4 || (off >= VIO_CONFIG && (size == 1 || size == 2)));
    FUZZ_CHECK(!write || r == 0);
    FUZZ_CHECK(size > 4 || r >> (8 * size) == 0);
    if (result != NULL) {
        *result = r;
    }
    return ok;
}

static void wr(uint32_t vm, uint32_t dev, uint32_t off, uint32_t v)
{
    (void)mmio(vm, dev, off, 4, true, v, NULL);
}

/* The Linux driver's bring-up; @steps drops some of it, as a hostile driver might. */
static void bring_up(uint32_t vm, uint32_t dev, uint32_t num, uint8_t steps)
{
    uint32_t queues = dev == 0 ? 1u : 2u;

    wr(vm, dev, VIO_STATUS, 0);
    wr(vm, dev, VIO_STATUS, VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER);
    wr(vm, dev, VIO_DRIVER_FEATURES_SEL, 1);
    wr(vm, dev, VIO_DRIVER_FEATURES, VIO_F_VERSION_1_HI);
    wr(vm, dev, VIO_STATUS, VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER | VIO_STATUS_FEATURES_OK);
    for (uint32_t q = 0; q < queues; q++) {
        uint64_t base = VMM_RAM_IPA + ring_page(dev, q);

        if (steps & (1u << q)) {
            continue; /* this queue left unconfigured */
        }
        wr(vm, dev, VIO_QUEUE_SEL, q);
        wr(vm, dev, VIO_QUEUE_NUM, num);
        wr(vm, dev, VIO_QUEUE_DESC_LOW, (uint32_t)base);
        wr(vm, dev, VIO_QUEUE_DESC_HIGH, (uint32_t)(base >> 32));
        wr(vm, dev, VIO_QUEUE_DRIVER_LOW, (uint32_t)(base + AVAIL_OFF));
        wr(vm, dev, VIO_QUEUE_DRIVER_HIGH, 0);
        wr(vm, dev, VIO_QUEUE_DEVICE_LOW, (uint32_t)(base + USED_OFF));
        wr(vm, dev, VIO_QUEUE_DEVICE_HIGH, 0);
        wr(vm, dev, VIO_QUEUE_READY, 1);
    }
    if (!(steps & 4u)) {
        wr(vm, dev, VIO_STATUS,
           VIO_STATUS_ACKNOWLEDGE | VIO_STATUS_DRIVER | VIO_STATUS_FEATURES_OK |
               VIO_STATUS_DRIVER_OK);
    }
}

static uint16_t ram_u16(uint32_t vm, uint32_t off)
{
    uint16_t v;

    memcpy(&v, ram[vm] + off, 2);
    return v;
}

static void ram_put(uint32_t vm, uint32_t off, const void *p, uint32_t n)
{
    if (off < RAM_SIZE) {
        memcpy(ram[vm] + off, p, n < RAM_SIZE - off ? n : RAM_SIZE - off);
    }
}

static void put_desc(uint32_t vm, uint32_t dev, uint32_t q, uint32_t i, uint64_t addr, uint32_t len,
                     uint16_t flags, uint16_t next)
{
    uint8_t d[16];

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    ram_put(vm, ring_page(dev, q) + 16u * (i % VMM_VIRTQ_SIZE), d, 16);
}

/* The queue size the device was given, for the script's own ring writes. */
static uint32_t qnum(uint32_t vm, uint32_t dev, uint32_t q)
{
    uint32_t n = dev_of(vm, dev)->q[q].num;

    return n != 0 ? n : 1u;
}

static void avail_push(uint32_t vm, uint32_t dev, uint32_t q, uint16_t head)
{
    uint32_t base = ring_page(dev, q) + AVAIL_OFF;
    uint16_t idx = ram_u16(vm, base + 2);

    ram_put(vm, base + 4 + 2 * (idx % qnum(vm, dev, q)), &head, 2);
    idx++;
    ram_put(vm, base + 2, &idx, 2);
}

/*
 * A queue notify. A device that already needs a reset must do nothing at all: no used ring
 * entry, no output.
 */
static void notify(uint32_t vm, uint32_t dev, uint32_t q)
{
    struct vmm_virtio *d = dev_of(vm, dev);
    bool stopped = (d->status & VIO_STATUS_NEEDS_RESET) != 0;
    uint16_t used[2] = {ram_u16(vm, ring_page(dev, 0) + USED_OFF + 2),
                        ram_u16(vm, ring_page(dev, 1) + USED_OFF + 2)};

    wr(vm, dev, VIO_QUEUE_NOTIFY, q);
    if (stopped) {
        FUZZ_CHECK(ram_u16(vm, ring_page(dev, 0) + USED_OFF + 2) == used[0]);
        FUZZ_CHECK(ram_u16(vm, ring_page(dev, 1) + USED_OFF + 2) == used[1]);
        FUZZ_CHECK(d->status & VIO_STATUS_NEEDS_RESET);
    }
}

static uint64_t buf_addr(struct fuzz_in *in, uint8_t mode)
{
    return (mode & 1u) ? fi_u64(in) : VMM_RAM_IPA + BUF_BASE + fi_u16(in) % (RAM_SIZE - BUF_BASE);
}

/* A whole block request (header, data, status) on descriptors 0..2 of the block queue. */
static void blk_request(struct fuzz_in *in, uint32_t vm)
{
    uint8_t mode = fi_u8(in);
    uint32_t type = (mode & 0x80u) ? fi_u32(in) : fi_u8(in) % 10u;
    uint64_t sector = (mode & 0x40u) ? fi_u64(in) : fi_u16(in);
    uint32_t len = fi_u16(in);
    uint8_t hdr[16] = {0};
    uint32_t hdr_off = BUF_BASE, data_off = BUF_BASE + 0x100u, status_off = BUF_BASE + 0xf0u;

    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    ram_put(vm, hdr_off, hdr, 16);
    ram[vm][status_off] = 0xff;
    put_desc(vm, 0, 0, 0, VMM_RAM_IPA + hdr_off, 16, VRING_DESC_F_NEXT, 1);
    put_desc(vm, 0, 0, 1, (mode & 1u) ? fi_u64(in) : VMM_RAM_IPA + data_off, len,
             (uint16_t)(VRING_DESC_F_NEXT | ((mode & 2u) ? VRING_DESC_F_WRITE : 0u)), 2);
    put_desc(vm, 0, 0, 2, VMM_RAM_IPA + status_off, 1, VRING_DESC_F_WRITE, 0);
    avail_push(vm, 0, 0, (mode & 4u) ? 1u : 0u); /* head 1: a chain without its header */
    notify(vm, 0, 0);
}

/* A frame on the transmit queue (1) of the net device, from the VM's own address or not. */
static void net_tx(struct fuzz_in *in, uint32_t vm)
{
    uint8_t mode = fi_u8(in);
    uint32_t len = fi_u16(in) % 1600u, split = fi_u16(in);
    uint8_t frame[VIO_NET_HDR_LEN + 1600] = {0};
    uint8_t *eth = frame + VIO_NET_HDR_LEN;
    uint32_t total = VIO_NET_HDR_LEN + len;

    if (mode & 1u) {
        memset(eth, 0xff, 6); /* broadcast */
    } else {
        memcpy(eth, st.vms[(mode & 2u) ? vm : 1u - vm].net.mac, 6);
    }
    memcpy(eth + 6, (mode & 4u) ? st.vms[1u - vm].net.mac : st.vms[vm].net.mac, 6);
    fi_bytes(in, eth + 12, len > 12 ? len - 12 : 0);
    split = total > 0 ? split % (total + 1u) : 0u;
    ram_put(vm, BUF_BASE, frame, total);
    put_desc(vm, 2, 1, 0, VMM_RAM_IPA + BUF_BASE, split, VRING_DESC_F_NEXT, 1);
    put_desc(vm, 2, 1, 1, VMM_RAM_IPA + BUF_BASE + split, total - split,
             (mode & 8u) ? VRING_DESC_F_WRITE : 0u, 0);
    avail_push(vm, 2, 1, 0);
    notify(vm, 2, 1);
}

/* Operator input for the console's receive queue, as vmm_pl011_input() queues it. */
static void console_in(struct fuzz_in *in, uint32_t vm)
{
    struct vmm_pl011 *u = &st.vms[vm].uart;
    uint32_t n = fi_u8(in);

    for (uint32_t i = 0; i < n && u->in_head - u->in_tail < VMM_INPUT_LEN; i++) {
        u->in[u->in_head++ % VMM_INPUT_LEN] = fi_u8(in);
    }
    if (vmm_virtio_console_rx(&st, vm)) {
        FUZZ_CHECK(st.vms[vm].con.isr & VIO_INT_USED);
    }
    FUZZ_CHECK(u->in_head - u->in_tail <= VMM_INPUT_LEN);
}

static void uplink_frame(struct fuzz_in *in)
{
    uint8_t mode = fi_u8(in);
    uint32_t len = fi_u16(in) % 1600u;
    uint8_t *frame = malloc(len > 0 ? len : 1);

    FUZZ_CHECK(frame != NULL);
    fi_bytes(in, frame, len);
    if ((mode & 1u) && len >= 6) {
        memcpy(frame, st.vms[(mode >> 1) & 1u].net.mac, 6);
    }
    vmm_net_switch(&st, VMM_NET_UPLINK, frame, len);
    free(frame);
}

/* What went up to migrate: whole records, each a connection marker or a printable line. */
static void drain_agent_channels(void)
{
    char line[US_AGENT_TEXT_MAX + 8];
    int n;

    for (uint32_t vm = 0; vm < VMS; vm++) {
        while ((n = us_ring_line(&agent_chans[vm].up, line, sizeof(line))) >= 0) {
            FUZZ_CHECK(n < (int)US_AGENT_TEXT_MAX);
            if (line[0] == '\001') {
                FUZZ_CHECK(strncmp(line, US_AGENT_OPEN, strlen(US_AGENT_OPEN)) == 0 ||
                           strcmp(line, US_AGENT_CLOSE) == 0);
                continue;
            }
            for (int i = 0; i < n; i++) {
                FUZZ_CHECK(line[i] >= ' ' && line[i] <= '~');
            }
        }
    }
}

static void check_state(void)
{
    drain_agent_channels();
    for (uint32_t vm = 0; vm < VMS; vm++) {
        for (uint32_t dev = 0; dev < DEVS; dev++) {
            const struct vmm_virtio *d = dev_of(vm, dev);

            FUZZ_CHECK(d->dev_id == dev_id[dev]);
            for (uint32_t q = 0; q < VMM_VIRTIO_QUEUES; q++) {
                uint32_t n = d->q[q].num;

                FUZZ_CHECK(n <= VMM_VIRTQ_SIZE && (n & (n - 1u)) == 0);
                FUZZ_CHECK(d->q[q].ready <= 1);
            }
        }
        FUZZ_CHECK(st.vms[vm].ram == ram[vm] && st.vms[vm].disk == disk);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};

    setup(&in);
    while (fi_left(&in) > 0) {
        uint8_t op = fi_u8(&in), sel = fi_u8(&in);
        uint32_t vm = sel & 1u, dev = ((sel >> 1) & 3u) % DEVS, q = (sel >> 3) & 1u;

        switch (op % OP_COUNT) {
        case OP_BRING_UP: {
            uint32_t num = 1u << (fi_u8(&in) % 9u);

            bring_up(vm, dev, num, fi_u8(&in));
            break;
        }
        case OP_MMIO: {
            static const uint32_t sizes[8] = {4, 4, 4, 1, 2, 8, 3, 0};
            uint32_t off = fi_u16(&in) % 0x240u;
            uint8_t how = fi_u8(&in);

            (void)mmio(vm, dev, off, sizes[how & 7u], (how & 8u) != 0, fi_u32(&in), NULL);
            break;
        }
        case OP_DESC: {
            uint32_t i = fi_u8(&in);
            uint8_t mode = fi_u8(&in);
            uint64_t addr = buf_addr(&in, mode);
            uint32_t len = (mode & 2u) ? fi_u32(&in) : fi_u16(&in);
            uint16_t flags = (mode & 4u) ? fi_u16(&in) : (uint16_t)(fi_u8(&in) & 3u);

            put_desc(vm, dev, q, i, addr, len, flags, fi_u8(&in));
            break;
        }
        case OP_AVAIL_PUSH:
            avail_push(vm, dev, q, fi_u8(&in));
            break;
        case OP_AVAIL_IDX: {
            uint16_t idx = fi_u16(&in);

            ram_put(vm, ring_page(dev, q) + AVAIL_OFF + 2, &idx, 2);
            break;
        }
        case OP_NOTIFY:
            notify(vm, dev, (sel & 0x80u) ? fi_u32(&in) : q);
            break;
        case OP_RAM: {
            uint8_t bytes[256];
            uint32_t off = fi_u16(&in), n = fi_u8(&in);

            fi_bytes(&in, bytes, n);
            ram_put(vm, off, bytes, n);
            break;
        }
        case OP_CONSOLE_IN:
            console_in(&in, vm);
            break;
        case OP_CONSOLE_RETRY:
            vmm_virtio_console_retry(&st, vm);
            break;
        case OP_CONSOLE_ROOM:
            console_room = fi_u16(&in);
            break;
        case OP_TOGGLE: {
            uint8_t t = fi_u8(&in);

            st.vms[vm].visible ^= t & VMM_DEV_ALL;
            if (t & 0x10u) {
                st.vms[vm].state =
                    st.vms[vm].state == US_VM_STATE_RUNNING ? US_VM_STATE_OFF : US_VM_STATE_RUNNING;
            }
            if (t & 0x20u) {
                st.nic.regs = st.nic.regs == NULL ? &nic_dummy : NULL;
            }
            gic_enabled ^= (t & 0x40u) != 0;
            break;
        }
        case OP_UPLINK_FRAME:
            uplink_frame(&in);
            break;
        case OP_BLK_REQUEST:
            blk_request(&in, vm);
            break;
        case OP_NET_TX:
            net_tx(&in, vm);
            break;
        default:
            break;
        }
        check_state();
    }
    return 0;
}
