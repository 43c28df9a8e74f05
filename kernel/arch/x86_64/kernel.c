/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The generic kernel on x86_64 (docs/x86_64.md): its boot hooks, thread setup, the switch
 * between servers, the FPU handed over lazily (per CPU), and the C side of the entries
 * (entry.S), each taking the kernel lock and ending in kernel_exit() as aarch64's trap.c does;
 * a vCPU's guest runs from leave(), between its exits. */
#include <understudy/abi.h>
#include <uslib/string.h>
#include <us/lock.h>
#include <us/log.h>
#include <us/platform.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/thread.h>
#include <us/vcpu.h>
#include <us/arch/boot.h>
#include <us/arch/cpu.h>
#include <us/arch/irq.h>
#include <us/arch/vcpu.h>
#include <arch/io.h>
#include <arch/tlb.h>
#include "board.h"
#include "pvh.h"
#include "x86.h"

#define MSR_FS_BASE 0xc0000100u
#define VEC_NM 7u
#define VEC_PF 14u
#define CR0_TS (1ull << 3)
#define RFLAGS_IF 0x202ull
#define FCW_DEFAULT 0x37fu    /* x87: every exception masked, 64-bit precision */
#define MXCSR_DEFAULT 0x1f80u /* SSE: every exception masked */

void kmain(uint64_t boot_info);

extern char _image_start[], _image_end[];

static uint32_t cpu_have; /* X86_HAVE_*, the same on every CPU */

/* Multiboot2's information is made a start_info (pvh.c), so the rest reads one format. */
void x86_boot_main(uint64_t info, uint64_t magic)
{
    kmain((uint32_t)magic == PVH_MB2_MAGIC ? pa_of(plat_from_multiboot2(pa_init(info))) : info);
}

void arch_early_init(struct cpu *c)
{
    plat_uart_init();
    x86_trap_init();
    cpu_have = x86_cpu_init(c);
    x86_time_init(); /* before the first log line: its time stamp */
    x86_svm_init();
    x86_smp_prepare();
}

/* Another CPU, on its entry stack: the IDT, its own tables and SVM. The rates x86_time_init()
 * measured are every CPU's (one TSC and APIC timer clock on q35). */
void arch_secondary_init(struct cpu *c)
{
    x86_trap_load();
    if (x86_cpu_init(c) != cpu_have) {
        klog_panic("x86_64: CPU %u's features differ from the boot CPU's", c->index);
    }
    x86_svm_init_cpu(c->index);
}

const char *arch_cpu_mode(void)
{
    return "in long mode, servers in ring 3";
}

uint64_t arch_ram_end(void)
{
    return PLAT_BOOT_MAPPED; /* the frame allocator's first tables are made before the final map */
}

paddr_t arch_secondary_entry(void)
{
    return pa_init(0);
}

paddr_t arch_image_start(void)
{
    return pa_from_ptr(_image_start);
}

paddr_t arch_image_end(void)
{
    return pa_from_ptr(_image_end);
}

void arch_cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

void arch_sync_icache(void)
{
    /* x86 keeps instruction fetches coherent with stores. */
}

uint64_t arch_cpu_features(void)
{
    return 0; /* US_CPU_SHA2 names the Arm instructions; SHA-NI would be another bit */
}

sha256_blocks_fn *arch_sha256_blocks(void)
{
    return NULL;
}

void x86_timer_early(uint64_t now)
{
    vcpu_tick(now);
}

void x86_fp_reset(struct thread *t)
{
    uint16_t fcw = FCW_DEFAULT;
    uint32_t mxcsr = MXCSR_DEFAULT;

    memset(&t->fp, 0, sizeof(t->fp));
    memcpy(&t->fp.fxsave[0], &fcw, sizeof(fcw));
    memcpy(&t->fp.fxsave[24], &mxcsr, sizeof(mxcsr));
}

void arch_thread_init_user(struct thread *t, uint64_t pc, uint64_t sp, uint64_t arg)
{
    memset(&t->regs, 0, sizeof(t->regs));
    t->regs.rip = pc;
    t->regs.rsp = sp;
    t->regs.rflags = RFLAGS_IF;
    arch_regs_set(&t->regs, 0, arg);
    x86_fp_reset(t);
}

void arch_thread_make_fault(struct thread *t)
{
    t->regs.rip = 0; /* never mapped: a page fault in ring 3 */
}

static void cr0_ts(bool set)
{
    uint64_t cr0;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = set ? cr0 | CR0_TS : cr0 & ~CR0_TS;
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
}

static void fp_take(struct thread *t);

/* A server's space, with its PCID where the CPU has them (the kernel's part is the same in
 * every space, so the kernel itself goes on running through it), its I/O ports and its FS
 * base. */
void arch_switch_to(struct thread *next)
{
    struct thread *prev = this_cpu()->current, *fp_owner = x86_this_percpu()->fp_owner;
    uint64_t cr3;

    if (prev != NULL && prev->vcpu == NULL) {
        prev->regs.fs_base = rdmsr(MSR_FS_BASE);
    }
    if (next->vcpu != NULL) {
        /* Its segments and MSRs are its VMCB's (svm_run()); the FPU is loaded for it now, as
         * the host's CR0.TS does not reach a guest. */
        if (fp_owner != next) {
            fp_take(next);
        }
        return;
    }
    wrmsr(MSR_FS_BASE, next->regs.fs_base);
    cr3 = pa_of(next->proc->as.root) | ((cpu_have & X86_HAVE_PCID) ? next->proc->as.asid : 0);
    if (x86_read_cr3() != cr3) {
        x86_write_cr3(cr3);
    }
    x86_io_switch(&next->proc->as);
    cr0_ts(fp_owner != next); /* the first SSE instruction of another thread traps (#NM) */
}

/* #NM: @t wants the FPU; the last owner's registers go to its thread first. Threads never
 * move between CPUs (a vCPU's slot made again elsewhere is forgotten on its old CPU first), so
 * each CPU's owner is its own affair. */
static void fp_take(struct thread *t)
{
    struct x86_percpu *p = x86_this_percpu();

    cr0_ts(false);
    if (p->fp_owner != NULL) {
        __asm__ volatile("fxsave64 %0" : "=m"(p->fp_owner->fp));
    }
    __asm__ volatile("fxrstor64 %0" : : "m"(t->fp));
    p->fp_owner = t;
}

/* The FPU registers a forgotten thread left on this CPU are not wanted again. */
void arch_cpu_settle(void)
{
    struct x86_percpu *p = x86_this_percpu();

    this_cpu()->settle = false;
    if (p->fp_owner != NULL && p->fp_owner->forget_pending) {
        p->fp_owner->forget_pending = false;
        p->fp_owner = NULL;
        cr0_ts(true); /* as arch_thread_forget() does here */
    }
}

/* @t's FPU registers are not wanted again: dropped here at once, or on its home CPU at that
 * CPU's next pass through the kernel (arch_cpu_settle()), which this kicks. */
void arch_thread_forget(struct thread *t)
{
    struct x86_percpu *home = x86_percpu_of(t->cpu);

    if (t->cpu == this_cpu()->index) {
        if (home->fp_owner == t) { /* trapped again: a thread restarted in place runs on */
            home->fp_owner = NULL;
            cr0_ts(true);
        }
        t->forget_pending = false;
    } else if (home->fp_owner == t) {
        t->forget_pending = true;
        cpus[t->cpu].settle = true;
        arch_cpu_kick(t->cpu);
    }
}

/* An entry's start: inside the kernel (a shootdown stops waiting for this CPU), then the lock. */
static void enter(void)
{
    x86_inside();
    kernel_lock();
}

static struct arch_regs *leave(struct arch_regs *r);

/* A CPU's first way out of the kernel, the lock already given up: what it first runs may be a
 * vCPU (a started CPU idles until one is placed on it), which leave() runs. */
_Noreturn void arch_enter_first(struct arch_regs *regs)
{
    enter();
    x86_enter(leave(regs));
}

/* What an entry resumes: a server's registers, by IRETQ. While the thread to run is a vCPU,
 * the guest runs here instead, without the lock, and each of its exits is handled as an entry
 * of its own: a host interrupt taken, the rest finished in the kernel or sent to the vmm. */
static struct arch_regs *leave(struct arch_regs *r)
{
    struct thread *t = this_cpu()->current;

    while (t->vcpu != NULL) {
        x86_vcpu_prepare(t->vcpu);
        x86_outside();
        kernel_unlock();
        x86_vcpu_run(t->vcpu);
        enter();
        if (x86_vcpu_host_irq(t->vcpu)) {
            __asm__ volatile("sti; nop; cli" ::: "memory"); /* into the pending bitmap */
            kernel_irq();
        } else {
            vcpu_handle_exit(t->vcpu);
        }
        r = kernel_exit();
        t = this_cpu()->current;
    }
    x86_outside();
    kernel_unlock();
    return r;
}

struct arch_regs *x86_syscall(struct arch_regs *r)
{
    (void)r;
    enter();
    syscall_dispatch(this_cpu()->current);
    return leave(kernel_exit());
}

/* An exception in ring 3: the FPU handed over, or the server's fault, which stops it alone.
 * The fault is reported as aarch64's syndrome would be: here the vector and error code. */
struct arch_regs *x86_user_trap(struct arch_regs *r, uint64_t vector, uint64_t error, uint64_t cr2)
{
    struct thread *t;

    enter();
    t = this_cpu()->current;
    if (vector == VEC_NM) {
        fp_take(t);
        return leave(r);
    }
    process_fault(t->proc, vector << 32 | (error & 0xffffffffu), vector == VEC_PF ? cr2 : 0,
                  r->rip);
    return leave(kernel_exit());
}

struct arch_regs *x86_user_irq(struct arch_regs *r)
{
    (void)r;
    enter();
    kernel_irq();
    return leave(kernel_exit());
}

/* The virtual interrupt controller and vCPUs: the port's next step (docs/x86_64.md). */
#define ARCH_VINTID_NONE (ARCH_IRQ_MAX - 1u) /* an ID no controller line ever has */

void arch_vgic_init(void)
{
}

uint32_t arch_vtimer_intid(void)
{
    return ARCH_VINTID_NONE;
}

uint32_t arch_vgic_maint_intid(void)
{
    return ARCH_VINTID_NONE;
}

struct vcpu *arch_vtimer_fire(void)
{
    return NULL;
}

struct vcpu *arch_vgic_maintenance(void)
{
    return NULL;
}
