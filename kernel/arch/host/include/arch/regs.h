/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The host fake architecture's saved registers: plain arrays the unit tests read and write.
 * The thread frame is aarch64's or x86_64's (arch/host_frame.h, chosen by the include path:
 * kernel/arch/host/frame/<arch>). */
#pragma once

#include <stdint.h>
#include <arch/host_frame.h>

struct arch_fpregs {
    uint64_t v[64];
};

/* A vCPU's EL1 state, as far as the fake needs one: where it was reset to. */
struct arch_vcpu_hot {
    uint64_t elr, spsr;
};

#define ARCH_VGIC_MAX_INTID 128u
struct arch_vcpu_cold {
    uint64_t vgic_pending[ARCH_VGIC_MAX_INTID / 64]; /* virtual INTIDs made pending */
    uint64_t eoi_want[ARCH_VGIC_MAX_INTID / 64];     /* injected with US_VIRQ_EOI */
    uint64_t eoi_done[ARCH_VGIC_MAX_INTID / 64];     /* ended by the guest, not yet reported */
    uint64_t publishes;                              /* arch_vcpu_publish() calls */
    uint64_t continues;                              /* arch_vcpu_continue() calls */
};
