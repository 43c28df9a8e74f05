/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 kernel's exceptions (docs/x86_64.md): an IDT for vectors 0-31 whose entries
 * (entry.S's trap_stubs) save the registers. One from ring 3 goes to x86_user_trap(); one in
 * ring 0 is the kernel's own fault, which x86_trap() reports with what the CPU says of it
 * before it stops the CPU. A double fault runs on its own stack (the TSS's IST), so a kernel
 * stack overflow is reported too. Interrupts come with the generic kernel. */
#include <stdbool.h>
#include <stdint.h>
#include <uslib/string.h>
#include <us/log.h>
#include "x86.h"

#define TRAP_VECTORS 32u /* exceptions; the IDT's other 224 are interrupts */
#define IDT_VECTORS 256u
#define TRAP_STUB_SIZE 16u
#define GATE_INTERRUPT 0x8eu /* present, ring 0, 64-bit interrupt gate */
#define KERNEL_CS 0x08u
#define VEC_DF 8u
#define VEC_PF 14u

struct x86_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
    uint16_t off_lo, selector;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
};
_Static_assert(sizeof(struct idt_gate) == 16, "an IDT gate is 16 bytes in long mode");

struct __attribute__((packed)) idt_desc {
    uint16_t limit;
    uint64_t base;
};

extern const uint8_t trap_stubs[];
_Noreturn void x86_trap(struct x86_trap_frame *f);

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static const char *const names[TRAP_VECTORS] = {"#DE divide error",
                                                "#DB debug",
                                                "NMI",
                                                "#BP breakpoint",
                                                "#OF overflow",
                                                "#BR bound range",
                                                "#UD invalid opcode",
                                                "#NM no FPU",
                                                "#DF double fault",
                                                "coprocessor overrun",
                                                "#TS invalid TSS",
                                                "#NP segment not present",
                                                "#SS stack fault",
                                                "#GP general protection",
                                                "#PF page fault",
                                                "reserved",
                                                "#MF x87 error",
                                                "#AC alignment check",
                                                "#MC machine check",
                                                "#XM SIMD error",
                                                "#VE virtualisation",
                                                "#CP control protection"};

const char *x86_trap_name(uint64_t vector)
{
    return vector < TRAP_VECTORS && names[vector] != NULL ? names[vector] : "reserved";
}

void x86_trap_load(void)
{
    struct idt_desc d = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

    __asm__ volatile("lidt %0" : : "m"(d));
}

void x86_trap_init(void)
{
    for (uint32_t v = 0; v < IDT_VECTORS; v++) {
        uint64_t a = (uint64_t)(uintptr_t)trap_stubs + TRAP_STUB_SIZE * v;

        idt[v] = (struct idt_gate){(uint16_t)a,
                                   KERNEL_CS,
                                   v == VEC_DF ? X86_IST_DF : 0,
                                   GATE_INTERRUPT,
                                   (uint16_t)(a >> 16),
                                   (uint32_t)(a >> 32),
                                   0};
    }
    x86_trap_load();
}

_Noreturn void x86_trap(struct x86_trap_frame *f)
{
    uint64_t cr2 = 0;

    if (f->vector == VEC_PF) {
        __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    }
    klog_panic("trap: %s (vector %llu), error 0x%llx, at rip 0x%llx, cr2 0x%llx: stopping",
               x86_trap_name(f->vector), (unsigned long long)f->vector,
               (unsigned long long)f->error, (unsigned long long)f->rip, (unsigned long long)cr2);
}

bool x86_cmdline_has(const char *cmdline, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = cmdline; p != NULL && *p != '\0'; p++) {
        if ((p == cmdline || p[-1] == ' ') && strncmp(p, word, n) == 0 &&
            (p[n] == '\0' || p[n] == ' ')) {
            return true;
        }
    }
    return false;
}
