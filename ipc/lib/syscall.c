/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Syscall wrappers over the architecture's instruction (ipc/arch/<arch>/include/understudy/
 * syscall_arch.h). */
#include <understudy/syscall_arch.h>
#include <understudy/usys.h>

us_err_t us_syscall_raw(uint64_t nr, const uint64_t args[6], uint64_t out[3])
{
    return us_syscall_arch(nr, args, out);
}

static us_err_t sys(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                    uint64_t out[3])
{
    const uint64_t args[6] = {a0, a1, a2, a3, 0, 0};
    return us_syscall_arch(nr, args, out);
}

us_err_t us_log_write(uint32_t level, const char *s, size_t n)
{
    return sys(US_SYS_LOG, (uint64_t)(uintptr_t)s, n, level, 0, NULL);
}

/* A call on @cap whose one result (x1) goes to *@out when @out is not NULL. */
static us_err_t sys_one_result(uint64_t nr, us_cap_t cap, uint64_t *out)
{
    uint64_t r[3];
    us_err_t e = us_syscall1_arch(nr, cap, r);

    if (out != NULL) {
        *out = r[0];
    }
    return e;
}

us_err_t us_call(us_cap_t ep)
{
    return us_syscall1_arch(US_SYS_CALL, ep, NULL);
}

us_err_t us_reply_recv(us_cap_t ep, us_badge_t *badge)
{
    return sys_one_result(US_SYS_REPLY_RECV, ep, badge);
}

us_err_t us_recv(us_cap_t ep, us_badge_t *badge)
{
    return sys_one_result(US_SYS_RECV, ep, badge);
}

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    return sys(US_SYS_SIGNAL, ntfn, bits, 0, 0, NULL);
}

us_err_t us_wait(us_cap_t ntfn, uint64_t *bits)
{
    return sys_one_result(US_SYS_WAIT, ntfn, bits);
}

us_err_t us_poll(us_cap_t ntfn, uint64_t *bits)
{
    return sys_one_result(US_SYS_POLL, ntfn, bits);
}

us_err_t us_yield(void)
{
    return sys(US_SYS_YIELD, 0, 0, 0, 0, NULL);
}

us_err_t us_recovers(void)
{
    return sys(US_SYS_RECOVERS, 0, 0, 0, 0, NULL);
}

us_err_t us_irq_ack(us_cap_t irq)
{
    return sys(US_SYS_IRQ_ACK, irq, 0, 0, 0, NULL);
}

us_err_t us_mem_alloc(us_cap_t vm_control, uint64_t size, us_cap_t *mem)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_MEM_ALLOC, vm_control, size, 0, 0, r);
    *mem = (us_cap_t)r[0];
    return e;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    return sys(US_SYS_MEM_MAP, mem, va, rights, 0, NULL);
}

us_err_t us_mem_unmap(us_cap_t mem)
{
    return sys(US_SYS_MEM_UNMAP, mem, 0, 0, 0, NULL);
}

us_err_t us_mem_free(us_cap_t mem)
{
    return sys(US_SYS_MEM_FREE, mem, 0, 0, 0, NULL);
}

us_err_t us_mem_slice(us_cap_t mem, uint64_t offset, uint64_t size, us_cap_t *slice)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_MEM_SLICE, mem, offset, size, 0, r);
    *slice = (us_cap_t)r[0];
    return e;
}

us_err_t us_mem_info(us_cap_t mem, uint64_t *size, uint64_t *pa)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_MEM_INFO, mem, pa != NULL ? US_MEM_INFO_PA : 0u, 0, 0, r);
    if (size != NULL) {
        *size = r[0];
    }
    if (pa != NULL) {
        *pa = r[1];
    }
    return e;
}

us_err_t us_mem_where(us_cap_t mem, uint64_t *pa)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_MEM_INFO, mem, US_MEM_INFO_PEEK, 0, 0, r);

    *pa = r[1];
    return e;
}

us_err_t us_vm_create(us_cap_t vm_control, us_cap_t *vm, uint32_t *vmid)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_VM_CREATE, vm_control, 0, 0, 0, r);
    *vm = (us_cap_t)r[0];
    if (vmid != NULL) {
        *vmid = (uint32_t)r[1];
    }
    return e;
}

us_err_t us_vm_map(us_cap_t vm, us_cap_t mem, uint64_t ipa, uint32_t rights)
{
    return sys(US_SYS_VM_MAP, vm, mem, ipa, rights, NULL);
}

us_err_t us_vm_destroy(us_cap_t vm)
{
    return sys(US_SYS_VM_DESTROY, vm, 0, 0, 0, NULL);
}

us_err_t us_vcpu_create(us_cap_t vm, uint32_t index, us_cap_t ep, us_badge_t badge, uint32_t cpu,
                        us_cap_t *vcpu)
{
    const uint64_t args[6] = {vm, index, ep, badge, cpu, 0};
    uint64_t r[3];
    us_err_t e = us_syscall_arch(US_SYS_VCPU_CREATE, args, r);
    *vcpu = (us_cap_t)r[0];
    return e;
}

us_err_t us_vcpu_start(us_cap_t vcpu, uint64_t pc, uint64_t x0)
{
    return sys(US_SYS_VCPU_START, vcpu, pc, x0, 0, NULL);
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    return sys(US_SYS_VCPU_INJECT, vcpu, intid, 0, 0, NULL);
}

us_err_t us_vcpu_stop(us_cap_t vcpu)
{
    return sys(US_SYS_VCPU_STOP, vcpu, 0, 0, 0, NULL);
}

us_err_t us_server_ctl_mem(us_cap_t ctl, uint32_t op, uint64_t base, uint64_t size, uint64_t r[3])
{
    uint64_t out[3];
    us_err_t e = sys(US_SYS_SERVER_CTL, ctl, op, base, size, out);

    if (r != NULL) {
        r[0] = out[0];
        r[1] = out[1];
        r[2] = out[2];
    }
    return e;
}

us_err_t us_server_ctl(us_cap_t ctl, uint32_t op, uint32_t index, uint64_t *r1)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_SERVER_CTL, ctl, op, index, 0, r);
    if (r1 != NULL) {
        *r1 = r[0];
    }
    return e;
}

us_err_t us_klog_read(us_cap_t klog, uint64_t cursor, uint64_t max, uint64_t *next, uint64_t *count)
{
    uint64_t r[3];
    us_err_t e = sys(US_SYS_KLOG_READ, klog, cursor, max, 0, r);
    *next = r[0];
    *count = r[1];
    return e;
}

us_err_t us_vm_fastmmio(us_cap_t vm, uint64_t ipa, uint32_t kind, us_cap_t mem, uint64_t offset,
                        us_cap_t ntfn)
{
    const uint64_t args[6] = {vm, ipa, kind, mem, offset, ntfn};

    return us_syscall_arch(US_SYS_VM_FASTMMIO, args, NULL);
}
