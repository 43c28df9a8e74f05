/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Board hooks the kernel calls: the early UART and facts read from the boot device tree. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

void plat_uart_putc(char c);
void plat_uart_write(const char *s, uint64_t n);

/* Facts from the device tree the kernel was booted with. */
struct plat_boot_info {
    paddr_t ram_base;
    uint64_t ram_size;
    paddr_t dtb;
    uint64_t dtb_size;
    paddr_t initrd; /* the boot bundle */
    uint64_t initrd_size;
    uint32_t cpu_count;
    uint32_t rsv_count;
    paddr_t rsv_base[8]; /* /memreserve/ entries to keep away from the allocator */
    uint64_t rsv_size[8];
};

/** plat_fdt_parse() - read memory, initrd and CPUs from the DTB at @dtb. Uses libfdt, so it
 * may only run during boot (libfdt uses FP/SIMD registers).
 * Returns: US_OK; US_ECORRUPT for a broken DTB; US_ENOENT when memory or the initrd is
 * missing. */
us_err_t plat_fdt_parse(paddr_t dtb, struct plat_boot_info *out);

/** plat_name() - the board's name for the boot banner. */
const char *plat_name(void);
