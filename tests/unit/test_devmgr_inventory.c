/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the devmgr inventory against QEMU's real virt DTB and hand-built trees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libfdt.h>
#include "devmgr_inventory.h"
#include "ut.h"

#ifndef US_VIRT_DTB
#error "US_VIRT_DTB must name the DTB dumped by qemu-system-aarch64 -M virt,...,dumpdtb="
#endif

#define MAX_DEVS 128u
#define BUF_SIZE 16384

static struct us_dev_info devs[MAX_DEVS];

/* QEMU's DTB, packed (its 1 MiB of free space dropped), in an exact-size heap buffer. */
static uint8_t *load_virt(size_t *len)
{
    FILE *f = fopen(US_VIRT_DTB, "rb");
    static _Alignas(8) uint8_t raw[1u << 21];
    size_t n;
    uint8_t *out;

    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", US_VIRT_DTB);
        abort();
    }
    n = fread(raw, 1, sizeof(raw), f);
    fclose(f);
    if (n < sizeof(struct fdt_header) || fdt_check_header(raw) != 0 || fdt_totalsize(raw) > n ||
        fdt_pack(raw) != 0) {
        fprintf(stderr, "%s is not a usable DTB\n", US_VIRT_DTB);
        abort();
    }
    *len = fdt_totalsize(raw);
    out = malloc(*len);
    if (out == NULL) {
        abort();
    }
    memcpy(out, raw, *len);
    return out;
}

/*
 * Scan @len bytes of @blob from an exact-size heap copy (ASan) and from a copy that ends at a
 * PROT_NONE page (libfdt.a is not instrumented); both must agree.
 */
static us_err_t scan_guarded(const void *blob, size_t len, uint32_t max, uint32_t *count)
{
    size_t psz = (size_t)sysconf(_SC_PAGESIZE), span = (len + 8 + psz - 1) / psz * psz;
    uint8_t *heap, *map, *copy;
    uint32_t count2;
    us_err_t e1, e2;

    heap = malloc(len > 0 ? len : 1);
    if (heap == NULL) {
        abort();
    }
    memcpy(heap, blob, len);
    e1 = devmgr_inventory_scan(heap, len, devs, max, count);
    free(heap);

    map = mmap(NULL, span + psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map + span, psz, PROT_NONE) != 0) {
        abort();
    }
    copy = map + ((span - len) & ~(size_t)7);
    memcpy(copy, blob, len);
    e2 = devmgr_inventory_scan(copy, len, devs, max, &count2);
    munmap(map, span + psz);
    UT_EXPECT_EQ(e1, e2);
    UT_EXPECT_EQ(*count, count2);
    return e1;
}

static const struct us_dev_info *find_dev(uint32_t count, const char *name)
{
    uint32_t i;

    for (i = 0; i < count; i++) {
        if (strcmp(devs[i].name, name) == 0) {
            return &devs[i];
        }
    }
    return NULL;
}

static void expect_sane(uint32_t count, uint32_t max)
{
    uint32_t i;

    UT_EXPECT(count <= max);
    for (i = 0; i < count && i < max; i++) {
        UT_EXPECT(memchr(devs[i].name, 0, sizeof(devs[i].name)) != NULL);
        UT_EXPECT(memchr(devs[i].compat, 0, sizeof(devs[i].compat)) != NULL);
        UT_EXPECT(devs[i].compat[0] != '\0');
        UT_EXPECT(devs[i].owner == US_DEV_OWNER_NONE || devs[i].owner == US_DEV_OWNER_HYP);
        UT_EXPECT(devs[i].irq == US_INVALID_IRQ || (devs[i].irq >= 16 && devs[i].irq < 1020));
    }
}

static void inventory_lists_qemu_virt(void)
{
    const struct us_dev_info *d;
    uint32_t count, i, virtio = 0;
    size_t len;
    uint8_t *blob = load_virt(&len);

    UT_EXPECT_EQ(scan_guarded(blob, len, MAX_DEVS, &count), US_OK);
    expect_sane(count, MAX_DEVS);

    d = find_dev(count, "pl011@9000000");
    UT_EXPECT(d != NULL);
    if (d != NULL) {
        UT_EXPECT(strcmp(d->compat, "arm,pl011") == 0);
        UT_EXPECT_EQ(d->base, 0x9000000);
        UT_EXPECT_EQ(d->size, 0x1000);
        UT_EXPECT_EQ(d->irq, 33);
        UT_EXPECT_EQ(d->owner, US_DEV_OWNER_HYP);
    }
    d = find_dev(count, "intc@8000000");
    UT_EXPECT(d != NULL);
    if (d != NULL) {
        UT_EXPECT(strcmp(d->compat, "arm,gic-v3") == 0);
        UT_EXPECT_EQ(d->base, 0x8000000);
        UT_EXPECT_EQ(d->size, 0x10000);
        UT_EXPECT_EQ(d->irq, 25); /* maintenance interrupt, PPI 9 */
        UT_EXPECT_EQ(d->owner, US_DEV_OWNER_HYP);
    }
    d = find_dev(count, "timer");
    UT_EXPECT(d != NULL);
    if (d != NULL) {
        UT_EXPECT(strcmp(d->compat, "arm,armv8-timer") == 0);
        UT_EXPECT_EQ(d->base, 0);
        UT_EXPECT_EQ(d->irq, 29); /* secure physical timer, PPI 13, comes first */
        UT_EXPECT_EQ(d->owner, US_DEV_OWNER_HYP);
    }
    d = find_dev(count, "pl031@9010000");
    UT_EXPECT(d != NULL && d->irq == 34 && d->owner == US_DEV_OWNER_NONE);
    d = find_dev(count, "pcie@10000000");
    UT_EXPECT(d != NULL && d->base == 0x4010000000ull && d->irq == US_INVALID_IRQ);
    d = find_dev(count, "virtio_mmio@a000000");
    UT_EXPECT(d != NULL && d->base == 0xa000000 && d->size == 0x200 && d->irq == 48);
    UT_EXPECT(d != NULL && d->owner == US_DEV_OWNER_NONE);
    d = find_dev(count, "virtio_mmio@a003e00"); /* transport 31: the NIC's, the vmm's */
    UT_EXPECT(d != NULL && d->irq == 79 && d->owner == US_DEV_OWNER_HYP);
    for (i = 0; i < count; i++) {
        if (strcmp(devs[i].compat, "virtio,mmio") == 0) {
            UT_EXPECT_EQ(devs[i].owner,
                         devs[i].base == 0xa003e00 ? US_DEV_OWNER_HYP : US_DEV_OWNER_NONE);
            UT_EXPECT_EQ(devs[i].irq, 48 + (devs[i].base - 0xa000000) / 0x200);
            virtio++;
        }
    }
    UT_EXPECT_EQ(virtio, 32);
    /* Not devices: no compatible, or neither reg nor interrupts, or not on the root bus. */
    UT_EXPECT(find_dev(count, "memory@40000000") == NULL);
    UT_EXPECT(find_dev(count, "psci") == NULL);
    UT_EXPECT(find_dev(count, "cpu@0") == NULL);
    UT_EXPECT(find_dev(count, "its@8080000") == NULL);
    UT_EXPECT(find_dev(count, "apb-pclk") == NULL);
    UT_EXPECT(find_dev(count, "chosen") == NULL);
    free(blob);
}

static void inventory_reports_overflow(void)
{
    struct us_dev_info first[5];
    uint32_t count, all;
    size_t len;
    uint8_t *blob = load_virt(&len);

    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, devs, MAX_DEVS, &all), US_OK);
    memcpy(first, devs, sizeof(first));
    memset(devs, 0xa5, sizeof(devs));
    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, devs, 5, &count), US_ENOMEM);
    UT_EXPECT_EQ(count, 5);
    UT_EXPECT(memcmp(first, devs, sizeof(first)) == 0);
    UT_EXPECT_EQ(devs[5].owner, 0xa5a5a5a5u); /* nothing written past max */
    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, devs, all, &count), US_OK);
    UT_EXPECT_EQ(count, all);
    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, NULL, 0, &count), US_ENOMEM);
    UT_EXPECT_EQ(count, 0);
    free(blob);
}

static void inventory_rejects_null_args(void)
{
    uint32_t count = 7;
    size_t len;
    uint8_t *blob = load_virt(&len);
    uint8_t *odd = malloc(len + 4);

    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, devs, MAX_DEVS, NULL), US_EINVAL);
    UT_EXPECT_EQ(devmgr_inventory_scan(NULL, len, devs, MAX_DEVS, &count), US_EINVAL);
    UT_EXPECT_EQ(count, 0);
    UT_EXPECT_EQ(devmgr_inventory_scan(blob, len, NULL, 1, &count), US_EINVAL);
    memcpy(odd + 4, blob, len);
    UT_EXPECT_EQ(devmgr_inventory_scan(odd + 4, len, devs, MAX_DEVS, &count), US_EINVAL);
    free(odd);
    free(blob);
}

static void inventory_rejects_truncated_blob(void)
{
    uint32_t count;
    size_t len, n;
    uint8_t *blob = load_virt(&len);

    for (n = 0; n < len; n++) {
        UT_EXPECT_EQ(scan_guarded(blob, n, MAX_DEVS, &count), US_ECORRUPT);
        UT_EXPECT_EQ(count, 0);
    }
    UT_EXPECT_EQ(scan_guarded(blob, len, MAX_DEVS, &count), US_OK);
    free(blob);
}

static void inventory_rejects_bad_magic(void)
{
    uint32_t count;
    size_t len;
    uint8_t *blob = load_virt(&len);

    blob[3] ^= 0x10;
    UT_EXPECT_EQ(scan_guarded(blob, len, MAX_DEVS, &count), US_ECORRUPT);
    free(blob);
}

/* Header versions below 17 are refused before fdt_check_full() (which reads through NULL on
 * them in Debian 12's libfdt). */
static void inventory_rejects_old_version(void)
{
    uint32_t count;
    size_t len;
    uint8_t *blob = load_virt(&len);

    for (uint32_t v = 1; v < 17; v++) {
        fdt_set_version(blob, v);
        UT_EXPECT_EQ(scan_guarded(blob, len, MAX_DEVS, &count), US_ECORRUPT);
        UT_EXPECT_EQ(count, 0);
    }
    free(blob);
}

static uint32_t prng_state = 0xdecafbadu;

/* xorshift32 (Marsaglia 2003): fixed seed, so a failure reproduces. */
static uint32_t prng_next(void)
{
    prng_state ^= prng_state << 13;
    prng_state ^= prng_state >> 17;
    prng_state ^= prng_state << 5;
    return prng_state;
}

static void inventory_rejects_random_corruption(void)
{
    uint32_t count, ok = 0;
    size_t len, off;
    uint8_t *blob = load_virt(&len);
    uint8_t *copy = malloc(len);
    int round, k;

    memcpy(copy, blob, len);
    /* Cell starts across the blob set to 0xff, then random multi-byte damage. */
    for (off = 0; off < len; off += 12) {
        copy[off] = 0xff;
        if (scan_guarded(copy, len, MAX_DEVS, &count) == US_OK) {
            expect_sane(count, MAX_DEVS);
            ok++;
        }
        copy[off] = blob[off];
    }
    for (round = 0; round < 1000; round++) {
        int flips = 1 + (int)(prng_next() % 4);
        for (k = 0; k < flips; k++) {
            copy[prng_next() % len] ^= (uint8_t)(1 + prng_next() % 255);
        }
        if (scan_guarded(copy, len, MAX_DEVS, &count) == US_OK) {
            expect_sane(count, MAX_DEVS);
            ok++;
        }
        memcpy(copy, blob, len);
    }
    /* Most damage lands in property values, which must still scan. */
    UT_EXPECT(ok > 0);
    free(copy);
    free(blob);
}

static _Alignas(8) char sw_buf[BUF_SIZE];

static void sw_ok(int ret)
{
    if (ret != 0) {
        fprintf(stderr, "building test blob: %s\n", fdt_strerror(ret));
        abort();
    }
}

static void sw_cells(const char *prop, const uint32_t *cells, size_t n)
{
    fdt32_t be[16];
    size_t i;

    for (i = 0; i < n; i++) {
        be[i] = cpu_to_fdt32(cells[i]);
    }
    sw_ok(fdt_property(sw_buf, prop, be, (int)(n * 4)));
}

#define CELLS(prop, ...)                                                                           \
    do {                                                                                           \
        static const uint32_t c_[] = {__VA_ARGS__};                                                \
        sw_cells(prop, c_, sizeof(c_) / sizeof(c_[0]));                                            \
    } while (0)

/*
 * A tree with a GIC, a pl011 at the hypervisor's base, a simple-bus that remaps its children,
 * one nested inside it with empty ranges, one without ranges, and a second (non-GIC)
 * interrupt controller.
 */
static size_t build_tree(void)
{
    sw_ok(fdt_create(sw_buf, BUF_SIZE));
    sw_ok(fdt_finish_reservemap(sw_buf));
    sw_ok(fdt_begin_node(sw_buf, ""));
    CELLS("#address-cells", 2);
    CELLS("#size-cells", 2);
    CELLS("interrupt-parent", 1);

    sw_ok(fdt_begin_node(sw_buf, "gic@8000000"));
    sw_ok(fdt_property_string(sw_buf, "compatible", "arm,gic-400"));
    CELLS("reg", 0, 0x8000000, 0, 0x1000, 0, 0x8010000, 0, 0x1000);
    CELLS("#interrupt-cells", 3);
    sw_ok(fdt_property(sw_buf, "interrupt-controller", NULL, 0));
    CELLS("phandle", 1);
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "other-ic"));
    sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,irq-mux"));
    CELLS("#interrupt-cells", 1);
    CELLS("interrupts", 0, 99, 4);
    CELLS("phandle", 2);
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "uart@9000000"));
    sw_ok(fdt_property(sw_buf, "compatible", "arm,pl011\0arm,primecell", 24));
    CELLS("reg", 0, 0x9000000, 0, 0x1000);
    CELLS("interrupts", 0, 1, 4);
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "uart@9040000"));
    sw_ok(fdt_property_string(sw_buf, "compatible", "arm,pl011"));
    CELLS("reg", 0, 0x9040000, 0, 0x1000);
    CELLS("interrupts", 0, 8, 4);
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "soc"));
    sw_ok(fdt_property(sw_buf, "compatible", "vendor,soc\0simple-bus", 22));
    CELLS("#address-cells", 1);
    CELLS("#size-cells", 1);
    CELLS("ranges", 0x0, 0x1, 0x20000000, 0x100000, 0x40000000, 0x0, 0x30000000, 0x100000);
    {
        sw_ok(fdt_begin_node(sw_buf, "timer@1000"));
        sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,timer"));
        CELLS("reg", 0x1000, 0x100);
        CELLS("interrupts", 1, 5, 4);
        sw_ok(fdt_end_node(sw_buf));

        sw_ok(fdt_begin_node(sw_buf, "dev@40000010"));
        sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,second-range"));
        CELLS("reg", 0x40000010, 0x10);
        CELLS("interrupts-extended", 1, 0, 987, 4);
        sw_ok(fdt_end_node(sw_buf));

        sw_ok(fdt_begin_node(sw_buf, "unmapped@900000"));
        sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,outside"));
        CELLS("reg", 0x900000, 0x10);
        CELLS("interrupts", 0, 988, 4); /* past the last SPI */
        sw_ok(fdt_end_node(sw_buf));

        sw_ok(fdt_begin_node(sw_buf, "sub"));
        sw_ok(fdt_property_string(sw_buf, "compatible", "simple-bus"));
        CELLS("#address-cells", 1);
        CELLS("#size-cells", 1);
        sw_ok(fdt_property(sw_buf, "ranges", NULL, 0));
        {
            sw_ok(fdt_begin_node(sw_buf, "leaf@2000"));
            sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,leaf"));
            CELLS("reg", 0x2000, 0x20);
            CELLS("interrupt-parent", 2);
            CELLS("interrupts", 7);
            sw_ok(fdt_end_node(sw_buf));
        }
        sw_ok(fdt_end_node(sw_buf));
    }
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "closed-bus"));
    sw_ok(fdt_property_string(sw_buf, "compatible", "simple-bus"));
    CELLS("#address-cells", 1);
    CELLS("#size-cells", 1);
    {
        sw_ok(fdt_begin_node(sw_buf, "hidden@10"));
        sw_ok(fdt_property_string(sw_buf, "compatible", "vendor,hidden"));
        CELLS("reg", 0x10, 0x10);
        sw_ok(fdt_end_node(sw_buf));
    }
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "bad-compat"));
    sw_ok(fdt_property(sw_buf, "compatible", "unterminated", 12));
    CELLS("reg", 0, 0x1000, 0, 0x10);
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_begin_node(sw_buf, "no-resources"));
    sw_ok(fdt_property_string(sw_buf, "compatible", "fixed-clock"));
    sw_ok(fdt_end_node(sw_buf));

    sw_ok(fdt_end_node(sw_buf));
    sw_ok(fdt_finish(sw_buf));
    return fdt_totalsize(sw_buf);
}

static void inventory_translates_buses(void)
{
    const struct us_dev_info *d;
    uint32_t count;
    size_t size = build_tree();

    UT_EXPECT_EQ(scan_guarded(sw_buf, size, MAX_DEVS, &count), US_OK);
    expect_sane(count, MAX_DEVS);

    d = find_dev(count, "gic@8000000");
    UT_EXPECT(d != NULL && d->owner == US_DEV_OWNER_HYP && d->irq == US_INVALID_IRQ);
    d = find_dev(count, "other-ic");
    UT_EXPECT(d != NULL && d->irq == 131 && d->base == 0 && d->size == 0);
    d = find_dev(count, "uart@9000000");
    UT_EXPECT(d != NULL && d->owner == US_DEV_OWNER_HYP && d->irq == 33);
    d = find_dev(count, "uart@9040000");
    UT_EXPECT(d != NULL && d->owner == US_DEV_OWNER_NONE && d->irq == 40);
    d = find_dev(count, "timer@1000");
    UT_EXPECT(d != NULL && d->base == 0x120001000ull && d->size == 0x100 && d->irq == 21);
    UT_EXPECT(d != NULL && d->owner == US_DEV_OWNER_NONE);
    d = find_dev(count, "dev@40000010");
    UT_EXPECT(d != NULL && d->base == 0x30000010ull && d->irq == 1019);
    d = find_dev(count, "unmapped@900000");
    UT_EXPECT(d != NULL && d->base == 0 && d->size == 0 && d->irq == US_INVALID_IRQ);
    d = find_dev(count, "leaf@2000");
    UT_EXPECT(d != NULL && d->base == 0x120002000ull && d->size == 0x20);
    UT_EXPECT(d != NULL && d->irq == US_INVALID_IRQ); /* its parent is not a GIC */
    d = find_dev(count, "hidden@10");
    UT_EXPECT(d != NULL && d->base == 0 && d->size == 0);
    UT_EXPECT(find_dev(count, "soc") == NULL);
    UT_EXPECT(find_dev(count, "sub") == NULL);
    UT_EXPECT(find_dev(count, "bad-compat") == NULL);
    UT_EXPECT(find_dev(count, "no-resources") == NULL);
    UT_EXPECT_EQ(count, 9);
    if (count >= 3) {
        UT_EXPECT(strcmp(devs[0].name, "gic@8000000") == 0); /* DTB order */
        UT_EXPECT(strcmp(devs[2].compat, "arm,pl011") == 0);
    }
}

UT_MAIN({"inventory_lists_qemu_virt", inventory_lists_qemu_virt},
        {"inventory_reports_overflow", inventory_reports_overflow},
        {"inventory_rejects_null_args", inventory_rejects_null_args},
        {"inventory_rejects_truncated_blob", inventory_rejects_truncated_blob},
        {"inventory_rejects_bad_magic", inventory_rejects_bad_magic},
        {"inventory_rejects_old_version", inventory_rejects_old_version},
        {"inventory_rejects_random_corruption", inventory_rejects_random_corruption},
        {"inventory_translates_buses", inventory_translates_buses})
