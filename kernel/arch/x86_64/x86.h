/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the x86_64 port's files share (docs/x86_64.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <understudy/abi.h>
#include <understudy/errors.h>
#include <us/types.h>

/** x86_boot_main() - head.S's call in long mode, with the boot information's address @info
 * and what %eax held at entry, @magic: Multiboot2's magic, or PVH's start_info. */
void x86_boot_main(uint64_t info, uint64_t magic);

/** x86_say() - one line of the kernel's log on COM1, "kernel| " and a newline added. */
void x86_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** x86_stop() - stop this CPU for good: interrupts off, halted. */
_Noreturn void x86_stop(void);

/** x86_trap_init() - load an IDT whose 32 exception vectors report and stop. */
void x86_trap_init(void);

/** x86_trap_load() - load the IDT x86_trap_init() made, on another CPU. */
void x86_trap_load(void);

/** x86_cmdline_has() - whether the boot command line @cmdline holds the word @word. */
bool x86_cmdline_has(const char *cmdline, const char *word);

struct cpu;
struct arch_regs;

struct thread;

/* The block GS's base points to in ring 0. First, at entry.S's PC_* offsets: this CPU's struct
 * cpu (whose first word is the current thread's registers), a scratch word for the entry, the
 * top of the entry stack, the first stage's saved kernel stack (x86_user_run()), and a bit per
 * interrupt vector taken and not yet acknowledged (arch_irq_ack()). Then C's: the block's own
 * address, the CPU's index and local APIC ID, whose registers the FPU holds, the timer's two
 * times (apic.c), and the TLB shootdown's two words (smp.c). */
struct x86_percpu {
    struct cpu *cpu;
    uint64_t scratch;
    uint64_t stack;
    uint64_t kctx;
    uint64_t pending[4];
    struct x86_percpu *self;
    uint32_t index, apic_id;
    struct thread *fp_owner;
    uint64_t tick_due, armed_at; /* TSC times, UINT64_MAX for never */
    uint64_t overdue;            /* how late idle found the timer not raised, to report */
    uint64_t tlb_seen;           /* the shootdown generation this CPU's TLB has caught up with */
    uint32_t outside;            /* 1 while in ring 3 or a guest, where stale entries are used */
};

/** x86_this_percpu() - this CPU's block (inline: every entry and exit asks for it). */
static inline struct x86_percpu *x86_this_percpu(void)
{
    struct x86_percpu *p;

    __asm__("mov %%gs:%c1, %0" : "=r"(p) : "i"(offsetof(struct x86_percpu, self)));
    return p;
}

/** x86_percpu_of() - CPU @index's block (valid once that CPU ran x86_cpu_init()). */
struct x86_percpu *x86_percpu_of(uint32_t index);

/** x86_entry_stack_top() - the top of CPU @index's entry stack, where it also starts. */
uint64_t x86_entry_stack_top(uint32_t index);

#define X86_IST_DF 1u /* the TSS's stack for a double fault */
#define X86_HAVE_PCID (1u << 0)
#define X86_HAVE_SMEP (1u << 1)
#define X86_HAVE_SMAP (1u << 2)
#define X86_HAVE_FSGSBASE (1u << 3)

/** x86_cpu_init() - this CPU's GDT and TSS, GS's block pointing to @c, SYSCALL, and the CR4
 * features it has. Returns: the X86_HAVE_* turned on. */
uint32_t x86_cpu_init(struct cpu *c);

struct aspace;

/** x86_io_switch() - open @as's I/O ports to ring 3 on this CPU (the TSS's bitmap) and close
 * those of the space that ran before, if they differ. */
void x86_io_switch(const struct aspace *as);

struct vcpu;

/** x86_timer_by() - have the APIC timer fire by TSC time @tsc, if the tick is due later: a
 * guest's timer deadline (vcpu.c). Such an early fire is no tick: x86_timer_early() gets it. */
void x86_timer_by(uint64_t tsc);

/** x86_irq_recheck() - have the local APIC look again for a pending interrupt it may not have
 * signalled (apic.c): after a VMRUN that asked for an interrupt window, whose emulation under
 * QEMU up to at least 7.2 can lose another thread's signal (vcpu.c, x86_vcpu_run()). */
void x86_irq_recheck(void);

#define X86_VECTOR_BASE US_X86_VECTOR_BASE /* interrupt ID i is this vector + i (apic.c) */

/** x86_smp_prepare() - copy the other CPUs' real-mode start below 1 MiB, while the boot
 * tables still map it (smp.c). */
void x86_smp_prepare(void);

/** x86_cpu_start() - start the CPU whose local APIC ID is @apic_id as CPU @index, and wait
 * until it runs on its own stack. Returns: US_OK; US_ETIMEOUT (it never came: it is left). */
us_err_t x86_cpu_start(uint32_t apic_id, uint32_t index);

/** x86_inside() - this CPU entered the kernel: it no longer uses ring 3's or a guest's
 * translations, and a shootdown need not wait for it. */
void x86_inside(void);

/** x86_outside() - this CPU is about to run ring 3 or a guest: drop the current space's
 * translations if a shootdown happened since it last did. */
void x86_outside(void);

/** x86_mmu_load_kernel() - run on the kernel's own map (a started CPU leaves the boot
 * tables). */
void x86_mmu_load_kernel(void);

/** x86_ipi() - send the local APIC's interrupt command @icr (vector, delivery mode, level) to
 * the CPU whose APIC ID is @apic_id, once the previous one has left. */
void x86_ipi(uint32_t apic_id, uint32_t icr);

/** x86_timer_early() - the timer fired at TSC time @now for x86_timer_by(), before the tick:
 * wake the vCPUs whose deadline passed. */
void x86_timer_early(uint64_t now);

struct stage2;
/** x86_guest_ram() - the physical address of guest-physical @gpa in @s2, if RAM is mapped
 * there (not a device's page). Returns: US_OK; US_ERANGE. */
us_err_t x86_guest_ram(const struct stage2 *s2, uint64_t gpa, paddr_t *out);

/** x86_fp_reset() - @t's FPU registers as after FNINIT, exceptions masked. */
void x86_fp_reset(struct thread *t);

/** x86_svm_init() - check for SVM with nested paging and enough ASIDs (a panic naming what is
 * missing), and enable it on this CPU. */
void x86_svm_init(void);

/** x86_svm_init_cpu() - enable SVM on CPU @index, with its own host save area. */
void x86_svm_init_cpu(uint32_t index);

/** x86_vcpu_prepare() - before x86_vcpu_run(), under the kernel lock (other CPUs raise
 * interrupts in its local APIC): the interrupt @v takes next, and the host timer for its own. */
void x86_vcpu_prepare(struct vcpu *v);

/** x86_vcpu_run() - run @v's guest until its next #VMEXIT (interrupts off, no lock held). */
void x86_vcpu_run(struct vcpu *v);

/** x86_vcpu_host_irq() - whether @v's last exit was for a host interrupt (the host takes it). */
bool x86_vcpu_host_irq(struct vcpu *v);

/** x86_user_run() - run ring 3 from @regs (made this CPU's current) until an entry's handler
 * returns NULL. */
void x86_user_run(struct arch_regs *regs);

/** x86_syscall() - a SYSCALL from ring 3, its registers in @r. Returns: the registers to
 * resume, or NULL to return from x86_user_run(). */
struct arch_regs *x86_syscall(struct arch_regs *r);

/** x86_user_trap() - exception @vector (with @error and, for a page fault, @cr2) in ring 3.
 * Returns: as x86_syscall(). */
struct arch_regs *x86_user_trap(struct arch_regs *r, uint64_t vector, uint64_t error, uint64_t cr2);

/** x86_user_irq() - an interrupt in ring 3, its vector pending. Returns: as x86_syscall(). */
struct arch_regs *x86_user_irq(struct arch_regs *r);

/** x86_enter() - resume @regs in ring 3 on this CPU, as an entry's return does. */
_Noreturn void x86_enter(struct arch_regs *regs);

/** x86_time_init() - measure the TSC's and the local APIC timer's rates against the HPET
 * (the boot tables map it); no HPET is a panic. */
void x86_time_init(void);

/** x86_timer_hz() - the local APIC timer's rate, as measured. */
uint64_t x86_timer_hz(void);

/** x86_trap_name() - the exception's short name ("#PF page fault"). */
const char *x86_trap_name(uint64_t vector);

/** ring3_run() - the first stage's ring-3 test (ring3.c): a server space, the test program
 * in it, its system calls and its faults. */
void ring3_run(uint32_t have);
