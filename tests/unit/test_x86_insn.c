/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests of the x86_64 kernel's MMIO decoding (kernel/arch/x86_64/insn.c) on the host: the
 * moves a driver's accessors compile to, in each CPU mode, what is refused, and the guest page
 * walks (none, 32-bit, PAE, 4- and 5-level) that find the instruction's bytes. */
#include <string.h>
#include "../../kernel/arch/x86_64/insn.h"
#include "ut.h"

#define CR0_PE 1ull
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define CS64 0xa9bu /* L and G */
#define CS32 0xc9bu /* D and G */
#define CS16 0x09bu /* neither */
#define RAX 0
#define RCX 1
#define RDX 2
#define RBX 3
#define R9 9

static const struct x86_mode long64 = {
    .cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .efer = EFER_LMA, .cs_attr = CS64};
static const struct x86_mode flat32 = {.cr0 = CR0_PE, .cs_attr = CS32};
static const struct x86_mode real16 = {.cs_attr = CS16, .cs_base = 0x9000};

/* Decode @n bytes under @m; the instruction must be understood. */
static struct x86_mmio dec(const struct x86_mode *m, const uint8_t *b, uint32_t n)
{
    struct x86_mmio d;

    UT_EXPECT(x86_mmio_decode(b, n, m, &d));
    return d;
}

#define DEC(m, ...) dec(m, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static void moves_in_long_mode(void)
{
    struct x86_mmio d = DEC(&long64, 0x89, 0x02); /* mov %eax,(%rdx) */

    UT_EXPECT(d.write && !d.imm && !d.high8);
    UT_EXPECT_EQ(d.len, 2);
    UT_EXPECT_EQ(d.size, 4);
    UT_EXPECT_EQ(d.reg, RAX);
    d = DEC(&long64, 0x8b, 0x0f); /* mov (%rdi),%ecx */
    UT_EXPECT(!d.write);
    UT_EXPECT_EQ(d.reg, RCX);
    UT_EXPECT_EQ(d.size, 4);
    UT_EXPECT_EQ(d.opsize, 4);
    d = DEC(&long64, 0x66, 0x89, 0x42, 0x10); /* mov %ax,0x10(%rdx) */
    UT_EXPECT_EQ(d.len, 4);
    UT_EXPECT_EQ(d.size, 2);
    d = DEC(&long64, 0x4c, 0x89, 0x0c, 0xd8); /* mov %r9,(%rax,%rbx,8) */
    UT_EXPECT_EQ(d.len, 4);
    UT_EXPECT_EQ(d.size, 8);
    UT_EXPECT_EQ(d.reg, R9);
    d = DEC(&long64, 0x8b, 0x90, 0x00, 0x01, 0x00, 0x00); /* mov 0x100(%rax),%edx */
    UT_EXPECT_EQ(d.len, 6);
    UT_EXPECT_EQ(d.reg, RDX);
    d = DEC(&long64, 0x8b, 0x04, 0x25, 0x00, 0x00, 0xc0, 0xfe); /* mov 0xfec00000,%eax (SIB) */
    UT_EXPECT_EQ(d.len, 7);
    d = DEC(&long64, 0x88, 0x03); /* mov %al,(%rbx) */
    UT_EXPECT_EQ(d.size, 1);
    UT_EXPECT(!d.high8);
    d = DEC(&long64, 0x8a, 0x20); /* mov (%rax),%ah */
    UT_EXPECT(d.high8);
    UT_EXPECT_EQ(d.reg, RAX);
    d = DEC(&long64, 0x40, 0x8a, 0x20); /* mov (%rax),%spl: with REX, register 4 is SPL */
    UT_EXPECT(!d.high8);
    UT_EXPECT_EQ(d.reg, 4);
    d = DEC(&long64, 0x0f, 0xb6, 0x06); /* movzbl (%rsi),%eax */
    UT_EXPECT_EQ(d.size, 1);
    UT_EXPECT_EQ(d.opsize, 4);
    UT_EXPECT(!d.high8);
    d = DEC(&long64, 0x0f, 0xb7, 0x26); /* movzwl (%rsi),%esp: register 4 is never AH here */
    UT_EXPECT_EQ(d.size, 2);
    UT_EXPECT_EQ(d.reg, 4);
    UT_EXPECT(!d.high8);
    d = DEC(&long64, 0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12); /* RIP-rel. */
    UT_EXPECT(d.write && d.imm);
    UT_EXPECT_EQ(d.len, 10);
    UT_EXPECT_EQ(d.value, 0x12345678u);
    d = DEC(&long64, 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff); /* movq $-2,(%rax) */
    UT_EXPECT_EQ(d.size, 8);
    UT_EXPECT_EQ(d.value, 0xfffffffffffffffeull);
    d = DEC(&long64, 0x66, 0xc7, 0x00, 0x34, 0x12); /* movw $0x1234,(%rax) */
    UT_EXPECT_EQ(d.len, 5);
    UT_EXPECT_EQ(d.value, 0x1234u);
    d = DEC(&long64, 0xc6, 0x40, 0x04, 0xab); /* movb $0xab,4(%rax) */
    UT_EXPECT_EQ(d.size, 1);
    UT_EXPECT_EQ(d.value, 0xabu);
    d = DEC(&long64, 0x65, 0x67, 0x8b, 0x03); /* %gs: and a 32-bit address: same bytes */
    UT_EXPECT_EQ(d.len, 4);
}

static void moves_in_other_modes(void)
{
    struct x86_mmio d = DEC(&flat32, 0x89, 0x02);

    UT_EXPECT_EQ(d.size, 4);
    d = DEC(&flat32, 0x66, 0x8b, 0x02);
    UT_EXPECT_EQ(d.size, 2);
    d = DEC(&flat32, 0x67, 0x89, 0x46, 0x10); /* 16-bit address: [bp+disp8] */
    UT_EXPECT_EQ(d.len, 4);
    d = DEC(&flat32, 0x89, 0x05, 0x00, 0x00, 0xc0, 0xfe); /* absolute disp32 */
    UT_EXPECT_EQ(d.len, 6);
    d = DEC(&real16, 0x89, 0x07); /* mov %ax,(%bx) */
    UT_EXPECT_EQ(d.size, 2);
    UT_EXPECT_EQ(d.len, 2);
    d = DEC(&real16, 0x66, 0x89, 0x06, 0x34, 0x12); /* mov %eax,0x1234 */
    UT_EXPECT_EQ(d.size, 4);
    UT_EXPECT_EQ(d.len, 5);
}

static void refused(void)
{
    static const uint8_t good[] = {0x4c, 0x89, 0x8c, 0xd8, 0x00, 0x01, 0x00, 0x00};
    static const struct {
        uint8_t b[4];
        uint32_t n;
    } bad[] = {
        {{0x01, 0x02}, 2},       /* add %eax,(%rdx) */
        {{0xf0, 0x89, 0x02}, 3}, /* lock */
        {{0xf3, 0x89, 0x02}, 3}, /* rep */
        {{0x89, 0xc0}, 2},       /* register to register: no memory */
        {{0xc7, 0x08, 0, 0}, 4}, /* C7 /1 */
        {{0x0f, 0xbe, 0x06}, 3}, /* movsx */
        {{0xa1, 0, 0, 0}, 4},    /* moffs */
    };
    struct x86_mmio d;

    for (uint32_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        UT_EXPECT(!x86_mmio_decode(bad[i].b, bad[i].n, &long64, &d));
    }
    UT_EXPECT(!x86_mmio_decode((const uint8_t[]){0x48, 0x89, 0x02}, 3, &flat32, &d)); /* DEC */
    for (uint32_t n = 0; n < sizeof(good); n++) {
        UT_EXPECT(!x86_mmio_decode(good, n, &long64, &d)); /* cut short anywhere */
    }
    UT_EXPECT(x86_mmio_decode(good, sizeof(good), &long64, &d));
    UT_EXPECT_EQ(d.len, sizeof(good));
}

/* Guest RAM for the walks: 64 pages from guest-physical 0. */
static uint8_t ram[64 * 4096];

static bool rd(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
    (void)ctx;
    if (gpa + len > sizeof(ram)) {
        return false;
    }
    memcpy(buf, &ram[gpa], len);
    return true;
}

static void put64(uint64_t gpa, uint64_t v)
{
    memcpy(&ram[gpa], &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
    memcpy(&ram[gpa], &v, 4);
}

static uint64_t gpa_of(const struct x86_mode *m, uint64_t la)
{
    uint64_t g = ~0ull;

    UT_EXPECT(x86_linear_to_gpa(m, la, rd, NULL, &g));
    return g;
}

static void long_mode_walks(void)
{
    struct x86_mode m = long64;
    uint64_t la = 0xffff800000201234ull, g;

    memset(ram, 0, sizeof(ram));
    m.cr3 = 0x1000;
    put64(0x1000 + ((la >> 39) & 511) * 8, 0x2003); /* PML4 -> PDPT at 0x2000 */
    put64(0x2000 + ((la >> 30) & 511) * 8, 0x3003); /* PDPT -> PD at 0x3000 */
    put64(0x3000 + ((la >> 21) & 511) * 8, 0x4003); /* PD -> PT at 0x4000 */
    put64(0x4000 + ((la >> 12) & 511) * 8, 0x9003); /* the page at 0x9000 */
    UT_EXPECT_EQ(gpa_of(&m, la), 0x9234u);
    put64(0x3000 + ((la >> 21) & 511) * 8, 0x200083 | (1u << 12)); /* a 2 MiB page, PAT set */
    UT_EXPECT_EQ(gpa_of(&m, la), 0x201234u);
    put64(0x2000 + ((la >> 30) & 511) * 8, 0x40000083); /* a 1 GiB page */
    UT_EXPECT_EQ(gpa_of(&m, la), 0x40201234u);
    put64(0x2000 + ((la >> 30) & 511) * 8, 0x3002); /* not present */
    UT_EXPECT(!x86_linear_to_gpa(&m, la, rd, NULL, &g));
    m.cr3 = 0x100000; /* a table outside RAM */
    UT_EXPECT(!x86_linear_to_gpa(&m, la, rd, NULL, &g));
    /* Five levels: one more table above. */
    m.cr3 = 0x5000;
    m.cr4 |= CR4_LA57;
    put64(0x5000 + ((la >> 48) & 511) * 8, 0x1003);
    put64(0x2000 + ((la >> 30) & 511) * 8, 0x3003);
    put64(0x3000 + ((la >> 21) & 511) * 8, 0x4003);
    UT_EXPECT_EQ(gpa_of(&m, la), 0x9234u);
}

static void legacy_walks(void)
{
    struct x86_mode pae = {.cr0 = CR0_PE | CR0_PG, .cr4 = CR4_PAE, .cs_attr = CS32, .cr3 = 0x1020};
    struct x86_mode p32 = {.cr0 = CR0_PE | CR0_PG, .cs_attr = CS32, .cr3 = 0x6000};
    uint32_t la = 0xc0405678u;

    memset(ram, 0, sizeof(ram));
    put64(0x1020 + (la >> 30) * 8, 0x2001);         /* PDPTE 3 -> PD at 0x2000 */
    put64(0x2000 + ((la >> 21) & 511) * 8, 0x3003); /* PD -> PT */
    put64(0x3000 + ((la >> 12) & 511) * 8, 0xa003); /* the page at 0xa000 */
    UT_EXPECT_EQ(gpa_of(&pae, la), 0xa678u);
    put32(0x6000 + (la >> 22) * 4, 0x7003);          /* PDE -> PT at 0x7000 */
    put32(0x7000 + ((la >> 12) & 1023) * 4, 0xb003); /* the page at 0xb000 */
    UT_EXPECT_EQ(gpa_of(&p32, la), 0xb678u);
    put32(0x6000 + (la >> 22) * 4, 0x00c00083); /* PSE off: a PT at 0xc00000, not RAM */
    UT_EXPECT(!x86_linear_to_gpa(&p32, la, rd, NULL, &(uint64_t){0}));
    p32.cr4 = CR4_PSE;
    UT_EXPECT_EQ(gpa_of(&p32, la), 0xc05678u);
    UT_EXPECT_EQ(gpa_of(&flat32, la), la); /* no paging */
}

/* An instruction across two pages whose frames are not adjacent is read page by page. */
static void fetch_across_pages(void)
{
    struct x86_mode m = long64;
    uint64_t rip = 0x400ffeu;
    uint8_t b[X86_INSN_MAX];
    struct x86_mmio d;

    memset(ram, 0, sizeof(ram));
    m.cr3 = 0x1000;
    put64(0x1000, 0x2003);
    put64(0x2000, 0x3003);
    put64(0x3000 + 2 * 8, 0x4003);
    put64(0x4000 + 0 * 8, 0x9003); /* 0x400000 -> 0x9000 */
    put64(0x4000 + 1 * 8, 0x5003); /* 0x401000 -> 0x5000 */
    ram[0x9ffe] = 0x8b;
    ram[0x9fff] = 0x90;
    memcpy(&ram[0x5000], (const uint8_t[]){0x00, 0x01, 0x00, 0x00}, 4);
    UT_EXPECT_EQ(x86_fetch(&m, rip, b, sizeof(b), rd, NULL), sizeof(b));
    UT_EXPECT(x86_mmio_decode(b, sizeof(b), &m, &d));
    UT_EXPECT_EQ(d.len, 6);
    put64(0x4000 + 1 * 8, 0); /* the second page unmapped: only the first's two bytes */
    UT_EXPECT_EQ(x86_fetch(&m, rip, b, sizeof(b), rd, NULL), 2);
    UT_EXPECT(!x86_mmio_decode(b, 2, &m, &d));
    /* Real mode: CS's base is added. */
    ram[0x9000 + 0x10] = 0x89;
    UT_EXPECT_EQ(x86_fetch(&real16, 0x10, b, 1, rd, NULL), 1);
    UT_EXPECT_EQ(b[0], 0x89);
}

UT_MAIN({"moves_in_long_mode", moves_in_long_mode}, {"moves_in_other_modes", moves_in_other_modes},
        {"refused", refused}, {"long_mode_walks", long_mode_walks}, {"legacy_walks", legacy_walks},
        {"fetch_across_pages", fetch_across_pages})
