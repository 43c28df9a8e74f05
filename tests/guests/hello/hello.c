/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Smoke-test guest: checks EL, timer, PSCI over HVC, an out-of-bounds access and UART input. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "exc.h"
#include "guest.h"
#include "hvc.h"
#include "mini_fdt.h"
#include "mmio.h"
#include "sysreg.h"
#include "uart.h"

#define HELLO_UNKNOWN_FID 0xc4001234u
/* Unmapped in QEMU virt and in any VM with less than 27 GiB of RAM at 0x40000000. */
#define HELLO_OOB_DEFAULT 0x700000000ull
#define HELLO_OOB_GAP 0x10000000ull
#define HELLO_SPIN_LOOPS 100000u

const char guest_name[] = "hello";

static void hello_say(const char *s)
{
    uart_puts("hello: ");
    uart_puts(s);
}

/* Busy loop of about 2 * @loops instructions; @loops must be non-zero. */
static void hello_spin(uint64_t loops)
{
    __asm__ __volatile__("1: subs %0, %0, #1\n\t"
                         "b.ne 1b"
                         : "+r"(loops)
                         :
                         : "cc");
}

static void hello_check_counter(void)
{
    uint64_t t0 = sysreg_cntvct();
    uint64_t t1;

    hello_spin(HELLO_SPIN_LOOPS);
    t1 = sysreg_cntvct();
    if (t1 > t0) {
        hello_say("cntvct ok delta=");
        uart_put_udec(t1 - t0);
        uart_putc('\n');
    } else {
        hello_say("cntvct FAIL\n");
    }
}

static void hello_check_hvc(void)
{
    /* PSCI returns a 32-bit value in w0 (DEN0022 section 5.1.1). */
    uint32_t version = (uint32_t)hvc_psci_version();

    if ((version & 0x80000000u) != 0) {
        hello_say("psci version FAIL ret=");
        uart_put_sdec((int32_t)version);
    } else {
        hello_say("psci version ");
        uart_put_udec(version >> 16);
        uart_putc('.');
        uart_put_udec(version & 0xffffu);
    }
    uart_putc('\n');

    /* An SMC64 id (bit 30 set), so the full x0 must read as -1 (DEN0028 section 7.1). */
    hello_say("unknown hvc -> ");
    uart_put_sdec((int64_t)hvc_call(HELLO_UNKNOWN_FID, 0, 0, 0));
    uart_putc('\n');
}

/* Returns: an IPA that is neither RAM (per the DTB, if any) nor a QEMU virt device. */
static uint64_t hello_oob_addr(const struct mini_fdt *fdt, bool have_fdt)
{
    uint64_t base = 0;
    uint64_t size = 0;
    uint64_t end;

    if (!have_fdt || !mini_fdt_memory(fdt, &base, &size)) {
        return HELLO_OOB_DEFAULT;
    }
    end = base + size;
    if (HELLO_OOB_DEFAULT + 4u <= base || HELLO_OOB_DEFAULT >= end) {
        return HELLO_OOB_DEFAULT;
    }
    return ((end + HELLO_OOB_GAP - 1u) & ~(HELLO_OOB_GAP - 1u)) + HELLO_OOB_GAP;
}

static void hello_check_oob(const struct mini_fdt *fdt, bool have_fdt)
{
    uint64_t addr = hello_oob_addr(fdt, have_fdt);
    uint32_t value = 0;

    hello_say("oob access at 0x");
    uart_put_hex(addr);
    uart_putc('\n');
    /* On an abort the vector prints "hello: abort taken ..."; a hypervisor may also stop us. */
    if (!exc_probe_read32((uintptr_t)addr, &value)) {
        hello_say("oob read completed without abort value=0x");
        uart_put_hex(value);
        uart_putc('\n');
    }
}

/* What a guest could do to the servers that share its CPU if its debug registers were the
 * hardware's: unlock the OS lock, enable monitor debug (MDE, KDE) and software step (SS), arm
 * a breakpoint and a 4 MiB watchpoint over the servers' EL0 text and data (they are linked at
 * 0x400000), then exit to the vmm. Under Understudy every access traps (MDCR_EL2) and reaches
 * only the vmm's emulated registers, so the servers run on undisturbed. */
#define HELLO_SERVER_VA 0x400000ull
#define HELLO_MDSCR_ATTACK ((1ull << 0) | (1ull << 13) | (1ull << 15)) /* SS, KDE, MDE */

static void hello_debug_attack(void)
{
    uint64_t mdscr, oslsr;

    __asm__ __volatile__(
        "msr oslar_el1, xzr\n\t"
        "msr osdlr_el1, xzr\n\t"
        "msr dbgbvr0_el1, %0\n\t"
        "msr dbgbcr0_el1, %1\n\t"
        "msr dbgwvr0_el1, %0\n\t"
        "msr dbgwcr0_el1, %2\n\t"
        "msr mdscr_el1, %3\n\t"
        "isb"
        :
        : "r"(HELLO_SERVER_VA),
          /* E, PMC = EL0, BAS = all four bytes */
          "r"((1ull << 0) | (2ull << 1) | (0xfull << 5)),
          /* E, PAC = EL0, LSC = loads and stores, BAS = all, MASK = 22 */
          "r"((1ull << 0) | (2ull << 1) | (3ull << 3) | (0xffull << 5) | (22ull << 24)),
          "r"(HELLO_MDSCR_ATTACK)
        : "memory");
    (void)hvc_psci_version(); /* one exit: the vmm runs next on this CPU */
    __asm__ __volatile__("mrs %0, mdscr_el1\n\tmrs %1, oslsr_el1" : "=r"(mdscr), "=r"(oslsr));
    hello_say("debug attack done mdscr=0x");
    uart_put_hex(mdscr);
    uart_puts(" oslsr=0x");
    uart_put_hex(oslsr);
    uart_putc('\n');
}

/* Leave values in the EL0 thread ID registers that no server may see (the console's
 * `debug badipc` checks its own are zero). */
static void hello_set_tpidr(void)
{
    __asm__ __volatile__("msr tpidr_el0, %0\n\tmsr tpidrro_el0, %1"
                         :
                         : "r"(0x7470696472303030ull), "r"(0x7470696472726f30ull));
    hello_say("tpidr set\n");
}

/* The UART's receive interrupt through the GICv3 of QEMU virt's layout (which the vmm gives
 * its guests too): distributor and redistributor enabled, the CPU interface's group 1 on. */
#define GICD_BASE 0x08000000u
#define GICD_CTLR_ARE_GRP1 ((1u << 4) | (1u << 1)) /* ARE_NS, EnableGrp1A */
#define GICD_ISENABLER(n) (0x100u + 4u * (n))
#define GICR_WAKER (0x080a0000u + 0x14u)
#define GICR_WAKER_SLEEP (1u << 1)
#define UART_INTID 33u /* SPI 1 */
#define UART_IMSC (0x09000000u + 0x38u)
#define UART_IM_RX_RT ((1u << 4) | (1u << 6))
#define ICC_SPURIOUS 1023u

static void hello_irq_setup(void)
{
    mmio_write32(GICR_WAKER, mmio_read32(GICR_WAKER) & ~GICR_WAKER_SLEEP);
    mmio_write32(GICD_BASE, GICD_CTLR_ARE_GRP1);
    mmio_write32(GICD_BASE + GICD_ISENABLER(UART_INTID / 32u), 1u << (UART_INTID % 32u));
    __asm__ __volatile__("msr S3_0_C12_C12_5, %0\n\t" /* ICC_SRE_EL1.SRE */
                         "isb\n\t"
                         "msr S3_0_C4_C6_0, %1\n\t"   /* ICC_PMR_EL1: every priority */
                         "msr S3_0_C12_C12_7, %2\n\t" /* ICC_IGRPEN1_EL1 */
                         "isb"
                         :
                         : "r"(1ull), "r"(0xffull), "r"(1ull));
    mmio_write32(UART_IMSC, UART_IM_RX_RT);
}

static void hello_echo_pending(void)
{
    while (uart_has_rx()) {
        uint8_t c = uart_getc();

        hello_say("got ");
        if (c >= 0x20u && c < 0x7fu) {
            uart_putc((char)c);
        } else {
            uart_puts("0x");
            uart_put_hex(c);
        }
        uart_putc('\n');
    }
}

/* Echo console input forever, so tests can check input reaches the right VM. Idle, it waits
 * in WFI for the UART's receive interrupt (masked in PSTATE: it only wakes the CPU), so the
 * hypervisor runs nothing for it until a byte comes. */
static void hello_echo_forever(void) __attribute__((noreturn));

static void hello_echo_forever(void)
{
    hello_irq_setup();
    hello_say("echo on\n");
    for (;;) {
        uint64_t intid;

        hello_echo_pending();
        __asm__ __volatile__("wfi");
        __asm__ __volatile__("mrs %0, S3_0_C12_C12_0" : "=r"(intid)); /* ICC_IAR1_EL1 */
        hello_echo_pending();
        if ((intid & 0xffffffu) != ICC_SPURIOUS) {
            __asm__ __volatile__("msr S3_0_C12_C12_1, %0" : : "r"(intid)); /* ICC_EOIR1_EL1 */
        }
    }
}

void guest_main(uint64_t dtb)
{
    struct mini_fdt fdt;
    bool have_fdt = mini_fdt_open(&fdt, dtb);
    const char *bootargs = have_fdt ? mini_fdt_bootargs(&fdt) : NULL;

    hello_say("guest up at EL");
    uart_put_udec(sysreg_current_el());
    uart_puts(", dtb=0x");
    uart_put_hex(dtb);
    uart_putc('\n');
    if (!have_fdt) {
        hello_say("no valid dtb\n");
    }
    if (bootargs != NULL) {
        hello_say("bootargs=");
        uart_puts(bootargs);
        uart_putc('\n');
    }

    hello_check_counter();
    hello_check_hvc();
    hello_check_oob(&fdt, have_fdt);

    if (args_contains(bootargs, "tpidr")) {
        hello_set_tpidr();
    }
    if (args_contains(bootargs, "debugattack")) {
        hello_debug_attack();
    }
    hello_say("done\n");
    if (args_contains(bootargs, "echo")) {
        hello_echo_forever();
    }
    hvc_psci_system_off();
    hello_say("SYSTEM_OFF returned FAIL\n");
    for (;;) {
        __asm__ __volatile__("wfi");
    }
}
