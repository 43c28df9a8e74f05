/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A guest's MMIO access described as aarch64's data-abort syndrome describes it (docs/x86_64.md):
 * SVM's nested page fault gives only the guest-physical address, and QEMU's SVM has no decode
 * assists, so the kernel reads the instruction at the guest's RIP through the guest's own page
 * tables and decodes it. Only the moves a driver's accessors compile to are understood: MOV to
 * and from memory (88, 89, 8A, 8B), MOV of an immediate (C6, C7) and MOVZX (0F B6, 0F B7), with
 * the operand-size, address-size, segment and REX prefixes. Anything else is not MMIO the vmm
 * can emulate, and stays an abort. Plain logic: guest memory is read through a callback, so the
 * unit tests run it on the host. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define X86_INSN_MAX 15u

/* What the CPU's state says about how to read an instruction and its addresses. */
struct x86_mode {
    uint64_t cr0, cr3, cr4, efer;
    uint64_t cs_base;
    uint16_t cs_attr; /* the VMCB's packed attributes: L is bit 9, D bit 10 */
};

/* One decoded access. */
struct x86_mmio {
    uint8_t len;    /* the instruction's bytes */
    uint8_t size;   /* bytes accessed: 1, 2, 4 or 8 */
    uint8_t opsize; /* a load's destination size: size, or more for MOVZX */
    uint8_t reg;    /* the register, x86's numbering: RAX RCX RDX RBX RSP RBP RSI RDI R8-R15 */
    bool write;
    bool high8;     /* AH, CH, DH or BH: bits 8-15 of register reg */
    bool imm;       /* a store of the immediate in value, not of a register */
    uint64_t value; /* the immediate, sign-extended to size */
};

/* Read @len bytes of guest-physical memory at @gpa into @buf; false if it is not RAM. */
typedef bool (*x86_gpa_read)(void *ctx, uint64_t gpa, void *buf, uint32_t len);

/** x86_linear_to_gpa() - the guest-physical address of linear address @la under @m's paging
 * (none, 32-bit, PAE, 4- or 5-level). Returns: false if a table is not RAM or an entry is not
 * present. */
bool x86_linear_to_gpa(const struct x86_mode *m, uint64_t la, x86_gpa_read rd, void *ctx,
                       uint64_t *gpa);

/** x86_fetch() - up to @max bytes of the instruction at @rip (CS-relative) into @buf, page by
 * page. Returns: how many could be read (fewer at a page that is not mapped). */
uint32_t x86_fetch(const struct x86_mode *m, uint64_t rip, uint8_t *buf, uint32_t max,
                   x86_gpa_read rd, void *ctx);

/** x86_mmio_decode() - decode the @n bytes at @b as a memory access under @m into *@out.
 * Returns: true for a move this file understands, complete within @n bytes. */
bool x86_mmio_decode(const uint8_t *b, uint32_t n, const struct x86_mode *m, struct x86_mmio *out);
