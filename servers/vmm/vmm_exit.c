/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* vCPU exits: MMIO to the device models, PSCI and SMCCC calls, aborts and unknown traps.
 * Guest misbehaviour is answered (abort injected, call refused) and logged at WARN at most. */
#include <uslib/string.h>
#include "vmm.h"
#include "vmm_arch.h"

void vmm_resume(struct us_msg *m, uint64_t flags)
{
    _Static_assert(US_RESUME_WORDS == 8, "resume() writes each reply word by name");
    us_msg_init(m, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    m->w[US_RESUME_FLAGS] = flags;
    m->w[US_RESUME_REG] = 0;
    m->w[US_RESUME_VALUE] = 0;
    m->w[US_RESUME_X0] = 0;
    m->w[US_RESUME_X0 + 1] = 0;
    m->w[US_RESUME_X0 + 2] = 0;
    m->w[US_RESUME_X0 + 3] = 0;
    m->w[US_RESUME_VIRQ] = 0;
}

static void guest_fault(struct vmm_state *st, uint32_t slot, struct us_msg *m, const char *what)
{
    struct vmm_vm *vm = &st->vms[slot];

    vm->last_fault_ipa = m->w[US_EXIT_IPA];
    if (vm->faults_logged < VMM_FAULT_LOG_LIMIT) {
        vm->faults_logged++;
        US_LOG_WARN("%s: %s at IPA 0x%llx (pc 0x%llx); abort injected", st->config.vms[slot].name,
                    what, (unsigned long long)m->w[US_EXIT_IPA],
                    (unsigned long long)m->w[US_EXIT_PC]);
    }
    vmm_resume(m, US_RESUME_INJECT_DABT);
}

static void mmio(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    bool write = m->w[US_EXIT_WRITE] != 0;
    uint64_t reg = m->w[US_EXIT_REG], v = 0;
    uint32_t virq = 0;

    if (vmm_board_mmio(st, slot, m, &v, &virq)) {
        vmm_resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_REG) |
                          (virq != 0 ? US_RESUME_INJECT_IRQ : 0u));
        m->w[US_RESUME_REG] = reg;
        m->w[US_RESUME_VALUE] = v;
        m->w[US_RESUME_VIRQ] = virq;
        return;
    }
    guest_fault(st, slot, m, write ? "write to unmapped address" : "read of unmapped address");
}

/* Arm ARM ISS for EC 0x18: Op0 21:20, Op2 19:17, Op1 16:14, CRn 13:10, Rt 9:5, CRm 4:1,
 * direction 0 (1 = read). ISS_SYSREG() is a register's ISS without Rt and direction. */
#define ISS_SYSREG(op0, op1, crn, crm, op2)                                                        \
    (((op0) << 20) | ((op2) << 17) | ((op1) << 14) | ((crn) << 10) | ((crm) << 1))
#define ISS_SYSREG_MASK 0x3ffc1eu
#define ISS_OP0_MASK (3u << 20)
#define ISS_ICC_SGI1R_EL1 ISS_SYSREG(3u, 0u, 12u, 11u, 5u)
#define ISS_MDSCR_EL1 ISS_SYSREG(2u, 0u, 0u, 2u, 2u)
#define ISS_OSLAR_EL1 ISS_SYSREG(2u, 0u, 1u, 0u, 4u)
#define ISS_OSLSR_EL1 ISS_SYSREG(2u, 0u, 1u, 1u, 4u)
#define OSLSR_OSLM_IMPLEMENTED (1u << 3) /* OSLM = 0b10: the OS lock is implemented */
#define OSLSR_OSLK (1u << 1)

/* The guest's view of the debug registers (op0 2), which MDCR_EL2 traps so the hardware's
 * stay off (kernel/arch/aarch64/trap.c). A minimal emulation: MDSCR_EL1 and the OS lock keep
 * what each vCPU wrote, so a driver sees its own writes; breakpoints, watchpoints and the
 * rest read as zero and ignore writes: nothing the guest writes ever arms the hardware.
 * Returns: the value a read gets. */
static uint64_t debug_reg(struct vmm_vm *vm, uint32_t vcpu, uint64_t iss, uint64_t value)
{
    bool read = (iss & 1u) != 0;
    uint32_t bit = 1u << vcpu;

    switch (iss & ISS_SYSREG_MASK) {
    case ISS_MDSCR_EL1:
        if (!read) {
            vm->dbg_mdscr[vcpu] = (uint32_t)value;
        }
        return vm->dbg_mdscr[vcpu];
    case ISS_OSLAR_EL1:
        vm->dbg_oslk = (value & 1u) != 0 ? vm->dbg_oslk | bit : vm->dbg_oslk & ~bit;
        return 0;
    case ISS_OSLSR_EL1:
        return OSLSR_OSLM_IMPLEMENTED | ((vm->dbg_oslk & bit) != 0 ? OSLSR_OSLK : 0u);
    default:
        return 0;
    }
}

static void sysreg(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint64_t iss = m->w[US_EXIT_ESR] & 0x1ffffffu;
    uint64_t vcpu = m->w[US_EXIT_VCPU];
    bool read = (iss & 1u) != 0;

    /* The GIC's SGI register traps by design (HCR_EL2.IMO); the debug registers trap so that
     * guests cannot arm them; the rest read as zero and ignore writes. */
    if ((iss & ISS_SYSREG_MASK) == ISS_ICC_SGI1R_EL1 && !read) {
        vmm_gic_sgi(st, slot, (uint32_t)vcpu, m->w[US_EXIT_VALUE]);
        vmm_resume(m, US_RESUME_ADVANCE_PC);
        return;
    }
    if ((iss & ISS_OP0_MASK) == (2u << 20) && vcpu < VMM_CONFIG_MAX_VCPUS) {
        uint64_t v = debug_reg(&st->vms[slot], (uint32_t)vcpu, iss, m->w[US_EXIT_VALUE]);

        vmm_resume(m, US_RESUME_ADVANCE_PC | (read ? US_RESUME_SET_REG : 0u));
        m->w[US_RESUME_REG] = (iss >> 5) & 0x1fu;
        m->w[US_RESUME_VALUE] = read ? v : 0u;
        return;
    }
    if (st->vms[slot].faults_logged < VMM_FAULT_LOG_LIMIT) {
        st->vms[slot].faults_logged++;
        US_LOG_WARN("%s: trapped system register access iss=0x%llx: RAZ/WI",
                    st->config.vms[slot].name, (unsigned long long)iss);
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | (read ? US_RESUME_SET_REG : 0u));
    m->w[US_RESUME_REG] = (iss >> 5) & 0x1fu;
    m->w[US_RESUME_VALUE] = 0;
}

static void handle(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    switch (m->w[US_EXIT_REASON]) {
    case US_EXIT_MMIO:
        mmio(st, slot, m);
        return;
    case US_EXIT_HVC:
        vmm_psci(st, slot, m, false);
        return;
    case US_EXIT_SMC:
        vmm_psci(st, slot, m, true);
        return;
    case US_EXIT_WFI:
        vmm_resume(m, US_RESUME_ADVANCE_PC);
        return;
    case US_EXIT_SYSREG:
        sysreg(st, slot, m);
        return;
    case US_EXIT_ABORT:
        guest_fault(st, slot, m, "abort without syndrome");
        return;
    case US_EXIT_EOI:
        vmm_pt_eoi(st, slot, m);
        return;
    case US_EXIT_IO: /* the PC's exits (x86_64): vmm_pc.c */
        vmm_pc_io(st, slot, m);
        return;
    case US_EXIT_CPUID:
        vmm_pc_cpuid(st, slot, m);
        return;
    case US_EXIT_MSR:
        vmm_pc_msr(st, slot, m);
        return;
    default:
        US_LOG_WARN("%s: unhandled exit (esr 0x%llx, pc 0x%llx); VM stopped",
                    st->config.vms[slot].name, (unsigned long long)m->w[US_EXIT_ESR],
                    (unsigned long long)m->w[US_EXIT_PC]);
        vmm_stop_vm(st, slot, US_VM_STATE_CRASHED, m);
        return;
    }
}

void vmm_exit(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    struct vmm_vm *vm = &st->vms[slot];
    struct us_fastmmio_page *p = vm->uart_fast;

    vm->exits++;
    if (p != NULL) {
        /* What it wrote to its UART before this exit goes out first, */
        if (__atomic_load_n(&p->head, __ATOMIC_ACQUIRE) != p->tail) {
            vmm_pl011_drain(st, slot);
        }
        if (vmm_virtio_rung(p)) { /* and the queues it rang for, before what it does next */
            vmm_virtio_bells_rung(st, slot, p);
        }
    }
    handle(st, slot, m);
}
