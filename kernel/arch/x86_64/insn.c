/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An MMIO access read from the guest's instruction (insn.h): its page tables walked the way
 * the CPU walks them (AMD64 APM volume 2, 5.3), then the move decoded (volume 3, 1.2 and the
 * opcode map). */
#include "insn.h"

#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define ATTR_L (1u << 9)
#define ATTR_D (1u << 10)
#define PTE_P 1ull
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define REX_W 8u
#define REX_R 4u

static bool code64(const struct x86_mode *m)
{
    return (m->efer & EFER_LMA) && (m->cs_attr & ATTR_L);
}

/* 32-bit paging: two levels of 1024 four-byte entries, 4 MiB pages with CR4.PSE. */
static bool walk32(const struct x86_mode *m, uint32_t la, x86_gpa_read rd, void *ctx, uint64_t *gpa)
{
    uint32_t e;

    if (!rd(ctx, (m->cr3 & 0xfffff000u) + (la >> 22) * 4u, &e, 4) || !(e & PTE_P)) {
        return false;
    }
    if ((e & PTE_PS) && (m->cr4 & CR4_PSE)) {
        *gpa = (e & 0xffc00000u) | (la & 0x3fffffu);
        return true;
    }
    if (!rd(ctx, (e & 0xfffff000u) + ((la >> 12) & 0x3ffu) * 4u, &e, 4) || !(e & PTE_P)) {
        return false;
    }
    *gpa = (e & 0xfffff000u) | (la & 0xfffu);
    return true;
}

bool x86_linear_to_gpa(const struct x86_mode *m, uint64_t la, x86_gpa_read rd, void *ctx,
                       uint64_t *gpa)
{
    bool lma = (m->efer & EFER_LMA) != 0;
    uint64_t table, e;
    int level;

    if (!(m->cr0 & CR0_PG)) {
        *gpa = la & 0xffffffffu;
        return true;
    }
    if (!(m->cr4 & CR4_PAE)) {
        return walk32(m, (uint32_t)la, rd, ctx, gpa);
    }
    /* PAE's four PDPTEs at CR3, or long mode's 4 or 5 levels: 512 eight-byte entries. */
    level = !lma ? 3 : (m->cr4 & CR4_LA57) ? 5 : 4;
    table = lma ? m->cr3 & PTE_ADDR : m->cr3 & 0xffffffe0u;
    for (; level > 0; level--) {
        unsigned shift = 12u + 9u * (unsigned)(level - 1);
        uint64_t index = (la >> shift) & (!lma && level == 3 ? 3u : 511u);
        bool large;

        if (!rd(ctx, table + index * 8u, &e, 8) || !(e & PTE_P)) {
            return false;
        }
        large = (e & PTE_PS) && (level == 2 || (level == 3 && lma));
        if (level == 1 || large) {
            uint64_t span = 1ull << shift;

            *gpa = (e & PTE_ADDR & ~(span - 1u)) | (la & (span - 1u));
            return true;
        }
        table = e & PTE_ADDR;
    }
    return false;
}

uint32_t x86_fetch(const struct x86_mode *m, uint64_t rip, uint8_t *buf, uint32_t max,
                   x86_gpa_read rd, void *ctx)
{
    uint64_t la = code64(m) ? rip : (m->cs_base + rip) & 0xffffffffu, gpa;
    uint32_t got = 0;

    while (got < max) {
        uint32_t chunk = 4096u - (uint32_t)(la & 0xfffu);

        if (chunk > max - got) {
            chunk = max - got;
        }
        if (!x86_linear_to_gpa(m, la, rd, ctx, &gpa) || !rd(ctx, gpa, buf + got, chunk)) {
            break;
        }
        got += chunk;
        la = code64(m) ? la + chunk : (la + chunk) & 0xffffffffu;
    }
    return got;
}

/* The bytes of ModRM's memory operand after the ModRM byte (SIB and displacement) at @b, of
 * @n; -1 for a register operand or too few bytes. */
static int modrm_tail(const uint8_t *b, uint32_t n, uint8_t modrm, bool addr16)
{
    uint8_t mod = modrm >> 6, rm = modrm & 7u;

    if (mod == 3) {
        return -1;
    }
    if (addr16) {
        return mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
    }
    if (rm == 4) {
        if (n < 1) {
            return -1;
        }
        return 1 + (mod == 1 ? 1 : mod == 2 || (mod == 0 && (b[0] & 7u) == 5) ? 4 : 0);
    }
    return mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0;
}

bool x86_mmio_decode(const uint8_t *b, uint32_t n, const struct x86_mode *m, struct x86_mmio *out)
{
    bool long64 = code64(m), def32 = long64 || (m->cs_attr & ATTR_D), op16 = false, a67 = false;
    uint32_t i = 0, immlen = 0;
    uint8_t rex = 0, op, osz;
    int tail;

    *out = (struct x86_mmio){0};
    for (; i < n; i++) {
        if (b[i] == 0x66) {
            op16 = true;
        } else if (b[i] == 0x67) {
            a67 = true;
        } else if (b[i] != 0x26 && b[i] != 0x2e && b[i] != 0x36 && b[i] != 0x3e && b[i] != 0x64 &&
                   b[i] != 0x65) {
            break; /* LOCK and REP among what ends here, to be refused below */
        }
    }
    if (i < n && long64 && (b[i] & 0xf0u) == 0x40u) {
        rex = b[i++];
    }
    if (i + 2 > n) {
        return false;
    }
    osz = (rex & REX_W) ? 8 : (def32 != op16) ? 4 : 2;
    op = b[i++];
    if (op == 0x0f) {
        op = b[i++];
        if (op != 0xb6 && op != 0xb7) {
            return false;
        }
        out->size = op == 0xb6 ? 1 : 2;
        out->opsize = osz;
    } else if (op == 0x88 || op == 0x8a || op == 0xc6) {
        out->size = out->opsize = 1;
    } else if (op == 0x89 || op == 0x8b || op == 0xc7) {
        out->size = out->opsize = osz;
    } else {
        return false;
    }
    out->write = op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7;
    out->imm = op == 0xc6 || op == 0xc7;
    immlen = !out->imm ? 0 : out->size == 8 ? 4 : out->size;
    if (i >= n) {
        return false;
    }
    out->reg = (uint8_t)(((b[i] >> 3) & 7u) | ((rex & REX_R) ? 8u : 0u));
    if (out->imm && out->reg != 0) {
        return false; /* C6 and C7 are MOV only with /0 */
    }
    tail = modrm_tail(&b[i + 1], n - i - 1, b[i], !long64 && def32 == a67);
    if (tail < 0 || i + 1u + (uint32_t)tail + immlen > n) {
        return false;
    }
    i += 1u + (uint32_t)tail;
    for (uint32_t k = 0; k < immlen; k++) {
        out->value |= (uint64_t)b[i + k] << (8u * k);
    }
    if (immlen == 4 && out->size == 8 && (out->value & 0x80000000u)) {
        out->value |= 0xffffffff00000000ull; /* imm32, sign-extended to 64 bits */
    }
    i += immlen;
    if (out->opsize == 1 && !out->imm && rex == 0 && out->reg >= 4) {
        out->high8 = true; /* without REX, registers 4-7 of a byte move are AH CH DH BH */
        out->reg = (uint8_t)(out->reg - 4u);
    }
    out->len = (uint8_t)i;
    return i <= X86_INSN_MAX;
}
