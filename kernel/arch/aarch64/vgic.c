/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The guest's GICv3 CPU interface, in hardware: list registers and the virtual timer.
 *
 * A guest's ICC_* accesses reach the virtual CPU interface (ICV_*) without a trap; the kernel
 * only owns the list registers (ICH_LR<n>_EL2) and their context. They are EL2 registers no
 * server touches, so they move with the "cold" EL1 set, only when another vCPU takes the CPU;
 * ICH_HCR_EL2.En is cleared while a server runs so nothing virtual is signalled to it. The
 * distributor and redistributors are emulated by the vmm, which injects through here.
 * Interrupts with no free list register wait in a per-vCPU bitmap and are refilled on entry;
 * so do those injected from another CPU than the vCPU's home, which alone touches its list
 * registers.
 */
#include <understudy/vcpu.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/vcpu.h>
#include <us/arch/irq.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>
#include <arch/vgic.h>

#define LR_STATE_PENDING (1ull << 62)
#define LR_STATE_MASK (3ull << 62)
#define LR_GROUP1 (1ull << 60)
#define LR_EOI (1ull << 41) /* with HW clear: a maintenance interrupt when deactivated */
#define LR_PRIO_SHIFT 48
#define GUEST_IRQ_PRIO 0xa0ull /* Linux's default (GICD_INT_DEF_PRI) */
#define VTIMER_INTID 27u       /* virtual timer PPI (Arm BSA, QEMU virt) */
#define MAINT_INTID 25u        /* GIC maintenance interrupt PPI (Arm BSA, QEMU virt) */
#define CNTV_CTL_IMASK (1ull << 1)

_Static_assert(ARCH_VGIC_MAX_INTID == US_VIRQ_LIMIT,
               "the kernel takes every INTID a reply may carry");

static uint32_t lr_count;                    /* implemented, at most ARCH_VGIC_LRS */
static struct vcpu *live_on[SCHED_MAX_CPUS]; /* whose list registers each CPU holds */

static struct vcpu **live(void)
{
    return &live_on[this_cpu()->index];
}

static uint64_t lr_read(uint32_t n)
{
    switch (n) {
    case 0:
        return read_sysreg(ich_lr0_el2);
    case 1:
        return read_sysreg(ich_lr1_el2);
    case 2:
        return read_sysreg(ich_lr2_el2);
    default:
        return read_sysreg(ich_lr3_el2);
    }
}

static void lr_write(uint32_t n, uint64_t v)
{
    switch (n) {
    case 0:
        write_sysreg(ich_lr0_el2, v);
        break;
    case 1:
        write_sysreg(ich_lr1_el2, v);
        break;
    case 2:
        write_sysreg(ich_lr2_el2, v);
        break;
    default:
        write_sysreg(ich_lr3_el2, v);
        break;
    }
}

void arch_vgic_init(void)
{
    uint32_t n = (uint32_t)(read_sysreg(ich_vtr_el2) & 0x1fu) + 1u;

    lr_count = n < ARCH_VGIC_LRS ? n : ARCH_VGIC_LRS; /* the same on every CPU */
    write_sysreg(ich_hcr_el2, 0);
    for (uint32_t i = 0; i < lr_count; i++) {
        lr_write(i, 0);
    }
    arch_irq_enable(VTIMER_INTID);
    arch_irq_enable(MAINT_INTID);
}

uint32_t arch_vtimer_intid(void)
{
    return VTIMER_INTID;
}

uint32_t arch_vgic_maint_intid(void)
{
    return MAINT_INTID;
}

/* List register @n of @v: in the hardware while @v is live (@hw: *live() == v, which the
 * caller asks once, as this_cpu() reads a system register), else in its saved context. */
static uint64_t vcpu_lr(const struct vcpu *v, bool hw, uint32_t n)
{
    return hw ? lr_read(n) : v->cold.vgic.lr[n];
}

static void vcpu_lr_set(struct vcpu *v, bool hw, uint32_t n, uint64_t val)
{
    if (hw) {
        lr_write(n, val);
    } else {
        v->cold.vgic.lr[n] = val;
    }
}

/* Put @intid in a list register of @v; false if all are busy. */
static bool lr_add(struct vcpu *v, uint32_t intid)
{
    bool hw = *live() == v;
    int free = -1;

    for (uint32_t i = 0; i < lr_count; i++) {
        uint64_t lr = vcpu_lr(v, hw, i);

        if ((lr & LR_STATE_MASK) != 0 && (uint32_t)lr == intid) {
            vcpu_lr_set(v, hw, i, lr | LR_STATE_PENDING); /* active or pending: now pending too */
            return true;
        }
        /* An ended interrupt whose end is still to be reported keeps its register. */
        if ((lr & (LR_STATE_MASK | LR_EOI)) == 0 && free < 0) {
            free = (int)i;
        }
    }
    if (free < 0) {
        return false;
    }
    vcpu_lr_set(v, hw, (uint32_t)free,
                LR_STATE_PENDING | LR_GROUP1 | (GUEST_IRQ_PRIO << LR_PRIO_SHIFT) | intid |
                    ((v->cold.vgic.eoi_want[intid / 64] >> (intid % 64) & 1u) ? LR_EOI : 0));
    return true;
}

us_err_t arch_vgic_inject(struct vcpu *v, uint32_t intid)
{
    struct arch_vgic *g = &v->cold.vgic;
    bool eoi = (intid & US_VIRQ_EOI) != 0;

    intid &= ~US_VIRQ_EOI;
    if (intid >= ARCH_VGIC_MAX_INTID) {
        return US_ERANGE;
    }
    if (eoi) {
        g->eoi_want[intid / 64] |= 1ull << (intid % 64);
    }
    /* Another CPU may hold @v's list registers: leave it to that CPU's next entry. */
    if (v->thread.cpu != this_cpu()->index || !lr_add(v, intid)) {
        g->overflow[intid / 64] |= 1ull << (intid % 64);
    }
    return US_OK;
}

/* Move waiting interrupts into free list registers of the live vCPU. */
static void refill(struct vcpu *v)
{
    struct arch_vgic *g = &v->cold.vgic;

    for (uint32_t w = 0; w < ARCH_VGIC_MAX_INTID / 64; w++) {
        while (g->overflow[w] != 0) {
            uint32_t bit = (uint32_t)__builtin_ctzll(g->overflow[w]);

            if (!lr_add(v, w * 64 + bit)) {
                return;
            }
            g->overflow[w] &= ~(1ull << bit);
        }
    }
}

void arch_vgic_save(struct vcpu *v)
{
    struct arch_vgic *g = &v->cold.vgic;

    for (uint32_t i = 0; i < lr_count; i++) {
        g->lr[i] = lr_read(i);
    }
    g->vmcr = read_sysreg(ich_vmcr_el2);
    g->ap0r0 = read_sysreg(ich_ap0r0_el2);
    g->ap1r0 = read_sysreg(ich_ap1r0_el2);
    *live() = NULL;
}

void arch_vgic_load(struct vcpu *v)
{
    const struct arch_vgic *g = &v->cold.vgic;

    for (uint32_t i = 0; i < lr_count; i++) {
        lr_write(i, g->lr[i]);
    }
    write_sysreg(ich_vmcr_el2, g->vmcr);
    write_sysreg(ich_ap0r0_el2, g->ap0r0);
    write_sysreg(ich_ap1r0_el2, g->ap1r0);
    *live() = v;
}

void arch_vgic_forget(struct vcpu *v)
{
    if (*live() == v) {
        for (uint32_t i = 0; i < lr_count; i++) {
            lr_write(i, 0);
        }
        *live() = NULL;
    }
}

void arch_vgic_enter(struct vcpu *v)
{
    struct arch_vgic *g = &v->cold.vgic;

    for (uint32_t w = 0; w < ARCH_VGIC_MAX_INTID / 64; w++) {
        if (g->overflow[w] != 0) {
            refill(v);
            break;
        }
    }
    write_sysreg(ich_hcr_el2, 1u); /* En */
}

void arch_vgic_leave(void)
{
    write_sysreg(ich_hcr_el2, 0);
}

struct vcpu *arch_vtimer_fire(void)
{
    struct vcpu *v = *live();

    /* The timer's owner is the vCPU whose cold set (CNTV_* included) is loaded. Mask it so
     * the level-triggered line drops; the guest unmasks when it programs the next event. */
    arch_guest_set_cntv_ctl(arch_guest_cntv_ctl() | CNTV_CTL_IMASK);
    if (v != NULL) {
        (void)arch_vgic_inject(v, VTIMER_INTID);
    }
    return v;
}

struct vcpu *arch_vgic_maintenance(void)
{
    struct vcpu *v = *live();
    uint64_t ended = read_sysreg(ich_eisr_el2);

    /* Each list register whose interrupt the guest deactivated, with LR_EOI set, is in EISR
     * until it is rewritten: note its end for the vmm and free the register, which drops the
     * (level) maintenance interrupt. */
    for (uint32_t i = 0; i < lr_count; i++) {
        if (ended & (1ull << i)) {
            uint32_t intid = (uint32_t)lr_read(i);

            lr_write(i, 0);
            if (v != NULL && intid < ARCH_VGIC_MAX_INTID) {
                v->cold.vgic.eoi_want[intid / 64] &= ~(1ull << (intid % 64));
                v->cold.vgic.eoi_done[intid / 64] |= 1ull << (intid % 64);
            }
        }
    }
    return v;
}

bool arch_vgic_take_eoi(struct vcpu *v, uint64_t *lo, uint64_t *hi)
{
    struct arch_vgic *g = &v->cold.vgic;

    _Static_assert(ARCH_VGIC_MAX_INTID == 128, "two words of ended interrupts");
    *lo = g->eoi_done[0];
    *hi = g->eoi_done[1];
    g->eoi_done[0] = g->eoi_done[1] = 0;
    return (*lo | *hi) != 0;
}

bool arch_vgic_pending(struct vcpu *v)
{
    const struct arch_vgic *g = &v->cold.vgic;
    bool hw = *live() == v;

    for (uint32_t w = 0; w < ARCH_VGIC_MAX_INTID / 64; w++) {
        if (g->overflow[w] != 0) {
            return true;
        }
    }
    for (uint32_t i = 0; i < lr_count; i++) {
        if (vcpu_lr(v, hw, i) & LR_STATE_PENDING) {
            return true;
        }
    }
    return false;
}
