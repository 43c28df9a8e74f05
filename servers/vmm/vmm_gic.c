/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* GICv3 distributor and redistributor models (Arm IHI 0069, chapter 12), per VM.
 *
 * The guest's CPU interface is the hardware's virtual one; these models keep the register
 * state a guest's GIC driver programs and reads back (enables, priorities, groups, routing,
 * the redistributor wake handshake), with no LPIs or ITS and a single security state
 * (GICD_CTLR.DS = 1). Unimplemented registers read as zero and ignore writes; an access of
 * the wrong size is refused with an abort, like an unmapped address. Interrupts reach the
 * guest through the kernel's list registers: the virtual timer directly, device lines through
 * vmm_gic_line().
 */
#include <uslib/string.h>
#include "vmm.h"

#define GICD_CTLR 0x0000u
#define GICD_TYPER 0x0004u
#define GICD_IIDR 0x0008u
#define GICD_IGROUPR 0x0080u
#define GICD_ISENABLER 0x0100u
#define GICD_ICENABLER 0x0180u
#define GICD_ISPENDR 0x0200u
#define GICD_ICPENDR 0x0280u
#define GICD_ISACTIVER 0x0300u
#define GICD_ICACTIVER 0x0380u
#define GICD_IPRIORITYR 0x0400u
#define GICD_ICFGR 0x0c00u
#define GICD_IROUTER 0x6000u
#define GIC_PIDR2 0xffe8u

#define GICD_CTLR_RW 0x13u       /* EnableGrp0, EnableGrp1, ARE */
#define GICD_CTLR_DS (1u << 6)   /* single security state */
#define GIC_IIDR_ARM 0x0000043bu /* implementer: Arm */
#define GIC_PIDR2_V3 0x3bu       /* ArchRev 3 */

#define GICR_CTLR 0x0000u
#define GICR_IIDR 0x0004u
#define GICR_TYPER 0x0008u
#define GICR_WAKER 0x0014u
#define GICR_SGI 0x10000u
#define GICR_WAKER_SLEEP (1u << 1)
#define GICR_WAKER_ASLEEP (1u << 2)
#define GICR_TYPER_LAST (1ull << 4)

/* A 32-bit bitmap register bank starting at @base: which INTID word @off selects. */
static bool bank(uint64_t off, uint32_t base, uint32_t *word)
{
    if (off < base || off >= base + VMM_GIC_WORDS * 4u) {
        return false;
    }
    *word = (uint32_t)(off - base) / 4u;
    return true;
}

/* The bitmap registers shared by the distributor (SPIs) and the SGI frame (word 0): the
 * register's value, after @write if it is one; 0 for any other offset (RAZ/WI). */
static uint32_t bitmaps(struct vmm_gic *g, uint64_t off, bool write, uint32_t v)
{
    uint32_t w;

    if (bank(off, GICD_IGROUPR, &w)) {
        if (write) {
            g->group[w] = v;
        }
        return g->group[w];
    } else if (bank(off, GICD_ISENABLER, &w) || bank(off, GICD_ICENABLER, &w)) {
        if (write) {
            g->enable[w] = off < GICD_ICENABLER ? g->enable[w] | v : g->enable[w] & ~v;
        }
        return g->enable[w];
    } else if (bank(off, GICD_ISPENDR, &w) || bank(off, GICD_ICPENDR, &w)) {
        if (write) {
            g->pending[w] = off < GICD_ICPENDR ? g->pending[w] | v : g->pending[w] & ~v;
        }
        return g->pending[w];
    } else if (bank(off, GICD_ISACTIVER, &w) || bank(off, GICD_ICACTIVER, &w)) {
        if (write) {
            g->active[w] = off < GICD_ICACTIVER ? g->active[w] | v : g->active[w] & ~v;
        }
        return g->active[w];
    } else if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + VMM_GIC_INTIDS) {
        uint32_t i = (uint32_t)(off - GICD_IPRIORITYR) & ~3u;
        if (write) {
            for (uint32_t b = 0; b < 4; b++) {
                g->prio[i + b] = (uint8_t)(v >> (8 * b));
            }
        }
        return (uint32_t)g->prio[i] | (uint32_t)g->prio[i + 1] << 8 |
               (uint32_t)g->prio[i + 2] << 16 | (uint32_t)g->prio[i + 3] << 24;
    } else if (off >= GICD_ICFGR && off < GICD_ICFGR + VMM_GIC_INTIDS / 4u) {
        w = (uint32_t)(off - GICD_ICFGR) / 4u;
        if (write) {
            g->cfg[w] = v;
        }
        return g->cfg[w];
    }
    return 0;
}

/* The SGI frame has word 0 (INTIDs 0..31) of each bank, at the distributor's offsets. */
static bool sgi_frame_reg(uint64_t off)
{
    if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 32u) {
        return true;
    }
    if (off == GICD_ICFGR || off == GICD_ICFGR + 4u) {
        return true;
    }
    return off >= GICD_IGROUPR && off < GICD_IPRIORITYR && (off & 0x7fu) == 0;
}

static uint64_t gicd(struct vmm_gic *g, uint64_t off, bool write, uint64_t v)
{
    if (off >= GICD_IROUTER + 8u * 32u && off < GICD_IROUTER + 8u * VMM_GIC_INTIDS) {
        uint32_t n = (uint32_t)(off - GICD_IROUTER) / 8u - 32u;
        if (write) {
            g->router[n] = v; /* one vCPU so far: every SPI goes to vCPU 0 whatever it says */
        }
        return g->router[n];
    }
    switch (off) {
    case GICD_CTLR:
        if (write) {
            g->ctlr = (uint32_t)v & GICD_CTLR_RW;
        }
        return g->ctlr | GICD_CTLR_DS; /* RWP (bit 31) reads 0: writes take effect at once */
    case GICD_TYPER:
        /* IDbits 10 (bits 23:19 = 9), ITLinesNumber for VMM_GIC_INTIDS, no LPIs, one CPU. */
        return (9u << 19) | (VMM_GIC_INTIDS / 32u - 1u);
    case GICD_IIDR:
        return GIC_IIDR_ARM;
    case GIC_PIDR2:
        return GIC_PIDR2_V3;
    default:
        break;
    }
    /* INTIDs 0..31 live in the redistributor's SGI frame once ARE is set: RAZ/WI here. */
    if (sgi_frame_reg(off)) {
        return 0;
    }
    return bitmaps(g, off, write, (uint32_t)v);
}

static uint64_t gicr(struct vmm_gic *g, uint32_t vcpu, bool last, uint64_t off, bool write,
                     uint64_t v)
{
    if (off >= GICR_SGI) {
        off -= GICR_SGI;
        if (!sgi_frame_reg(off)) {
            return 0;
        }
        return bitmaps(g, off, write, (uint32_t)v);
    }
    switch (off) {
    case GICR_CTLR:
        return 0; /* no LPIs; RWP reads 0 */
    case GICR_IIDR:
        return GIC_IIDR_ARM;
    case GICR_TYPER:
        return ((uint64_t)vcpu << 32) | ((uint64_t)vcpu << 8) | (last ? GICR_TYPER_LAST : 0);
    case GICR_TYPER + 4u:
        return vcpu; /* upper half: Aff0 */
    case GICR_WAKER:
        if (write) {
            g->waker = (uint32_t)v & GICR_WAKER_SLEEP;
        }
        return g->waker | ((g->waker & GICR_WAKER_SLEEP) ? GICR_WAKER_ASLEEP : 0u);
    case GIC_PIDR2:
        return GIC_PIDR2_V3;
    default:
        return 0;
    }
}

bool vmm_gic_access(struct vmm_state *st, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                    uint64_t value, uint64_t *result)
{
    struct vmm_gic *g = &st->vms[slot].gic;
    uint32_t vcpus = st->config.vms[slot].vcpu_count;

    if (ipa >= VMM_GICD_IPA && ipa < VMM_GICD_IPA + VMM_GICD_SIZE) {
        uint64_t off = ipa - VMM_GICD_IPA;
        bool router = off >= GICD_IROUTER && off < GICD_IROUTER + 8u * 1024u;

        if (size != 4u && !(router && size == 8u)) {
            return false;
        }
        *result = gicd(g, off, write, value);
        return true;
    }
    if (ipa >= VMM_GICR_IPA && ipa < VMM_GICR_IPA + VMM_GICR_STRIDE * vcpus) {
        uint64_t off = (ipa - VMM_GICR_IPA) % VMM_GICR_STRIDE;
        uint32_t vcpu = (uint32_t)((ipa - VMM_GICR_IPA) / VMM_GICR_STRIDE);

        if (size != 4u && !(off == GICR_TYPER && size == 8u)) {
            return false;
        }
        *result = gicr(g, vcpu, vcpu + 1u == vcpus, off, write, value);
        return true;
    }
    return false;
}

/* ICC_SGI1R_EL1 (Arm IHI 0069 12.2.23): INTID 27:24, IRM 40, Aff1 23:16, TargetList 15:0.
 * Our vCPUs all sit in Aff1 = 0, Aff0 = index. */
void vmm_gic_sgi(struct vmm_state *st, uint32_t slot, uint32_t self, uint64_t value)
{
    struct vmm_vm *vm = &st->vms[slot];
    uint32_t intid = (uint32_t)(value >> 24) & 0xfu;
    uint32_t targets = (uint32_t)value & 0xffffu;

    if (value & (1ull << 40)) {
        targets = ~(1u << self); /* all but self */
    } else if (((value >> 16) & 0xffu) != 0 || ((value >> 32) & 0xffu) != 0 ||
               ((value >> 48) & 0xffu) != 0) {
        return; /* another cluster: there is none */
    }
    for (uint32_t i = 0; i < VMM_CONFIG_MAX_VCPUS; i++) {
        if ((targets & (1u << i)) && (vm->vcpus_on & (1u << i))) {
            (void)us_vcpu_inject(vm->vcpu_cap[i], intid);
        }
    }
}

bool vmm_gic_deliverable(const struct vmm_gic *g, uint32_t intid)
{
    return intid < VMM_GIC_INTIDS && (g->ctlr & 2u) != 0 &&
           (g->enable[intid / 32u] & (1u << (intid % 32u))) != 0;
}

void vmm_gic_reset(struct vmm_gic *g)
{
    memset(g, 0, sizeof(*g));
    g->waker = GICR_WAKER_SLEEP;
}
