/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Exit-cost benchmark guest: median ns per trapped MMIO read, MMIO write and HVC. */
#include <stddef.h>
#include <stdint.h>
#include <uslib/stats.h>

#include "args.h"
#include "exc.h"
#include "guest.h"
#include "hvc.h"
#include "mini_fdt.h"
#include "mmio.h"
#include "sysreg.h"
#include "uart.h"

#define BENCH_DEFAULT_N 1000u
#define BENCH_DEFAULT_B 7u
#define BENCH_MAX_B 64u
#define BENCH_WARMUP 16u

/* PL011 registers on QEMU virt: UARTFR (read-only) and UARTIMSC (write 0 = all masked). */
#define BENCH_UART_FR 0x09000018u
#define BENCH_UART_IMSC 0x09000038u
/* GICv3 GICD_TYPER on QEMU virt: the distributor read Xen's figure is quoted for. */
#define BENCH_GICD_TYPER 0x08000004u

const char guest_name[] = "bench";

typedef void (*bench_loop_fn)(uint64_t n);

static void bench_loop_mmio_read(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        (void)mmio_read32(BENCH_UART_FR);
    }
}

static void bench_loop_gicd_read(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        (void)mmio_read32(BENCH_GICD_TYPER);
    }
}

static void bench_loop_mmio_write(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        mmio_write32(BENCH_UART_IMSC, 0);
    }
}

static void bench_loop_hvc(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        (void)hvc_psci_version();
    }
}

/* The same with the guest's FP/SIMD registers in use: one write to d0 before each call, as a
 * guest's userspace leaves them live at any exit. What the exit path costs it beyond the plain
 * HVC is what the hypervisor spends to keep or move its FP state. */
static void bench_loop_hvc_fp(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        __asm__ __volatile__("fmov d0, %0" : : "r"(i) : "memory");
        (void)hvc_psci_version();
    }
}

/* FP/SIMD at EL1 and EL0 untrapped (CPACR_EL1.FPEN = 3), for bench_loop_hvc_fp(). */
static void bench_fp_on(void)
{
    __asm__ __volatile__("msr cpacr_el1, %0\n\tisb" : : "r"(3ull << 20));
}

/* Returns: the median over @batches runs of @n calls' cost, in ns per call, rounded. */
static uint64_t bench_measure(bench_loop_fn loop, uint64_t n, uint32_t batches, uint64_t freq)
{
    uint64_t per_op[BENCH_MAX_B];

    loop(BENCH_WARMUP);
    for (uint32_t b = 0; b < batches; b++) {
        uint64_t t0 = sysreg_cntvct();
        uint64_t ns;

        loop(n);
        ns = us_ticks_to_ns(sysreg_cntvct() - t0, freq);
        per_op[b] = (ns + n / 2u) / n;
    }
    return us_median_u64(per_op, batches);
}

/* Under QEMU -icount shift=0 one virtual ns is one instruction, hence the metric's name. */
static void bench_report(const char *name, uint64_t value)
{
    uart_puts("bench ");
    uart_puts(name);
    uart_puts(" insns_per_op=");
    uart_put_udec(value);
    uart_putc('\n');
}

void guest_main(uint64_t dtb)
{
    struct mini_fdt fdt;
    const char *bootargs = mini_fdt_open(&fdt, dtb) ? mini_fdt_bootargs(&fdt) : NULL;
    uint64_t n = args_get_uint(bootargs, "n", BENCH_DEFAULT_N);
    uint64_t b = args_get_uint(bootargs, "b", BENCH_DEFAULT_B);
    uint64_t freq = sysreg_cntfrq();

    if (n == 0) {
        n = BENCH_DEFAULT_N;
    }
    if (b == 0) {
        b = BENCH_DEFAULT_B;
    } else if (b > BENCH_MAX_B) {
        b = BENCH_MAX_B;
    }
    if (freq == 0) {
        exc_fatal("CNTFRQ_EL0 is 0");
    }
    uart_puts("bench: n=");
    uart_put_udec(n);
    uart_puts(" b=");
    uart_put_udec(b);
    uart_puts(" cntfrq=");
    uart_put_udec(freq);
    uart_putc('\n');

    bench_report("guest_mmio_read", bench_measure(bench_loop_mmio_read, n, (uint32_t)b, freq));
    bench_report("guest_gicd_read", bench_measure(bench_loop_gicd_read, n, (uint32_t)b, freq));
    bench_report("guest_mmio_write", bench_measure(bench_loop_mmio_write, n, (uint32_t)b, freq));
    bench_report("guest_hvc", bench_measure(bench_loop_hvc, n, (uint32_t)b, freq));
    bench_fp_on();
    bench_report("guest_hvc_fp", bench_measure(bench_loop_hvc_fp, n, (uint32_t)b, freq));

    uart_puts("bench: done\n");
    hvc_psci_system_off();
    uart_puts("bench: SYSTEM_OFF returned FAIL\n");
    for (;;) {
        __asm__ __volatile__("wfi");
    }
}
