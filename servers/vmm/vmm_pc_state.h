/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A PC guest's chipset state (docs/x86_64.md): COM1's 16550, the 8259 pair and the ACPI fixed
 * registers (vmm_pc.c), and the I/O APIC (vmm_ioapic.c). It lives in the VM table, in the
 * vmm's state region, so that a restarted vmm finds the guest's interrupt routing as the guest
 * left it. No field is a pointer or an index the code trusts unchecked: any value is safe. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define VMM_PC_IOAPIC_PINS 24u

/* One 8259: requested and in-service lines, the mask, the vector base, where its
 * initialisation words are (0: done), what a command-port read returns. */
struct vmm_i8259 {
    uint8_t irr, isr, imr, base, icw, icw1, icw4, read_isr;
};

/* The I/O APIC: its ID, the selected register, the pins' entries and which pins are high. */
struct vmm_ioapic {
    uint32_t id, sel, lines;
    uint64_t rte[VMM_PC_IOAPIC_PINS];
    bool warned; /* a delivery mode it does not model, logged once */
};

/* The node's NIC on a PC (vmm_nic_pci.c): where virtio-pci's structures are in the window its
 * BARs were placed in, the doorbell's multiplier, and each queue's doorbell. */
struct vmm_nic_pci {
    uint32_t common, isr, device, notify, notify_mul;
    uint32_t notify_at[2];
    uint32_t window; /* bytes granted at VMM_PC_NIC_WINDOW (the capability's size) */
};

/* The whole chipset, reset with the VM (vmm_pc_reset(), vmm_ioapic_reset()). */
struct vmm_pc {
    uint8_t lcr, ier, fcr, mcr, scr;
    bool thre;    /* the transmitter-empty interrupt is pending */
    bool line;    /* COM1's interrupt line, as the 8259 last saw it */
    bool tx_fast; /* COM1's transmitter is in the kernel's fast path (vmm_pc_uart_fast()) */
    uint8_t elcr[2];
    struct vmm_i8259 pic[2];
    uint16_t pm1_sts, pm1_en, pm1_cnt;
    uint8_t cmos_index; /* the MC146818's register selected at port 0x70 */
    uint8_t cmos[128];  /* its battery-backed RAM and status B (the clock is computed) */
    struct vmm_ioapic ioapic;
};
