/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A PC guest's I/O APIC (docs/x86_64.md): the system half of the PC's interrupt controller,
 * the vmm's as the local APIC is the kernel's (KVM's split irqchip). An 82093AA-style I/O APIC
 * of version 0x20 (Intel's datasheet; the ICH's adds the EOI register) at 0xfec00000 with 24
 * pins: a register select, a window, and the EOI register.
 *
 * Each pin's redirection entry sends its interrupt as a fixed or lowest-priority message to one
 * vCPU: the APIC ID its physical destination names (a vCPU's APIC ID is its index), or the
 * lowest vCPU of its logical destination's flat bitmap. A pin's message goes on a rising
 * edge, and for a level-triggered pin also when it is unmasked while high. Remote IRR is never
 * set: the kernel's local APIC ends interrupts without telling the vmm, so a level-triggered
 * pin is delivered as an edge. The guest hears nothing of a pin while it is masked. Built for
 * both architectures, as vmm_pc.c is, which drives COM1's line into it. */
#include <uslib/string.h>
#include <understudy/usys.h>
#include "vmm_arch.h"

#define IOREGSEL 0x00u
#define IOWIN 0x10u
#define REG_ID 0x00u
#define REG_VER 0x01u
#define REG_ARB 0x02u
#define REG_RTE 0x10u
#define IOAPIC_VERSION (0x20u | ((VMM_PC_IOAPIC_PINS - 1u) << 16))
#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_READ_ONLY 0x5000ull /* remote IRR (14), delivery status (12): the I/O APIC's */
#define RTE_LOGICAL (1ull << 11)
#define RTE_MODE (7ull << 8) /* 0 fixed, 1 lowest priority; others are not modelled */

void vmm_ioapic_reset(struct vmm_state *st, uint32_t slot)
{
    struct vmm_ioapic *io = &st->vms[slot].pc.ioapic;

    memset(io, 0, sizeof(*io));
    for (uint32_t i = 0; i < VMM_PC_IOAPIC_PINS; i++) {
        io->rte[i] = RTE_MASKED;
    }
}

/* Pin @pin's message to the vCPU its entry names, if the entry lets it go. */
static void deliver(struct vmm_state *st, uint32_t slot, uint32_t pin)
{
    struct vmm_ioapic *io = &st->vms[slot].pc.ioapic;
    uint64_t rte = io->rte[pin];
    uint32_t dest = (uint32_t)(rte >> 56), vector = (uint32_t)rte & 0xffu, cpu;
    const struct vmm_vm *vm = &st->vms[slot];

    if (rte & RTE_MASKED) {
        return;
    }
    if ((rte & RTE_MODE) > (1ull << 8) || vector < 16u) {
        if (!io->warned) {
            io->warned = true;
            US_LOG_WARN("%s: I/O APIC pin %u: delivery mode %u, vector %u not modelled; dropped",
                        st->config.vms[slot].name, pin, (uint32_t)((rte & RTE_MODE) >> 8), vector);
        }
        return;
    }
    cpu = (rte & RTE_LOGICAL) ? (dest != 0 ? (uint32_t)__builtin_ctz(dest) : 32u) : dest;
    if (cpu >= VMM_CONFIG_MAX_VCPUS || !(vm->vcpus_created & (1u << cpu))) {
        return; /* no such CPU: the message finds no one, as on a PC */
    }
    (void)us_vcpu_inject(vm->vcpu_cap[cpu], vector);
}

void vmm_ioapic_line(struct vmm_state *st, uint32_t slot, uint32_t pin, bool high)
{
    struct vmm_ioapic *io = &st->vms[slot].pc.ioapic;
    uint32_t bit;
    bool was;

    if (pin >= VMM_PC_IOAPIC_PINS) {
        return;
    }
    bit = 1u << pin;
    was = (io->lines & bit) != 0;
    io->lines = high ? io->lines | bit : io->lines & ~bit;
    if (high && !was) {
        deliver(st, slot, pin);
    }
}

/* The register @reg the window shows, read or written with @v. */
static uint32_t window(struct vmm_state *st, uint32_t slot, uint32_t reg, bool write, uint32_t v)
{
    struct vmm_ioapic *io = &st->vms[slot].pc.ioapic;
    uint32_t pin = (reg - REG_RTE) / 2u;
    uint64_t *e = &io->rte[pin < VMM_PC_IOAPIC_PINS ? pin : 0];

    if (reg == REG_ID || reg == REG_ARB) {
        if (write && reg == REG_ID) {
            io->id = (v >> 24) & 0xfu;
        }
        return io->id << 24;
    }
    if (reg == REG_VER) {
        return IOAPIC_VERSION;
    }
    if (reg < REG_RTE || pin >= VMM_PC_IOAPIC_PINS) {
        return 0; /* reserved: reads as zero, writes ignored */
    }
    if (write && (reg & 1u)) {
        *e = (*e & 0xffffffffu) | ((uint64_t)v << 32);
    } else if (write) {
        bool was_masked = (*e & RTE_MASKED) != 0;

        *e = (*e & ~0xffffffffull) | (v & ~RTE_READ_ONLY) | (*e & RTE_READ_ONLY);
        if (was_masked && (*e & (RTE_LEVEL | RTE_MASKED)) == RTE_LEVEL &&
            (io->lines & (1u << pin))) {
            deliver(st, slot, pin); /* unmasked while high */
        }
    }
    return (uint32_t)(*e >> ((reg & 1u) * 32u));
}

uint64_t vmm_ioapic_access(struct vmm_state *st, uint32_t slot, uint32_t off, uint32_t size,
                           bool write, uint32_t value)
{
    struct vmm_ioapic *io = &st->vms[slot].pc.ioapic;

    if (off == IOREGSEL) {
        if (write) {
            io->sel = value & 0xffu;
        }
        return io->sel;
    }
    if (off == IOWIN && (size == 4u || !write)) {
        /* A narrower load gets the low bytes; a narrower store, which the datasheet does not
         * define, is ignored. */
        return window(st, slot, io->sel, write, value);
    }
    return 0; /* the rest, the EOI register among them (no entry holds a remote IRR), reads as
               * zero and ignores writes */
}
