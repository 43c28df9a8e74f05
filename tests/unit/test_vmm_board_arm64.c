/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_board_arm64.c: which device model an aarch64 guest's MMIO exit
 * reaches, and the interrupt its reply raises. The models are played here: each records that it
 * was asked and claims only its own window. */
#include <string.h>
#include <understudy/vcpu.h>
#include "ut.h"
#include "vmm_arch.h"

static struct vmm_state st;
static struct us_msg m;

static int asked_uart, asked_gic, asked_virtio, asked_pcie, published;
static bool uart_line;      /* vmm_pl011_irq_line() */
static bool line_enabled;   /* vmm_gic_deliverable() */
static uint32_t virtio_irq; /* the interrupt the transport's access completes */

uint64_t vmm_pl011_access(struct vmm_state *s, uint32_t slot, uint64_t off, bool write,
                          uint64_t value)
{
    UT_EXPECT(s == &st && slot == 0);
    (void)write, (void)value;
    asked_uart++;
    return 0x90u + off;
}

bool vmm_pl011_irq_line(struct vmm_state *s, uint32_t slot)
{
    (void)s, (void)slot;
    return uart_line;
}

void vmm_pl011_publish(struct vmm_state *s, uint32_t slot)
{
    (void)s, (void)slot;
    published++;
}

us_err_t vmm_pl011_regs_fast(struct vmm_state *s, uint32_t slot, bool on)
{
    (void)s, (void)slot, (void)on;
    return US_OK;
}

uint32_t vmm_pl011_flags(const struct vmm_state *s, uint32_t slot)
{
    (void)s, (void)slot;
    return 0;
}

bool vmm_gic_access(struct vmm_state *s, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                    uint64_t value, uint64_t *result)
{
    (void)s, (void)slot, (void)size, (void)write, (void)value;
    asked_gic++;
    if (ipa < VMM_GICD_IPA || ipa >= VMM_GICD_IPA + VMM_GICD_SIZE) {
        return false;
    }
    *result = 0x61c;
    return true;
}

bool vmm_gic_deliverable(const struct vmm_gic *g, uint32_t intid)
{
    UT_EXPECT(g == &st.vms[0].gic && intid == virtio_irq);
    return line_enabled;
}

struct vmm_virtio_hit vmm_virtio_mmio(struct vmm_state *s, uint32_t slot, uint64_t ipa,
                                      uint32_t size, bool write, uint64_t v)
{
    struct vmm_virtio_hit h = {0, 0, false};

    (void)s, (void)slot, (void)size, (void)write, (void)v;
    asked_virtio++;
    if (ipa >= VMM_VIRTIO_BLK_IPA && ipa < VMM_VIRTIO_VSOCK_IPA + VMM_VIRTIO_SIZE) {
        h.value = 0x74726976u;
        h.irq = virtio_irq;
        h.hit = true;
    }
    return h;
}

bool vmm_pcie_access(struct vmm_state *s, uint32_t slot, uint64_t ipa, uint32_t size, bool write,
                     uint64_t value, uint64_t *result)
{
    (void)s, (void)slot, (void)size, (void)write, (void)value;
    asked_pcie++;
    if (ipa < VMM_PCIE_ECAM_IPA || ipa >= VMM_PCIE_ECAM_IPA + VMM_PCIE_ECAM_SIZE) {
        return false;
    }
    *result = ~0ull;
    return true;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    (void)vcpu, (void)intid;
    return US_OK;
}

/* One 4-byte access at @ipa through the board; its value in *@v, its interrupt in *@virq. */
static bool access(uint64_t ipa, bool write, uint64_t *v, uint32_t *virq)
{
    asked_uart = asked_gic = asked_virtio = asked_pcie = published = 0;
    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_IPA] = ipa;
    m.w[US_EXIT_SIZE] = 4;
    m.w[US_EXIT_WRITE] = write;
    *v = 0xdead;
    *virq = 0xdead;
    return vmm_board_mmio(&st, 0, &m, v, virq);
}

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    st.config.vm_count = 1;
    st.vms[0].visible = VMM_DEV_UART;
    uart_line = line_enabled = false;
    virtio_irq = 0;
}

/* The UART's window reaches the PL011 alone; its line raises its interrupt, or none. */
static void uart_window_reaches_pl011(void)
{
    uint64_t v;
    uint32_t virq;

    setup();
    UT_EXPECT(access(VMM_UART_IPA + 0x38, true, &v, &virq));
    UT_EXPECT(asked_uart == 1 && asked_gic == 0 && asked_virtio == 0 && asked_pcie == 0);
    UT_EXPECT_EQ(v, 0x90u + 0x38);
    UT_EXPECT_EQ(virq, 0);
    UT_EXPECT_EQ(published, 1);
    uart_line = true;
    UT_EXPECT(access(VMM_UART_IPA + 0x18, false, &v, &virq));
    UT_EXPECT_EQ(virq, VMM_UART_INTID);
}

/* A UART the VM may not see (hidden for this boot) is nobody's: the access faults. */
static void hidden_uart_is_unmapped(void)
{
    uint64_t v;
    uint32_t virq;

    setup();
    st.vms[0].visible = 0;
    UT_EXPECT(!access(VMM_UART_IPA + 0x38, true, &v, &virq));
    UT_EXPECT_EQ(asked_uart, 0);
}

/* The GIC's window, the busiest after the UART's, is answered before the virtio windows are
 * looked at. */
static void gic_answers_first(void)
{
    uint64_t v;
    uint32_t virq;

    setup();
    UT_EXPECT(access(VMM_GICD_IPA + 4, false, &v, &virq));
    UT_EXPECT(asked_gic == 1 && asked_virtio == 0 && asked_pcie == 0);
    UT_EXPECT_EQ(v, 0x61c);
    UT_EXPECT_EQ(virq, 0);
}

/* A virtio transport's access raises the interrupt it completed, if the guest enabled it; the
 * console's refreshes where the kernel says input goes. */
static void virtio_raises_enabled_line(void)
{
    uint64_t v;
    uint32_t virq;

    setup();
    virtio_irq = VMM_VIRTIO_NET_INTID;
    UT_EXPECT(access(VMM_VIRTIO_NET_IPA + 0x50, true, &v, &virq));
    UT_EXPECT(asked_gic == 1 && asked_virtio == 1 && asked_pcie == 0);
    UT_EXPECT_EQ(v, 0x74726976u);
    UT_EXPECT_EQ(virq, 0); /* masked in the distributor */
    UT_EXPECT_EQ(published, 0);
    line_enabled = true;
    UT_EXPECT(access(VMM_VIRTIO_NET_IPA + 0x50, true, &v, &virq));
    UT_EXPECT_EQ(virq, VMM_VIRTIO_NET_INTID);
    virtio_irq = VMM_VIRTIO_CON_INTID;
    UT_EXPECT(access(VMM_VIRTIO_CON_IPA + 0x50, true, &v, &virq));
    UT_EXPECT_EQ(virq, VMM_VIRTIO_CON_INTID);
    UT_EXPECT_EQ(published, 1);
}

/* The PCIe window comes last; an address nobody claims is unmapped, with every model asked. */
static void pcie_last_then_unmapped(void)
{
    uint64_t v;
    uint32_t virq;

    setup();
    UT_EXPECT(access(VMM_PCIE_ECAM_IPA + 0x100, false, &v, &virq));
    UT_EXPECT(asked_gic == 1 && asked_virtio == 1 && asked_pcie == 1);
    UT_EXPECT_EQ(v, ~0ull);
    UT_EXPECT_EQ(virq, 0);
    UT_EXPECT(!access(0x20000000u, false, &v, &virq));
    UT_EXPECT(asked_gic == 1 && asked_virtio == 1 && asked_pcie == 1);
}

UT_MAIN({"uart_window_reaches_pl011", uart_window_reaches_pl011},
        {"hidden_uart_is_unmapped", hidden_uart_is_unmapped},
        {"gic_answers_first", gic_answers_first},
        {"virtio_raises_enabled_line", virtio_raises_enabled_line},
        {"pcie_last_then_unmapped", pcie_last_then_unmapped})
