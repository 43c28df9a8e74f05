/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPUs: creation, start/stop, and the exit path that turns a guest trap into an IPC call. */
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include <us/endpoint.h>
#include <us/log.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>

/* Every VM may have all its vCPUs at once (US_VM_VCPUS_MAX): the vmm accepts such configs. */
static struct vcpu vcpus[VM_MAX * VM_MAX_VCPUS];
static uint32_t vcpus_top; /* no slot from here on was ever used: the tick looks below it */

us_err_t vcpu_create(struct vm *vm, uint32_t index, struct endpoint *handler, us_badge_t badge,
                     uint32_t cpu, struct vcpu **out)
{
    struct vcpu *v = NULL;
    uint32_t i;

    US_ASSERT(index < VM_MAX_VCPUS && cpu < cpu_count);
    if (vm->vcpus[index] != NULL) {
        return US_TRACE(US_EEXIST);
    }
    for (i = 0; i < ARRAY_SIZE(vcpus); i++) {
        /* Not one whose old registers a CPU has yet to drop (arch_cpu_settle()). */
        if (!vcpus[i].in_use && !vcpus[i].thread.forget_pending) {
            v = &vcpus[i];
            break;
        }
    }
    if (v == NULL) {
        return US_ENOMEM;
    }
    memset(v, 0, sizeof(*v));
    v->in_use = true;
    if (i >= vcpus_top) {
        vcpus_top = i + 1;
    }
    v->vm = vm;
    v->index = index;
    v->handler = handler;
    v->badge = badge | US_BADGE_VCPU;
    v->thread.vcpu = v;
    v->thread.prio = VCPU_PRIO;
    v->thread.cpu = cpu;
    v->thread.state = TS_INACTIVE;
    v->thread.msg = &v->msg;
    v->wfi_deadline = UINT64_MAX;
    vm->vcpus[index] = v;
    /* A broadcast the guest asks for reaches every CPU that may hold its translations: with
     * threads that never move, only those its vCPUs live on. */
    vm->local_tlbi = cpu_count > 1;
    for (i = 0; i < VM_MAX_VCPUS; i++) {
        if (vm->vcpus[i] != NULL && vm->vcpus[i]->thread.cpu != cpu) {
            vm->local_tlbi = false;
        }
    }
    *out = v;
    return US_OK;
}

us_err_t vcpu_start(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    if (v->started) {
        return US_TRACE(US_EBUSY);
    }
    vcpu_reset_later(v, pc, x0);
    v->started = true;
    sched_wake(&v->thread);
    return US_OK;
}

void vcpu_reset_later(struct vcpu *v, uint64_t pc, uint64_t x0)
{
    v->reset_pending = true;
    v->reset_pc = pc;
    v->reset_x0 = x0;
}

bool vcpu_settle(struct vcpu *v)
{
    if (!v->reset_pending) {
        return false;
    }
    /* A vCPU started again (CPU_ON after CPU_OFF, SYSTEM_RESET) may still own this CPU's EL1
     * context and FP registers: drop them, so its reset state is what gets loaded. */
    v->reset_pending = false;
    arch_thread_forget(&v->thread);
    arch_vcpu_reset(v, v->reset_pc, v->reset_x0);
    return true;
}

void vcpu_stop(struct vcpu *v)
{
    struct thread *t = &v->thread;

    if (t->wait_ep != NULL) {
        thread_queue_remove(&t->wait_ep->senders, t);
        t->wait_ep = NULL;
    }
    if (t->callee != NULL) {
        t->callee->caller = NULL;
        t->callee = NULL;
    }
    sched_block(t, TS_STOPPED);
    v->started = false;
    arch_thread_forget(t);
}

/* Send the exit message in v->msg to the vmm; @v waits for the reply. */
static void deliver(struct vcpu *v)
{
    us_err_t e;

    v->exits++;
    if (cpu_count > 1) {
        arch_vcpu_publish(v); /* the handler may run elsewhere and read or change it */
    }
    e = endpoint_call(v->handler, &v->thread, v->badge);
    if (e != US_OK) {
        US_LOG_WARN("vm%u vcpu%u: exit not delivered: %s", v->vm->vmid, v->index, us_err_name(e));
        vcpu_stop(v);
    }
}

void vcpu_handle_exit(struct vcpu *v)
{
    if (arch_vcpu_decode_exit(v)) {
        deliver(v);
    }
}

void vcpu_handle_irq(struct vcpu *v)
{
    if (arch_vcpu_eoi_exit(v)) {
        deliver(v);
    }
}

us_err_t vcpu_inject(struct vcpu *v, uint64_t intid)
{
    us_err_t e;

    if ((intid & ~(uint64_t)(US_VIRQ_EOI | US_VIRQ_EXTINT)) >= US_VIRQ_LIMIT) {
        return US_TRACE(US_ERANGE);
    }
    e = arch_vgic_inject(v, (uint32_t)intid);
    if (e == US_OK) {
        vcpu_kick(v);
        if (sched_is_live_elsewhere(&v->thread)) {
            arch_cpu_kick(v->thread.cpu); /* running there: take it on the next entry */
        }
    }
    return e;
}

void vcpu_wfi(struct vcpu *v)
{
    sched_block(&v->thread, TS_BLOCKED_WFI);
}

void vcpu_kick(struct vcpu *v)
{
    if (v->thread.state == TS_BLOCKED_WFI) {
        sched_wake(&v->thread);
    }
}

void vcpu_tick(uint64_t now)
{
    uint32_t i;

    for (i = 0; i < vcpus_top; i++) {
        if (vcpus[i].in_use && vcpus[i].thread.state == TS_BLOCKED_WFI &&
            vcpus[i].wfi_deadline <= now) {
            sched_wake(&vcpus[i].thread);
        }
    }
}

us_err_t vcpu_apply_resume(struct vcpu *v, const struct us_msg *reply)
{
    us_err_t e = us_resume_check(reply);
    uint64_t flags = reply->w[US_RESUME_FLAGS];

    if (e != US_OK) {
        return US_TRACE(e);
    }
    if (flags & US_RESUME_STOP) {
        v->thread.state = TS_STOPPED;
        v->started = false;
        return US_OK;
    }
    if (flags & US_RESUME_RESET) {
        vcpu_reset_later(v, reply->w[US_RESUME_VALUE], reply->w[US_RESUME_X0]);
        return US_OK;
    }
    return arch_vcpu_resume(v, reply);
}
