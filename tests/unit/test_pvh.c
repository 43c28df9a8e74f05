/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of what the x86_64 kernel reads at boot on q35 (platform/qemu-q35-x86_64/pvh.c),
 * on the host: the PVH start_info's memory map and module, the CPUs of the ACPI MADT (through
 * the RSDP, found where start_info says or in the BIOS area, and the RSDT), and GRUB's
 * Multiboot2 information turned into a start_info. Broken tables must leave the boot CPU
 * alone, and a broken start_info must be refused, never read past.
 *
 * The kernel identity-maps what it reads below 1 GiB, so the "physical" addresses here are
 * this binary's own (built without PIE, its data sits below 1 GiB); the BIOS area is an
 * anonymous mapping at its real address. */
#include <string.h>
#include <sys/mman.h>
#include <us/arch/boot.h>
#include <us/platform.h>
#include "../../platform/qemu-q35-x86_64/pvh.h"
#include "ut.h"

#define BIOS_AREA 0xe0000ul
#define BIOS_AREA_SIZE 0x20000ul

static uint8_t mem[0x2000] __attribute__((aligned(4096)));
static struct plat_boot_info out;

uint64_t arch_cpu_affinity(void)
{
    return 0; /* the boot CPU's APIC ID */
}

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* Byte @at of @len bytes at @p made so that they sum to zero. */
static void sum_fix(uint8_t *p, uint32_t len, uint32_t at)
{
    uint8_t s = 0;

    p[at] = 0;
    for (uint32_t i = 0; i < len; i++) {
        s = (uint8_t)(s + p[i]);
    }
    p[at] = (uint8_t)-s;
}

/* An ACPI table's header at @t: @sig, @len bytes; the checksum is fixed by the caller. */
static void sdt(uint8_t *t, const char *sig, uint32_t len)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = 1;
}

#define SI 0x000u
#define MAP 0x100u
#define MOD 0x200u
#define RSDP 0x300u
#define RSDT 0x400u
#define FACP 0x500u
#define MADT 0x600u
#define MB2 0x1000u

/* A MADT entry: a local APIC (type 0) or an x2APIC (type 9), enabled or not. */
static uint32_t lapic(uint8_t *e, uint8_t id, bool on)
{
    e[0] = 0, e[1] = 8, e[2] = id, e[3] = id;
    put32(e + 4, on ? 1u : 0u);
    return 8;
}

static uint32_t x2apic(uint8_t *e, uint32_t id, bool on)
{
    memset(e, 0, 16);
    e[0] = 9, e[1] = 16;
    put32(e + 4, id);
    put32(e + 8, on ? 1u : 0u);
    return 16;
}

/* The MADT's entries: the boot CPU (ID 0), CPU 1, a disabled CPU 2, an I/O APIC (type 1,
 * not a CPU) and an x2APIC CPU 5. Returns: the table's length. */
static uint32_t madt_entries(uint8_t *t)
{
    uint32_t n = 44;

    n += lapic(t + n, 0, true);
    n += lapic(t + n, 1, true);
    n += lapic(t + n, 2, false);
    memset(t + n, 0, 12);
    t[n] = 1, t[n + 1] = 12;
    n += 12;
    n += x2apic(t + n, 5, true);
    return n;
}

/* A table's checksum fixed over the length its header gives. */
static void seal(uint8_t *t)
{
    uint32_t len;

    memcpy(&len, t + 4, sizeof(len));
    sum_fix(t, len, 9);
}

static void seal_acpi(void)
{
    seal(mem + RSDT);
    seal(mem + FACP);
    seal(mem + MADT);
}

/* A start_info with a memory map (RAM at 1 MiB, 16 MiB; a reserved run), a module, and an
 * RSDP (@with_rsdp) whose RSDT lists a FACP and the MADT. */
static struct hvm_start_info *boot_data(bool with_rsdp)
{
    struct hvm_start_info *si = (void *)(mem + SI);
    struct hvm_memmap_entry *map = (void *)(mem + MAP);
    struct hvm_modlist_entry *mod = (void *)(mem + MOD);

    memset(mem, 0, sizeof(mem));
    map[0] = (struct hvm_memmap_entry){.addr = 0, .size = 0x9fc00, .type = PVH_E820_RAM};
    map[1] = (struct hvm_memmap_entry){.addr = 0x100000, .size = 0x1000000, .type = 1};
    map[2] = (struct hvm_memmap_entry){.addr = 0xfeffc000, .size = 0x4000, .type = 2};
    *mod = (struct hvm_modlist_entry){.paddr = 0x800000, .size = 0x1234};
    *si = (struct hvm_start_info){.magic = PVH_MAGIC,
                                  .version = 1,
                                  .nr_modules = 1,
                                  .modlist_paddr = pa(mod),
                                  .memmap_paddr = pa(map),
                                  .memmap_entries = 3,
                                  .rsdp_paddr = with_rsdp ? pa(mem + RSDP) : 0};
    memcpy(mem + RSDP, "RSD PTR ", 8);
    put32(mem + RSDP + 16, (uint32_t)pa(mem + RSDT));
    sum_fix(mem + RSDP, 20, 8);
    sdt(mem + RSDT, "RSDT", 44);
    put32(mem + RSDT + 36, (uint32_t)pa(mem + FACP));
    put32(mem + RSDT + 40, (uint32_t)pa(mem + MADT));
    sdt(mem + FACP, "FACP", 36);
    sdt(mem + MADT, "APIC", madt_entries(mem + MADT));
    seal_acpi();
    return si;
}

static us_err_t parse(const struct hvm_start_info *si)
{
    return plat_boot_parse(pa_init(pa(si)), &out);
}

/* RAM is the largest RAM run, the bundle the first module, the CPUs the boot CPU then each
 * other one the MADT lists as enabled. */
static void reads_start_info_and_madt(void)
{
    UT_EXPECT_EQ(parse(boot_data(true)), US_OK);
    UT_EXPECT_EQ(pa_of(out.ram_base), 0x100000u);
    UT_EXPECT_EQ(out.ram_size, 0x1000000u);
    UT_EXPECT_EQ(pa_of(out.initrd), 0x800000u);
    UT_EXPECT_EQ(out.initrd_size, 0x1234u);
    UT_EXPECT_EQ(out.cpu_count, 3u);
    UT_EXPECT_EQ(out.mpidr[0], 0u);
    UT_EXPECT_EQ(out.mpidr[1], 1u);
    UT_EXPECT_EQ(out.mpidr[2], 5u);
}

/* More enabled CPUs than the kernel has room for: the first PLAT_MAX_CPUS. */
static void cpus_capped(void)
{
    struct hvm_start_info *si = boot_data(true);
    uint32_t n = 44;

    for (uint8_t id = 0; id < 12; id++) {
        n += lapic(mem + MADT + n, id, true);
    }
    sdt(mem + MADT, "APIC", n);
    seal(mem + MADT);
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, PLAT_MAX_CPUS);
    UT_EXPECT_EQ(out.mpidr[PLAT_MAX_CPUS - 1], PLAT_MAX_CPUS - 1);
}

/* Each broken link of the chain leaves the boot CPU alone; the rest of the boot data holds. */
static void bad_tables_leave_boot_cpu(void)
{
    struct hvm_start_info *si;

    for (int c = 0; c < 8; c++) {
        si = boot_data(true);
        switch (c) {
        case 0: /* the MADT's checksum */
            mem[MADT + 50] ^= 1;
            break;
        case 1: /* the RSDT's */
            mem[RSDT + 20] ^= 1;
            break;
        case 2: /* the RSDP's signature */
            mem[RSDP] = 'X';
            sum_fix(mem + RSDP, 20, 8);
            break;
        case 3: /* the RSDP's checksum */
            mem[RSDP + 8] ^= 1;
            break;
        case 4: /* an RSDT beyond what the boot tables map */
            put32(mem + RSDP + 16, 0x7ffff000u);
            sum_fix(mem + RSDP, 20, 8);
            break;
        case 5: /* a MADT whose length runs past the first GiB */
            put32(mem + MADT + 4, 0x7fffffffu);
            break;
        case 6: /* the MADT under another signature */
            memcpy(mem + MADT, "APIX", 4);
            seal_acpi();
            break;
        default: /* a MADT shorter than its header */
            put32(mem + MADT + 4, 20);
            break;
        }
        UT_EXPECT_EQ(parse(si), US_OK);
        UT_EXPECT_EQ(out.cpu_count, 1u);
        UT_EXPECT_EQ(out.ram_size, 0x1000000u);
    }
}

/* An entry of length 0 or one running past the table ends the walk: the CPUs before it stand,
 * and nothing past the table is read (ASan would say). */
static void bad_entries_end_the_walk(void)
{
    struct hvm_start_info *si = boot_data(true);

    mem[MADT + 44 + 8 + 1] = 0; /* CPU 1's entry: length 0 */
    seal(mem + MADT);
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, 1u);

    si = boot_data(true);
    mem[MADT + 80 + 1] = 60; /* the x2APIC entry, last, claims 60 bytes */
    seal(mem + MADT);
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, 2u);
}

/* No RSDP in the start_info (QEMU's PVH loader leaves it 0): the BIOS area is searched on
 * 16-byte boundaries; an area without one leaves the boot CPU alone. */
static void rsdp_from_bios_area(void)
{
    uint8_t *area = mmap((void *)BIOS_AREA, BIOS_AREA_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    struct hvm_start_info *si;

    UT_EXPECT(area == (uint8_t *)BIOS_AREA);
    if (area != (uint8_t *)BIOS_AREA) {
        return;
    }
    si = boot_data(false);
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, 1u);
    memcpy(area + 0xf5a0, mem + RSDP, 20);
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, 3u);
    area[0xf5a0 + 8] ^= 1; /* its checksum broken: not taken */
    UT_EXPECT_EQ(parse(si), US_OK);
    UT_EXPECT_EQ(out.cpu_count, 1u);
    munmap(area, BIOS_AREA_SIZE);
}

/* A start_info that is not one, or whose map or module list cannot be read, is refused. */
static void bad_start_info_refused(void)
{
    struct hvm_start_info *si;

    for (int c = 0; c < 6; c++) {
        si = boot_data(true);
        switch (c) {
        case 0:
            si->magic ^= 1;
            break;
        case 1:
            si->version = 0;
            break;
        case 2:
            si->memmap_entries = 129;
            break;
        case 3:
            si->memmap_paddr = 0x3ffffff0u; /* runs past the first GiB */
            break;
        case 4:
            si->modlist_paddr = 0x40000000u;
            break;
        default: /* no RAM in the map */
            si->memmap_entries = 0;
            break;
        }
        UT_EXPECT_EQ(parse(si), US_ECORRUPT);
    }
    UT_EXPECT_EQ(plat_boot_parse(pa_init(0x40000000u), &out), US_ECORRUPT);
}

static uint32_t mb2_tag(uint8_t *t, uint32_t type, uint32_t size)
{
    put32(t, type);
    put32(t + 4, size);
    return (size + 7u) & ~7u;
}

/* GRUB's Multiboot2 information: the memory map, the first module and the RSDP's copy become a
 * start_info that plat_boot_parse() reads as QEMU's. A tag that runs past the information ends
 * the walk: without the map, no start_info magic, and the kernel refuses it. */
static void multiboot2_info(void)
{
    uint8_t *mb = mem + MB2, *t;
    uint32_t at = 8, total;
    struct hvm_memmap_entry e = {.addr = 0x100000, .size = 0x2000000, .type = PVH_E820_RAM};
    paddr_t si;

    boot_data(true);
    t = mb + at;
    at += mb2_tag(t, 6, 16 + 24); /* the memory map: entry size 24, version 0 */
    put32(t + 8, 24);
    memcpy(t + 16, &e, 24);
    t = mb + at;
    at += mb2_tag(t, 3, 16 + 4); /* the module, with a command line "abc" */
    put32(t + 8, 0x900000);
    put32(t + 12, 0x900100);
    memcpy(t + 16, "abc", 4);
    t = mb + at;
    at += mb2_tag(t, 14, 8 + 20); /* the RSDP's copy */
    memcpy(t + 8, mem + RSDP, 20);
    at += mb2_tag(mb + at, 0, 8);
    total = at;
    put32(mb, total);
    si = plat_from_multiboot2(pa_init(pa(mb)));
    UT_EXPECT_EQ(plat_boot_parse(si, &out), US_OK);
    UT_EXPECT_EQ(pa_of(out.ram_base), 0x100000u);
    UT_EXPECT_EQ(out.ram_size, 0x2000000u);
    UT_EXPECT_EQ(pa_of(out.initrd), 0x900000u);
    UT_EXPECT_EQ(out.initrd_size, 0x100u);
    UT_EXPECT_EQ(out.cpu_count, 3u);

    put32(mb + 8 + 4, 0x10000); /* the map's tag claims more than the information holds */
    si = plat_from_multiboot2(pa_init(pa(mb)));
    UT_EXPECT_EQ(plat_boot_parse(si, &out), US_ECORRUPT);
    put32(mb, 4); /* shorter than its own header */
    si = plat_from_multiboot2(pa_init(pa(mb)));
    UT_EXPECT_EQ(plat_boot_parse(si, &out), US_ECORRUPT);
}

UT_MAIN({"reads_start_info_and_madt", reads_start_info_and_madt}, {"cpus_capped", cpus_capped},
        {"bad_tables_leave_boot_cpu", bad_tables_leave_boot_cpu},
        {"bad_entries_end_the_walk", bad_entries_end_the_walk},
        {"rsdp_from_bios_area", rsdp_from_bios_area},
        {"bad_start_info_refused", bad_start_info_refused}, {"multiboot2_info", multiboot2_info})
