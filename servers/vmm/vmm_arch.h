/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What differs between the architectures' guests in the vmm: how a guest image is placed
 * (vmm_image_arm64.c, vmm_image_pc.c, chosen by the build), and the PC's port I/O, CPUID and
 * MSR exits (vmm_pc.c, docs/x86_64.md), which only an x86_64 kernel sends. */
#pragma once

#include <understudy/bundle.h>
#include <understudy/msg.h>
#include "vmm.h"

/** vmm_image_place() - where in guest RAM the kernel image @k (its bytes at @data) goes, as
 * an offset in *@offset; all of it must fit below @limit. Returns: US_OK; US_ECORRUPT for an
 * image of another format; US_ENOMEM if it does not fit. */
us_err_t vmm_image_place(const struct us_bundle_entry *k, const uint8_t *data, uint64_t limit,
                         uint64_t *offset);

/** vmm_console_put() - one byte of VM @slot's console output to the console's ring. */
void vmm_console_put(struct vmm_state *st, uint32_t slot, uint8_t b);

/** vmm_pc_io() - an IN or OUT (US_EXIT_IO): COM1's 16550 if the VM has a UART; other ports
 * read as all ones and ignore writes. Fills the reply in @m. */
void vmm_pc_io(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pc_cpuid() - CPUID (US_EXIT_CPUID): the host CPU's answer without VMX, SVM and
 * XSAVE, the hypervisor bit set, leaf 0x40000000 "UnderstudyVM"; zeros where the vmm runs on a
 * CPU without CPUID. */
void vmm_pc_cpuid(struct vmm_state *st, uint32_t slot, struct us_msg *m);

/** vmm_pc_msr() - RDMSR or WRMSR (US_EXIT_MSR): reads as zero, writes ignored, logged. */
void vmm_pc_msr(struct vmm_state *st, uint32_t slot, struct us_msg *m);
