/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Exception entry from guests and servers, and the EL2 boot controls. */
#include <us/lock.h>
#include <us/log.h>
#include <us/platform.h>
#include <us/process.h>
#include <us/sched.h>
#include <us/syscall.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/boot.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>

struct arch_regs *kentry_sync(struct arch_regs *r);
struct arch_regs *kentry_irq(struct arch_regs *r);
struct arch_regs *kentry_lower_fault(struct arch_regs *r);
_Noreturn void kentry_kernel_fault(uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr);
_Noreturn void boot_wrong_address(uint64_t at, uint64_t linked);
_Noreturn void entry_restore(struct arch_regs *r);

/* Index of the EL1 vector entry "lower EL, AArch64, synchronous" (offset 0x400 / 0x80). */
#define TRAMP_EL0_SYNC 8u

extern char _image_start[], _image_end[];

paddr_t arch_image_start(void)
{
    return pa_from_ptr(_image_start);
}

paddr_t arch_image_end(void)
{
    return pa_from_ptr(_image_end);
}

bool arch_vhe;

/* VHE: ID_AA64MMFR1_EL1.VH. */
static bool vhe_usable(void)
{
    return ((read_sysreg(id_aa64mmfr1_el1) >> 8) & 0xfu) != 0;
}

/* The EL2 controls every CPU sets the same way. E2H comes first: it decides how the EL2
 * registers written after it (CPTR_EL2, CNTHCTL_EL2, TCR_EL2, SCTLR_EL2) are laid out. */
static void el2_controls(void)
{
    write_sysreg(hcr_el2, arch_vhe ? HCR_SERVER_VHE : HCR_SERVER);
    isb();
    /* No FP traps while booting: libfdt uses SIMD registers. */
    write_sysreg(cptr_el2, arch_vhe ? CPTR_VHE_FPEN : CPTR_EL2_RES1);
    arch_switch_init();
    /* EL1 may read the physical counter; its physical timer traps (guests use the virtual
     * timer). Servers may read the virtual counter (without VHE, CNTKCTL_EL1 says so). */
    write_sysreg(cnthctl_el2,
                 arch_vhe ? CNTHCTL_VHE_EL1PCTEN | CNTHCTL_VHE_EL0VCTEN : CNTHCTL_EL1PCTEN);
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(vttbr_el2, 0);
    /* VTCR_EL2: T0SZ=25, SL0=1 (start at level 1), WBWA, inner shareable, 4K, PS=40 bits. */
    write_sysreg(vtcr_el2,
                 25u | (1u << 6) | (1u << 8) | (1u << 10) | (3u << 12) | (2u << 16) | (1u << 31));
    /* Guests never reach the PMU or the debug registers (the vmm emulates a minimal view),
     * so the hardware's debug state is ours: no step, breakpoint or watchpoint is enabled
     * and the OS lock stays set, whoever runs (Arm ARM D2.5: the OS lock disables them). */
    write_sysreg(mdcr_el2, MDCR_EL2_VALUE);
    write_sysreg(mdscr_el1, 0);
    write_sysreg(oslar_el1, 1);
    isb();
}

void arch_early_init(struct cpu *c)
{
    write_sysreg(tpidr_el2, (uint64_t)(uintptr_t)c);
    arch_vhe = vhe_usable();
    el2_controls();
    mmu_early_enable();
}

void arch_secondary_init(struct cpu *c)
{
    write_sysreg(tpidr_el2, (uint64_t)(uintptr_t)c);
    el2_controls();
    mmu_secondary_enable();
}

const char *arch_cpu_mode(void)
{
    return arch_vhe ? "at EL2, VHE: servers at EL0 of EL2&0"
                    : "at EL2, no VHE: servers at EL0 of EL1&0";
}

uint64_t arch_ram_end(void)
{
    return arch_vhe ? ARCH_KERNEL_VA_HI : UINT64_MAX;
}

uint64_t arch_cpu_affinity(void)
{
    return read_sysreg(mpidr_el1) & 0xff00ffffffull; /* Aff3, Aff2, Aff1, Aff0 */
}

_Noreturn void arch_enter_first(struct arch_regs *regs)
{
    entry_restore(regs);
}

_Noreturn void boot_wrong_address(uint64_t at, uint64_t linked)
{
    klog_panic("loaded at 0x%llx but linked at 0x%llx: load the Image at DRAM base + "
               "text_offset",
               (unsigned long long)at, (unsigned long long)linked);
}

_Noreturn void kentry_kernel_fault(uint64_t esr, uint64_t elr, uint64_t far, uint64_t spsr)
{
    klog_panic("kernel exception: esr=0x%llx elr=0x%llx far=0x%llx spsr=0x%llx",
               (unsigned long long)esr, (unsigned long long)elr, (unsigned long long)far,
               (unsigned long long)spsr);
}

static struct thread *current(void)
{
    return this_cpu()->current;
}

static void server_sync(struct thread *t, struct arch_regs *r, uint64_t esr)
{
    uint64_t esr1, pc;

    if (esr_ec(esr) == EC_FP) {
        arch_fp_trap(t);
        return;
    }
    if (arch_vhe && esr_ec(esr) == EC_SVC64) {
        syscall_dispatch(t); /* straight from EL0 of the EL2&0 regime */
        return;
    }
    if (arch_vhe || esr_ec(esr) != EC_HVC64) {
        process_fault(t->proc, esr, read_sysreg(far_el2), r->pc);
        return;
    }
    /* Came through the EL1 trampoline: the server's own exception is in the EL1 registers. */
    esr1 = read_sysreg(esr_el1);
    pc = read_sysreg(elr_el1);
    r->pc = pc;
    r->pstate = read_sysreg(spsr_el1) & 0xf0000000ull; /* flags only: always EL0t */
    if ((esr & 0xffffu) == TRAMP_EL0_SYNC && esr_ec(esr1) == EC_SVC64) {
        syscall_dispatch(t);
        return;
    }
    process_fault(t->proc, esr1, read_sysreg(far_el1), pc);
}

/* Every entry holds the kernel lock from here until it returns to entry.S (but for the guest
 * accesses kentry_sync() finishes before it takes the lock). */
static struct arch_regs *leave(struct arch_regs *r)
{
    kernel_unlock();
    return r;
}

struct arch_regs *kentry_sync(struct arch_regs *r)
{
    struct thread *t = this_cpu()->current;
    uint64_t esr = read_sysreg(esr_el2);

    /* The guest's hottest device registers and its trapped TLB maintenance need no lock: the
     * CPU goes straight back to it. What another CPU wants of it meanwhile (a stop, a park)
     * comes as an interrupt, taken as soon as it is back in the guest. */
    if ((esr_ec(esr) == EC_DABT_LOW || esr_ec(esr) == EC_SYSREG) && t->vcpu != NULL &&
        arch_vcpu_exit_nolock(t->vcpu, esr)) {
        this_cpu()->nolock++;
        return r;
    }
    kernel_lock();
    t = current();
    if (t->vcpu != NULL) {
        t->vcpu->exit_esr = esr;
        vcpu_handle_exit(t->vcpu);
    } else {
        server_sync(t, r, esr);
    }
    return leave(kernel_exit());
}

struct arch_regs *kentry_irq(struct arch_regs *r)
{
    struct thread *t;

    kernel_lock();
    t = current();
    kernel_irq();
    if (t->vcpu != NULL && t == current()) {
        vcpu_handle_irq(t->vcpu); /* ends of forwarded interrupts the guest just reported */
    }
    /* A server caught between its EL1 trampoline and the HVC must get to the HVC first: its
     * exception registers are live only until another server runs. */
    if (t->vcpu == NULL && (r->pstate & SPSR_MODE_MASK) != SPSR_EL0T) {
        return leave(r);
    }
    return leave(kernel_exit());
}

static void lower_fault(struct thread *t, struct arch_regs *r, const char *what)
{
    if (t->vcpu != NULL) {
        US_LOG_WARN("vm%u vcpu%u: %s at pc=0x%llx; vCPU stopped", t->vcpu->vm->vmid, t->vcpu->index,
                    what, (unsigned long long)r->pc);
        vcpu_stop(t->vcpu);
        return;
    }
    process_fault(t->proc, read_sysreg(esr_el2), 0, r->pc);
}

/* An SError, or any exception from AArch32 (never enabled: HCR_EL2.RW). */
struct arch_regs *kentry_lower_fault(struct arch_regs *r)
{
    kernel_lock();
    lower_fault(current(), r,
                esr_ec(read_sysreg(esr_el2)) == EC_SERROR ? "SError" : "AArch32 exception");
    return leave(kernel_exit());
}
