/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_gic.c: the GICv3 distributor and redistributor models. */
#include <string.h>
#include "ut.h"
#include "vmm.h"

static struct vmm_state st;

/* The kernel call vmm_gic_sgi() makes, recorded: (vCPU capability, INTID) per call. */
static struct {
    uint32_t n;
    us_cap_t cap[16];
    uint32_t intid[16];
} injected;

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    if (injected.n < 16) {
        injected.cap[injected.n] = vcpu;
        injected.intid[injected.n] = intid;
    }
    injected.n++;
    return US_OK;
}

static void setup(uint32_t vcpus)
{
    memset(&st, 0, sizeof(st));
    st.config.vm_count = 1;
    st.config.vms[0].vcpu_count = vcpus;
    vmm_gic_reset(&st.vms[0].gic);
}

static bool rd(uint64_t ipa, uint32_t size, uint64_t *v)
{
    return vmm_gic_access(&st, 0, ipa, size, false, 0, v);
}

static bool wr(uint64_t ipa, uint32_t size, uint64_t v)
{
    uint64_t ignored;

    return vmm_gic_access(&st, 0, ipa, size, true, v, &ignored);
}

static void gicd_identifies_v3(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(rd(VMM_GICD_IPA + 0xffe8, 4, &v) && ((v >> 4) & 0xf) == 3);
    UT_EXPECT(rd(VMM_GICD_IPA + 0x4, 4, &v) && (v & 0x1f) == VMM_GIC_INTIDS / 32 - 1);
    UT_EXPECT(((v >> 19) & 0x1f) == 9); /* 10 INTID bits */
    UT_EXPECT((v & (1u << 17)) == 0);   /* no LPIs */
    UT_EXPECT(rd(VMM_GICD_IPA, 4, &v) && (v & (1u << 31)) == 0 && (v & (1u << 6)) != 0);
}

static void gicd_enables_set_and_clear(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(wr(VMM_GICD_IPA + 0x104, 4, 1u << (VMM_UART_INTID - 32)));
    UT_EXPECT(!vmm_gic_deliverable(&st.vms[0].gic, VMM_UART_INTID)); /* group 1 still off */
    UT_EXPECT(wr(VMM_GICD_IPA, 4, 0x12));                            /* ARE | EnableGrp1 */
    UT_EXPECT(vmm_gic_deliverable(&st.vms[0].gic, VMM_UART_INTID));
    UT_EXPECT(rd(VMM_GICD_IPA + 0x184, 4, &v) && v == 1u << (VMM_UART_INTID - 32));
    UT_EXPECT(wr(VMM_GICD_IPA + 0x184, 4, 1u << (VMM_UART_INTID - 32)));
    UT_EXPECT(!vmm_gic_deliverable(&st.vms[0].gic, VMM_UART_INTID));
    UT_EXPECT(!vmm_gic_deliverable(&st.vms[0].gic, 5000));
}

static void gicd_priorities_bytes(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(wr(VMM_GICD_IPA + 0x420, 4, 0xa0b0c0d0u));
    UT_EXPECT(rd(VMM_GICD_IPA + 0x420, 4, &v) && v == 0xa0b0c0d0u);
    UT_EXPECT(st.vms[0].gic.prio[32] == 0xd0 && st.vms[0].gic.prio[35] == 0xa0);
    /* Past the implemented INTIDs: read as zero, writes ignored, nothing overrun. */
    UT_EXPECT(wr(VMM_GICD_IPA + 0x400 + VMM_GIC_INTIDS, 4, 0xffffffffu));
    UT_EXPECT(rd(VMM_GICD_IPA + 0x400 + VMM_GIC_INTIDS, 4, &v) && v == 0);
}

static void gicd_router_64bit(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(wr(VMM_GICD_IPA + 0x6000 + 8 * 33, 8, 0x100));
    UT_EXPECT(rd(VMM_GICD_IPA + 0x6000 + 8 * 33, 8, &v) && v == 0x100);
    UT_EXPECT(rd(VMM_GICD_IPA + 0x6000 + 8 * 5, 8, &v) && v == 0); /* no router for SGI/PPI */
    UT_EXPECT(rd(VMM_GICD_IPA + 0x6000 + 8 * 1000, 8, &v) && v == 0);
}

static void gic_rejects_bad_size(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(!rd(VMM_GICD_IPA + 0x4, 1, &v));
    UT_EXPECT(!rd(VMM_GICD_IPA + 0x4, 8, &v));
    UT_EXPECT(!wr(VMM_GICD_IPA + 0x100, 2, 0));
    UT_EXPECT(!rd(VMM_GICR_IPA + 0x14, 8, &v));
}

static void gic_ignores_other_addresses(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(!rd(VMM_GICD_IPA - 4, 4, &v));
    UT_EXPECT(!rd(VMM_GICR_IPA + VMM_GICR_STRIDE, 4, &v)); /* no second vCPU */
    UT_EXPECT(!rd(VMM_UART_IPA, 4, &v));
}

static void gicr_wake_handshake(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(rd(VMM_GICR_IPA + 0x14, 4, &v) && v == 6); /* ProcessorSleep, ChildrenAsleep */
    UT_EXPECT(wr(VMM_GICR_IPA + 0x14, 4, 0));
    UT_EXPECT(rd(VMM_GICR_IPA + 0x14, 4, &v) && v == 0);
}

static void gicr_typer_per_vcpu(void)
{
    uint64_t v;

    setup(2);
    UT_EXPECT(rd(VMM_GICR_IPA + 0x8, 8, &v) && (v >> 32) == 0 && (v & (1u << 4)) == 0);
    UT_EXPECT(rd(VMM_GICR_IPA + VMM_GICR_STRIDE + 0x8, 8, &v) && (v >> 32) == 1 &&
              (v & (1u << 4)) != 0 && ((v >> 8) & 0xffff) == 1);
    UT_EXPECT(rd(VMM_GICR_IPA + VMM_GICR_STRIDE + 0xc, 4, &v) && v == 1);
}

static void gicr_sgi_frame_word0_only(void)
{
    uint64_t v;

    setup(1);
    UT_EXPECT(wr(VMM_GICR_IPA + 0x10000 + 0x100, 4, 1u << 27)); /* ISENABLER0: vtimer */
    UT_EXPECT(st.vms[0].gic.enable[0] == 1u << 27);
    UT_EXPECT(wr(VMM_GICR_IPA + 0x10000 + 0x104, 4, 0xffffffffu)); /* not in the frame */
    UT_EXPECT(st.vms[0].gic.enable[1] == 0);
    UT_EXPECT(rd(VMM_GICR_IPA + 0x10000 + 0x104, 4, &v) && v == 0);
    /* The distributor's word 0 is the redistributor's: RAZ/WI there. */
    UT_EXPECT(wr(VMM_GICD_IPA + 0x80, 4, 0xffffffffu));
    UT_EXPECT(wr(VMM_GICD_IPA + 0x180, 4, 0xffffffffu)); /* ICENABLER0 */
    UT_EXPECT(wr(VMM_GICD_IPA + 0x418, 4, 0xffffffffu)); /* IPRIORITYR of PPIs 24..27 */
    UT_EXPECT(st.vms[0].gic.group[0] == 0 && st.vms[0].gic.enable[0] == 1u << 27);
    UT_EXPECT(st.vms[0].gic.prio[27] == 0);
}

/* Four vCPUs with capabilities 40..43, of which @on run. */
static void setup_sgi(uint32_t on)
{
    setup(4);
    memset(&injected, 0, sizeof(injected));
    for (uint32_t i = 0; i < 4; i++) {
        st.vms[0].vcpu_cap[i] = 40 + i;
    }
    st.vms[0].vcpus_on = on;
}

static void sgi_targets_list(void)
{
    setup_sgi(0xf);
    vmm_gic_sgi(&st, 0, 0, (1ull << 24) | 0x6); /* SGI 1 to vCPUs 1 and 2 */
    UT_EXPECT_EQ(injected.n, 2);
    UT_EXPECT(injected.cap[0] == 41 && injected.cap[1] == 42);
    UT_EXPECT(injected.intid[0] == 1 && injected.intid[1] == 1);
}

static void sgi_irm_all_but_self(void)
{
    setup_sgi(0xb); /* vCPU 2 is off */
    vmm_gic_sgi(&st, 0, 1, (1ull << 40) | (5ull << 24));
    UT_EXPECT_EQ(injected.n, 2);
    UT_EXPECT(injected.cap[0] == 40 && injected.cap[1] == 43 && injected.intid[0] == 5);
}

static void sgi_ignores_other_clusters_and_off(void)
{
    setup_sgi(0x1);
    vmm_gic_sgi(&st, 0, 0, (1ull << 16) | 0x1); /* Aff1 = 1: no such vCPU */
    vmm_gic_sgi(&st, 0, 0, (3ull << 32) | 0x1); /* Aff2 = 3 */
    vmm_gic_sgi(&st, 0, 0, 0xfffe);             /* only vCPUs that are off */
    UT_EXPECT_EQ(injected.n, 0);
}

UT_MAIN({"gicd_identifies_v3", gicd_identifies_v3}, {"sgi_targets_list", sgi_targets_list},
        {"sgi_irm_all_but_self", sgi_irm_all_but_self},
        {"sgi_ignores_other_clusters_and_off", sgi_ignores_other_clusters_and_off},
        {"gicd_enables_set_and_clear", gicd_enables_set_and_clear},
        {"gicd_priorities_bytes", gicd_priorities_bytes}, {"gicd_router_64bit", gicd_router_64bit},
        {"gic_rejects_bad_size", gic_rejects_bad_size},
        {"gic_ignores_other_addresses", gic_ignores_other_addresses},
        {"gicr_wake_handshake", gicr_wake_handshake}, {"gicr_typer_per_vcpu", gicr_typer_per_vcpu},
        {"gicr_sgi_frame_word0_only", gicr_sgi_frame_word0_only})
