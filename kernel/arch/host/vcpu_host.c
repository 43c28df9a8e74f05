/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's vCPUs: a bitmap for the virtual interrupt controller, exits
 * decoded from a made-up syndrome, and a context switch that records which CPU holds whose
 * registers, with the lazy "forget" protocol of kernel/arch/aarch64/switch.c. */
#include <string.h>
#include <understudy/vcpu.h>
#include <us/endpoint.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include <arch/host.h>

struct thread *host_held[SCHED_MAX_CPUS];
uint64_t host_s2_loaded[SCHED_MAX_CPUS];
uint32_t host_switches;
uint32_t host_forgets;

void host_run_thread(uint32_t index, struct thread *t)
{
    struct cpu *saved = host_this_cpu;

    host_this_cpu = &cpus[index];
    arch_switch_to(t);
    cpus[index].current = t;
    host_this_cpu = saved;
}

us_err_t arch_vgic_inject(struct vcpu *v, uint32_t intid)
{
    bool eoi = (intid & US_VIRQ_EOI) != 0;

    intid &= ~US_VIRQ_EOI;
    if (intid >= ARCH_VGIC_MAX_INTID) {
        return US_ERANGE;
    }
    v->cold.vgic_pending[intid / 64] |= 1ull << (intid % 64);
    if (eoi) {
        v->cold.eoi_want[intid / 64] |= 1ull << (intid % 64);
    }
    return US_OK;
}

void host_vgic_guest_ends(struct vcpu *v, uint32_t intid)
{
    uint64_t bit = 1ull << (intid % 64);

    v->cold.vgic_pending[intid / 64] &= ~bit;
    if (v->cold.eoi_want[intid / 64] & bit) {
        v->cold.eoi_want[intid / 64] &= ~bit;
        v->cold.eoi_done[intid / 64] |= bit;
    }
}

struct vcpu *arch_vgic_maintenance(void)
{
    return NULL; /* host_vgic_guest_ends() did the list registers' part */
}

bool arch_vgic_take_eoi(struct vcpu *v, uint64_t *lo, uint64_t *hi)
{
    *lo = v->cold.eoi_done[0];
    *hi = v->cold.eoi_done[1];
    v->cold.eoi_done[0] = v->cold.eoi_done[1] = 0;
    return (*lo | *hi) != 0;
}

bool arch_vcpu_eoi_exit(struct vcpu *v)
{
    uint64_t lo, hi;

    if (!arch_vgic_take_eoi(v, &lo, &hi)) {
        return false;
    }
    us_msg_init(&v->msg, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    memset(v->msg.w, 0, sizeof(v->msg.w));
    v->msg.w[US_EXIT_REASON] = US_EXIT_EOI;
    v->msg.w[US_EXIT_EOI_LO] = lo;
    v->msg.w[US_EXIT_EOI_HI] = hi;
    v->msg.w[US_EXIT_VCPU] = v->index;
    return true;
}

bool arch_vgic_pending(struct vcpu *v)
{
    return (v->cold.vgic_pending[0] | v->cold.vgic_pending[1]) != 0;
}

void arch_vcpu_reset(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    memset(&v->thread.regs, 0, sizeof(v->thread.regs));
    *host_pc(&v->thread.regs) = pc;
    arch_regs_set(&v->thread.regs, 0, x0);
    *host_flags(&v->thread.regs) = 0x3c5; /* as aarch64's EL1h with DAIF masked */
    v->hot = (struct arch_vcpu_hot){0};
    memset(v->cold.vgic_pending, 0, sizeof(v->cold.vgic_pending));
    memset(v->cold.eoi_want, 0, sizeof(v->cold.eoi_want));
    memset(v->cold.eoi_done, 0, sizeof(v->cold.eoi_done));
}

bool arch_vcpu_decode_exit(struct vcpu *v)
{
    if (v->exit_esr == HOST_ESR_IN_KERNEL) {
        return false;
    }
    us_msg_init(&v->msg, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    memset(v->msg.w, 0, sizeof(v->msg.w));
    v->msg.w[US_EXIT_REASON] = v->exit_esr & 0xffu;
    v->msg.w[US_EXIT_ESR] = v->exit_esr;
    v->msg.w[US_EXIT_PC] = *host_pc(&v->thread.regs);
    v->msg.w[US_EXIT_VCPU] = v->index;
    return true;
}

void arch_vcpu_exit_msg(const struct vcpu *v, struct us_msg *m)
{
    ipc_copy(m, &v->msg); /* decoded whole into v->msg */
}

/* As kernel/arch/aarch64/vcpu_exit.c, without the data abort and load narrowing. */
us_err_t arch_vcpu_resume(struct vcpu *v, const struct us_msg *reply)
{
    uint64_t flags = reply->w[US_RESUME_FLAGS];

    if (flags & US_RESUME_SET_REG) {
        arch_regs_set(&v->thread.regs, (uint32_t)reply->w[US_RESUME_REG],
                      reply->w[US_RESUME_VALUE]);
    }
    if (flags & US_RESUME_SET_X0_3) {
        for (uint32_t i = 0; i < 4; i++) {
            arch_regs_set(&v->thread.regs, i, reply->w[US_RESUME_X0 + i]);
        }
    }
    if (flags & US_RESUME_ADVANCE_PC) {
        *host_pc(&v->thread.regs) += 4;
    }
    if (flags & US_RESUME_INJECT_IRQ) {
        (void)arch_vgic_inject(v, (uint32_t)reply->w[US_RESUME_VIRQ]);
    }
    return US_OK;
}

void arch_vcpu_publish(struct vcpu *v)
{
    v->cold.publishes++;
}

void arch_vcpu_continue(struct vcpu *v)
{
    v->cold.continues++;
}

void arch_switch_to(struct thread *next)
{
    uint32_t c = this_cpu()->index;

    host_switches++;
    host_held[c] = next;
    host_s2_loaded[c] = next->vcpu != NULL ? pa_of(next->vcpu->vm->s2.root) : 0;
}

void arch_fp_trap(struct thread *t)
{
    host_held[this_cpu()->index] = t;
}

void arch_switch_init(void)
{
}

/* Drop @t's registers here, or ask its home CPU to (at its next pass through the kernel). */
static void forget(struct thread *t)
{
    if (t->cpu == this_cpu()->index) {
        if (host_held[t->cpu] == t) {
            host_held[t->cpu] = NULL;
        }
    } else if (host_held[t->cpu] == t) {
        t->forget_pending = true;
        cpus[t->cpu].settle = true;
        arch_cpu_kick(t->cpu);
    }
}

void arch_cpu_settle(void)
{
    struct thread *t = host_held[this_cpu()->index];

    this_cpu()->settle = false;
    if (t != NULL && t->forget_pending) {
        forget(t);
        t->forget_pending = false;
    }
}

void arch_thread_forget(struct thread *t)
{
    host_forgets++;
    forget(t);
}
