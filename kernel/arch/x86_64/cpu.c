/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* This CPU's descriptor tables and entry setup on x86_64 (docs/x86_64.md): a GDT with ring-0
 * and ring-3 segments and a TSS (the entry stack for traps from ring 3, its own stack for a
 * double fault), the per-CPU block GS points to in ring 0, SYSCALL's MSRs, and the CR4
 * features ring 3 needs or the kernel's protection gains from. */
#include <stddef.h>
#include <stdint.h>
#include <uslib/string.h>
#include <us/sched.h>
#include <arch/io.h>
#include <arch/mmu.h>
#include <arch/tlb.h>
#include "x86.h"

#define MSR_EFER 0xc0000080u
#define EFER_SCE (1ull << 0)
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_SFMASK 0xc0000084u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_FSGSBASE (1ull << 16)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define CPUID1_PCID (1u << 17)    /* leaf 1, ECX */
#define CPUID7_FSGSBASE (1u << 0) /* leaf 7, EBX */
#define CPUID7_SMEP (1u << 7)
#define CPUID7_SMAP (1u << 20)

/* SYSCALL clears these in RFLAGS: TF, IF, DF, NT, AC. */
#define SFMASK_VALUE 0x44700ull

#define PIC1_DATA 0x21u
#define PIC2_DATA 0xa1u
#define SEL_TSS 0x30u
#define ENTRY_STACK 16384u
#define DF_STACK 4096u

struct __attribute__((packed)) tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iopb; /* where the I/O bitmap starts */
};
_Static_assert(sizeof(struct tss) == 104, "the 64-bit TSS is 104 bytes");

/* The TSS and its I/O bitmap: a bit a port, set refuses it to ring 3. An access's bits are
 * read two bytes at a time, so one byte of ones follows the last port's. */
struct __attribute__((packed)) tss_io {
    struct tss tss;
    uint8_t iomap[65536 / 8 + 1];
};

struct __attribute__((packed)) table_desc {
    uint16_t limit;
    uint64_t base;
};

/* 0x08 kernel code, 0x10 kernel data; 0x18 a 32-bit user code slot, 0x20 user data and 0x28
 * user code, in the order SYSRET's STAR layout wants; 0x30 the TSS (two entries). */
static const uint64_t gdt_template[6] = {
    0,
    0x00af9a000000ffffull,
    0x00cf92000000ffffull,
    0x00cffa000000ffffull,
    0x00cff2000000ffffull,
    0x00affa000000ffffull,
};

/* What each CPU has of its own: its GDT (its TSS's descriptor differs), its TSS with the I/O
 * bitmap, the ports open in that bitmap (the last server space's that ran on it), its entry
 * and double-fault stacks, and the block GS points to. */
struct cpu_tables {
    uint64_t gdt[8] __attribute__((aligned(16)));
    struct tss_io tss_io __attribute__((aligned(16)));
    struct arch_io_range io_open[ARCH_IO_RANGES];
    uint8_t entry_stack[ENTRY_STACK] __attribute__((aligned(16)));
    uint8_t df_stack[DF_STACK] __attribute__((aligned(16)));
};

static struct cpu_tables tables[SCHED_MAX_CPUS];
static struct x86_percpu percpu[SCHED_MAX_CPUS];

extern const uint8_t syscall_entry[];

static uint64_t read_cr(int n)
{
    uint64_t v = 0;

    if (n == 0) {
        __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    } else {
        __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    }
    return v;
}

static void load_tables(struct cpu_tables *k)
{
    uint64_t t = (uint64_t)(uintptr_t)&k->tss_io, *gdt = k->gdt;
    struct table_desc d = {sizeof(k->gdt) - 1, (uint64_t)(uintptr_t)gdt};

    _Static_assert(sizeof(k->tss_io) <= 0x10000, "the TSS's limit fits the descriptor's 16 bits");
    memcpy(gdt, gdt_template, sizeof(gdt_template));
    gdt[SEL_TSS / 8] = (sizeof(k->tss_io) - 1) | (t & 0xffffffull) << 16 | 0x89ull << 40 |
                       (t >> 24 & 0xffull) << 56;
    gdt[SEL_TSS / 8 + 1] = t >> 32;
    __asm__ volatile("lgdt %0\n\t"
                     "pushq $0x08\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\tmov $0x10, %%eax\n\t"
                     "mov %%eax, %%ds\n\t"
                     "mov %%eax, %%es\n\t"
                     "mov %%eax, %%ss\n\t"
                     "xor %%eax, %%eax\n\t"
                     "mov %%eax, %%fs\n\t"
                     "mov %%eax, %%gs\n\t"
                     "ltr %w1"
                     :
                     : "m"(d), "r"(SEL_TSS)
                     : "rax", "memory");
}

struct x86_percpu *x86_percpu_of(uint32_t index)
{
    return &percpu[index];
}

uint64_t x86_entry_stack_top(uint32_t index)
{
    return (uint64_t)(uintptr_t)(tables[index].entry_stack + ENTRY_STACK);
}

uint32_t x86_cpu_init(struct cpu *c)
{
    struct cpuid l1 = cpuid(1), l7 = cpuid(7);
    uint64_t cr4 = read_cr(4) | CR4_OSFXSR | CR4_OSXMMEXCPT, cr0 = (read_cr(0) | CR0_MP) & ~CR0_EM;
    uint32_t have = 0;
    struct cpu_tables *k = &tables[c->index];
    struct tss *tss = &k->tss_io.tss;
    struct x86_percpu *p = &percpu[c->index];

    tss->rsp[0] = x86_entry_stack_top(c->index);
    tss->ist[X86_IST_DF - 1] = (uint64_t)(uintptr_t)(k->df_stack + sizeof(k->df_stack));
    tss->iopb = sizeof(struct tss);
    memset(k->tss_io.iomap, 0xff, sizeof(k->tss_io.iomap));
    memset(k->io_open, 0, sizeof(k->io_open));
    load_tables(k);
    *p = (struct x86_percpu){.cpu = c,
                             .stack = tss->rsp[0],
                             .self = p,
                             .index = c->index,
                             .tick_due = UINT64_MAX,
                             .armed_at = UINT64_MAX};
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (0x18ull | 3) << 48 | 0x08ull << 32);
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_VALUE);
    /* PCIDE needs CR3's low bits clear: the kernel's map is loaded with PCID 0. */
    if (l1.c & CPUID1_PCID) {
        cr4 |= CR4_PCIDE;
        have |= X86_HAVE_PCID;
    }
    /* Ring 3 may read its FS and GS bases (servers check that nobody left theirs there). */
    if (l7.b & CPUID7_FSGSBASE) {
        cr4 |= CR4_FSGSBASE;
        have |= X86_HAVE_FSGSBASE;
    }
    if (l7.b & CPUID7_SMEP) {
        cr4 |= CR4_SMEP;
        have |= X86_HAVE_SMEP;
    }
    if (l7.b & CPUID7_SMAP) {
        cr4 |= CR4_SMAP;
        have |= X86_HAVE_SMAP;
    }
    __asm__ volatile("mov %0, %%cr0\n\tmov %1, %%cr4" : : "r"(cr0), "r"(cr4) : "memory");
    /* The legacy PICs stay masked: the firmware routes their timer to vector 8, which ring 3,
     * running with interrupts on, would take for a double fault. The IOAPIC is to come. */
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
    return have;
}

/* Weak: the first stage runs on one CPU, with nobody to shoot down (the kernel's is smp.c's). */
__attribute__((weak)) void x86_shootdown(void)
{
}

/* Set (@refuse) or clear the bitmap's bits of @r's ports in @tss_io. */
static void io_mark(struct tss_io *tss_io, const struct arch_io_range *r, bool refuse)
{
    for (uint32_t i = 0; i < ARCH_IO_RANGES; i++) {
        for (uint32_t port = r[i].base; port < r[i].base + r[i].count; port++) {
            if (refuse) {
                tss_io->iomap[port / 8] |= (uint8_t)(1u << (port % 8));
            } else {
                tss_io->iomap[port / 8] &= (uint8_t) ~(1u << (port % 8));
            }
        }
    }
}

void x86_io_switch(const struct aspace *as)
{
    struct cpu_tables *k = &tables[x86_this_percpu()->index];

    if (memcmp(k->io_open, as->io, sizeof(k->io_open)) != 0) {
        io_mark(&k->tss_io, k->io_open, true);
        memcpy(k->io_open, as->io, sizeof(k->io_open));
        io_mark(&k->tss_io, k->io_open, false);
    }
}
