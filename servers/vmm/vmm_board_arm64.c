/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The MMIO map of an aarch64 guest's machine, QEMU virt's (docs/design.md): the PL011, the
 * virtio-mmio windows, the PCIe host bridge and the GIC distributor and redistributors. */
#include "vmm_arch.h"

/* The windows are disjoint; the GIC's, the busiest after the UART's, is looked at first. */
bool vmm_board_mmio(struct vmm_state *st, uint32_t slot, const struct us_msg *m, uint64_t *v,
                    uint32_t *virq)
{
    uint64_t ipa = m->w[US_EXIT_IPA], value = m->w[US_EXIT_VALUE];
    uint32_t size = (uint32_t)m->w[US_EXIT_SIZE];
    bool write = m->w[US_EXIT_WRITE] != 0;
    struct vmm_virtio_hit h;

    *virq = 0;
    if ((st->vms[slot].visible & VMM_DEV_UART) && ipa >= VMM_UART_IPA &&
        ipa < VMM_UART_IPA + VMM_UART_SIZE) {
        *v = vmm_pl011_access(st, slot, ipa - VMM_UART_IPA, write, value);
        *virq = vmm_pl011_irq_line(st, slot) ? VMM_UART_INTID : 0u;
        vmm_pl011_publish(st, slot); /* input taken, or its receive interrupt switched */
        return true;
    }
    if (vmm_gic_access(st, slot, ipa, size, write, value, v)) {
        return true;
    }
    h = vmm_virtio_mmio(st, slot, ipa, size, write, value);
    if (h.hit) {
        *v = h.value;
        *virq = h.irq != 0 && vmm_gic_deliverable(&st->vms[slot].gic, h.irq) ? h.irq : 0u;
        if (ipa >= VMM_VIRTIO_CON_IPA && ipa < VMM_VIRTIO_CON_IPA + VMM_VIRTIO_SIZE) {
            vmm_pl011_publish(st, slot); /* where input goes may have changed */
        }
        return true;
    }
    return vmm_pcie_access(st, slot, ipa, size, write, value, v);
}

us_err_t vmm_board_uart_fast(struct vmm_state *st, uint32_t slot, bool on)
{
    return vmm_pl011_regs_fast(st, slot, on);
}

uint32_t vmm_board_uart_status(const struct vmm_state *st, uint32_t slot)
{
    return vmm_pl011_flags(st, slot);
}

uint64_t vmm_board_virtio_at(uint64_t ipa)
{
    return ipa;
}

void vmm_board_irq(struct vmm_state *st, uint32_t slot, uint32_t intid)
{
    if (vmm_gic_deliverable(&st->vms[slot].gic, intid)) {
        (void)us_vcpu_inject(st->vms[slot].vcpu_cap[0], intid);
    }
}
