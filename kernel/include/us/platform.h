/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Board hooks the kernel calls: the early UART and facts read from the boot device tree. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

void plat_uart_putc(char c);
void plat_uart_write(const char *s, uint64_t n);

#define PLAT_MAX_CPUS 8u /* keep equal to SCHED_MAX_CPUS */

/* Facts from the device tree the kernel was booted with. */
struct plat_boot_info {
    paddr_t ram_base;
    uint64_t ram_size;
    paddr_t dtb;
    uint64_t dtb_size;
    paddr_t initrd; /* the boot bundle */
    uint64_t initrd_size;
    uint32_t cpu_count;            /* CPUs the device tree lists, at most PLAT_MAX_CPUS */
    uint64_t mpidr[PLAT_MAX_CPUS]; /* each one's affinity (its node's reg), boot CPU first */
    uint32_t rsv_count;
    paddr_t rsv_base[8]; /* /memreserve/ entries to keep away from the allocator */
    uint64_t rsv_size[8];
};

/** plat_boot_parse() - memory, initrd and CPUs from the boot data at @info: a DTB on aarch64
 * (platform/fdt.c; libfdt uses FP/SIMD registers, so only during boot), PVH's start_info on q35.
 * Returns: US_OK; US_ECORRUPT for broken boot data; US_ENOENT when memory or the initrd is
 * missing. */
us_err_t plat_boot_parse(paddr_t info, struct plat_boot_info *out);

/** plat_cpu_on() - start CPU @mpidr at physical address @entry with x0 = @arg (PSCI CPU_ON
 * over SMC). Returns: US_OK; US_EINVAL if firmware refused (it says why in the log). */
us_err_t plat_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t arg);

/** plat_mmio_allowed() - whether a boot manifest may grant a server the physical window
 * [@base, @base + @size) (the manifest's check refuses one that wraps): device memory only. */
bool plat_mmio_allowed(uint64_t base, uint64_t size);

/** plat_name() - the board's name for the boot banner. */
const char *plat_name(void);
