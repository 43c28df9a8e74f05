/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the kernel learns at boot on q35 (docs/x86_64.md), from the PVH start_info and the ACPI
 * tables rather than a device tree: the largest RAM region of the memory map, the boot bundle
 * as the first module (QEMU's -initrd), the CPUs the MADT lists. Everything read must lie in
 * the first GiB, which the boot tables map; anything else is refused. No module is not an error
 * here: the bundle is then empty, and the kernel refuses it with its own message and goes on
 * idling. */
#include <uslib/string.h>
#include <us/platform.h>
#include <us/arch/boot.h>
#include "board.h"
#include "pvh.h"

#define MEMMAP_MAX 128u
#define RSDP_AREA 0xe0000u /* the BIOS area the RSDP may lie in */
#define RSDP_AREA_END 0x100000u
#define ACPI_HEADER 36u  /* a table's header: signature, length, revision, checksum, ids */
#define MADT_ENTRIES 44u /* the header, the local APIC's address and the flags */
#define MADT_LAPIC 0u    /* type, length, processor UID, APIC ID, flags */
#define MADT_X2APIC 9u   /* type, length, reserved, x2APIC ID, flags, UID */
#define MADT_ENABLED 1u
#define MB2_END 0u /* Multiboot2's information tags (its specification, 3.6) */
#define MB2_MODULE 3u
#define MB2_MMAP 6u
#define MB2_ACPI_OLD 14u
#define MB2_ACPI_NEW 15u

/* Whether [pa, pa + n) lies in what the boot tables map. */
static bool readable(uint64_t pa, uint64_t n)
{
    return pa != 0 && pa < PLAT_BOOT_MAPPED && n <= PLAT_BOOT_MAPPED - pa;
}

/* Whether ACPI's checksum holds: @n bytes at @p that sum to zero. */
static bool sums_to_zero(const uint8_t *p, uint32_t n)
{
    uint8_t sum = 0;

    for (uint32_t i = 0; i < n; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return sum == 0;
}

/* An ACPI table's header at @pa, if it is readable, @sig (when not NULL), and sums to zero;
 * @len gets its length. */
static const uint8_t *acpi_table(uint64_t pa, const char *sig, uint32_t *len)
{
    const uint8_t *t;

    if (!readable(pa, ACPI_HEADER)) {
        return NULL;
    }
    t = pa_ptr(pa_init(pa));
    memcpy(len, t + 4, sizeof(*len));
    if (*len < ACPI_HEADER || !readable(pa, *len) || (sig != NULL && memcmp(t, sig, 4) != 0)) {
        return NULL;
    }
    return sums_to_zero(t, *len) ? t : NULL;
}

/* An RSDP at @pa: its signature, and its first 20 bytes summing to zero. */
static const uint8_t *rsdp_at(uint64_t pa)
{
    const uint8_t *r = pa_ptr(pa_init(pa));

    return readable(pa, 20) && memcmp(r, "RSD PTR ", 8) == 0 && sums_to_zero(r, 20) ? r : NULL;
}

/* The RSDP: where the start_info says, or else (QEMU's PVH loader may leave it 0) found on a
 * 16-byte boundary of the BIOS area. */
static const uint8_t *rsdp_find(uint64_t hint)
{
    const uint8_t *r = NULL;

    if (hint != 0) {
        return rsdp_at(hint);
    }
    for (uint64_t pa = RSDP_AREA; pa < RSDP_AREA_END && r == NULL; pa += 16) {
        r = rsdp_at(pa);
    }
    return r;
}

/* The other CPUs the MADT lists as enabled (local APIC and x2APIC entries), after the boot
 * CPU. No usable RSDP, RSDT or MADT leaves the boot CPU alone: the kernel says how many it
 * found. */
static void madt_cpus(uint64_t rsdp_hint, struct plat_boot_info *out)
{
    const uint8_t *rsdp = rsdp_find(rsdp_hint), *rsdt, *madt = NULL, *e;
    uint32_t rsdt_pa, len, n, entry_pa;

    if (rsdp == NULL) {
        return;
    }
    memcpy(&rsdt_pa, rsdp + 16, sizeof(rsdt_pa));
    rsdt = acpi_table(rsdt_pa, "RSDT", &len);
    for (uint32_t i = ACPI_HEADER; rsdt != NULL && i + 4 <= len && madt == NULL; i += 4) {
        memcpy(&entry_pa, rsdt + i, sizeof(entry_pa));
        madt = acpi_table(entry_pa, "APIC", &n);
    }
    if (madt == NULL) {
        return;
    }
    for (e = madt + MADT_ENTRIES; e + 2 <= madt + n && e[1] >= 2 && e + e[1] <= madt + n;
         e += e[1]) {
        uint32_t id, flags;

        if (e[0] == MADT_LAPIC && e[1] >= 8) {
            id = e[3];
            memcpy(&flags, e + 4, sizeof(flags));
        } else if (e[0] == MADT_X2APIC && e[1] >= 16) {
            memcpy(&id, e + 4, sizeof(id));
            memcpy(&flags, e + 8, sizeof(flags));
        } else {
            continue;
        }
        if ((flags & MADT_ENABLED) && id != out->mpidr[0] && out->cpu_count < PLAT_MAX_CPUS) {
            out->mpidr[out->cpu_count++] = id;
        }
    }
}

/* The start_info plat_from_multiboot2() makes, with its map and module list. */
static struct hvm_start_info mb2_info;
static struct hvm_memmap_entry mb2_map[MEMMAP_MAX];
static struct hvm_modlist_entry mb2_mod;

paddr_t plat_from_multiboot2(paddr_t mbi)
{
    uint32_t total, tag[4];
    uint64_t pa = pa_of(mbi);

    mb2_info = (struct hvm_start_info){.version = 1};
    if (!readable(pa, 8)) {
        return pa_from_ptr(&mb2_info);
    }
    memcpy(&total, pa_ptr(mbi), sizeof(total));
    if (total < 16 || !readable(pa, total)) {
        return pa_from_ptr(&mb2_info);
    }
    /* Tags follow the 8-byte header, each 8-aligned: type, size, then its fields. */
    for (uint64_t at = 8; at + 8 <= total;) {
        const uint8_t *t = pa_ptr(pa_init(pa + at));

        memcpy(tag, t, 8);
        if (tag[0] == MB2_END || tag[1] < 8 || tag[1] > total - at) {
            break;
        }
        if (tag[0] == MB2_MMAP && tag[1] >= 16) {
            memcpy(&tag[2], t + 8, 8); /* entry size, entry version */
            for (uint32_t off = 16; tag[2] >= sizeof(mb2_map[0]) && off + tag[2] <= tag[1] &&
                                    mb2_info.memmap_entries < MEMMAP_MAX;
                 off += tag[2]) {
                memcpy(&mb2_map[mb2_info.memmap_entries++], t + off, sizeof(mb2_map[0]));
            }
        } else if (tag[0] == MB2_MODULE && tag[1] >= 16 && mb2_info.nr_modules == 0) {
            memcpy(&tag[2], t + 8, 8); /* start, end */
            if (tag[3] > tag[2]) {
                mb2_mod = (struct hvm_modlist_entry){.paddr = tag[2], .size = tag[3] - tag[2]};
                mb2_info.nr_modules = 1;
            }
        } else if ((tag[0] == MB2_ACPI_OLD || tag[0] == MB2_ACPI_NEW) && tag[1] >= 8 + 20 &&
                   mb2_info.rsdp_paddr == 0) {
            mb2_info.rsdp_paddr = pa + at + 8; /* a copy of the RSDP: its checksum holds */
        }
        at += (tag[1] + 7u) & ~7u;
    }
    if (mb2_info.memmap_entries != 0) {
        mb2_info.magic = PVH_MAGIC;
        mb2_info.memmap_paddr = pa_of(pa_from_ptr(mb2_map));
        mb2_info.modlist_paddr = pa_of(pa_from_ptr(&mb2_mod));
    }
    return pa_from_ptr(&mb2_info);
}

us_err_t plat_boot_parse(paddr_t info, struct plat_boot_info *out)
{
    const struct hvm_start_info *si = pa_ptr(info);
    const struct hvm_memmap_entry *map;
    const struct hvm_modlist_entry *mod;

    *out = (struct plat_boot_info){0};
    if (!readable(pa_of(info), sizeof(*si)) || si->magic != PVH_MAGIC) {
        return US_ECORRUPT;
    }
    if (si->version < 1 || si->memmap_entries > MEMMAP_MAX ||
        !readable(si->memmap_paddr, si->memmap_entries * sizeof(*map))) {
        return US_ECORRUPT; /* no memory map we can read */
    }
    map = pa_ptr(pa_init(si->memmap_paddr));
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        if (map[i].type == PVH_E820_RAM && map[i].size > out->ram_size) {
            out->ram_base = pa_init(map[i].addr);
            out->ram_size = map[i].size;
        }
    }
    if (si->nr_modules > 0) {
        if (!readable(si->modlist_paddr, sizeof(*mod))) {
            return US_ECORRUPT;
        }
        mod = pa_ptr(pa_init(si->modlist_paddr));
        out->initrd = pa_init(mod->paddr);
        out->initrd_size = mod->size;
    }
    out->cpu_count = 1;
    out->mpidr[0] = arch_cpu_affinity();
    madt_cpus(si->version >= 1 ? si->rsdp_paddr : 0, out);
    return out->ram_size != 0 ? US_OK : US_ECORRUPT;
}
