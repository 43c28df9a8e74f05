/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_nic_pci.c, the NIC's transport on a PC: virtio-mmio's
 * register numbering, which vmm_nic.c speaks, translated to virtio-pci's common
 * configuration, ISR, device configuration and doorbells in the BAR window (a host buffer
 * here), a hostile doorbell offset kept inside the window, and no NIC granted. Finding the
 * function and placing its BARs needs q35's configuration space: qemu.x86_64.linux_two runs
 * them on QEMU's device. */
#include <string.h>
#include "ut.h"
#include "vmm_arch.h"

#define WINDOW 0x8000u
#define COMMON 0x0u
#define ISR 0x1000u
#define DEVICE 0x2000u
#define NOTIFY 0x3000u

static uint8_t window[WINDOW] __attribute__((aligned(8)));
static struct vmm_nic nic;
static bool granted;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return granted ? US_OK : US_ENOENT;
}

us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa)
{
    (void)mem, (void)pa;
    *size = WINDOW;
    return US_OK;
}

static uint32_t at16(uint32_t off)
{
    uint16_t v;

    memcpy(&v, &window[off], sizeof(v));
    return v;
}

static uint32_t at32(uint32_t off)
{
    uint32_t v;

    memcpy(&v, &window[off], sizeof(v));
    return v;
}

static void put16(uint32_t off, uint16_t v)
{
    memcpy(&window[off], &v, sizeof(v));
}

static void nic_up(void)
{
    memset(window, 0, sizeof(window));
    memset(&nic, 0, sizeof(nic));
    nic.regs = (volatile uint32_t *)(void *)window;
    nic.pci = (struct vmm_nic_pci){.common = COMMON,
                                   .isr = ISR,
                                   .device = DEVICE,
                                   .notify = NOTIFY,
                                   .notify_mul = 4,
                                   .window = WINDOW};
}

/* Each register vmm_nic.c writes lands in its field of the common configuration, with the
 * field's width. */
static void writes_reach_fields(void)
{
    nic_up();
    vmm_nic_reg_set(&nic, VIO_DEVICE_FEATURES_SEL, 1);
    vmm_nic_reg_set(&nic, VIO_DRIVER_FEATURES_SEL, 1);
    vmm_nic_reg_set(&nic, VIO_DRIVER_FEATURES, 0x20u);
    vmm_nic_reg_set(&nic, VIO_STATUS, 0x10bu); /* one byte wide: 0x0b */
    vmm_nic_reg_set(&nic, VIO_QUEUE_SEL, 1);
    vmm_nic_reg_set(&nic, VIO_QUEUE_NUM, 64);
    vmm_nic_reg_set(&nic, VIO_QUEUE_DESC_LOW, 0x40001000u);
    vmm_nic_reg_set(&nic, VIO_QUEUE_DESC_HIGH, 0x2u);
    vmm_nic_reg_set(&nic, VIO_QUEUE_DRIVER_LOW, 0x40001400u);
    vmm_nic_reg_set(&nic, VIO_QUEUE_DEVICE_HIGH, 0x3u);
    vmm_nic_reg_set(&nic, VIO_INTERRUPT_ACK, 1); /* no field: nothing written */
    UT_EXPECT_EQ(at32(0x00), 1u);
    UT_EXPECT_EQ(at32(0x08), 1u);
    UT_EXPECT_EQ(at32(0x0c), 0x20u);
    UT_EXPECT_EQ(window[0x14], 0x0bu);
    UT_EXPECT_EQ(window[0x15], 0u);
    UT_EXPECT_EQ(at16(0x16), 1u);
    UT_EXPECT_EQ(at16(0x18), 64u);
    UT_EXPECT_EQ(at32(0x20), 0x40001000u);
    UT_EXPECT_EQ(at32(0x24), 2u);
    UT_EXPECT_EQ(at32(0x28), 0x40001400u);
    UT_EXPECT_EQ(at32(0x34), 3u);
}

/* Reads: the features, the queue's maximum size, the ISR, the device configuration's bytes;
 * a register the transport lacks reads as zero. */
static void reads_come_from_fields(void)
{
    nic_up();
    memcpy(&window[0x04], &(uint32_t){0x12345678u}, 4);
    put16(0x18, 256);
    window[0x14] = 0x0f;
    window[ISR] = 1;
    memcpy(&window[DEVICE], "\x52\x54\x00\x12\x34\x56", 6);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_DEVICE_FEATURES), 0x12345678u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_QUEUE_NUM_MAX), 256u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_STATUS), 0x0fu);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_INTERRUPT_STATUS), 1u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_CONFIG + 0), 0x52u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_CONFIG + 5), 0x56u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_CONFIG + 0x100), 0u);
    UT_EXPECT_EQ(vmm_nic_reg(&nic, VIO_MAGIC), 0u);
}

/* A queue made ready interrupts through MSI-X entry 0 and learns its doorbell, the notify
 * structure plus its offset times the multiplier; a doorbell rings there with the queue's
 * index. A queue the driver does not have, or a doorbell outside the window, rings nothing. */
static void doorbells(void)
{
    uint8_t before[WINDOW];

    nic_up();
    put16(0x1a, 0xffff); /* MSI-X vector: none yet */
    put16(0x16, 1);      /* queue 1 selected */
    put16(0x1e, 3);      /* its notify offset */
    vmm_nic_reg_set(&nic, VIO_QUEUE_READY, 1);
    UT_EXPECT_EQ(at16(0x1c), 1u);
    UT_EXPECT_EQ(at16(0x1a), 0u);
    UT_EXPECT_EQ(nic.pci.notify_at[1], NOTIFY + 12u);
    vmm_nic_reg_set(&nic, VIO_QUEUE_NOTIFY, 1);
    UT_EXPECT_EQ(at16(NOTIFY + 12u), 1u);

    put16(0x16, 0);
    put16(0x1e, 0x4000); /* hostile: 0x3000 + 0x10000, far outside the window */
    vmm_nic_reg_set(&nic, VIO_QUEUE_READY, 1);
    memcpy(before, window, sizeof(before));
    vmm_nic_reg_set(&nic, VIO_QUEUE_NOTIFY, 0);
    vmm_nic_reg_set(&nic, VIO_QUEUE_NOTIFY, 7);
    UT_EXPECT(memcmp(before, window, sizeof(before)) == 0);
}

/* Without the grants the switch joins the guests only. */
static void no_nic(void)
{
    memset(&nic, 0, sizeof(nic));
    granted = false;
    UT_EXPECT_EQ(vmm_nic_bus_find(&nic), US_ENOENT);
    UT_EXPECT(nic.regs == NULL);
    UT_EXPECT(!vmm_nic_bus_remap(&nic));
}

UT_MAIN({"writes_reach_fields", writes_reach_fields},
        {"reads_come_from_fields", reads_come_from_fields}, {"doorbells", doorbells},
        {"no_nic", no_nic})
