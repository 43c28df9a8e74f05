/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What differs between the architectures' guests in the vmm: how a guest image is placed and
 * what it is told of its machine (vmm_image_arm64.c, vmm_image_pc.c, chosen by the build), and the
 * PC's port I/O, CPUID and MSR exits (vmm_pc.c, docs/x86_64.md), which only an x86_64 kernel sends.
 */
#pragma once

#include <understudy/bundle.h>
#include <understudy/msg.h>
#include "vmm.h"

/* Where a guest kernel's bytes go (vmm_image_place()). */
struct vmm_image {
    uint64_t offset; /* in guest RAM */
    uint64_t skip;   /* bytes at the image's start not loaded: a bzImage's real-mode setup */
};

/** vmm_image_place() - where in guest RAM the kernel image @k (its bytes at @data) goes, in
 * *@img; all of what it needs must fit below @limit. Returns: US_OK; US_ECORRUPT for an image
 * of another format or a broken header; US_ENOMEM if it does not fit. */
us_err_t vmm_image_place(const struct us_bundle_entry *k, const uint8_t *data, uint64_t limit,
                         struct vmm_image *img);

/** vmm_image_boot() - what VM @slot's kernel @k (its bytes at @data) is told of its machine,
 * written in the VMM_DTB_MAX bytes of its RAM at @info_off once the kernel and the initrd
 * (@rd_off, @rd_size; 0 for none) are in place: arm64's device tree; a bzImage's boot_params,
 * command line and e820 map (nothing for a flat image). *@arg gets the boot vCPU's argument
 * (x0, or ESI). Returns: US_OK, or why the information could not be written. */
us_err_t vmm_image_boot(struct vmm_state *st, uint32_t slot, const struct us_bundle_entry *k,
                        const uint8_t *data, uint64_t info_off, uint64_t rd_off, uint64_t rd_size,
                        uint64_t *arg);

/** vmm_board_mmio() - VM @slot's MMIO access in the exit @m, emulated by the device the
 * architecture's machine has at its address (vmm_board_arm64.c, vmm_board_pc.c): *@v gets what
 * a load reads, *@virq an interrupt the access made ready (0: none). Returns: false if no
 * device is there. */
bool vmm_board_mmio(struct vmm_state *st, uint32_t slot, const struct us_msg *m, uint64_t *v,
                    uint32_t *virq);

/** vmm_board_uart_fast() - hand VM @slot's hottest UART registers to the kernel (vm_fastmmio)
 * if @on, else take them back: the PL011's data, flag and control registers
 * (vmm_pl011_regs_fast()), or COM1's transmitter and line status ports (vmm_pc_uart_fast()).
 * Returns: US_OK, or the kernel's error. */
us_err_t vmm_board_uart_fast(struct vmm_state *st, uint32_t slot, bool on);

/** vmm_board_uart_status() - what the kernel answers for VM @slot's UART status register in
 * the fast path: the PL011's flags (vmm_pl011_flags()), or the 16550's line status
 * (vmm_pc_lsr()). */
uint32_t vmm_board_uart_status(const struct vmm_state *st, uint32_t slot);

/** vmm_pl011_regs_fast(), vmm_pl011_flags() - aarch64's vmm_board_uart_fast() and
 * vmm_board_uart_status() (vmm_pl011.c). */
us_err_t vmm_pl011_regs_fast(struct vmm_state *st, uint32_t slot, bool on);
uint32_t vmm_pl011_flags(const struct vmm_state *st, uint32_t slot);

/** vmm_pc_uart_fast() - a PC's vmm_board_uart_fast() (vmm_pc.c): the line status always while
 * @on, the transmitter only while it is the data port (not the divisor latch) and the guest
 * asked for no transmitter-empty interrupt, which a byte through the kernel's ring would not
 * raise. Linux's console clears that enable around each line it writes; its tty sets it. */
us_err_t vmm_pc_uart_fast(struct vmm_state *st, uint32_t slot, bool on);

/** vmm_pc_lsr() - COM1's line status for VM @slot: the transmitter empty, and data ready while
 * input waits. */
uint32_t vmm_pc_lsr(const struct vmm_state *st, uint32_t slot);

/** vmm_board_virtio_at() - where VM guests see the virtio transport register aarch64's map
 * puts at @ipa: there on aarch64, in the PC's window at VMM_PC_VIRTIO on a PC. */
uint64_t vmm_board_virtio_at(uint64_t ipa);

/** vmm_board_irq() - VM @slot's device interrupt @intid (aarch64's numbering, a virtio
 * transport's SPI) raised: injected on aarch64 if the guest enabled it at its GIC; on a PC an
 * edge on the transport's 8259 line and I/O APIC pin. */
void vmm_board_irq(struct vmm_state *st, uint32_t slot, uint32_t intid);

/* The node's NIC on a PC (vmm_nic_pci.c): the physical window the manifest grants for its BARs,
 * and the interrupt ID its MSI-X message raises (the manifest's irq: vector 0x20 + ID). */
#define VMM_PC_NIC_WINDOW 0xc0000000u
#define VMM_PC_NIC_INTID 64u

/** vmm_nic_bus_find() - map the node's NIC the manifest grants and check that it is a virtio-net
 * device on the board's transport (vmm_nic_mmio.c: virtio-mmio version 2; vmm_nic_pci.c: a
 * virtio-pci function, its BARs placed in the granted window and MSI-X aimed at CPU 0); sets
 * @n->regs. Returns: US_OK; US_ENOENT (no NIC); US_ENOTSUP (unusable); each logged. */
us_err_t vmm_nic_bus_find(struct vmm_nic *n);

/** vmm_nic_bus_remap() - after a restart, map the NIC found before again. Returns: success. */
bool vmm_nic_bus_remap(struct vmm_nic *n);

/** vmm_nic_reg() - the NIC's register @off in virtio-mmio's numbering (VIO_*), whatever the
 * transport; VIO_CONFIG + i reads byte i of the device's configuration. */
uint32_t vmm_nic_reg(struct vmm_nic *n, uint32_t off);

/** vmm_nic_reg_set() - write @v to the NIC's register @off, numbered as vmm_nic_reg()'s. */
void vmm_nic_reg_set(struct vmm_nic *n, uint32_t off, uint32_t v);

/** vmm_console_put() - one byte of VM @slot's console output to the console's ring. */
void vmm_console_put(struct vmm_state *st, uint32_t slot, uint8_t b);

/* A PC guest's ACPI fixed registers (vmm_pc.c), as its FADT names them (vmm_image_pc.c): PM1a's
 * status and enable, its control, and the PM timer. */
#define VMM_PC_PM1A_EVT 0x600u
#define VMM_PC_PM1A_CNT 0x604u
#define VMM_PC_PM_TMR 0x608u

/* A PC guest's I/O APIC (vmm_board_pc.c), as its MADT names it (vmm_image_pc.c). */
#define VMM_PC_IOAPIC 0xfec00000u
#define VMM_PC_IOAPIC_SIZE 0x1000u
/* Its virtio-mmio transports: aarch64's four windows in their order and spacing, moved into the
 * PC's hole below 4 GiB; the DSDT names each with its ISA line (vmm_pc_virtio_line()). */
#define VMM_PC_VIRTIO 0xd0000000u
#define VMM_PC_VIRTIO_SIZE 0x4000u

/** vmm_pc_virtio_line() - the ISA interrupt line (8259 and I/O APIC pin) of the virtio transport
 * whose aarch64 interrupt is @intid: 5, 6, 7 and 3 for block, console, network and vsock. */
uint32_t vmm_pc_virtio_line(uint32_t intid);

/** vmm_pc_pulse() - an edge on VM @slot's 8259 line @line (0-7, the first 8259's): requested,
 * and the 8259's vector injected now if it is the one to go. */
void vmm_pc_pulse(struct vmm_state *st, uint32_t slot, uint32_t line);

/** vmm_ioapic_reset() - VM @slot's I/O APIC as at power-on: every pin masked and low. */
void vmm_ioapic_reset(struct vmm_state *st, uint32_t slot);

/** vmm_ioapic_access() - a load or store of @size bytes at @off in VM @slot's I/O APIC's
 * page (vmm_ioapic.c): the select register, the window, the rest reading as zero. Returns:
 * what a load reads. */
uint64_t vmm_ioapic_access(struct vmm_state *st, uint32_t slot, uint32_t off, uint32_t size,
                           bool write, uint32_t value);

/** vmm_ioapic_line() - VM @slot's interrupt line at I/O APIC pin @pin is @high: a rising edge
 * sends the pin's interrupt to the vCPU its entry names, unless masked. */
void vmm_ioapic_line(struct vmm_state *st, uint32_t slot, uint32_t pin, bool high);

/** vmm_vcpu_on() - start VM @slot's vCPU @i at @entry with argument @x0, creating it first if
 * need be: PSCI's CPU_ON (vmm_psci.c), and a PC's start-up IPI (vmm_pc.c). Returns: US_OK;
 * US_EBUSY if it runs already; the kernel's error otherwise (logged). */
us_err_t vmm_vcpu_on(struct vmm_state *st, uint32_t slot, uint32_t i, uint64_t entry, uint64_t x0);

/** vmm_pc_reset() - VM @slot's 16550, 8259s, ACPI registers and I/O APIC as at power-on. */
void vmm_pc_reset(struct vmm_state *st, uint32_t slot);

/** vmm_pc_io() - an IN or OUT (US_EXIT_IO): COM1's 16550 if the VM has a UART, the 8259 pair
 * and their trigger registers, the ACPI fixed registers; other ports read as all ones and
 * ignore writes. Fills the reply
 * in @m, with the 8259's vector to inject if the access made one ready. */
void vmm_pc_io(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pc_input() - operator input was queued for VM @slot: the 16550's interrupt for it, if
 * the guest asked for one, injected through the 8259. Returns: US_OK, or the injection's
 * error. */
us_err_t vmm_pc_input(struct vmm_state *st, uint32_t slot);

/** vmm_pc_cpuid() - CPUID (US_EXIT_CPUID): the host CPU's answer without VMX, SVM and
 * XSAVE, the hypervisor bit set, leaf 0x40000000 "UnderstudyVM"; zeros where the vmm runs on a
 * CPU without CPUID. */
void vmm_pc_cpuid(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pc_msr() - RDMSR or WRMSR (US_EXIT_MSR): reads as zero, writes ignored, logged. */
void vmm_pc_msr(struct vmm_state *st, uint32_t slot, struct us_msg *m);
