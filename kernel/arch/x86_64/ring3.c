/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The first stage's ring-3 test (docs/x86_64.md): a server space from arch_aspace_init(), the
 * test program (test_code.S) copied into it at R3_VA with a stack below the ABI's
 * US_VA_STACK_TOP, and the kernel's side of its system calls and faults. Its calls use the
 * server ABI's register convention (<arch/regs.h>); what they do is the first stage's: a log
 * line copied through the space's tables, the arguments' sum, nothing. A fault stops the
 * program, and only it: the kernel goes on with its next step. The generic kernel's system
 * calls replace these once it is linked. */
#include <understudy/abi.h>
#include <understudy/syscalls.h>
#include <us/kmem.h>
#include <us/platform.h>
#include <us/arch/irq.h>
#include <us/arch/mmu.h>
#include <arch/io.h>
#include <arch/regs.h>
#include <arch/tlb.h>
#include "first_stage.h"
#include "x86.h"

_Static_assert(R3_SYS_LOG == US_SYS_LOG && R3_SYS_NULL == US_SYS_YIELD && R3_ERANGE == US_ERANGE,
               "test_code.S uses the ABI's numbers");
_Static_assert(R3_VA == ARCH_KERNEL_VA_HI, "the program sits where servers begin");

#define LOG_MAX 96u
#define RFLAGS_IF 0x202ull

extern const uint8_t user_code[], user_code_end[], user_main[], user_read_kernel[], user_spin[];

static struct aspace space;
static struct arch_regs regs;
static uint64_t null_calls, null_t0;
static uint32_t ticks;

/* Copy [va, va + n) of the space into @buf, page by page through its tables. */
static us_err_t copy_in(char *buf, uint64_t va, uint64_t n)
{
    for (uint64_t done = 0; done < n;) {
        uint64_t chunk = PAGE_SIZE - ((va + done) & (PAGE_SIZE - 1));
        paddr_t pa;

        if (arch_aspace_translate(&space, va_init(va + done), false, &pa) != US_OK) {
            return US_ERANGE;
        }
        chunk = chunk < n - done ? chunk : n - done;
        __builtin_memcpy(buf + done, pa_ptr(pa), chunk);
        done += chunk;
    }
    return US_OK;
}

static uint64_t sys_log(uint64_t va, uint64_t n)
{
    char line[LOG_MAX];

    if (n > sizeof(line) || va + n < va || copy_in(line, va, n) != US_OK) {
        x86_say("ring 3: log: buffer 0x%llx+%llu is not the caller's: refused",
                (unsigned long long)va, (unsigned long long)n);
        return US_ERANGE;
    }
    plat_uart_write("ring 3| ", 8);
    plat_uart_write(line, n);
    plat_uart_write("\n", 1);
    return US_OK;
}

struct arch_regs *x86_syscall(struct arch_regs *r)
{
    uint64_t nr = arch_regs_get(r, ARCH_SYSCALL_NR_REG), sum = 0, ret = US_ENOTSUP;

    if (nr == R3_SYS_LOG) {
        ret = sys_log(arch_regs_get(r, 0), arch_regs_get(r, 1));
    } else if (nr == R3_SYS_ARGS) {
        for (uint32_t i = 0; i < ARCH_SYSCALL_NR_REG; i++) {
            sum += arch_regs_get(r, i);
        }
        x86_say("ring 3: arguments %llu %llu %llu %llu %llu %llu %llu %llu",
                (unsigned long long)arch_regs_get(r, 0), (unsigned long long)arch_regs_get(r, 1),
                (unsigned long long)arch_regs_get(r, 2), (unsigned long long)arch_regs_get(r, 3),
                (unsigned long long)arch_regs_get(r, 4), (unsigned long long)arch_regs_get(r, 5),
                (unsigned long long)arch_regs_get(r, 6), (unsigned long long)arch_regs_get(r, 7));
        ret = sum;
    } else if (nr == R3_SYS_NULL) {
        if (null_calls++ == 0) {
            null_t0 = rdtsc();
        } else if (null_calls == R3_NULL_CALLS) {
            /* Under -icount shift=0 a tick is an instruction: R3_NULL_CALLS - 1 round trips,
             * SYSCALL to SYSCALL (bench/x86_bench.py reads it). */
            x86_say("ring 3: %llu null system calls in %llu TSC ticks",
                    (unsigned long long)(R3_NULL_CALLS - 1),
                    (unsigned long long)(rdtsc() - null_t0));
        }
        ret = US_OK;
    } else {
        x86_say("ring 3: unknown system call %llu: US_ENOTSUP", (unsigned long long)nr);
    }
    arch_regs_set(r, ARCH_SYSCALL_NR_REG, ret);
    return r;
}

struct arch_regs *x86_user_trap(struct arch_regs *r, uint64_t vector, uint64_t error, uint64_t cr2)
{
    x86_say("ring 3: trap: %s (vector %llu), error 0x%llx, at rip 0x%llx, cr2 0x%llx: "
            "program stopped",
            x86_trap_name(vector), (unsigned long long)vector, (unsigned long long)error,
            (unsigned long long)r->rip, (unsigned long long)(vector == 14 ? cr2 : 0));
    return NULL;
}

/* The tick preempts the spinning program: a few ticks, each armed again, then it is stopped. */
struct arch_regs *x86_user_irq(struct arch_regs *r)
{
    uint32_t intid;

    while ((intid = arch_irq_ack()) != ARCH_IRQ_NONE) {
        arch_irq_eoi(intid);
        if (intid != arch_timer_intid()) {
            x86_say("ring 3: unexpected interrupt %u", intid);
            arch_irq_deactivate(intid);
            continue;
        }
        if (++ticks < R3_TICKS) {
            arch_timer_arm(R3_TICK_US);
            continue;
        }
        x86_say(
            "ring 3: a spinning program preempted by %u ticks of %u us, the last at rip 0x%llx: "
            "program stopped",
            ticks, R3_TICK_US, (unsigned long long)r->rip);
        return NULL;
    }
    return r;
}

/* Run the program from @entry on a fresh stack until it stops. */
static void run_from(const uint8_t *entry)
{
    __builtin_memset(&regs, 0, sizeof(regs));
    regs.rip = R3_VA + (uint64_t)(entry - user_code);
    regs.rsp = US_VA_STACK_TOP;
    regs.rflags = RFLAGS_IF;
    x86_user_run(&regs);
}

void ring3_run(uint32_t have)
{
    uint64_t kernel_cr3 = x86_read_cr3(), size = (uint64_t)(user_code_end - user_code);
    paddr_t code, stack;
    us_err_t e;

    e = arch_aspace_init(&space, 1);
    if (e == US_OK) {
        e = kmem_frames(1, &code);
    }
    if (e == US_OK) {
        e = kmem_frames(1, &stack);
    }
    if (e == US_OK && size <= PAGE_SIZE) {
        __builtin_memcpy(pa_ptr(code), user_code, size);
        e = arch_aspace_map(&space, va_init(R3_VA), code, PAGE_SIZE, US_RIGHT_READ | US_RIGHT_EXEC);
    }
    if (e == US_OK) {
        e = arch_aspace_map(&space, va_init(US_VA_STACK_TOP - PAGE_SIZE), stack, PAGE_SIZE,
                            US_RIGHT_READ | US_RIGHT_WRITE);
    }
    if (e != US_OK || size > PAGE_SIZE) {
        x86_say("error: cannot build the ring-3 space: %s: stopping", us_err_name(e));
        x86_stop();
    }
    x86_say("ring 3: SYSCALL, PCID %s, SMEP %s, SMAP %s", (have & X86_HAVE_PCID) ? "on" : "off",
            (have & X86_HAVE_SMEP) ? "on" : "off", (have & X86_HAVE_SMAP) ? "on" : "off");
    x86_write_cr3(pa_of(space.root) | ((have & X86_HAVE_PCID) ? space.asid : 0));
    run_from(user_main);
    run_from(user_read_kernel);
    arch_irq_enable(arch_timer_intid());
    arch_timer_arm(R3_TICK_US);
    run_from(user_spin);
    arch_irq_disable(arch_timer_intid());
    x86_write_cr3(kernel_cr3);
}
