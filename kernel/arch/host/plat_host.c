/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake board: a UART that is a buffer, and boot facts the tests provide. */
#include <us/platform.h>
#include <arch/host.h>

char host_uart[8192];
uint64_t host_uart_len;
us_err_t host_fdt_result;
struct plat_boot_info *host_boot;
us_err_t host_cpu_on_result;
uint32_t host_cpu_on_calls;

void plat_uart_putc(char c)
{
    host_uart[host_uart_len++ % sizeof(host_uart)] = c;
}

void plat_uart_write(const char *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        plat_uart_putc(s[i]);
    }
}

us_err_t plat_boot_parse(paddr_t dtb, struct plat_boot_info *out)
{
    (void)dtb;
    if (host_fdt_result == US_OK && host_boot != NULL) {
        *out = *host_boot;
    }
    return host_fdt_result;
}

us_err_t plat_cpu_on(uint64_t mpidr, paddr_t entry, uint64_t arg)
{
    (void)mpidr;
    (void)entry;
    (void)arg;
    host_cpu_on_calls++;
    return host_cpu_on_result;
}

const char *plat_name(void)
{
    return "host";
}
