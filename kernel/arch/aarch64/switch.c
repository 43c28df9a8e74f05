/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Lazy EL1 context switching between servers (EL0 in the EL1&0 regime) and guest vCPUs.
 *
 * Without VHE, servers and guests share the EL1 system registers. A server clobbers only the
 * "hot" set (translation controls and the trampoline's exception registers), and must not
 * read a guest's EL0 thread ID registers, which are hot too (servers run with zeros there):
 * so a guest -> server -> same guest round trip (every exit) moves 13 registers each way; the
 * "cold" set moves only when another guest takes the CPU. FP/SIMD moves on first use. Debug
 * registers never move: guests reach only the vmm's emulated ones (MDCR_EL2, trap.c).
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

/* ZCR_EL2 and ZCR_EL1 by encoding: the kernel is built for ARMv8.0 without SVE. */
#define ZCR_EL2 "S3_4_C1_C2_0"
#define ZCR_EL1 "S3_0_C1_C2_0"

/* What one CPU's registers hold. Only that CPU changes its registers, and threads never
 * leave their home CPU, so a thread's lazily kept state is only ever on its home. */
struct lazy_state {
    struct vcpu *cold_owner; /* whose cold EL1 state is in the registers */
    bool guest_hot;          /* the hot set in the registers is cold_owner's */
    bool server_hot_loaded;  /* the servers' hot set has been loaded once */
    uint64_t server_ttbr0;   /* TTBR0_EL1 value loaded for servers */
    struct thread *fp_owner;
    struct thread *fp_loaded_for; /* CPTR_EL2.TFP clear for this thread */
    uint64_t cptr;                /* CPTR_EL2 without TFP: SVE untrapped when present */
    bool sve;
};

static struct lazy_state lazy[SCHED_MAX_CPUS];

static struct lazy_state *hw(void)
{
    return &lazy[this_cpu()->index];
}

static uint64_t read_zcr_el1(void)
{
    uint64_t v;

    __asm__ volatile("mrs %0, " ZCR_EL1 : "=r"(v));
    return v;
}

static void write_zcr_el1(uint64_t v)
{
    __asm__ volatile("msr " ZCR_EL1 ", %0" : : "r"(v));
}

/* With SVE (-cpu max), guests may use it at a vector length of 128 bits, so its Z registers
 * are the V registers the lazy FP switch already moves; p0..p15, FFR and ZCR_EL1 (which
 * CPTR_EL2.TFP also traps) move with them. */
void arch_fp_init(void)
{
    struct lazy_state *l = hw();

    l->cptr = CPTR_EL2_RES1;
    if (((read_sysreg(id_aa64pfr0_el1) >> 32) & 0xfu) == 0) {
        return;
    }
    l->sve = true;
    l->cptr = CPTR_EL2_RES1 & ~CPTR_EL2_TZ;
    write_sysreg(cptr_el2, l->cptr);
    isb();
    __asm__ volatile("msr " ZCR_EL2 ", xzr\n\tisb"); /* LEN = 0: 128-bit vectors */
}

/* SCTLR_EL1 for servers: M, C, SA, SA0, I, DZE, UCT, nTWI, nTWE, WXN, UCI, RES1 bits. */
#define SERVER_SCTLR                                                                               \
    ((1ull << 0) | (1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 12) | (1ull << 14) |         \
     (1ull << 15) | (1ull << 16) | (1ull << 18) | (1ull << 19) | (1ull << 26) | 0x30d00800ull)
/* TCR_EL1: T0SZ=25, WBWA, inner shareable, 4K, EPD1 (no TTBR1 walks), IPS 40 bits. */
#define SERVER_TCR (25ull | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (2ull << 32))

static void save_hot(struct arch_el1_hot *h)
{
    h->sctlr = read_sysreg(sctlr_el1);
    h->tcr = read_sysreg(tcr_el1);
    h->ttbr0 = read_sysreg(ttbr0_el1);
    h->mair = read_sysreg(mair_el1);
    h->vbar = read_sysreg(vbar_el1);
    h->cpacr = read_sysreg(cpacr_el1);
    h->elr = read_sysreg(elr_el1);
    h->spsr = read_sysreg(spsr_el1);
    h->esr = read_sysreg(esr_el1);
    h->far = read_sysreg(far_el1);
    h->cntkctl = read_sysreg(cntkctl_el1);
    h->tpidr_el0 = read_sysreg(tpidr_el0);
    h->tpidrro_el0 = read_sysreg(tpidrro_el0);
}

static void load_hot(const struct arch_el1_hot *h)
{
    write_sysreg(sctlr_el1, h->sctlr);
    write_sysreg(tcr_el1, h->tcr);
    write_sysreg(ttbr0_el1, h->ttbr0);
    write_sysreg(mair_el1, h->mair);
    write_sysreg(vbar_el1, h->vbar);
    write_sysreg(cpacr_el1, h->cpacr);
    write_sysreg(elr_el1, h->elr);
    write_sysreg(spsr_el1, h->spsr);
    write_sysreg(esr_el1, h->esr);
    write_sysreg(far_el1, h->far);
    write_sysreg(cntkctl_el1, h->cntkctl);
    write_sysreg(tpidr_el0, h->tpidr_el0);
    write_sysreg(tpidrro_el0, h->tpidrro_el0);
}

static void save_cold(struct arch_el1_cold *c)
{
    c->ttbr1 = read_sysreg(ttbr1_el1);
    c->tpidr_el1 = read_sysreg(tpidr_el1);
    c->sp_el1 = read_sysreg(sp_el1);
    c->contextidr = read_sysreg(contextidr_el1);
    c->amair = read_sysreg(amair_el1);
    c->afsr0 = read_sysreg(afsr0_el1);
    c->afsr1 = read_sysreg(afsr1_el1);
    c->par = read_sysreg(par_el1);
    c->csselr = read_sysreg(csselr_el1);
    c->cntv_ctl = read_sysreg(cntv_ctl_el0);
    c->cntv_cval = read_sysreg(cntv_cval_el0);
    write_sysreg(cntv_ctl_el0, 0); /* its timer must not fire while it is not loaded */
}

/* When a switched-out vCPU's virtual timer would fire (CNTVOFF_EL2 is 0: virtual time is
 * physical time); UINT64_MAX if it is disabled or masked. */
static uint64_t timer_deadline(const struct arch_el1_cold *c)
{
    return (c->cntv_ctl & 3u) == 1u ? c->cntv_cval : UINT64_MAX;
}

static void load_cold(const struct arch_el1_cold *c)
{
    write_sysreg(ttbr1_el1, c->ttbr1);
    write_sysreg(tpidr_el1, c->tpidr_el1);
    write_sysreg(sp_el1, c->sp_el1);
    write_sysreg(contextidr_el1, c->contextidr);
    write_sysreg(amair_el1, c->amair);
    write_sysreg(afsr0_el1, c->afsr0);
    write_sysreg(afsr1_el1, c->afsr1);
    write_sysreg(par_el1, c->par);
    write_sysreg(csselr_el1, c->csselr);
    write_sysreg(cntv_cval_el0, c->cntv_cval);
    write_sysreg(cntv_ctl_el0, c->cntv_ctl);
}

static void load_server_hot(void)
{
    struct lazy_state *l = hw();
    extern char el1_trampoline[];

    write_sysreg(sctlr_el1, SERVER_SCTLR);
    write_sysreg(tcr_el1, SERVER_TCR);
    write_sysreg(mair_el1, 0x04ffull);
    write_sysreg(vbar_el1, ARCH_TRAMPOLINE_VA);
    write_sysreg(cpacr_el1, 3ull << 20);  /* FP at EL0; CPTR_EL2.TFP still decides */
    write_sysreg(cntkctl_el1, 1ull << 1); /* EL0 may read the virtual counter */
    write_sysreg(tpidr_el0, 0);           /* no guest's thread pointer reaches a server */
    write_sysreg(tpidrro_el0, 0);
    l->server_ttbr0 = 0;
    (void)el1_trampoline;
}

void arch_vcpu_publish(struct vcpu *v)
{
    struct lazy_state *l = hw();

    if (l->guest_hot && l->cold_owner == v) {
        save_hot(&v->hot);
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
        save_hot(&l->cold_owner->hot);
    }
}

static void switch_to_vcpu(struct vcpu *v)
{
    struct lazy_state *l = hw();

    if (l->guest_hot && l->cold_owner == v) {
        if (v->hot_reload) {
            load_hot(&v->hot);
            v->hot_reload = false;
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
    load_hot(&v->hot);
    v->hot_reload = false;
    l->guest_hot = true;
out_stage2:
    write_sysreg(vttbr_el2, ((uint64_t)v->vm->s2.vmid << 48) | pa_of(v->vm->s2.root));
    write_sysreg(hcr_el2, HCR_GUEST | (v->vm->local_tlbi ? HCR_TTLB : 0));
    arch_vgic_enter(v);
}

static void switch_to_server(struct process *p)
{
    struct lazy_state *l = hw();
    uint64_t ttbr0 = pa_of(p->as.root) | ((uint64_t)p->as.asid << 48);

    if (l->guest_hot) {
        save_owner_hot(l);
        l->guest_hot = false;
        load_server_hot();
        arch_vgic_leave(); /* from a guest: stop signalling virtual interrupts */
    }
    if (l->server_ttbr0 != ttbr0) {
        write_sysreg(ttbr0_el1, ttbr0);
        l->server_ttbr0 = ttbr0;
    }
    write_sysreg(vttbr_el2, 0); /* VMID 0: servers' TLB entries never meet a guest's */
    write_sysreg(hcr_el2, HCR_SERVER);
}

void arch_switch_to(struct thread *next)
{
    struct lazy_state *l = hw();

    if (!l->server_hot_loaded) {
        load_server_hot();
        l->server_hot_loaded = true;
    }
    if (next->vcpu != NULL) {
        switch_to_vcpu(next->vcpu);
    } else {
        switch_to_server(next->proc);
    }
    if (l->fp_loaded_for != next) {
        write_sysreg(cptr_el2, l->cptr | (l->fp_owner == next ? 0 : CPTR_EL2_TFP));
        l->fp_loaded_for = next;
    }
    isb();
}

void arch_fp_trap(struct thread *t)
{
    struct lazy_state *l = hw();

    write_sysreg(cptr_el2, l->cptr);
    isb();
    if (l->fp_owner != NULL) {
        fpsimd_save(&l->fp_owner->fp);
        if (l->sve) {
            sve_pregs_save(l->fp_owner->fp.sve_p);
            l->fp_owner->fp.zcr = read_zcr_el1();
        }
    }
    fpsimd_load(&t->fp);
    if (l->sve) {
        sve_pregs_load(t->fp.sve_p);
        write_zcr_el1(t->fp.zcr);
    }
    l->fp_owner = t;
    l->fp_loaded_for = t;
}

static void thread_forget_here(struct lazy_state *l, struct thread *t)
{
    if (l->fp_owner == t) {
        l->fp_owner = NULL;
    }
    if (l->fp_loaded_for == t) {
        l->fp_loaded_for = NULL;
    }
}

static void vcpu_forget_here(struct lazy_state *l, struct vcpu *v)
{
    if (l->cold_owner == v) {
        if (l->guest_hot) {
            load_server_hot();
            l->guest_hot = false;
        }
        write_sysreg(cntv_ctl_el0, 0);
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
