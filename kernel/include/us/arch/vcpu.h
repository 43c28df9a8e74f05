/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Architecture hooks behind vCPUs and the per-CPU context switch. */
#pragma once

#include <stdbool.h>
#include <understudy/errors.h>
#include <understudy/msg.h>

struct vcpu;
struct thread;

/** arch_vgic_inject() - make virtual INTID @intid pending in @v (a list register, or the
 * waiting set if all are busy). Returns: US_OK; US_ERANGE above the supported INTIDs. */
us_err_t arch_vgic_inject(struct vcpu *v, uint32_t intid);

/** arch_vgic_maintenance() - the maintenance interrupt on this CPU: the list registers whose
 * interrupts the guest ended (those injected with US_VIRQ_EOI) are freed and their ends noted
 * in the live vCPU, which is returned (NULL if none). */
struct vcpu *arch_vgic_maintenance(void);

/** arch_vgic_take_eoi() - take @v's noted ends as bitmaps of INTIDs 0-63 (@lo) and 64-127
 * (@hi). Returns: whether there were any. */
bool arch_vgic_take_eoi(struct vcpu *v, uint64_t *lo, uint64_t *hi);

/** arch_vcpu_eoi_exit() - fill v->msg as a US_EXIT_EOI exit if @v has noted ends. Returns:
 * whether it did. */
bool arch_vcpu_eoi_exit(struct vcpu *v);
/** arch_vcpu_exit_nolock() - finish @v's trap (syndrome @esr) without the kernel lock if it is
 * an access to a fast-MMIO register of a kind that never signals, or TLB maintenance trapped to
 * be done on this CPU alone. Runs on @v's CPU with @v current. Returns: whether it was finished
 * (false: take the lock, handle it as usual). */
bool arch_vcpu_exit_nolock(struct vcpu *v, uint64_t esr);

/** arch_vgic_pending() - whether @v has a virtual interrupt pending (WFI would not sleep). */
bool arch_vgic_pending(struct vcpu *v);

/** arch_vcpu_reset() - registers for entry at @pc in EL1h, MMU off, with x0 = @x0. */
void arch_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0);

/** arch_vcpu_decode_exit() - classify the trap in v->exit_esr; either finish it here
 * (returns false: resume the guest) or note in v->msg what its exit message needs (true). */
bool arch_vcpu_decode_exit(struct vcpu *v);

/** arch_vcpu_exit_msg() - @v's pending exit as the message its handler receives, into @m. */
void arch_vcpu_exit_msg(const struct vcpu *v, struct us_msg *m);

/** arch_vcpu_resume() - apply a handler's reply that vcpu_apply_resume() checked and found
 * neither a stop nor a reset. Returns: US_OK; US_EINVAL or US_ENOTSUP for what this
 * architecture refuses, with nothing applied. */
us_err_t arch_vcpu_resume(struct vcpu *v, const struct us_msg *reply);

/** arch_vcpu_publish() - at an exit, on @v's home CPU: copy its hot EL1 registers to memory,
 * where a handler's reply on another CPU reads and changes them (hot_reload). */
void arch_vcpu_publish(struct vcpu *v);

/** arch_vcpu_continue() - @v resumes on this CPU without a switch: take the interrupts
 * injected for it meanwhile. */
void arch_vcpu_continue(struct vcpu *v);

/** arch_switch_to() - load @next's EL1, stage-2 and FP ownership state on this CPU. */
void arch_switch_to(struct thread *next);

/** arch_fp_trap() - the current thread touched FP/SIMD: move the register file to it. */
void arch_fp_trap(struct thread *t);

/** arch_switch_init() - at boot, on each CPU: its switch state for its mode (VHE or not), and
 * SVE for guests (at 128-bit vectors) when the CPU has it. */
void arch_switch_init(void);

/** arch_cpu_settle() - on a pass through the kernel with this CPU's settle flag set: drop the
 * registers it holds for threads another CPU asked to forget (arch_thread_forget() of a
 * thread homed here). */
void arch_cpu_settle(void);

/** arch_thread_forget() - @t's registers are stale (it goes away, or a vCPU restarts): drop
 * what its home CPU holds of it (FP/SIMD; for a vCPU also its EL1, list-register and timer
 * state), at once here, or at that CPU's next pass through the kernel. */
void arch_thread_forget(struct thread *t);
