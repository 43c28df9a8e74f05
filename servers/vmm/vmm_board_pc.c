/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The MMIO map of a PC guest's machine (docs/x86_64.md): its I/O APIC (vmm_ioapic.c) and its
 * virtio-mmio transports. The transports are aarch64's (vmm_virtio.c), each window moved to
 * the PC's hole at VMM_PC_VIRTIO, and each interrupt an edge on an ISA line: the first 8259's
 * (Linux with noapic) and the same I/O APIC pin. */
#include "vmm_arch.h"

uint32_t vmm_pc_virtio_line(uint32_t intid)
{
    static const uint8_t lines[] = {5, 6, 7, 3}; /* free on a PC without floppy or COM2 */
    uint32_t i = intid - VMM_VIRTIO_BLK_INTID;

    return i < sizeof(lines) ? lines[i] : 0u;
}

us_err_t vmm_board_uart_fast(struct vmm_state *st, uint32_t slot, bool on)
{
    return vmm_pc_uart_fast(st, slot, on);
}

uint32_t vmm_board_uart_status(const struct vmm_state *st, uint32_t slot)
{
    return vmm_pc_lsr(st, slot);
}

uint64_t vmm_board_virtio_at(uint64_t ipa)
{
    return VMM_PC_VIRTIO + (ipa - VMM_VIRTIO_BLK_IPA);
}

void vmm_board_irq(struct vmm_state *st, uint32_t slot, uint32_t intid)
{
    uint32_t line = vmm_pc_virtio_line(intid);

    if (line != 0) {
        vmm_ioapic_line(st, slot, line, true);
        vmm_ioapic_line(st, slot, line, false);
        vmm_pc_pulse(st, slot, line);
    }
}

bool vmm_board_mmio(struct vmm_state *st, uint32_t slot, const struct us_msg *m, uint64_t *v,
                    uint32_t *virq)
{
    uint64_t ipa = m->w[US_EXIT_IPA], off = ipa - VMM_PC_IOAPIC;
    uint32_t value = (uint32_t)m->w[US_EXIT_VALUE];
    bool write = m->w[US_EXIT_WRITE] != 0;

    *virq = 0;
    if (ipa >= VMM_PC_VIRTIO && ipa - VMM_PC_VIRTIO < VMM_PC_VIRTIO_SIZE) {
        struct vmm_virtio_hit h =
            vmm_virtio_mmio(st, slot, VMM_VIRTIO_BLK_IPA + (ipa - VMM_PC_VIRTIO),
                            (uint32_t)m->w[US_EXIT_SIZE], write, m->w[US_EXIT_VALUE]);
        if (!h.hit) {
            return false;
        }
        *v = h.value;
        if (h.irq != 0) {
            vmm_board_irq(st, slot, h.irq);
        }
        return true;
    }
    if (ipa < VMM_PC_IOAPIC || off >= VMM_PC_IOAPIC_SIZE) {
        return false;
    }
    *v = vmm_ioapic_access(st, slot, (uint32_t)off, (uint32_t)m->w[US_EXIT_SIZE], write, value);
    return true;
}
