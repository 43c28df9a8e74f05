/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The MMIO map of an aarch64 guest's machine, QEMU virt's (docs/design.md): the PL011, the
 * virtio-mmio windows, the PCIe host bridge and the GIC distributor and redistributors. */
#include "vmm_arch.h"

bool vmm_board_mmio(struct vmm_state *st, uint32_t slot, const struct us_msg *m, uint64_t *v,
                    uint32_t *virq)
{
    uint64_t ipa = m->w[US_EXIT_IPA], value = m->w[US_EXIT_VALUE];
    uint32_t size = (uint32_t)m->w[US_EXIT_SIZE], line = VMM_UART_INTID;
    bool write = m->w[US_EXIT_WRITE] != 0, irq = false;

    if ((st->vms[slot].visible & VMM_DEV_UART) && ipa >= VMM_UART_IPA &&
        ipa < VMM_UART_IPA + VMM_UART_SIZE) {
        *v = vmm_pl011_access(st, slot, ipa - VMM_UART_IPA, write, value);
        irq = vmm_pl011_irq_line(st, slot);
        vmm_pl011_publish(st, slot); /* input taken, or its receive interrupt switched */
    } else if (vmm_virtio_access(st, slot, ipa, size, write, value, v, &line)) {
        irq = line != 0 && vmm_gic_deliverable(&st->vms[slot].gic, line);
        if (ipa >= VMM_VIRTIO_CON_IPA && ipa < VMM_VIRTIO_CON_IPA + VMM_VIRTIO_SIZE) {
            vmm_pl011_publish(st, slot); /* where input goes may have changed */
        }
    } else if (!vmm_pcie_access(st, slot, ipa, size, write, value, v) &&
               !vmm_gic_access(st, slot, ipa, size, write, value, v)) {
        return false;
    }
    *virq = irq ? line : 0u;
    return true;
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
