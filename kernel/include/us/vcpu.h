/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPUs: a guest execution context whose exits become IPC calls to a handler endpoint. */
#pragma once

#include <understudy/msg.h>
#include <us/thread.h>

struct vm;
struct endpoint;

struct vcpu {
    struct thread thread; /* first: the scheduler sees a vCPU as a thread */
    struct vm *vm;
    uint32_t index;
    bool in_use;
    bool started;
    struct endpoint *handler;
    us_badge_t badge;
    struct us_msg msg; /* the exit, as arch_vcpu_exit_msg() reads it (aarch64: in part) */
    uint64_t exit_esr; /* syndrome of the pending exit */
    bool fast_none;    /* arch_vcpu_exit_nolock() found no fast-MMIO entry for this exit */
    uint64_t exits;
    uint64_t wfi_deadline; /* while its EL1 context is not live: when its timer fires */
    bool reset_pending;    /* restart at reset_pc with x0 = reset_x0 before it next runs */
    bool hot_reload;       /* its hot EL1 set in memory is newer than its home CPU's copy */
    uint64_t reset_pc, reset_x0;
    struct arch_vcpu_hot hot;
    struct arch_vcpu_cold cold;
};

#define VCPU_PRIO 8u

/** vcpu_create() - vCPU @index (< VM_MAX_VCPUS) of @vm exiting to @handler with @badge,
 * running on host CPU @cpu (< cpu_count) only; the system call has checked both.
 * Returns: US_OK; US_EEXIST if @index is taken; US_ENOMEM. */
us_err_t vcpu_create(struct vm *vm, uint32_t index, struct endpoint *handler, us_badge_t badge,
                     uint32_t cpu, struct vcpu **out);

/** vcpu_wfi() - @v executed WFI with nothing pending: it sleeps until vcpu_kick() or, if its
 * timer context is not live, until vcpu_tick() passes its deadline. */
void vcpu_wfi(struct vcpu *v);

/** vcpu_kick() - an interrupt became pending for @v: wake it if it sleeps in WFI. */
void vcpu_kick(struct vcpu *v);

/** vcpu_tick() - wake the vCPUs sleeping in WFI whose timer deadline is at or before @now
 * (virtual counter), their timers being switched out. */
void vcpu_tick(uint64_t now);

/** vcpu_inject() - make virtual INTID @intid pending in @v; it is taken when @v runs.
 * Returns: US_OK; US_ERANGE for an INTID of US_VIRQ_LIMIT or more. */
us_err_t vcpu_inject(struct vcpu *v, uint64_t intid);

/** vcpu_start() - enter the guest at @pc, EL1h, MMU off, x0 = @x0 (arm64 boot protocol).
 * Returns: US_OK; US_EBUSY if already started. */
us_err_t vcpu_start(struct vcpu *v, uint64_t pc, uint64_t x0);

/** vcpu_reset_later() - @v restarts at @pc, EL1h, MMU off, x0 = @x0, when it next runs: its
 * home CPU applies it (vcpu_settle()), as only that CPU may hold its registers. */
void vcpu_reset_later(struct vcpu *v, uint64_t pc, uint64_t x0);

/** vcpu_settle() - on @v's home CPU, about to run it: apply a pending reset.
 * Returns: whether its context was replaced (it must be loaded even if it was current). */
bool vcpu_settle(struct vcpu *v);

/** vcpu_stop() - the vCPU never runs again until restarted. */
void vcpu_stop(struct vcpu *v);

/** vcpu_handle_exit() - decode the trap the vCPU just took; finish it in the kernel or send
 * the exit message to its handler. */
void vcpu_handle_exit(struct vcpu *v);

/** vcpu_handle_irq() - the running vCPU @v was interrupted: if the guest ended interrupts it
 * was to report (US_VIRQ_EOI), send a US_EXIT_EOI exit. */
void vcpu_handle_irq(struct vcpu *v);

/** vcpu_apply_resume() - check a handler's reply and apply it to the stopped vCPU.
 * Returns: US_OK; US_ETRUNC for a short reply; US_EINVAL for unknown flags or values. */
us_err_t vcpu_apply_resume(struct vcpu *v, const struct us_msg *reply);
