/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A vCPU's local APIC (vlapic.h, docs/x86_64.md): the registers a guest reaches through MSRs
 * 0x800-0x83f in x2APIC mode (Intel SDM volume 3, 11.12) or through the 4 KiB window at
 * 0xfee00000 in xAPIC mode (11.4), the requested and in-service vectors with their
 * priorities, and the timer in its three modes over the counter. Self IPIs are delivered here;
 * the vCPU's code delivers the others. */
#include <uslib/string.h>
#include "vlapic.h"

#define X2APIC_FIRST 0x800u
#define X2APIC_LAST 0x8ffu
#define REG_ID 0x02u
#define REG_VERSION 0x03u
#define REG_TPR 0x08u
#define REG_PPR 0x0au
#define REG_EOI 0x0bu
#define REG_LDR 0x0du
#define REG_DFR 0x0eu /* xAPIC mode only, as ICR_HI */
#define REG_SVR 0x0fu
#define REG_ISR 0x10u /* to 0x17 */
#define REG_TMR 0x18u /* to 0x1f */
#define REG_IRR 0x20u /* to 0x27 */
#define REG_ESR 0x28u
#define REG_LVT_CMCI 0x2fu
#define REG_ICR 0x30u
#define REG_ICR_HI 0x31u
#define REG_LVT_TIMER 0x32u /* to 0x37: timer, thermal, performance, LINT0, LINT1, error */
#define REG_LVT_ERROR 0x37u
#define REG_TMICT 0x38u
#define REG_TMCCT 0x39u
#define REG_TDCR 0x3eu
#define REG_SELF_IPI 0x3fu

#define VERSION 0x00060014u /* an integrated APIC with seven LVT entries */
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_CMCI 6u /* its slot in lvt[]; the others are in register order from the timer */
#define TIMER_MODE(lvt) (((lvt) >> 17) & 3u)
#define TIMER_ONESHOT 0u
#define TIMER_PERIODIC 1u
#define TIMER_TSC_DEADLINE 2u
#define ICR_LOGICAL (1u << 11)
#define ICR_SELF 1u
#define ICR_ALL 2u
#define ICR_OTHERS 3u
#define MODE_MASK (VLAPIC_BASE_EN | VLAPIC_BASE_EXTD)
#define MODE_X2APIC MODE_MASK
#define MODE_XAPIC VLAPIC_BASE_EN

void vlapic_reset(struct x86_vlapic *a, uint32_t id)
{
    memset(a, 0, sizeof(*a));
    a->id = id;
    a->base =
        VLAPIC_BASE_ADDR | VLAPIC_BASE_EN | VLAPIC_BASE_EXTD | (id == 0 ? VLAPIC_BASE_BSP : 0);
    a->svr = 0xff;
    a->dfr = 0xffffffffu;
    for (uint32_t i = 0; i < 7; i++) {
        a->lvt[i] = LVT_MASKED;
    }
}

/* A write of the base MSR: the moves between modes the SDM allows (11.12.5), x2APIC to xAPIC
 * only by way of disabled, at the one address it has. Disabling it resets it as at power-up,
 * its ID kept. */
static int base_write(struct x86_vlapic *a, uint64_t v)
{
    uint64_t to = v & MODE_MASK, from = a->base & MODE_MASK;

    if ((v & ~(MODE_MASK | VLAPIC_BASE_BSP)) != VLAPIC_BASE_ADDR ||
        (v & VLAPIC_BASE_BSP) != (a->base & VLAPIC_BASE_BSP) || to == VLAPIC_BASE_EXTD ||
        (from == MODE_X2APIC && to == MODE_XAPIC)) {
        return VLAPIC_GP;
    }
    if (to == 0 && from != 0) {
        vlapic_reset(a, a->id);
    }
    a->base = v;
    return VLAPIC_DONE;
}

static int highest(const uint64_t bits[4])
{
    for (int w = 3; w >= 0; w--) {
        if (bits[w] != 0) {
            return w * 64 + 63 - __builtin_clzll(bits[w]);
        }
    }
    return -1;
}

static uint32_t ppr(const struct x86_vlapic *a)
{
    int isrv = highest(a->isr);
    uint32_t in_service = isrv < 0 ? 0u : (uint32_t)isrv & 0xf0u;

    return (a->tpr & 0xf0u) >= in_service ? a->tpr & 0xffu : in_service;
}

int vlapic_next(const struct x86_vlapic *a)
{
    int v = highest(a->irr);

    if (a->extint != 0) {
        return (int)a->extint;
    }
    return v >= 0 && ((uint32_t)v & 0xf0u) > (ppr(a) & 0xf0u) ? v : -1;
}

void vlapic_raise(struct x86_vlapic *a, uint32_t vector)
{
    if (vector >= 16u && vector < 256u) {
        a->irr[vector / 64u] |= 1ull << (vector % 64u);
    } else {
        a->esr |= 1u << 6; /* received an illegal vector */
    }
}

void vlapic_extint(struct x86_vlapic *a, uint32_t vector)
{
    a->extint = VLAPIC_EXTINT | (vector & 0xffu);
}

void vlapic_accept(struct x86_vlapic *a, uint32_t vector)
{
    if (vector & VLAPIC_EXTINT) {
        a->extint = 0;
        return;
    }
    a->irr[vector / 64u] &= ~(1ull << (vector % 64u));
    a->isr[vector / 64u] |= 1ull << (vector % 64u);
}

static uint64_t divisor(const struct x86_vlapic *a)
{
    uint32_t n = ((a->tdcr & 8u) >> 1) | (a->tdcr & 3u);

    return n == 7u ? 1u : 2ull << n;
}

void vlapic_tick(struct x86_vlapic *a, uint64_t now)
{
    if (a->deadline == 0 || now < a->deadline) {
        return;
    }
    if (!(a->lvt[0] & LVT_MASKED) && (a->svr & SVR_ENABLE)) {
        vlapic_raise(a, a->lvt[0] & 0xffu);
    }
    if (TIMER_MODE(a->lvt[0]) == TIMER_PERIODIC && a->period != 0) {
        a->deadline += a->period;
        if (a->deadline <= now) {
            a->deadline = now + a->period; /* periods missed while it did not run are lost */
        }
    } else {
        a->deadline = 0;
    }
}

uint64_t vlapic_deadline(const struct x86_vlapic *a)
{
    return a->deadline == 0 ? UINT64_MAX : a->deadline;
}

static void arm(struct x86_vlapic *a, uint64_t now)
{
    uint64_t span = (uint64_t)a->tmict * divisor(a);

    a->deadline = span == 0 ? 0 : now + span;
    a->period = TIMER_MODE(a->lvt[0]) == TIMER_PERIODIC ? span : 0;
}

bool vlapic_icr_hits(uint64_t icr, uint32_t id, uint32_t self)
{
    uint32_t shorthand = (uint32_t)(icr >> 18) & 3u, dest = (uint32_t)(icr >> 32);

    switch (shorthand) {
    case ICR_SELF:
        return id == self;
    case ICR_ALL:
        return true;
    case ICR_OTHERS:
        return id != self;
    default:
        break;
    }
    if (dest == 0xffffffffu) {
        return true; /* broadcast, in either destination mode */
    }
    if (icr & ICR_LOGICAL) { /* x2APIC's: a cluster in 31:16, a bit per CPU in it below */
        return (dest >> 16) == (id >> 4) && (dest & (1u << (id & 15u))) != 0;
    }
    return dest == id;
}

/* An ICR write: a fixed interrupt this CPU is a target of is delivered here; the write goes
 * on to the vCPU's code (VLAPIC_IPI) if another CPU may be one, or it is not a fixed one. */
static int icr(struct x86_vlapic *a, uint64_t v)
{
    uint32_t shorthand = (uint32_t)(v >> 18) & 3u, dest = (uint32_t)(v >> 32);
    bool fixed = ((v >> 8) & 7u) == 0, others;

    if (fixed && vlapic_icr_hits(v, a->id, a->id)) {
        vlapic_raise(a, (uint32_t)v & 0xffu);
    }
    if (shorthand != 0) {
        others = shorthand != ICR_SELF;
    } else if (v & ICR_LOGICAL) {
        others = dest == 0xffffffffu || (dest >> 16) != (a->id >> 4) ||
                 (dest & 0xffffu & ~(1u << (a->id & 15u))) != 0;
    } else {
        others = dest != a->id;
    }
    return fixed && !others ? VLAPIC_DONE : VLAPIC_IPI;
}

static int read_reg(const struct x86_vlapic *a, uint32_t reg, uint64_t *val, uint64_t now)
{
    switch (reg) {
    case REG_ID:
        *val = a->id;
        return VLAPIC_DONE;
    case REG_VERSION:
        *val = VERSION;
        return VLAPIC_DONE;
    case REG_TPR:
        *val = a->tpr;
        return VLAPIC_DONE;
    case REG_PPR:
        *val = ppr(a);
        return VLAPIC_DONE;
    case REG_LDR: /* cluster in 31:16, a bit for the CPU within it in 15:0 */
        *val = ((a->id >> 4) << 16) | (1u << (a->id & 15u));
        return VLAPIC_DONE;
    case REG_SVR:
        *val = a->svr;
        return VLAPIC_DONE;
    case REG_ESR:
        *val = a->esr;
        return VLAPIC_DONE;
    case REG_LVT_CMCI:
        *val = a->lvt[LVT_CMCI];
        return VLAPIC_DONE;
    case REG_TMICT:
        *val = a->tmict;
        return VLAPIC_DONE;
    case REG_TMCCT:
        *val = TIMER_MODE(a->lvt[0]) == TIMER_TSC_DEADLINE || a->deadline <= now
                   ? 0
                   : (a->deadline - now) / divisor(a);
        return VLAPIC_DONE;
    case REG_TDCR:
        *val = a->tdcr;
        return VLAPIC_DONE;
    default:
        break;
    }
    if (reg >= REG_ISR && reg < REG_ISR + 8u) {
        *val = (uint32_t)(a->isr[(reg - REG_ISR) / 2u] >> (32u * (reg & 1u)));
    } else if (reg >= REG_IRR && reg < REG_IRR + 8u) {
        *val = (uint32_t)(a->irr[(reg - REG_IRR) / 2u] >> (32u * (reg & 1u)));
    } else if (reg >= REG_TMR && reg < REG_TMR + 8u) {
        *val = 0; /* every interrupt edge-triggered so far */
    } else if (reg >= REG_LVT_TIMER && reg <= REG_LVT_ERROR) {
        *val = a->lvt[reg - REG_LVT_TIMER];
    } else {
        return VLAPIC_GP; /* reserved, or write-only: the EOI, the self IPI, the ICR's */
    }
    return VLAPIC_DONE;
}

static int write_reg(struct x86_vlapic *a, uint32_t reg, uint64_t v, uint64_t now)
{
    int isrv;

    switch (reg) {
    case REG_TPR:
        a->tpr = (uint32_t)v & 0xffu;
        return VLAPIC_DONE;
    case REG_EOI:
        if (v != 0) {
            return VLAPIC_GP; /* x2APIC: anything but zero is reserved */
        }
        isrv = highest(a->isr);
        if (isrv >= 0) {
            a->isr[isrv / 64] &= ~(1ull << (isrv % 64));
        }
        return VLAPIC_DONE;
    case REG_SVR:
        a->svr = (uint32_t)v & 0x11ffu;
        return VLAPIC_DONE;
    case REG_ESR:
        a->esr = 0;
        return VLAPIC_DONE;
    case REG_LVT_CMCI:
        a->lvt[LVT_CMCI] = (uint32_t)v & 0x107ffu;
        return VLAPIC_DONE;
    case REG_ICR:
        return icr(a, v);
    case REG_LVT_TIMER:
        if (TIMER_MODE((uint32_t)v) != TIMER_MODE(a->lvt[0])) {
            a->deadline = 0; /* a change of mode disarms the timer */
        }
        a->lvt[0] = (uint32_t)v & 0x710ffu;
        return VLAPIC_DONE;
    case REG_TMICT:
        a->tmict = (uint32_t)v;
        if (TIMER_MODE(a->lvt[0]) != TIMER_TSC_DEADLINE) {
            arm(a, now);
        }
        return VLAPIC_DONE;
    case REG_TDCR:
        a->tdcr = (uint32_t)v & 0xbu;
        return VLAPIC_DONE;
    case REG_SELF_IPI:
        vlapic_raise(a, (uint32_t)v & 0xffu);
        return VLAPIC_DONE;
    default:
        break;
    }
    if (reg > REG_LVT_TIMER && reg <= REG_LVT_ERROR) {
        a->lvt[reg - REG_LVT_TIMER] = (uint32_t)v & 0x1f7ffu;
        return VLAPIC_DONE;
    }
    return VLAPIC_GP; /* reserved or read-only */
}

int vlapic_msr(struct x86_vlapic *a, uint32_t msr, bool write, uint64_t *val, uint64_t now)
{
    if (msr == VLAPIC_BASE_MSR) {
        if (!write) {
            *val = a->base;
            return VLAPIC_DONE;
        }
        return base_write(a, *val);
    }
    if (msr == VLAPIC_TSC_DEADLINE_MSR) {
        if (TIMER_MODE(a->lvt[0]) != TIMER_TSC_DEADLINE) {
            if (!write) {
                *val = 0;
            }
            return VLAPIC_DONE; /* ignored in the other modes, as on hardware */
        }
        if (!write) {
            *val = a->deadline;
        } else {
            a->deadline = *val;
            a->period = 0;
        }
        return VLAPIC_DONE;
    }
    if (msr < X2APIC_FIRST || msr > X2APIC_LAST) {
        return VLAPIC_NOT_MINE;
    }
    if ((a->base & MODE_MASK) != MODE_X2APIC) {
        return VLAPIC_GP; /* x2APIC's registers are there only in x2APIC mode */
    }
    if (!write) {
        *val = 0;
        return read_reg(a, msr - X2APIC_FIRST, val, now);
    }
    return write_reg(a, msr - X2APIC_FIRST, *val, now);
}

/* The x2APIC form of an xAPIC ICR write of @lo, ICR_HI's 8-bit destination widened: all ones
 * is a broadcast; a logical one is taken in the flat model as Linux sets it up (each CPU's
 * logical ID a bit of its APIC ID, LDR = 1 << ID), or the cluster model's nibbles. */
static uint64_t icr_x2(const struct x86_vlapic *a, uint32_t lo)
{
    uint32_t dest = a->icr_hi >> 24;

    if (dest == 0xffu) {
        dest = 0xffffffffu;
    } else if ((lo & ICR_LOGICAL) && (a->dfr >> 28) != 0xfu) {
        dest = ((dest >> 4) << 16) | (dest & 0xfu); /* the cluster model */
    }
    return ((uint64_t)dest << 32) | lo;
}

int vlapic_mmio(struct x86_vlapic *a, uint32_t off, bool write, uint64_t *val, uint64_t now)
{
    uint32_t reg = off >> 4, v = (uint32_t)*val;
    int done;

    if ((a->base & MODE_MASK) != MODE_XAPIC) {
        return VLAPIC_NOT_MINE;
    }
    if (!write) {
        *val = 0;
    }
    switch ((off & 0xfu) != 0 ? ~0u : reg) {
    case REG_ID:
        *val = write ? *val : (uint64_t)a->id << 24; /* the ID stays the vCPU's */
        return VLAPIC_DONE;
    case REG_LDR:
        a->ldr = write ? v & 0xff000000u : a->ldr;
        *val = write ? *val : a->ldr;
        return VLAPIC_DONE;
    case REG_DFR:
        a->dfr = write ? v | 0x0fffffffu : a->dfr;
        *val = write ? *val : a->dfr;
        return VLAPIC_DONE;
    case REG_ICR_HI:
        a->icr_hi = write ? v & 0xff000000u : a->icr_hi;
        *val = write ? *val : a->icr_hi;
        return VLAPIC_DONE;
    case REG_ICR:
        if (!write) {
            *val = a->icr_lo; /* delivery status: always idle */
            return VLAPIC_DONE;
        }
        a->icr_lo = v & ~(1u << 12);
        *val = icr_x2(a, a->icr_lo);
        return icr(a, *val);
    case REG_EOI:
        *val = 0; /* any value ends the interrupt in xAPIC mode */
        break;
    case REG_SELF_IPI:
    case ~0u:
        return VLAPIC_DONE; /* not an xAPIC register, or not at a register's start */
    default:
        *val = write ? v : 0u;
        break;
    }
    done = write ? write_reg(a, reg, *val, now) : read_reg(a, reg, val, now);
    return done == VLAPIC_GP ? VLAPIC_DONE : done; /* reserved: read as zero, writes ignored */
}
