/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Lazy EL1 context switching between servers and guest vCPUs.
 *
 * Without VHE, servers run at EL0 of the EL1&0 regime and share the EL1 system registers with
 * guests. A server clobbers only the "hot" set (translation controls and the trampoline's
 * exception registers), and must not read a guest's EL0 thread ID registers, which are hot
 * too (servers run with zeros there): so a guest -> server -> same guest round trip (every
 * exit) moves 13 registers each way; the "cold" set moves only when another guest takes the
 * CPU.
 *
 * With VHE (arch_vhe), servers run at EL0 of the EL2&0 regime, on EL2's own translation
 * registers (TTBR0_EL2 with their ASID, HCR_EL2.TGE set), so a guest's EL1 registers stay
 * loaded while they run: an exit's round trip moves only the two EL0 thread ID registers and
 * HCR_EL2, and the EL1 set moves when another guest takes the CPU, through the _EL12 names.
 *
 * FP/SIMD moves on first use. Debug registers never move: guests reach only the vmm's
 * emulated ones (MDCR_EL2, trap.c).
 */
#include <us/process.h>
#include <us/sched.h>
#include <us/thread.h>
#include <us/vcpu.h>
#include <us/vm.h>
#include <us/arch/vcpu.h>
#include <arch/sysreg.h>
#include <arch/vgic.h>

void fpsimd_save(struct arch_fpregs *f);
void fpsimd_load(const struct arch_fpregs *f);
void sve_pregs_save(uint8_t *p);
void sve_pregs_load(const uint8_t *p);

/* ZCR_EL2, ZCR_EL1 and ZCR_EL12 by encoding: the kernel is built for ARMv8.0 without SVE. */
#define ZCR_EL2 "S3_4_C1_C2_0"
#define ZCR_EL1 "S3_0_C1_C2_0"
#define ZCR_EL12 "S3_5_C1_C2_0"

#define MRS(name)                                                                                  \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " name : "=r"(v_));                                              \
        v_;                                                                                        \
    })
#define MSR(name, v) __asm__ volatile("msr " name ", %0" : : "r"((uint64_t)(v)))

/* A guest's EL1 registers that EL2 reaches by other names with VHE (Arm ARM D19.2, the _EL12
 * and _EL02 encodings; the plain names then reach EL2's own): field, plain, VHE name. The
 * hot set first, then the cold. TPIDR_EL1, SP_EL1, PAR_EL1 and CSSELR_EL1 keep their names. */
#define GUEST_HOT_RENAMED(X)                                                                       \
    X(sctlr, "sctlr_el1", "S3_5_C1_C0_0")                                                          \
    X(tcr, "tcr_el1", "S3_5_C2_C0_2")                                                              \
    X(ttbr0, "ttbr0_el1", "S3_5_C2_C0_0")                                                          \
    X(mair, "mair_el1", "S3_5_C10_C2_0")                                                           \
    X(vbar, "vbar_el1", "S3_5_C12_C0_0")                                                           \
    X(cpacr, "cpacr_el1", "S3_5_C1_C0_2")                                                          \
    X(elr, "elr_el1", "S3_5_C4_C0_1")                                                              \
    X(spsr, "spsr_el1", "S3_5_C4_C0_0")                                                            \
    X(esr, "esr_el1", "S3_5_C5_C2_0")                                                              \
    X(far, "far_el1", "S3_5_C6_C0_0")                                                              \
    X(cntkctl, "cntkctl_el1", "S3_5_C14_C1_0")
#define GUEST_COLD_RENAMED(X)                                                                      \
    X(ttbr1, "ttbr1_el1", "S3_5_C2_C0_1")                                                          \
    X(contextidr, "contextidr_el1", "S3_5_C13_C0_1")                                               \
    X(amair, "amair_el1", "S3_5_C10_C3_0")                                                         \
    X(afsr0, "afsr0_el1", "S3_5_C5_C1_0")                                                          \
    X(afsr1, "afsr1_el1", "S3_5_C5_C1_1")
#define CNTV_CTL_EL02 "S3_5_C14_C3_1"
#define CNTV_CVAL_EL02 "S3_5_C14_C3_2"

/* One of them by the name this CPU's mode gives it. */
#define MRS_GUEST(plain, vhe) (arch_vhe ? MRS(vhe) : MRS(plain))
#define MSR_GUEST(plain, vhe, v)                                                                   \
    do {                                                                                           \
        if (arch_vhe) {                                                                            \
            MSR(vhe, v);                                                                           \
        } else {                                                                                   \
            MSR(plain, v);                                                                         \
        }                                                                                          \
    } while (0)
#define SAVE_EL1(f, plain, vhe) h->f = MRS(plain);
#define SAVE_EL12(f, plain, vhe) h->f = MRS(vhe);
#define LOAD_EL1(f, plain, vhe) MSR(plain, h->f);
#define LOAD_EL12(f, plain, vhe) MSR(vhe, h->f);

/* What one CPU's registers hold. Only that CPU changes its registers, and threads never
 * leave their home CPU, so a thread's lazily kept state is only ever on its home. */
struct lazy_state {
    struct vcpu *cold_owner; /* whose cold EL1 state is in the registers */
    bool guest_hot;          /* the hot set in the registers is cold_owner's */
    bool guest_tp;           /* VHE: cold_owner's TPIDR_EL0/TPIDRRO_EL0 are in the registers */
    uint64_t hcr, vttbr;     /* VHE: what HCR_EL2 and VTTBR_EL2 hold */
    uint64_t hcr_guest;      /* HCR_EL2 for a guest in this CPU's mode, without TTLB */
    uint64_t hcr_server;     /* and for the servers */
    uint64_t server_ttbr0;   /* TTBR0_EL1 (TTBR0_EL2 with VHE) value loaded for servers */
    uint64_t moved_ttbr0;    /* VHE: load this at the next settle: server_ttbr0's root moved */
    struct thread *fp_owner;
    struct thread *fp_loaded_for; /* FP/SIMD untrapped for this thread */
    uint64_t cptr_open;           /* CPTR_EL2 with FP (and SVE, when present) untrapped */
    uint64_t cptr_trap;           /* CPTR_EL2 with FP trapped */
    bool sve;
} __attribute__((aligned(128))); /* a power of two: one CPU's is found with a shift */

static struct lazy_state lazy[SCHED_MAX_CPUS];

static struct lazy_state *hw(void)
{
    return &lazy[this_cpu()->index];
}

/* A guest's virtual timer control, whichever CPU mode. */
uint64_t arch_guest_cntv_ctl(void)
{
    return MRS_GUEST("cntv_ctl_el0", CNTV_CTL_EL02);
}

void arch_guest_set_cntv_ctl(uint64_t v)
{
    MSR_GUEST("cntv_ctl_el0", CNTV_CTL_EL02, v);
}

static void load_server_hot(struct lazy_state *l);

/* Without VHE the servers' hot set is loaded whenever no guest's is. With SVE (-cpu max),
 * guests may use it at 128-bit vectors: its Z registers are the V registers the lazy FP switch
 * moves; p0..p15, FFR and ZCR_EL1 (which CPTR_EL2.TFP also traps) move with them. */
void arch_switch_init(void)
{
    struct lazy_state *l = hw();

    if (!arch_vhe) {
        load_server_hot(l);
    }
    l->hcr_guest = arch_vhe ? HCR_GUEST | HCR_E2H : HCR_GUEST;
    l->hcr_server = arch_vhe ? HCR_SERVER_VHE : HCR_SERVER;
    l->sve = ((read_sysreg(id_aa64pfr0_el1) >> 32) & 0xfu) != 0;
    if (arch_vhe) {
        l->cptr_open = CPTR_VHE_FPEN | (l->sve ? CPTR_VHE_ZEN : 0);
        l->cptr_trap = l->cptr_open & ~CPTR_VHE_FPEN;
    } else {
        l->cptr_open = CPTR_EL2_RES1 & ~(l->sve ? CPTR_EL2_TZ : 0);
        l->cptr_trap = l->cptr_open | CPTR_EL2_TFP;
    }
    if (!l->sve) {
        return;
    }
    write_sysreg(cptr_el2, l->cptr_open);
    isb();
    __asm__ volatile("msr " ZCR_EL2 ", xzr\n\tisb"); /* LEN = 0: 128-bit vectors */
}

/* The guest's EL0 thread ID registers, which servers share with VHE too: a guest's go to its
 * memory and zeros in before a server runs. */
static void save_guest_tp(struct arch_vcpu_hot *h)
{
    h->tpidr_el0 = read_sysreg(tpidr_el0);
    h->tpidrro_el0 = read_sysreg(tpidrro_el0);
}

static void load_guest_tp(const struct arch_vcpu_hot *h)
{
    write_sysreg(tpidr_el0, h->tpidr_el0);
    write_sysreg(tpidrro_el0, h->tpidrro_el0);
}

static void clear_guest_tp(void)
{
    write_sysreg(tpidr_el0, 0);
    write_sysreg(tpidrro_el0, 0);
}

/* The hot set to @h. With VHE the thread ID registers are the guest's only while it runs
 * (guest_tp); otherwise they were saved when a server took the CPU. */
static void save_hot(struct lazy_state *l, struct arch_vcpu_hot *h)
{
    if (arch_vhe) {
        GUEST_HOT_RENAMED(SAVE_EL12)
        if (l->guest_tp) {
            save_guest_tp(h);
        }
        return;
    }
    GUEST_HOT_RENAMED(SAVE_EL1)
    save_guest_tp(h);
}

static void load_hot(struct lazy_state *l, const struct arch_vcpu_hot *h)
{
    if (arch_vhe) {
        GUEST_HOT_RENAMED(LOAD_EL12)
    } else {
        GUEST_HOT_RENAMED(LOAD_EL1)
    }
    load_guest_tp(h);
    l->guest_tp = true;
}

static void save_cold(struct arch_vcpu_cold *h)
{
    if (arch_vhe) {
        GUEST_COLD_RENAMED(SAVE_EL12)
    } else {
        GUEST_COLD_RENAMED(SAVE_EL1)
    }
    h->tpidr_el1 = read_sysreg(tpidr_el1);
    h->sp_el1 = read_sysreg(sp_el1);
    h->par = read_sysreg(par_el1);
    h->csselr = read_sysreg(csselr_el1);
    h->cntv_ctl = arch_guest_cntv_ctl();
    h->cntv_cval = MRS_GUEST("cntv_cval_el0", CNTV_CVAL_EL02);
    arch_guest_set_cntv_ctl(0); /* its timer must not fire while it is not loaded */
}

/* When a switched-out vCPU's virtual timer would fire (CNTVOFF_EL2 is 0: virtual time is
 * physical time); UINT64_MAX if it is disabled or masked. */
static uint64_t timer_deadline(const struct arch_vcpu_cold *c)
{
    return (c->cntv_ctl & 3u) == 1u ? c->cntv_cval : UINT64_MAX;
}

static void load_cold(const struct arch_vcpu_cold *h)
{
    if (arch_vhe) {
        GUEST_COLD_RENAMED(LOAD_EL12)
    } else {
        GUEST_COLD_RENAMED(LOAD_EL1)
    }
    MSR_GUEST("cntv_cval_el0", CNTV_CVAL_EL02, h->cntv_cval);
    write_sysreg(tpidr_el1, h->tpidr_el1);
    write_sysreg(sp_el1, h->sp_el1);
    write_sysreg(par_el1, h->par);
    write_sysreg(csselr_el1, h->csselr);
    arch_guest_set_cntv_ctl(h->cntv_ctl);
}

static void load_server_hot(struct lazy_state *l)
{
    write_sysreg(sctlr_el1, SCTLR_SERVER);
    write_sysreg(tcr_el1, TCR_SERVER);
    write_sysreg(mair_el1, 0x04ffull);
    write_sysreg(vbar_el1, ARCH_TRAMPOLINE_VA);
    write_sysreg(cpacr_el1, 3ull << 20);  /* FP at EL0; CPTR_EL2.TFP still decides */
    write_sysreg(cntkctl_el1, 1ull << 1); /* EL0 may read the virtual counter */
    clear_guest_tp();                     /* no guest's thread pointer reaches a server */
    l->guest_tp = false;
    l->server_ttbr0 = 0;
}

void arch_vcpu_publish(struct vcpu *v)
{
    struct lazy_state *l = hw();

    if (l->guest_hot && l->cold_owner == v) {
        save_hot(l, &v->hot);
    }
}

void arch_vcpu_continue(struct vcpu *v)
{
    arch_vgic_enter(v);
}

/* The hot set in the registers, back to its owner's memory unless a reply changed that. */
static void save_owner_hot(struct lazy_state *l)
{
    if (!l->cold_owner->hot_reload) {
        save_hot(l, &l->cold_owner->hot);
    }
}

/* Without VHE both change at every switch between a guest and a server: written at once.
 * With VHE each only if it changes: back from a server to the same guest only TGE does, and
 * no TLB is dropped; a switch between servers writes neither. */
static void set_stage2(struct lazy_state *l, uint64_t vttbr, uint64_t hcr)
{
    if (!arch_vhe) {
        write_sysreg(vttbr_el2, vttbr);
        write_sysreg(hcr_el2, hcr);
        return;
    }
    if (l->vttbr != vttbr) {
        write_sysreg(vttbr_el2, vttbr);
        l->vttbr = vttbr;
    }
    if (l->hcr != hcr) {
        write_sysreg(hcr_el2, hcr);
        l->hcr = hcr;
    }
}

static void switch_to_vcpu(struct lazy_state *l, struct vcpu *v)
{
    if (l->guest_hot && l->cold_owner == v) {
        if (v->hot_reload) {
            load_hot(l, &v->hot);
            v->hot_reload = false;
        } else if (!l->guest_tp) {
            load_guest_tp(&v->hot);
            l->guest_tp = true;
        }
        goto out_stage2;
    }
    if (l->guest_hot) {
        save_owner_hot(l);
    }
    if (l->cold_owner != v) {
        if (l->cold_owner != NULL) {
            save_cold(&l->cold_owner->cold);
            arch_vgic_save(l->cold_owner);
            l->cold_owner->wfi_deadline = timer_deadline(&l->cold_owner->cold);
        }
        load_cold(&v->cold);
        arch_vgic_load(v);
        v->wfi_deadline = UINT64_MAX; /* its timer is live again: the PPI wakes it */
        write_sysreg(vmpidr_el2, (1ull << 31) | v->index);
        l->cold_owner = v;
    }
    load_hot(l, &v->hot);
    v->hot_reload = false;
    l->guest_hot = true;
out_stage2:
    set_stage2(l, ((uint64_t)v->vm->s2.vmid << 48) | pa_of(v->vm->s2.root),
               l->hcr_guest | (v->vm->local_tlbi ? HCR_TTLB : 0));
    arch_vgic_enter(v);
}

/* With VHE: a server's space in TTBR0_EL2 (the kernel runs through it too), its controls in
 * HCR_EL2. The guest's EL1 registers, VTTBR_EL2 and its virtual interrupts stay as they are:
 * with TGE set, neither stage 2 nor virtual interrupts apply. */
static void switch_to_server_vhe(struct lazy_state *l, uint64_t ttbr0)
{
    if (l->guest_tp) {
        save_guest_tp(&l->cold_owner->hot);
        clear_guest_tp();
        l->guest_tp = false;
    }
    if (l->server_ttbr0 != ttbr0) {
        write_sysreg(ttbr0_el2, ttbr0);
        l->server_ttbr0 = ttbr0;
    }
    set_stage2(l, l->vttbr, l->hcr_server); /* VTTBR_EL2 stays: stage 2 is off */
}

static void switch_to_server(struct lazy_state *l, struct process *p)
{
    uint64_t ttbr0 = pa_of(p->as.root) | ((uint64_t)p->as.asid << 48);

    if (arch_vhe) {
        switch_to_server_vhe(l, ttbr0);
        return;
    }
    if (l->guest_hot) {
        save_owner_hot(l);
        l->guest_hot = false;
        load_server_hot(l);
        arch_vgic_leave(); /* from a guest: stop signalling virtual interrupts */
    }
    if (l->server_ttbr0 != ttbr0) {
        write_sysreg(ttbr0_el1, ttbr0);
        l->server_ttbr0 = ttbr0;
    }
    set_stage2(l, 0, l->hcr_server); /* VMID 0: servers' TLB entries never meet a guest's */
}

void arch_switch_to(struct thread *next)
{
    struct lazy_state *l = hw();

    if (next->vcpu != NULL) {
        switch_to_vcpu(l, next->vcpu);
    } else {
        switch_to_server(l, next->proc);
    }
    if (l->fp_loaded_for != next) {
        write_sysreg(cptr_el2, l->fp_owner == next ? l->cptr_open : l->cptr_trap);
        l->fp_loaded_for = next;
    }
    isb();
}

void arch_space_root_moved(uint64_t old, uint64_t now)
{
    struct lazy_state *l = hw();

    if (!arch_vhe) {
        /* Other CPUs load servers' roots as they switch to them (server_ttbr0 differs). */
        if (read_sysreg(ttbr0_el1) == old) {
            write_sysreg(ttbr0_el1, now);
            l->server_ttbr0 = now;
            isb();
        }
        return;
    }
    for (uint32_t c = 0; c < cpu_count; c++) {
        if (lazy[c].server_ttbr0 != old) {
            continue;
        }
        if (&lazy[c] == l) {
            write_sysreg(ttbr0_el2, now);
            l->server_ttbr0 = now;
            isb();
        } else {
            lazy[c].moved_ttbr0 = now;
            cpus[c].settle = true;
            arch_cpu_kick(c);
        }
    }
}

void arch_fp_trap(struct thread *t)
{
    struct lazy_state *l = hw();

    write_sysreg(cptr_el2, l->cptr_open);
    isb();
    if (l->fp_owner != NULL) {
        fpsimd_save(&l->fp_owner->fp);
        if (l->sve) {
            sve_pregs_save(l->fp_owner->fp.sve_p);
            l->fp_owner->fp.zcr = MRS_GUEST(ZCR_EL1, ZCR_EL12);
        }
    }
    fpsimd_load(&t->fp);
    if (l->sve) {
        sve_pregs_load(t->fp.sve_p);
        MSR_GUEST(ZCR_EL1, ZCR_EL12, t->fp.zcr);
    }
    l->fp_owner = t;
    l->fp_loaded_for = t;
}

static void thread_forget_here(struct lazy_state *l, struct thread *t)
{
    if (l->fp_owner == t) {
        l->fp_owner = NULL;
    }
    if (l->fp_loaded_for == t) { /* trapped again: a thread restarted in place goes on running */
        l->fp_loaded_for = NULL;
        write_sysreg(cptr_el2, l->cptr_trap);
    }
}

static void vcpu_forget_here(struct lazy_state *l, struct vcpu *v)
{
    if (l->cold_owner == v) {
        if (l->guest_hot && !arch_vhe) {
            load_server_hot(l);
        } else if (l->guest_tp) {
            clear_guest_tp();
            l->guest_tp = false;
        }
        l->guest_hot = false;
        arch_guest_set_cntv_ctl(0);
        arch_vgic_forget(v);
        l->cold_owner = NULL;
    }
}

/* Whether CPU @cpu's registers hold any of @t's state. */
static bool holds(uint32_t cpu, const struct thread *t)
{
    const struct lazy_state *l = &lazy[cpu];

    return l->fp_owner == t || l->fp_loaded_for == t ||
           (t->vcpu != NULL && l->cold_owner == t->vcpu);
}

/* @t's registers must be dropped. Here, at once; on its home CPU, at that CPU's next pass
 * through the kernel (arch_cpu_settle()), which this kicks. */
static void forget(struct thread *t)
{
    struct cpu *c = this_cpu();

    if (t->cpu == c->index) {
        thread_forget_here(hw(), t);
        if (t->vcpu != NULL) {
            vcpu_forget_here(hw(), t->vcpu);
        }
    } else if (holds(t->cpu, t)) {
        t->forget_pending = true;
        cpus[t->cpu].settle = true;
        arch_cpu_kick(t->cpu);
    }
}

void arch_cpu_settle(void)
{
    struct lazy_state *l = hw();
    struct thread *held[3] = {l->fp_owner, l->fp_loaded_for,
                              l->cold_owner != NULL ? &l->cold_owner->thread : NULL};

    this_cpu()->settle = false;
    if (l->moved_ttbr0 != 0) {
        write_sysreg(ttbr0_el2, l->moved_ttbr0);
        l->server_ttbr0 = l->moved_ttbr0;
        l->moved_ttbr0 = 0;
        isb();
    }
    for (uint32_t i = 0; i < 3; i++) {
        if (held[i] != NULL && held[i]->forget_pending) {
            forget(held[i]);
            held[i]->forget_pending = false;
        }
    }
}

void arch_thread_forget(struct thread *t)
{
    forget(t);
}
