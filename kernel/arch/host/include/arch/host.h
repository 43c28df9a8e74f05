/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's controls: what unit tests set and read in place of hardware
 * (the kernel/arch/host sources implement the arch_ and plat_ hooks on top of these). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <understudy/errors.h>
#include <us/types.h>

struct arch_regs;
struct cpu;
struct thread;
struct vcpu;
struct plat_boot_info;

#define HOST_MAX_CPUS 8u /* keep equal to SCHED_MAX_CPUS */

/* CPUs (cpu_host.c). Code runs "on" host_this_cpu, CPU 0 unless a test moves it. */
extern struct cpu *host_this_cpu;
extern uint32_t host_kicks[HOST_MAX_CPUS]; /* arch_cpu_kick() per target CPU */
extern struct thread *host_faulting;       /* last arch_thread_make_fault() */

/** host_cpus_init() - @count CPUs up (index and online set), code running on CPU 0. */
void host_cpus_init(uint32_t count);

/** host_run_on() - the kernel code that follows runs on CPU @index. */
void host_run_on(uint32_t index);

/** host_run_thread() - CPU @index switches to @t and runs it (arch_switch_to, current). */
void host_run_thread(uint32_t index, struct thread *t);

/** host_kmem_init() - kmem_pool over @frames fresh frames, 2 MiB aligned (mem_host.c). */
void host_kmem_init(uint64_t frames);

/* Address spaces (mmu_host.c): each space is a list of mappings in one kernel frame. */
#define HOST_MAP_MAX 128u
extern uint32_t host_s2_freed_live; /* stage 2 freed while another CPU ran a vCPU on it */
extern uint32_t host_s2_frees;

/* Interrupts and timers (irq_host.c). */
#define HOST_TIMER_INTID 26u
#define HOST_VTIMER_INTID 27u
#define HOST_MAINT_INTID 25u
extern uint64_t host_counter; /* arch_counter(); arch_counter_freq() is 1 MHz */
extern uint64_t host_timer_armed_us;
extern uint32_t host_timer_disarms;
extern struct vcpu *host_vtimer_vcpu; /* what arch_vtimer_fire() returns */
/* What arch_vgic_maintenance() finds: the guest of @v ended @intid (pending cleared). */
void host_vgic_guest_ends(struct vcpu *v, uint32_t intid);
/* Called by each arch_wait_for_interrupt(): it must make an interrupt pending. Unset, or after
 * HOST_WFI_MAX waits, a wait aborts the test: it would sleep for ever. */
extern void (*host_wfi_hook)(void);
#define HOST_WFI_MAX 64u
extern uint32_t host_wfis;

/** host_irq_raise() - make @intid pending (arch_irq_ack() takes them in order). */
void host_irq_raise(uint32_t intid);
bool host_irq_enabled(uint32_t intid);
/** host_irq_deactivations() - arch_irq_deactivate() calls for @intid. */
uint32_t host_irq_deactivations(uint32_t intid);

/* vCPUs and the context switch (vcpu_host.c). An exit whose exit_esr is HOST_ESR_IN_KERNEL
 * is finished by the "architecture"; any other goes to the handler with reason = esr & 0xff. */
#define HOST_ESR_IN_KERNEL 0u
extern struct thread *host_held[HOST_MAX_CPUS]; /* whose registers each CPU holds */
extern uint64_t host_s2_loaded[HOST_MAX_CPUS];  /* root of the stage 2 each CPU switched to */
extern uint32_t host_switches;
extern uint32_t host_forgets;

/* Platform (plat_host.c). */
extern char host_uart[8192]; /* what the kernel wrote to the UART; wraps */
extern uint64_t host_uart_len;
extern us_err_t host_fdt_result;         /* plat_boot_parse() result */
extern struct plat_boot_info *host_boot; /* what it reports */
extern us_err_t host_cpu_on_result;
extern uint32_t host_cpu_on_calls;

/* Boot (boot_host.c). */
extern paddr_t host_image_start, host_image_end;
/* arch_enter_first() calls this (a test longjmps out of it), then aborts. */
extern void (*host_enter_first_hook)(struct arch_regs *regs);
