/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Fuzz target: the vmm's GICv3 distributor and redistributor models, driven by a sequence of
 * MMIO reads and writes (offset, width, value) and SGI register writes. */
#include <stdbool.h>
#include "fuzz_input.h"
#include "vmm.h"

/*
 * Input: one byte for the VM's vCPU count (1 + byte % 8), one for which of them run, then
 * operations: an opcode byte (enum op, modulo OP_COUNT), a byte of flags (bit 6: a write; bits
 * 0-2 and 7: the width, see width(); bit 3: the redistributor's SGI frame) or the SGI sender,
 * then the operands the case reads (little-endian).
 */
enum op { OP_GICD, OP_GICR, OP_RAW, OP_SGI, OP_DELIVERABLE, OP_RESET, OP_COUNT };

static struct vmm_state st;
static uint32_t vcpus;

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    /* Only to a running vCPU of this VM (capability 100 + index), only an SGI. */
    FUZZ_CHECK(vcpu >= 100 && vcpu < 100 + vcpus);
    FUZZ_CHECK(st.vms[0].vcpus_on & (1u << (vcpu - 100)));
    FUZZ_CHECK(intid < 16);
    return US_OK;
}

static uint32_t width(uint8_t sel)
{
    static const uint32_t widths[8] = {4, 4, 4, 8, 1, 2, 0, 3};

    return (sel & 0x80u) ? sel : widths[sel & 7u];
}

/*
 * One access. A refused one (the vmm injects an abort) and any read change nothing; what is
 * accepted has the width the GIC architecture allows for it.
 */
static void mmio(uint64_t ipa, uint32_t size, bool write, uint64_t value)
{
    static struct vmm_gic before;
    uint64_t result = 0x5a5a5a5a5a5a5a5aull;
    bool ok;

    before = st.vms[0].gic;
    ok = vmm_gic_access(&st, 0, ipa, size, write, value, &result);
    if (!ok || !write) {
        FUZZ_CHECK(memcmp(&before, &st.vms[0].gic, sizeof(before)) == 0);
    }
    if (!ok) {
        FUZZ_CHECK(result == 0x5a5a5a5a5a5a5a5aull);
        return;
    }
    FUZZ_CHECK(size == 4 || size == 8);
    if (ipa >= VMM_GICD_IPA && ipa < VMM_GICD_IPA + VMM_GICD_SIZE) {
        uint64_t off = ipa - VMM_GICD_IPA;

        FUZZ_CHECK(size == 4 || (off >= 0x6000 && off < 0x8000));
        if (off == 0) {
            FUZZ_CHECK(result & (1u << 6)); /* GICD_CTLR.DS: one security state */
            FUZZ_CHECK((result & (1u << 31)) == 0);
        }
    } else {
        uint64_t rel = ipa - VMM_GICR_IPA;

        FUZZ_CHECK(ipa >= VMM_GICR_IPA && rel / VMM_GICR_STRIDE < vcpus);
        FUZZ_CHECK(size == 4 || rel % VMM_GICR_STRIDE == 8);
        if (rel % VMM_GICR_STRIDE == 8 && !write) {
            uint64_t vcpu = rel / VMM_GICR_STRIDE;

            /* GICR_TYPER: its vCPU's affinity, Last on the last redistributor only. */
            FUZZ_CHECK(((result >> 8) & 0xffffu) == vcpu);
            FUZZ_CHECK(((result >> 4) & 1u) == (vcpu + 1 == vcpus));
        }
    }
}

static void deliverable(uint32_t intid)
{
    const struct vmm_gic *g = &st.vms[0].gic;
    bool want =
        intid < VMM_GIC_INTIDS && (g->ctlr & 2u) && (g->enable[intid / 32] >> (intid % 32)) & 1u;

    FUZZ_CHECK(vmm_gic_deliverable(g, intid) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t cfg = fi_u8(&in);

    memset(&st, 0, sizeof(st));
    vcpus = 1u + cfg % VMM_CONFIG_MAX_VCPUS;
    st.config.vm_count = 1;
    st.config.vms[0].vcpu_count = vcpus;
    st.vms[0].vcpus_on = fi_u8(&in) & ((1u << vcpus) - 1u);
    for (uint32_t i = 0; i < VMM_CONFIG_MAX_VCPUS; i++) {
        st.vms[0].vcpu_cap[i] = 100 + i;
    }
    vmm_gic_reset(&st.vms[0].gic);

    while (fi_left(&in) > 0) {
        uint8_t op = fi_u8(&in), how = fi_u8(&in);
        bool write = (how & 0x40u) != 0;

        switch (op % OP_COUNT) {
        case OP_GICD: {
            uint64_t off = fi_u16(&in);

            mmio(VMM_GICD_IPA + off, width(how & 0x87u), write, write ? fi_u64(&in) : 0);
            break;
        }
        case OP_GICR: {
            uint32_t vcpu = fi_u8(&in) % (VMM_CONFIG_MAX_VCPUS + 1u);
            uint64_t off = (how & 0x8u ? 0x10000u : 0u) + fi_u16(&in);

            mmio(VMM_GICR_IPA + vcpu * VMM_GICR_STRIDE + off, width(how & 0x87u), write,
                 write ? fi_u64(&in) : 0);
            break;
        }
        case OP_RAW: {
            /* Around the edges of both windows, or anywhere. */
            static const uint64_t bases[4] = {VMM_GICD_IPA, VMM_GICD_IPA + VMM_GICD_SIZE,
                                              VMM_GICR_IPA, 0x8000000000000000ull};
            uint64_t ipa = bases[how & 3u] + (uint64_t)(int64_t)(int32_t)fi_u32(&in);
            uint32_t bytes = width(fi_u8(&in));
            uint64_t value = fi_u64(&in);

            mmio(ipa, bytes, write, value);
            break;
        }
        case OP_SGI: {
            uint64_t value = fi_u64(&in);

            vmm_gic_sgi(&st, 0, (uint32_t)how % vcpus, value);
            break;
        }
        case OP_DELIVERABLE:
            deliverable(fi_u16(&in));
            break;
        case OP_RESET:
            vmm_gic_reset(&st.vms[0].gic);
            FUZZ_CHECK(st.vms[0].gic.waker == 2u && st.vms[0].gic.ctlr == 0);
            break;
        default:
            break;
        }
    }
    return 0;
}
