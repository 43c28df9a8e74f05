/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Test guest exception handler: resumes expected aborts, reports and powers off otherwise. */
#include "exc.h"

#include "exc_kind.h"
#include "guest.h"
#include "hvc.h"
#include "sysreg.h"
#include "uart.h"

/* ESR_ELx.EC values, Arm ARM D17.2.40. */
#define ESR_EC_SHIFT 26
#define ESR_EC_DABT_CUR 0x25u

/* Written by the exception handler, read by the interrupted code: hence volatile. */
static volatile bool exc_abort_armed;
static volatile bool exc_abort_taken;
static volatile bool exc_in_fatal;

static void exc_halt(void) __attribute__((noreturn));

static void exc_halt(void)
{
    hvc_psci_system_off();
    for (;;) {
        __asm__ __volatile__("wfi");
    }
}

void exc_fatal(const char *what)
{
    __asm__ __volatile__("msr daifset, #0xf");
    /* A fault while reporting (e.g. HVC undefined) must not recurse forever. */
    if (!exc_in_fatal) {
        exc_in_fatal = true;
        uart_puts(guest_name);
        uart_puts(": FATAL ");
        uart_puts(what);
        uart_putc('\n');
        exc_halt();
    }
    for (;;) {
        __asm__ __volatile__("wfi");
    }
}

static void exc_report_abort(const char *what, uint64_t esr, uint64_t far)
{
    uart_puts(guest_name);
    uart_puts(what);
    uart_puts(" taken esr=0x");
    uart_put_hex(esr);
    uart_puts(" far=0x");
    uart_put_hex(far);
    uart_putc('\n');
}

void exc_handle(struct exc_frame *frame, uint64_t kind)
{
    uint64_t esr = sysreg_esr_el1();
    uint64_t far = sysreg_far_el1();
    uint64_t ec = (esr >> ESR_EC_SHIFT) & 0x3fu;

    if (exc_abort_armed && !exc_in_fatal) {
        if (kind == EXC_KIND_SPX_SYNC && ec == ESR_EC_DABT_CUR) {
            exc_abort_armed = false;
            exc_abort_taken = true;
            exc_report_abort(": abort", esr, far);
            /*
             * The guest only runs A64, so the load is 4 bytes whatever ESR.IL says (a
             * hypervisor injecting the abort might not set IL).
             */
            frame->elr += 4u;
            return;
        }
        if (kind == EXC_KIND_SPX_SERROR) {
            /* Asynchronous: the load itself did not fault, so there is nothing to skip. */
            exc_abort_armed = false;
            exc_abort_taken = true;
            exc_report_abort(": serror", esr, far);
            return;
        }
    }
    if (exc_in_fatal) {
        exc_fatal("nested exception");
    }
    uart_puts(guest_name);
    uart_puts(": unexpected exception kind=");
    uart_put_udec(kind);
    uart_puts(" esr=0x");
    uart_put_hex(esr);
    uart_puts(" far=0x");
    uart_put_hex(far);
    uart_puts(" elr=0x");
    uart_put_hex(frame->elr);
    uart_putc('\n');
    exc_fatal("exception");
}

bool exc_probe_read32(uintptr_t addr, uint32_t *value)
{
    uint32_t v;

    exc_abort_taken = false;
    exc_abort_armed = true;
    /*
     * The zeroing MOV runs first so a skipped load leaves v = 0. DSB + ISB after the load
     * make an SError caused by it pending before PSTATE.A is masked again.
     */
    __asm__ __volatile__("mov %w0, wzr\n\t"
                         "msr daifclr, #4\n\t"
                         "isb\n\t"
                         "ldr %w0, [%1]\n\t"
                         "dsb sy\n\t"
                         "isb\n\t"
                         "msr daifset, #4"
                         : "=&r"(v)
                         : "r"(addr)
                         : "memory");
    exc_abort_armed = false;
    *value = v;
    return exc_abort_taken;
}
