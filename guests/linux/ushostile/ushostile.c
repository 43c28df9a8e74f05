/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (c) 2026 The Understudy authors */
/*
 * ushostile: a hostile guest kernel module for Understudy's tests. Loaded as root inside a
 * Linux guest, it does what no well-behaved driver does and prints what the hypervisor
 * answered, one "ushostile:" line per probe, for the test to check:
 *
 *  - HVC and SMC calls with function IDs nobody implements, and PSCI calls with bad
 *    arguments (the hypervisor must answer with an SMCCC/PSCI error code);
 *  - with virtio=ADDR, the virtio-mmio block device there (unbound from its driver first) is
 *    given queues full of garbage: a descriptor chain that loops, indices outside the table,
 *    an available index far ahead, and a buffer outside guest RAM (the device must set
 *    DEVICE_NEEDS_RESET, or fail the request with an I/O error, and touch nothing else).
 *
 * GPL-2.0 because it links against the kernel; it is the project's own code.
 */
#include <linux/arm-smccc.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/slab.h>

static unsigned long virtio;
module_param(virtio, ulong, 0444);
MODULE_PARM_DESC(virtio, "physical address of a virtio-mmio block device to abuse (0: none)");

static void probe_calls(void)
{
    static const u32 unknown[] = {
        0xc600ff01, /* SMC64 fast call, vendor-specific hypervisor service */
        0x82000010, /* SMC32 fast call, SiP service */
        0xc400ffff, /* PSCI range, no such function */
        0x3f000000, /* a yielding (not fast) call */
        0xbf00ff00, /* reserved owner */
    };
    struct arm_smccc_res r;
    int i;

    for (i = 0; i < ARRAY_SIZE(unknown); i++) {
        arm_smccc_1_1_hvc(unknown[i], 1, 2, 3, &r);
        pr_info("ushostile: hvc 0x%08x -> %ld\n", unknown[i], (long)r.a0);
        arm_smccc_1_1_smc(unknown[i], 1, 2, 3, &r);
        pr_info("ushostile: smc 0x%08x -> %ld\n", unknown[i], (long)r.a0);
    }
    /* PSCI with bad arguments: a CPU that does not exist, and one already on (this one). */
    arm_smccc_1_1_hvc(0xc4000003, 0xff, 0, 0, &r); /* CPU_ON */
    pr_info("ushostile: psci cpu_on 0xff -> %ld\n", (long)r.a0);
    arm_smccc_1_1_hvc(0xc4000003, 0, 0, 0, &r);
    pr_info("ushostile: psci cpu_on 0x0 -> %ld\n", (long)r.a0);
    arm_smccc_1_1_hvc(0xc4000004, 0xff, 0, 0, &r); /* AFFINITY_INFO */
    pr_info("ushostile: psci affinity_info 0xff -> %ld\n", (long)r.a0);
}

/* virtio-mmio registers (virtio 1.2, 4.2.2) */
#define VIO_QUEUE_SEL 0x030
#define VIO_QUEUE_NUM 0x038
#define VIO_QUEUE_READY 0x044
#define VIO_QUEUE_NOTIFY 0x050
#define VIO_STATUS 0x070
#define VIO_DRIVER_FEATURES 0x020
#define VIO_DRIVER_FEATURES_SEL 0x024
#define VIO_QUEUE_DESC 0x080
#define VIO_QUEUE_DRIVER 0x090
#define VIO_QUEUE_DEVICE 0x0a0
#define QN 8
#define NEEDS_RESET 0x40

struct desc {
    __le64 addr;
    __le32 len;
    __le16 flags;
    __le16 next;
};

/* One page: descriptors at 0, available ring at 0x100, used ring at 0x200, a block request
 * header at 0x400 and its status byte at 0x500. */
struct rings {
    struct desc d[QN];
    u8 pad0[0x100 - QN * sizeof(struct desc)];
    __le16 avail[2 + QN];
    u8 pad1[0x100 - (2 + QN) * 2];
    __le16 used[2 + 4 * QN];
    u8 pad2[0x200 - (2 + 4 * QN) * 2];
    struct {
        __le32 type, reserved;
        __le64 sector;
    } hdr;
    u8 pad3[0x100 - 16];
    u8 status;
};

static void wr(void __iomem *b, u32 off, u32 v)
{
    writel(v, b + off);
}

static void wr64(void __iomem *b, u32 off, u64 v)
{
    writel(lower_32_bits(v), b + off);
    writel(upper_32_bits(v), b + off + 4);
}

/* Reset the device and give it queue 0 at @r, ready to run. */
static void bring_up(void __iomem *b, struct rings *r)
{
    phys_addr_t pa = virt_to_phys(r);

    memset(r, 0, sizeof(*r));
    wr(b, VIO_STATUS, 0);
    wr(b, VIO_STATUS, 1 | 2);
    wr(b, VIO_DRIVER_FEATURES_SEL, 1);
    wr(b, VIO_DRIVER_FEATURES, 1); /* VERSION_1 */
    wr(b, VIO_STATUS, 1 | 2 | 8);
    wr(b, VIO_QUEUE_SEL, 0);
    wr(b, VIO_QUEUE_NUM, QN);
    wr64(b, VIO_QUEUE_DESC, pa);
    wr64(b, VIO_QUEUE_DRIVER, pa + offsetof(struct rings, avail));
    wr64(b, VIO_QUEUE_DEVICE, pa + offsetof(struct rings, used));
    wr(b, VIO_QUEUE_READY, 1);
    wr(b, VIO_STATUS, 1 | 2 | 8 | 4);
}

/* Publish head @head (raw: it may be out of range) and ring the doorbell. */
static void submit(void __iomem *b, struct rings *r, u16 head, u16 idx)
{
    r->avail[2] = cpu_to_le16(head);
    dma_wmb();
    r->avail[1] = cpu_to_le16(idx);
    wmb();
    wr(b, VIO_QUEUE_NOTIFY, 0);
}

static void set_desc(struct rings *r, int i, u64 addr, u32 len, u16 flags, u16 next)
{
    r->d[i].addr = cpu_to_le64(addr);
    r->d[i].len = cpu_to_le32(len);
    r->d[i].flags = cpu_to_le16(flags);
    r->d[i].next = cpu_to_le16(next);
}

static void report(void __iomem *b, const char *what)
{
    pr_info("ushostile: virtio %s -> status 0x%02x\n", what, readl(b + VIO_STATUS));
}

static void probe_virtio(void)
{
    void __iomem *b = ioremap(virtio, 0x200);
    struct rings *r = (struct rings *)get_zeroed_page(GFP_KERNEL);
    phys_addr_t pa;

    if (b == NULL || r == NULL) {
        pr_err("ushostile: no mapping or memory for the virtio probes\n");
        goto out;
    }
    pa = virt_to_phys(r);

    bring_up(b, r); /* a chain that loops: 0 -> 1 -> 0 */
    set_desc(r, 0, pa + 0x400, 16, 1, 1);
    set_desc(r, 1, pa + 0x400, 16, 1, 0);
    submit(b, r, 0, 1);
    report(b, "loop");

    bring_up(b, r); /* a head outside the table */
    submit(b, r, 200, 1);
    report(b, "bad-head");

    bring_up(b, r); /* a next index outside the table */
    set_desc(r, 0, pa + 0x400, 16, 1, 100);
    submit(b, r, 0, 1);
    report(b, "bad-next");

    bring_up(b, r); /* the available index a whole table ahead of the device */
    submit(b, r, 0, 1000);
    report(b, "index-ahead");

    /* A well-formed read whose data buffer lies far outside guest RAM: the request fails
     * with an I/O error and the device carries on. */
    bring_up(b, r);
    r->hdr.type = cpu_to_le32(0); /* VIRTIO_BLK_T_IN */
    r->hdr.sector = cpu_to_le64(0);
    r->status = 0xff;
    set_desc(r, 0, pa + 0x400, 16, 1, 1);
    set_desc(r, 1, 0x7f0000000000ull, 512, 1 | 2, 2);
    set_desc(r, 2, pa + 0x500, 1, 2, 0);
    submit(b, r, 0, 1);
    /* The doorbell does not wait for the device (virtio promises nothing more): the used
     * ring says when it is done. */
    for (int i = 0; i < 1000 && le16_to_cpu(READ_ONCE(r->used[1])) == 0; i++)
        msleep(1);
    rmb();
    pr_info("ushostile: virtio out-of-ram -> request status %u, used %u\n", r->status,
            le16_to_cpu(READ_ONCE(r->used[1])));
    report(b, "out-of-ram");

    wr(b, VIO_STATUS, 0); /* leave it reset: the driver can take it again */
out:
    if (r != NULL)
        free_page((unsigned long)r);
    if (b != NULL)
        iounmap(b);
}

static int __init ushostile_init(void)
{
    probe_calls();
    if (virtio != 0)
        probe_virtio();
    pr_info("ushostile: done\n");
    return 0;
}

static void __exit ushostile_exit(void)
{
}

module_init(ushostile_init);
module_exit(ushostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Understudy's hostile-guest probes");
