/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_virtio.c: the virtio-mmio transport and the block device,
 * driven like a guest driver would, then with hostile queues. Guest RAM is a host buffer. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_arch.h"

#define RAM_SIZE (1u << 20)
#define DESC 0x1000u /* ring addresses, as offsets in guest RAM */
#define AVAIL 0x2000u
#define USED 0x3000u
#define BUF 0x10000u
#define QN 8u

static struct vmm_state st;
static uint8_t *ram, *disk;
static unsigned warnings;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
    warnings++;
}

static uint64_t base = VMM_VIRTIO_BLK_IPA; /* the device the helpers talk to */
static char console_out[256];
static size_t console_len;

/* A second vCPU racing the vmm: while it is > 0, each chain the console transmits makes one
 * more available on the transmit queue (ring at DESC/AVAIL/USED), as fast as the vmm takes them. */
static unsigned racer_left;

static void racer_post(void)
{
    uint16_t idx, head = 0;

    racer_left--;
    memcpy(&idx, ram + AVAIL + 2, 2);
    memcpy(ram + AVAIL + 4 + 2 * (idx % QN), &head, 2);
    idx++;
    memcpy(ram + AVAIL + 2, &idx, 2);
}

void vmm_console_out(struct vmm_state *s, uint32_t slot, const uint8_t *b, uint64_t n)
{
    (void)s;
    (void)slot;
    if (racer_left > 0) {
        racer_post();
    }
    for (uint64_t i = 0; i < n && console_len < sizeof(console_out) - 1; i++) {
        console_out[console_len++] = (char)b[i];
    }
}

static uint32_t ring_room = 1u << 20; /* what vmm_console_room() reports */
static unsigned room_asks, injected;

uint32_t vmm_console_room(struct vmm_state *s, uint32_t slot, uint64_t want)
{
    (void)s;
    (void)slot;
    room_asks += ring_room < want;
    return ring_room;
}

/* As vmm_board_arm64.c's, the guest's GIC played by the test: injected if deliverable. */
void vmm_board_irq(struct vmm_state *s, uint32_t slot, uint32_t intid)
{
    if (intid == VMM_VIRTIO_CON_INTID) {
        (void)us_vcpu_inject(s->vms[slot].vcpu_cap[0], intid);
    }
}

/* No agent channels here (st.agent_chans is NULL), so the vmm never signals migrate. */
us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    (void)ntfn;
    (void)bits;
    UT_EXPECT(0);
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    (void)vcpu;
    (void)intid;
    injected++;
    return US_OK;
}

static unsigned nic_sent;

us_err_t vmm_nic_send(struct vmm_state *s, const uint8_t *frame, uint32_t len)
{
    (void)s;
    (void)frame;
    (void)len;
    nic_sent++;
    return US_OK;
}

static uint32_t rd(uint32_t off)
{
    uint64_t v = 0;
    uint32_t irq;

    UT_EXPECT(vmm_virtio_access(&st, 0, base + off, 4, false, 0, &v, &irq));
    return (uint32_t)v;
}

static bool wr(uint32_t off, uint32_t v)
{
    uint64_t ignored;
    uint32_t irq = 0;

    UT_EXPECT(vmm_virtio_access(&st, 0, base + off, 4, true, v, &ignored, &irq));
    return irq != 0;
}

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    free(ram);
    free(disk);
    ram = calloc(1, RAM_SIZE);
    disk = calloc(1, VMM_DISK_SIZE);
    st.config.vm_count = 1;
    st.config.vms[0].mem_size = RAM_SIZE;
    st.config.vms[0].devices = st.vms[0].visible = VMM_DEV_VIRTIO_BLK;
    st.vms[0].ram = ram;
    st.vms[0].disk = disk;
    vmm_virtio_reset(&st.vms[0].blk, 2);
    vmm_virtio_reset(&st.vms[0].con, 3);
    base = VMM_VIRTIO_BLK_IPA;
    console_len = 0;
    memset(console_out, 0, sizeof(console_out));
    ring_room = 1u << 20;
    room_asks = injected = 0;
    warnings = 0;
}

/* Queue @q of QN entries with its rings at @desc/@avail/@used (offsets in guest RAM). */
static void queue_at(uint32_t q, uint32_t desc_off, uint32_t avail_off, uint32_t used_off)
{
    wr(0x030, q);
    UT_EXPECT(rd(0x034) == VMM_VIRTQ_SIZE);
    wr(0x038, QN);
    wr(0x080, (uint32_t)(VMM_RAM_IPA + desc_off));
    wr(0x084, 0);
    wr(0x090, (uint32_t)(VMM_RAM_IPA + avail_off));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(VMM_RAM_IPA + used_off));
    wr(0x0a4, 0);
    wr(0x044, 1);
}

/* The Linux driver's bring-up: reset, features, one queue of QN at DESC/AVAIL/USED. */
static void bring_up(void)
{
    wr(0x070, 0);
    wr(0x070, 1 | 2);
    wr(0x014, 1);
    UT_EXPECT(rd(0x010) == 1); /* VERSION_1 */
    wr(0x024, 1);
    wr(0x020, 1);
    wr(0x070, 1 | 2 | 8);
    wr(0x030, 0);
    UT_EXPECT(rd(0x034) == VMM_VIRTQ_SIZE);
    wr(0x038, QN);
    wr(0x080, (uint32_t)(VMM_RAM_IPA + DESC));
    wr(0x084, (uint32_t)((VMM_RAM_IPA + DESC) >> 32));
    wr(0x090, (uint32_t)(VMM_RAM_IPA + AVAIL));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(VMM_RAM_IPA + USED));
    wr(0x0a4, 0);
    wr(0x044, 1);
    wr(0x070, 1 | 2 | 8 | 4);
}

static void desc(unsigned i, uint64_t off, uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *d = ram + DESC + 16 * i;
    uint64_t addr = VMM_RAM_IPA + off;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

/* Make head @head available and notify; returns whether the device asked for an interrupt. */
static bool submit(uint16_t head)
{
    uint16_t idx;

    memcpy(&idx, ram + AVAIL + 2, 2);
    memcpy(ram + AVAIL + 4 + 2 * (idx % QN), &head, 2);
    idx++;
    memcpy(ram + AVAIL + 2, &idx, 2);
    return wr(0x050, 0);
}

static uint16_t used_idx(void)
{
    uint16_t u;

    memcpy(&u, ram + USED + 2, 2);
    return u;
}

/* A block request: header at BUF, data at BUF + 0x100, status at BUF + 0xf0. */
static bool blk(uint32_t type, uint64_t sector, uint32_t len)
{
    memcpy(ram + BUF, &type, 4);
    memset(ram + BUF + 4, 0, 4);
    memcpy(ram + BUF + 8, &sector, 8);
    ram[BUF + 0xf0] = 0xff;
    desc(0, BUF, 16, 1, 1);
    desc(1, BUF + 0x100, len, (uint16_t)(1 | (type == 0 ? 2 : 0)), 2);
    desc(2, BUF + 0xf0, 1, 2, 0);
    return submit(0);
}

/* While the driver's available ring says VRING_AVAIL_F_NO_INTERRUPT (Linux polling its queue),
 * requests complete without an interrupt; once it clears the flag they raise one again. */
static void driver_suppresses_used_interrupts(void)
{
    uint16_t flags = 1;

    setup();
    bring_up();
    memcpy(ram + AVAIL, &flags, 2);
    UT_EXPECT(!blk(1, 3, 512));
    UT_EXPECT(ram[BUF + 0xf0] == 0 && used_idx() == 1);
    flags = 0;
    memcpy(ram + AVAIL, &flags, 2);
    UT_EXPECT(blk(0, 3, 512));
    UT_EXPECT(ram[BUF + 0xf0] == 0 && used_idx() == 2);
}

static void identifies_block_device(void)
{
    setup();
    UT_EXPECT(rd(0x000) == 0x74726976u && rd(0x004) == 2 && rd(0x008) == 2);
    UT_EXPECT(rd(0x100) == VMM_DISK_SIZE / 512 && rd(0x104) == 0);
    /* Not 32 bits wide, or past the window, or no disk configured: not the device's. */
    uint64_t v;
    uint32_t irq;
    UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_BLK_IPA + 0x100, 8, false, 0, &v, &irq));
    UT_EXPECT(
        !vmm_virtio_access(&st, 0, VMM_VIRTIO_BLK_IPA + VMM_VIRTIO_SIZE, 4, false, 0, &v, &irq));
    st.config.vms[0].devices = st.vms[0].visible = VMM_DEV_UART;
    UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_BLK_IPA, 4, false, 0, &v, &irq));
    /* Configured, but hidden from this boot by devmgr: not there either. */
    st.config.vms[0].devices = VMM_DEV_VIRTIO_BLK;
    st.vms[0].visible = 0;
    UT_EXPECT(!vmm_virtio_access(&st, 0, VMM_VIRTIO_BLK_IPA, 4, false, 0, &v, &irq));
}

static void writes_then_reads_sectors(void)
{
    setup();
    bring_up();
    memset(ram + BUF + 0x100, 0xab, 1024);
    UT_EXPECT(blk(1, 3, 1024)); /* OUT: sectors 3-4 */
    UT_EXPECT(ram[BUF + 0xf0] == 0 && used_idx() == 1);
    UT_EXPECT(disk[3 * 512] == 0xab && disk[5 * 512 - 1] == 0xab && disk[5 * 512] == 0);
    memset(ram + BUF + 0x100, 0, 1024);
    UT_EXPECT(blk(0, 3, 512)); /* IN: sector 3 */
    UT_EXPECT(ram[BUF + 0xf0] == 0 && ram[BUF + 0x100] == 0xab && used_idx() == 2);
    UT_EXPECT(rd(0x060) & 1);
    wr(0x064, 1);
    UT_EXPECT(rd(0x060) == 0);
    UT_EXPECT(warnings == 0);
}

static void rejects_bad_requests_with_status(void)
{
    setup();
    bring_up();
    UT_EXPECT(blk(1, VMM_DISK_SIZE / 512, 512)); /* past the end */
    UT_EXPECT(ram[BUF + 0xf0] == 1);
    UT_EXPECT(blk(0, VMM_DISK_SIZE / 512 - 1, 1024)); /* straddles the end */
    UT_EXPECT(ram[BUF + 0xf0] == 1);
    UT_EXPECT(blk(77, 0, 512)); /* unknown type */
    UT_EXPECT(ram[BUF + 0xf0] == 2);
    desc(1, RAM_SIZE - 8, 512, 1, 2); /* data buffer runs off the end of guest RAM */
    submit(0);
    UT_EXPECT(ram[BUF + 0xf0] == 1);
    UT_EXPECT((rd(0x070) & 0x40) == 0); /* request errors, not device errors */
}

static void hostile_chain_loop_needs_reset(void)
{
    setup();
    bring_up();
    desc(0, BUF, 16, 1, 1);
    desc(1, BUF + 0x100, 512, 1, 0); /* 1 -> 0 -> 1 ... */
    UT_EXPECT(!submit(0));
    UT_EXPECT(rd(0x070) & 0x40);
    UT_EXPECT(warnings == 1);
    UT_EXPECT(!submit(0)); /* stopped: nothing more is processed */
    UT_EXPECT(used_idx() == 0);
}

static void hostile_indices_and_rings(void)
{
    setup();
    bring_up();
    UT_EXPECT(!submit(200)); /* head outside the table */
    UT_EXPECT(rd(0x070) & 0x40);

    setup();
    bring_up();
    desc(0, BUF, 16, 1, 9); /* next outside the table */
    UT_EXPECT(!submit(0));
    UT_EXPECT(rd(0x070) & 0x40);

    setup();
    bring_up();
    uint16_t far_ahead = 100; /* avail idx runs more than QN ahead */
    memcpy(ram + AVAIL + 2, &far_ahead, 2);
    UT_EXPECT(!wr(0x050, 0));
    UT_EXPECT(rd(0x070) & 0x40);

    setup();
    bring_up();
    wr(0x080, 0xfff00000u); /* descriptor table outside guest RAM */
    wr(0x084, 0xffu);
    UT_EXPECT(!blk(0, 0, 512));
    UT_EXPECT(rd(0x070) & 0x40);

    setup();
    bring_up();
    wr(0x038, 3); /* not a power of two: ignored, QN stays */
    wr(0x038, VMM_VIRTQ_SIZE * 2);
    UT_EXPECT(blk(0, 0, 512) && used_idx() == 1);
}

static void reset_clears_transport_keeps_disk(void)
{
    setup();
    bring_up();
    memset(ram + BUF + 0x100, 0x5a, 512);
    UT_EXPECT(blk(1, 0, 512));
    wr(0x070, 0);
    UT_EXPECT(rd(0x070) == 0 && rd(0x044) == 0);
    UT_EXPECT(disk[0] == 0x5a);
}

/* Console: receive queue 0 at 0x4000.., transmit queue 1 at DESC/AVAIL/USED. */
static void console_up(void)
{
    base = VMM_VIRTIO_CON_IPA;
    st.config.vms[0].devices = st.vms[0].visible = VMM_DEV_VIRTIO_CONSOLE;
    wr(0x070, 0);
    wr(0x070, 1 | 2 | 8);
    UT_EXPECT(rd(0x008) == 3);
    queue_at(0, 0x4000, 0x5000, 0x6000);
    queue_at(1, DESC, AVAIL, USED);
    wr(0x030, 2);
    UT_EXPECT(rd(0x034) == 0); /* no third queue */
    wr(0x070, 1 | 2 | 8 | 4);
}

static void console_transmits_and_receives(void)
{
    uint16_t head = 0, idx = 1;
    uint32_t len;

    setup();
    console_up();
    memcpy(ram + BUF, "hello, ", 7);
    memcpy(ram + BUF + 0x80, "console", 7);
    desc(0, BUF, 7, 1, 1);
    desc(1, BUF + 0x80, 7, 0, 0);
    UT_EXPECT(!submit(0)); /* posted on the transmit queue, but notify 0 is the rx queue... */
    UT_EXPECT(strcmp(console_out, "hello, console") != 0);
    UT_EXPECT(wr(0x050, 1)); /* ...1 is tx */
    UT_EXPECT(strcmp(console_out, "hello, console") == 0);
    /* Receive: the operator typed "ls\n"; one 2-byte and one 8-byte buffer are posted. */
    memcpy(st.vms[0].uart.in, "ls\n", 3);
    st.vms[0].uart.in_head = 3;
    UT_EXPECT(vmm_virtio_console_ready(&st, 0));
    {
        uint8_t *d = ram + 0x4000;
        uint64_t a = VMM_RAM_IPA + 0x7000;
        uint32_t l = 2;
        uint16_t f = 2, nx = 0;

        memcpy(d, &a, 8);
        memcpy(d + 8, &l, 4);
        memcpy(d + 12, &f, 2);
        memcpy(d + 14, &nx, 2);
        memcpy(ram + 0x5000 + 4, &head, 2);
        memcpy(ram + 0x5000 + 2, &idx, 2);
    }
    UT_EXPECT(vmm_virtio_console_rx(&st, 0));
    UT_EXPECT(memcmp(ram + 0x7000, "ls", 2) == 0);
    memcpy(&len, ram + 0x6000 + 8, 4);
    UT_EXPECT(len == 2);
    UT_EXPECT(st.vms[0].uart.in_tail == 2); /* the LF waits for the next buffer */
    UT_EXPECT(!vmm_virtio_console_rx(&st, 0));
    UT_EXPECT(warnings == 0);
}

/* One notify completes only what was available when it arrived, however fast another vCPU
 * adds chains: a guest cannot keep the single-threaded vmm inside one exit. What the racer
 * added is still there for the next notify, and nothing is lost or completed twice. */
static void notify_work_is_bounded(void)
{
    uint16_t idx;

    setup();
    console_up();
    memcpy(ram + BUF, "x", 1);
    desc(0, BUF, 1, 0, 0);
    memcpy(ram + AVAIL + 4, &(uint16_t){0}, 2);
    memcpy(ram + AVAIL + 2, &(uint16_t){1}, 2);
    racer_left = 100000;
    UT_EXPECT(wr(0x050, 1));
    UT_EXPECT_EQ(used_idx(), 1); /* the one chain that was there at the notify */
    UT_EXPECT_EQ(racer_left, 100000 - 1);
    /* Each later notify takes at most one queue's worth, and the queue never overflows. */
    for (unsigned k = 0; k < 8; k++) {
        uint16_t before = used_idx();

        UT_EXPECT(wr(0x050, 1));
        memcpy(&idx, ram + AVAIL + 2, 2);
        UT_EXPECT((uint16_t)(used_idx() - before) <= QN);
        UT_EXPECT(idx == (uint16_t)(used_idx() + 1));
    }
    racer_left = 0;
    UT_EXPECT(wr(0x050, 1)); /* the last one the racer posted */
    memcpy(&idx, ram + AVAIL + 2, 2);
    UT_EXPECT_EQ(used_idx(), idx);
    UT_EXPECT_EQ(console_len, (size_t)used_idx());
    UT_EXPECT(warnings == 0);
}

static void console_bad_tx_queue_needs_reset(void)
{
    setup();
    console_up();
    desc(0, BUF, 7, 1, 0); /* 0 -> 0: a loop */
    memcpy(ram + AVAIL + 4, &(uint16_t){0}, 2);
    memcpy(ram + AVAIL + 2, &(uint16_t){1}, 2);
    UT_EXPECT(!wr(0x050, 1));
    UT_EXPECT(rd(0x070) & 0x40);
    UT_EXPECT(!vmm_virtio_console_ready(&st, 0) || !st.vms[0].con.q[0].ready);
    UT_EXPECT(console_len == 0);
}

/* A transfer the console ring cannot take yet stays with the guest, nothing is dropped, and
 * it goes out when the console reports room. */
static void console_waits_for_ring_room(void)
{
    setup();
    console_up();
    memcpy(ram + BUF, "0123456789", 10);
    desc(0, BUF, 10, 0, 0);
    ring_room = 4;
    UT_EXPECT(!submit(0) && !wr(0x050, 1)); /* nothing completed */
    UT_EXPECT(console_len == 0 && used_idx() == 0 && room_asks > 0);
    UT_EXPECT((rd(0x070) & 0x40) == 0); /* not an error */
    ring_room = 100;
    vmm_virtio_console_retry(&st, 0);
    UT_EXPECT(strcmp(console_out, "0123456789") == 0 && used_idx() == 1 && injected == 1);
    vmm_virtio_console_retry(&st, 0); /* nothing more to do */
    UT_EXPECT(injected == 1);
}

UT_MAIN({"identifies_block_device", identifies_block_device},
        {"driver_suppresses_used_interrupts", driver_suppresses_used_interrupts},
        {"console_waits_for_ring_room", console_waits_for_ring_room},
        {"console_transmits_and_receives", console_transmits_and_receives},
        {"console_bad_tx_queue_needs_reset", console_bad_tx_queue_needs_reset},
        {"notify_work_is_bounded", notify_work_is_bounded},
        {"writes_then_reads_sectors", writes_then_reads_sectors},
        {"rejects_bad_requests_with_status", rejects_bad_requests_with_status},
        {"hostile_chain_loop_needs_reset", hostile_chain_loop_needs_reset},
        {"hostile_indices_and_rings", hostile_indices_and_rings},
        {"reset_clears_transport_keeps_disk", reset_clears_transport_keeps_disk})
