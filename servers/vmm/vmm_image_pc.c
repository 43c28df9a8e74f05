/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An x86_64 guest's kernel (docs/x86_64.md): a Linux bzImage through Linux's 32-bit boot
 * protocol (Documentation/arch/x86/boot.rst), or a flat image of 32-bit code, the bare-metal
 * test guests' format. Either's protected-mode code goes 1 MiB into guest RAM, which starts at
 * 0, and is entered there in protected mode without paging. A bzImage's real-mode setup is not
 * loaded: its setup header goes into the boot_params the vmm writes, with the command line, the
 * e820 memory map and the ACPI tables' address, and ESI points to them. The command line gets
 * the TSC's rate (tsc_early_khz=), which a guest here cannot measure: Linux calibrates the TSC
 * against the PIT, with reads that must each take well under a microsecond, or the HPET or
 * ACPI PM timer, none of which the vmm has. And pci=noearly: the machine has no PCI, and
 * Linux's early quirks otherwise read every slot of 256 buses through the configuration
 * ports, 33,000 exits to find open bus in each. */
#include <understudy/cpu.h>
#include <uslib/fmt.h>
#include <uslib/string.h>
#include "vmm_arch.h"

#define PM_OFFSET 0x100000u     /* where the protected-mode code goes, and is entered */
#define VLAPIC_ADDR 0xfee00000u /* the local APIC's xAPIC window, as the MADT names it */

/* boot_params (the "zero page") and the setup header in it (boot.rst, zero-page.rst). */
#define BP_ACPI_RSDP_ADDR 0x070u
#define BP_E820_ENTRIES 0x1e8u
#define BP_SETUP_SECTS 0x1f1u
#define BP_HEADER 0x202u /* "HdrS"; the header runs from 0x1f1 to 0x202 + the byte at 0x201 */
#define BP_VERSION 0x206u
#define BP_TYPE_OF_LOADER 0x210u
#define BP_LOADFLAGS 0x211u
#define BP_RAMDISK_IMAGE 0x218u
#define BP_RAMDISK_SIZE 0x21cu
#define BP_CMD_LINE_PTR 0x228u
#define BP_RELOCATABLE 0x234u
#define BP_CMDLINE_SIZE 0x238u
#define BP_PREF_ADDRESS 0x258u
#define BP_INIT_SIZE 0x260u
#define BP_E820_TABLE 0x2d0u
#define BP_SIZE 0x1000u
#define HDRS 0x53726448u         /* "HdrS" */
#define MIN_VERSION 0x20cu       /* 2.12: xloadflags, a 64-bit kernel's fields */
#define LOADFLAGS_LOADED_HIGH 1u /* protected-mode code at 1 MiB: what a bzImage is */
#define LOADER_UNDEFINED 0xffu
#define E820_RAM 1u
#define E820_RESERVED 2u
#define CMDLINE_OFFSET BP_SIZE /* the command line: the page after boot_params */

static uint32_t get32(const uint8_t *p, uint32_t off)
{
    uint32_t v;

    memcpy(&v, p + off, sizeof(v));
    return v;
}

static void put32(uint8_t *p, uint32_t off, uint32_t v)
{
    memcpy(p + off, &v, sizeof(v));
}

static bool is_bzimage(const struct us_bundle_entry *k, const uint8_t *data)
{
    return k->size > BP_SIZE && get32(data, BP_HEADER) == HDRS;
}

static us_err_t too_big(uint64_t size, uint64_t offset)
{
    US_LOG_ERR("guest kernel (0x%llx bytes at +0x%llx) does not fit in guest RAM",
               (unsigned long long)size, (unsigned long long)offset);
    return US_ENOMEM;
}

us_err_t vmm_image_place(const struct us_bundle_entry *k, const uint8_t *data, uint64_t limit,
                         struct vmm_image *img)
{
    uint64_t setup, pref, init;

    if (k->size == 0) {
        return US_ECORRUPT;
    }
    img->offset = PM_OFFSET;
    img->skip = 0;
    if (!is_bzimage(k, data)) {
        return PM_OFFSET >= limit || k->size > limit - PM_OFFSET ? too_big(k->size, PM_OFFSET)
                                                                 : US_OK;
    }
    if ((get32(data, BP_VERSION) & 0xffffu) < MIN_VERSION ||
        !(data[BP_LOADFLAGS] & LOADFLAGS_LOADED_HIGH) || !data[BP_RELOCATABLE]) {
        US_LOG_ERR("guest kernel: a bzImage older than boot protocol 2.12, or not relocatable");
        return US_ECORRUPT;
    }
    /* The real-mode setup: its sectors, and the boot sector before them (0 meant 4). */
    setup = ((uint64_t)(data[BP_SETUP_SECTS] == 0 ? 4u : data[BP_SETUP_SECTS]) + 1u) * 512u;
    if (setup >= k->size) {
        US_LOG_ERR("guest kernel: a bzImage whose setup (0x%llx bytes) is all of it",
                   (unsigned long long)setup);
        return US_ECORRUPT;
    }
    img->skip = setup;
    /* It decompresses itself to its preferred address and needs init_size bytes there. */
    memcpy(&pref, data + BP_PREF_ADDRESS, sizeof(pref));
    init = get32(data, BP_INIT_SIZE);
    if (PM_OFFSET >= limit || k->size - setup > limit - PM_OFFSET || pref >= limit ||
        init > limit - pref) {
        return too_big(init, pref);
    }
    return US_OK;
}

/* The ACPI tables a PC's firmware leaves (ACPI 6.4, chapter 5): the RSDP, an XSDT naming a
 * FADT and a MADT, and the FADT's empty DSDT, in the BIOS area at 0xe0000 (reserved in the
 * e820 map). The FADT is a full one, as hardware-reduced ACPI would make Linux drop the 8259s
 * that carry COM1's interrupt: ACPI mode always on (no SMI command port), the SCI on line 9,
 * and the PM1a event and control blocks and the PM timer at ports the vmm answers (vmm_pc.c),
 * with no fixed power or sleep button. The MADT names each vCPU's local APIC, and they are in
 * x2APIC mode from reset (vlapic.c), so Linux picks its x2APIC driver from it, as it only does
 * from a MADT; then the I/O APIC, GSIs 0-23. */
#define ACPI_BASE 0xe0000u
#define ACPI_GPA(off) (VMM_RAM_IPA + ACPI_BASE + (off)) /* a table's guest-physical address */
#define ACPI_RSDP 0x000u                                /* offsets from ACPI_BASE */
#define ACPI_XSDT 0x040u
#define ACPI_FADT 0x100u
#define ACPI_MADT 0x300u
#define ACPI_DSDT 0x400u /* to the page's end */
#define SDT_HEADER 36u
#define FADT_LEN 276u
#define FADT_FLAGS 112u
#define FADT_NO_BUTTONS (3u << 4)  /* PWR_BUTTON, SLP_BUTTON: none as a fixed feature */
#define FADT_TMR_VAL_EXT (1u << 8) /* a 32-bit PM timer */
#define FADT_SCI_INT 46u
#define FADT_PM1A_EVT 56u
#define FADT_PM1A_CNT 64u
#define FADT_PM_TMR 76u
#define FADT_PM1_EVT_LEN 88u
#define FADT_PM1_CNT_LEN 89u
#define FADT_PM_TMR_LEN 91u
#define SCI_IRQ 9u
#define FADT_MINOR 131u
#define FADT_X_DSDT 140u
#define FADT_HYPERVISOR 268u
#define MADT_LAPIC 0u       /* entry type: a processor's local APIC */
#define MADT_IOAPIC 1u      /* entry type: an I/O APIC (vmm_board_pc.c) */
#define MADT_PCAT_COMPAT 1u /* flag: a PC's 8259 pair is there too (vmm_pc.c) */

static uint8_t checksum(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;

    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return (uint8_t)-sum;
}

/* A table's header: @sig, @len bytes with it, revision @rev; the checksum comes last. */
static void sdt(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t, 4, len);
    t[8] = rev;
    memcpy(t + 10, "USTUDY", 6);   /* OEM ID */
    memcpy(t + 16, "USTUDYVM", 8); /* OEM table ID */
    put32(t, 24, 1);               /* OEM revision */
    memcpy(t + 28, "USVM", 4);     /* creator */
    put32(t, 32, 1);
}

/* AML (ACPI 6.5, 20.2.4): a package's length at @p, one byte or two, for @body bytes after
 * it (at most 4093). Returns: its own size. */
static uint32_t pkg_len(uint8_t *p, uint32_t body)
{
    if (body + 1u < 64u) {
        p[0] = (uint8_t)(body + 1u);
        return 1;
    }
    p[0] = (uint8_t)(0x40u | ((body + 2u) & 0xfu));
    p[1] = (uint8_t)((body + 2u) >> 4);
    return 2;
}

/* Device (VRn) for virtio-mmio transport @n at @p, as Linux's virtio_mmio driver binds it by
 * ACPI: _HID "LNRO0005", _UID n, and _CRS with its window at @base (VMM_VIRTIO_SIZE bytes)
 * and its edge-triggered, active-high interrupt @irq. Returns: its size. */
static uint32_t aml_virtio(uint8_t *p, uint32_t n, uint32_t base, uint32_t irq)
{
    static const uint8_t hid[] = {0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N',
                                  'R',  'O', '0', '0', '0', '5',  0}; /* Name (_HID, "LNRO0005") */
    static const uint8_t crs[] = {0x08, '_', 'C', 'R', 'S', 0x11, 26, 0x0a, 23};
    uint8_t body[64];
    uint32_t len = 0, head;

    memcpy(body, "VR0", 3);
    body[3] = (uint8_t)('0' + n);
    len = 4;
    memcpy(body + len, hid, sizeof(hid));
    len += sizeof(hid);
    memcpy(body + len, (const uint8_t[]){0x08, '_', 'U', 'I', 'D', 0x0a, (uint8_t)n}, 7);
    len += 7;
    memcpy(body + len, crs, sizeof(crs)); /* Name (_CRS, Buffer (23) {...}) */
    len += sizeof(crs);
    put32(body, len, 0x01000986u); /* Memory32Fixed (ReadWrite, base, size) */
    put32(body, len + 4, base);
    put32(body, len + 8, (uint32_t)VMM_VIRTIO_SIZE);
    len += 12;
    put32(body, len, 0x03000689u); /* Interrupt (ResourceConsumer, Edge, ActiveHigh) {irq} */
    body[len + 4] = 1;
    put32(body, len + 5, irq);
    len += 9;
    body[len++] = 0x79; /* the end tag, no checksum */
    body[len++] = 0;
    p[0] = 0x5b; /* DeviceOp */
    p[1] = 0x82;
    head = 2u + pkg_len(p + 2, len);
    memcpy(p + head, body, len);
    return head + len;
}

/* The DSDT at @t: Scope (\_SB) with a device for each virtio transport VM @slot has. Returns:
 * its length. */
static uint32_t dsdt(struct vmm_state *st, uint32_t slot, uint8_t *t)
{
    static const uint64_t bases[] = VMM_VIRTIO_WINDOWS;
    uint8_t devs[4 * 64];
    uint32_t n = 0, len = SDT_HEADER;

    for (uint32_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        uint64_t off;
        uint32_t intid;

        if (vmm_virtio_device(st, slot, bases[i], &off, &intid) != NULL) {
            n +=
                aml_virtio(devs + n, i, (uint32_t)(VMM_PC_VIRTIO + (bases[i] - VMM_VIRTIO_BLK_IPA)),
                           vmm_pc_virtio_line(intid));
        }
    }
    if (n > 0) {
        t[len++] = 0x10; /* ScopeOp */
        len += pkg_len(t + len, 5u + n);
        memcpy(t + len, "\\_SB_", 5);
        len += 5;
        memcpy(t + len, devs, n);
        len += n;
    }
    sdt(t, "DSDT", len, 2);
    t[9] = checksum(t, len);
    return len;
}

static uint64_t acpi_tables(struct vmm_state *st, uint32_t slot, uint32_t vcpus)
{
    uint8_t *b = st->vms[slot].ram + ACPI_BASE, *x = b + ACPI_XSDT, *f = b + ACPI_FADT;
    uint8_t *m = b + ACPI_MADT;
    uint64_t q;
    uint32_t len = SDT_HEADER + 8u;

    memset(b, 0, 0x1000);
    (void)dsdt(st, slot, b + ACPI_DSDT);
    sdt(f, "FACP", FADT_LEN, 6);
    put32(f, 40, (uint32_t)ACPI_GPA(ACPI_DSDT));
    put32(f, FADT_FLAGS, FADT_NO_BUTTONS | FADT_TMR_VAL_EXT);
    f[FADT_SCI_INT] = SCI_IRQ;
    put32(f, FADT_PM1A_EVT, VMM_PC_PM1A_EVT);
    put32(f, FADT_PM1A_CNT, VMM_PC_PM1A_CNT);
    put32(f, FADT_PM_TMR, VMM_PC_PM_TMR);
    f[FADT_PM1_EVT_LEN] = 4;
    f[FADT_PM1_CNT_LEN] = 2;
    f[FADT_PM_TMR_LEN] = 4;
    f[FADT_MINOR] = 4;
    q = ACPI_GPA(ACPI_DSDT);
    memcpy(f + FADT_X_DSDT, &q, sizeof(q));
    memcpy(f + FADT_HYPERVISOR, "USTUDYVM", 8);
    f[9] = checksum(f, FADT_LEN);
    put32(m, SDT_HEADER, (uint32_t)VLAPIC_ADDR); /* the local APIC's address */
    put32(m, SDT_HEADER + 4u, MADT_PCAT_COMPAT);
    for (uint32_t i = 0; i < vcpus; i++, len += 8u) {
        m[len] = MADT_LAPIC;
        m[len + 1] = 8;
        m[len + 2] = (uint8_t)i; /* processor UID */
        m[len + 3] = (uint8_t)i; /* APIC ID: the vCPU's index */
        put32(m, len + 4, 1);    /* enabled */
    }
    m[len] = MADT_IOAPIC;
    m[len + 1] = 12;
    m[len + 2] = 0; /* its ID */
    put32(m, len + 4, VMM_PC_IOAPIC);
    put32(m, len + 8, 0); /* pin 0 is GSI 0 */
    len += 12u;
    sdt(m, "APIC", len, 5);
    m[9] = checksum(m, len);
    sdt(x, "XSDT", SDT_HEADER + 16u, 1);
    q = ACPI_GPA(ACPI_FADT);
    memcpy(x + SDT_HEADER, &q, sizeof(q));
    q = ACPI_GPA(ACPI_MADT);
    memcpy(x + SDT_HEADER + 8, &q, sizeof(q));
    x[9] = checksum(x, SDT_HEADER + 16u);
    memcpy(b, "RSD PTR ", 8);
    memcpy(b + 9, "USTUDY", 6);
    b[15] = 2; /* ACPI 2.0 and later: the XSDT */
    put32(b, 20, 36);
    q = ACPI_GPA(ACPI_XSDT);
    memcpy(b + 24, &q, sizeof(q));
    b[8] = checksum(b, 20);
    b[32] = checksum(b, 36);
    return ACPI_GPA(ACPI_RSDP);
}

/* One e820 entry at @i. */
static void e820(uint8_t *bp, uint32_t i, uint64_t addr, uint64_t size, uint32_t type)
{
    uint8_t *e = bp + BP_E820_TABLE + 20u * i;

    memcpy(e, &addr, sizeof(addr));
    memcpy(e + 8, &size, sizeof(size));
    memcpy(e + 16, &type, sizeof(type));
}

us_err_t vmm_image_boot(struct vmm_state *st, uint32_t slot, const struct us_bundle_entry *k,
                        const uint8_t *data, uint64_t info_off, uint64_t rd_off, uint64_t rd_size,
                        uint64_t *arg)
{
    const struct vmm_vm_config *c = &st->config.vms[slot];
    uint8_t *bp = st->vms[slot].ram + info_off;
    uint32_t n = 0, max_cmdline;
    size_t len = strlen(c->bootargs);
    uint64_t q;

    *arg = 0;
    vmm_pc_reset(st, slot);
    memset(bp, 0, VMM_DTB_MAX);
    if (!is_bzimage(k, data)) {
        return US_OK; /* a flat guest has no boot information */
    }
    max_cmdline = get32(data, BP_CMDLINE_SIZE);
    len =
        (size_t)us_snprintf((char *)bp + CMDLINE_OFFSET, VMM_DTB_MAX - CMDLINE_OFFSET,
                            "%s%spci=noearly tsc_early_khz=%llu", c->bootargs, len != 0 ? " " : "",
                            (unsigned long long)(us_cpu_counter_freq() / 1000u));
    if (len > max_cmdline || len >= VMM_DTB_MAX - CMDLINE_OFFSET) {
        US_LOG_ERR("%s: bootargs longer than the kernel takes (%u)", c->name, max_cmdline);
        return US_EINVAL;
    }
    memcpy(bp + BP_SETUP_SECTS, data + BP_SETUP_SECTS, BP_HEADER + data[0x201] - BP_SETUP_SECTS);
    bp[BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
    bp[BP_LOADFLAGS] = LOADFLAGS_LOADED_HIGH; /* no heap, no KEEP_SEGMENTS: the 32-bit entry */
    put32(bp, BP_RAMDISK_IMAGE, rd_size != 0 ? (uint32_t)(VMM_RAM_IPA + rd_off) : 0u);
    put32(bp, BP_RAMDISK_SIZE, (uint32_t)rd_size);
    put32(bp, BP_CMD_LINE_PTR, (uint32_t)(VMM_RAM_IPA + info_off + CMDLINE_OFFSET));
    q = acpi_tables(st, slot, c->vcpu_count);
    memcpy(bp + BP_ACPI_RSDP_ADDR, &q, sizeof(q));
    /* A PC's map: conventional memory, the EBDA and the BIOS area (the ACPI tables) kept out,
     * RAM from 1 MiB. */
    e820(bp, n++, VMM_RAM_IPA, 0x9fc00u, E820_RAM);
    e820(bp, n++, VMM_RAM_IPA + 0x9fc00u, 0x400u, E820_RESERVED);
    e820(bp, n++, VMM_RAM_IPA + 0xe0000u, 0x20000u, E820_RESERVED);
    e820(bp, n++, VMM_RAM_IPA + PM_OFFSET, c->mem_size - PM_OFFSET, E820_RAM);
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    *arg = VMM_RAM_IPA + info_off;
    return US_OK;
}
