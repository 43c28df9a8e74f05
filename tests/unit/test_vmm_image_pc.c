/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_image_pc.c: where an x86_64 guest's kernel goes (a flat image,
 * or a bzImage's protected-mode code without its setup), what a bzImage is told (boot_params:
 * its setup header, the command line with the TSC's rate, the initrd, the e820 map; ACPI tables
 * whose checksums hold and whose MADT names each vCPU), and the images refused. */
#include <stdlib.h>
#include <string.h>
#include <understudy/bundle.h>
#include <understudy/vcpu.h>
#include "ut.h"
#include "vmm_arch.h"

#define MEM (32u << 20)
#define INFO (MEM - VMM_DTB_MAX)
#define KSIZE 0x4000u

static struct vmm_state st;
static uint8_t kernel[KSIZE];
static struct us_bundle_entry k = {.size = KSIZE};

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

uint64_t us_cpu_counter(void)
{
    return 0;
}

uint64_t us_cpu_counter_freq(void)
{
    return 2000000000u; /* 2 GHz: tsc_early_khz=2000000 */
}

/* vmm_pc.c's collaborators, which vmm_pc_reset() does not reach. */
void vmm_console_put(struct vmm_state *s, uint32_t slot, uint8_t b)
{
    (void)s, (void)slot, (void)b;
}

void vmm_resume(struct us_msg *r, uint64_t flags)
{
    (void)r, (void)flags;
}

us_err_t us_vm_fastmmio(us_cap_t vm, uint64_t ipa, uint32_t kind, us_cap_t mem, uint64_t offset,
                        us_cap_t ntfn)
{
    (void)vm, (void)ipa, (void)kind, (void)mem, (void)offset, (void)ntfn;
    return US_OK;
}

void vmm_pl011_publish(struct vmm_state *s, uint32_t slot)
{
    (void)s, (void)slot;
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits) /* only a guest's read of full input signals */
{
    (void)ntfn;
    (void)bits;
    UT_EXPECT(0);
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    (void)vcpu, (void)intid;
    return US_OK;
}

us_err_t vmm_vcpu_on(struct vmm_state *s, uint32_t slot, uint32_t i, uint64_t entry, uint64_t x0)
{
    (void)s, (void)slot, (void)i, (void)entry, (void)x0;
    return US_OK;
}

/* The VM has a block and a network transport, no console or vsock. */
struct vmm_virtio *vmm_virtio_device(struct vmm_state *s, uint32_t slot, uint64_t ipa,
                                     uint64_t *off, uint32_t *intid)
{
    *off = 0;
    if (ipa == VMM_VIRTIO_BLK_IPA || ipa == VMM_VIRTIO_NET_IPA) {
        *intid = ipa == VMM_VIRTIO_BLK_IPA ? VMM_VIRTIO_BLK_INTID : VMM_VIRTIO_NET_INTID;
        return ipa == VMM_VIRTIO_BLK_IPA ? &s->vms[slot].blk : &s->vms[slot].net;
    }
    return NULL;
}

struct vmm_virtio_hit vmm_virtio_mmio(struct vmm_state *s, uint32_t slot, uint64_t ipa,
                                      uint32_t size, bool write, uint64_t v)
{
    struct vmm_virtio_hit none = {0, 0, false};

    (void)s, (void)slot, (void)ipa, (void)size, (void)write, (void)v;
    return none;
}

/* Where the @n-th occurrence of the @len bytes @what is in the @size bytes at @p; -1 if none. */
static long find(const uint8_t *p, uint32_t size, const void *what, uint32_t len, int n)
{
    for (uint32_t i = 0; i + len <= size; i++) {
        if (memcmp(p + i, what, len) == 0 && n-- == 0) {
            return (long)i;
        }
    }
    return -1;
}

static uint32_t get32(const uint8_t *p, uint32_t off)
{
    uint32_t v;

    memcpy(&v, p + off, sizeof(v));
    return v;
}

static uint64_t get64(const uint8_t *p, uint32_t off)
{
    uint64_t v;

    memcpy(&v, p + off, sizeof(v));
    return v;
}

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
    memcpy(p + off, &v, sizeof(v));
}

/* A bzImage's header as Debian's kernel has it: protocol 2.15, 3 setup sectors, loaded high,
 * relocatable, 2 KiB command line, 16 MiB preferred, @init bytes to run in. */
static void bzimage(uint32_t init)
{
    uint64_t pref = 16u << 20;

    memset(kernel, 0xcc, sizeof(kernel));
    memset(kernel, 0, 0x1000);
    kernel[0x1f1] = 3;
    kernel[0x201] = 0x6a; /* the header runs to 0x26c */
    memcpy(kernel + 0x202, "HdrS", 4);
    put32(kernel, 0x206, 0x20f);
    kernel[0x211] = 1;
    kernel[0x234] = 1;
    put32(kernel, 0x238, 0x7ff);
    memcpy(kernel + 0x258, &pref, sizeof(pref));
    put32(kernel, 0x260, init);
}

static void setup(const char *bootargs, uint32_t vcpus)
{
    free(st.vms[0].ram);
    memset(&st, 0, sizeof(st));
    st.config.vm_count = 1;
    st.config.vms[0].mem_size = MEM;
    st.config.vms[0].vcpu_count = vcpus;
    strcpy(st.config.vms[0].bootargs, bootargs);
    st.vms[0].ram = calloc(1, MEM);
    UT_EXPECT(st.vms[0].ram != NULL);
}

static uint8_t sum(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;

    for (uint32_t i = 0; i < len; i++) {
        s = (uint8_t)(s + p[i]);
    }
    return s;
}

/* A flat image: 1 MiB in, all of it, and no boot information. */
static void flat_image_at_1mib(void)
{
    struct vmm_image img;
    uint64_t arg = 1;

    setup("", 1);
    memset(kernel, 0x90, sizeof(kernel));
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_OK);
    UT_EXPECT_EQ(img.offset, 0x100000);
    UT_EXPECT_EQ(img.skip, 0);
    UT_EXPECT_EQ(vmm_image_boot(&st, 0, &k, kernel, INFO, 0, 0, &arg), US_OK);
    UT_EXPECT_EQ(arg, 0);
    UT_EXPECT_EQ(sum(st.vms[0].ram + 0xe0000, 0x1000), 0); /* no tables written */
}

/* The DSDT at @t: a device for each of the two transports, each with its window in the PC's
 * hole and its ISA line. */
static void dsdt_names_virtio(const uint8_t *t)
{
    static const uint8_t mem32[] = {0x86, 0x09, 0x00, 0x01}, irq[] = {0x89, 0x06, 0x00, 0x03};
    uint32_t len = get32(t, 4);
    long at;

    UT_EXPECT(memcmp(t, "DSDT", 4) == 0);
    UT_EXPECT_EQ(sum(t, len), 0);
    UT_EXPECT(find(t, len, "\\_SB_", 5, 0) > 0);
    UT_EXPECT(find(t, len, "LNRO0005", 8, 1) > 0);
    UT_EXPECT(find(t, len, "LNRO0005", 8, 2) < 0);
    UT_EXPECT_EQ(find(t, len, "VR00", 4, 0) > 0 && find(t, len, "VR02", 4, 0) > 0, 1);
    at = find(t, len, mem32, 4, 0);
    UT_EXPECT(at > 0 && get32(t, (uint32_t)at + 4) == 0xd0000000u &&
              get32(t, (uint32_t)at + 8) == 0x200u);
    at = find(t, len, irq, 4, 0);
    UT_EXPECT(at > 0 && t[at + 4] == 1 && get32(t, (uint32_t)at + 5) == 5u);
    at = find(t, len, mem32, 4, 1);
    UT_EXPECT(at > 0 && get32(t, (uint32_t)at + 4) == 0xd0002000u);
    at = find(t, len, irq, 4, 1);
    UT_EXPECT(at > 0 && get32(t, (uint32_t)at + 5) == 7u);
}

/* A bzImage: its setup not loaded; boot_params with the header, loader, command line, initrd
 * and e820 map; the RSDP's address; tables whose checksums hold; one MADT entry per vCPU, and the
 * I/O APIC's; a DSDT naming the VM's virtio transports. */
static void bzimage_boot_params(void)
{
    const uint64_t base = US_GUEST_RAM_BASE;
    struct vmm_image img;
    uint64_t arg = 0, rsdp, xsdt, madt;
    uint8_t *bp, *ram;

    setup("console=ttyS0", 2);
    ram = st.vms[0].ram;
    bzimage(8u << 20);
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_OK);
    UT_EXPECT_EQ(img.offset, 0x100000);
    UT_EXPECT_EQ(img.skip, 4 * 512);
    UT_EXPECT_EQ(vmm_image_boot(&st, 0, &k, kernel, INFO, INFO - 0x3000, 0x2345, &arg), US_OK);
    UT_EXPECT_EQ(arg, base + INFO);
    bp = ram + INFO;
    UT_EXPECT(memcmp(bp + 0x202, "HdrS", 4) == 0);
    UT_EXPECT_EQ(bp[0x1f1], 3);
    UT_EXPECT_EQ(bp[0x210], 0xff); /* type_of_loader: undefined */
    UT_EXPECT_EQ(get32(bp, 0x218), base + INFO - 0x3000);
    UT_EXPECT_EQ(get32(bp, 0x21c), 0x2345);
    UT_EXPECT_EQ(get32(bp, 0x228), base + INFO + 0x1000);
    UT_EXPECT(
        strcmp((const char *)bp + 0x1000, "console=ttyS0 pci=noearly tsc_early_khz=2000000") == 0);
    UT_EXPECT_EQ(bp[0x1e8], 4);                                  /* e820 entries */
    UT_EXPECT_EQ(get64(bp, 0x2d0 + 3 * 20), base + 0x100000);    /* RAM from 1 MiB... */
    UT_EXPECT_EQ(get64(bp, 0x2d0 + 3 * 20 + 8), MEM - 0x100000); /* ...to the end */
    UT_EXPECT_EQ(get32(bp, 0x2d0 + 2 * 20 + 16), 2);             /* the BIOS area reserved */
    rsdp = get64(bp, 0x070);
    UT_EXPECT_EQ(rsdp, base + 0xe0000);
    rsdp -= base;
    UT_EXPECT(memcmp(ram + rsdp, "RSD PTR ", 8) == 0);
    UT_EXPECT_EQ(sum(ram + rsdp, 20), 0);
    UT_EXPECT_EQ(sum(ram + rsdp, 36), 0);
    xsdt = get64(ram + rsdp, 24) - base;
    UT_EXPECT(memcmp(ram + xsdt, "XSDT", 4) == 0);
    UT_EXPECT_EQ(sum(ram + xsdt, get32(ram + xsdt, 4)), 0);
    UT_EXPECT_EQ(sum(ram + get64(ram + xsdt, 36) - base, 276), 0); /* the FADT */
    madt = get64(ram + xsdt, 44) - base;
    UT_EXPECT(memcmp(ram + madt, "APIC", 4) == 0);
    UT_EXPECT_EQ(get32(ram + madt, 4), 44 + 2 * 8 + 12);
    UT_EXPECT_EQ(sum(ram + madt, get32(ram + madt, 4)), 0);
    UT_EXPECT_EQ(ram[madt + 44 + 8 + 3], 1); /* the second vCPU's APIC ID */
    UT_EXPECT_EQ(ram[madt + 44 + 16], 1);    /* then the I/O APIC */
    UT_EXPECT_EQ(get32(ram + madt, 44 + 16 + 4), 0xfec00000u);
    dsdt_names_virtio(ram + get64(ram + get64(ram + xsdt, 36) - base, 140) - base);
}

/* What is refused, each with its own error: an empty image; a bzImage of an old protocol,
 * not relocatable, all setup, or needing more RAM than the VM has from its preferred address;
 * a flat image too big; a command line longer than the kernel takes. */
static void bad_images_refused(void)
{
    struct vmm_image img;
    uint64_t arg;
    struct us_bundle_entry empty = {.size = 0};

    setup("console=ttyS0", 1);
    UT_EXPECT_EQ(vmm_image_place(&empty, kernel, INFO, &img), US_ECORRUPT);
    bzimage(8u << 20);
    put32(kernel, 0x206, 0x20b);
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_ECORRUPT);
    bzimage(8u << 20);
    kernel[0x234] = 0;
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_ECORRUPT);
    bzimage(8u << 20);
    kernel[0x1f1] = 40; /* 41 sectors: more than the image */
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_ECORRUPT);
    bzimage(MEM);
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, INFO, &img), US_ENOMEM);
    memset(kernel, 0x90, 0x300); /* flat */
    UT_EXPECT_EQ(vmm_image_place(&k, kernel, 0x100000 + KSIZE - 1, &img), US_ENOMEM);
    bzimage(8u << 20);
    put32(kernel, 0x238, 16); /* the kernel takes 16 bytes of command line */
    UT_EXPECT_EQ(vmm_image_boot(&st, 0, &k, kernel, INFO, 0, 0, &arg), US_EINVAL);
}

UT_MAIN({"flat_image_at_1mib", flat_image_at_1mib}, {"bzimage_boot_params", bzimage_boot_params},
        {"bad_images_refused", bad_images_refused})
