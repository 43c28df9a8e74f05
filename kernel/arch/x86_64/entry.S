/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 kernel entries (docs/x86_64.md): exceptions through the IDT, system calls through
 * SYSCALL. An entry from ring 3 saves the thread's registers into the struct arch_regs this
 * CPU's struct cpu points to first (as aarch64's entry.S does), calls C on the CPU's entry
 * stack, and resumes whatever struct arch_regs C returns. An exception in ring 0 is the
 * kernel's own fault: it is reported and the CPU stops (x86_trap()). */

#include "callee_saved.inc"

/* struct arch_regs (include/arch/regs.h): 15 general registers, then RIP, RFLAGS, RSP. As
 * assembler symbols, so that .irp can name them. */
    .set i, 0
    .irp r, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags, rsp
    .equ R_\r, i * 8
    .set i, i + 1
    .endr

/* struct x86_percpu (x86.h), at GS's base in ring 0. */
#define PC_CPU 0
#define PC_SCRATCH 8
#define PC_STACK 16
#define PC_KCTX 24
#define PC_PENDING 32

#define USER_DS 0x23 /* GDT entries 4 and 5 with RPL 3 (cpu.c) */
#define USER_CS 0x2b
/* What ring 3 may keep of RFLAGS: CF PF AF ZF SF DF OF AC ID; IF and bit 1 always set. */
#define RFLAGS_USER 0x240cd5
#define RFLAGS_ON 0x202

/* Store every general register but RAX into the struct arch_regs at \base. */
.macro SAVE_GPRS base
    .irp r, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    mov %\r, R_\r(%\base)
    .endr
.endm

/* From ring 3, the stack holding the vector, the error code and the CPU's frame: every
 * register into the thread's struct arch_regs, left in RAX; RDI gets it too, RSI the vector,
 * RDX the error code. */
.macro USER_SAVE
    swapgs
    push %rax
    mov %gs:PC_CPU, %rax
    mov (%rax), %rax
    SAVE_GPRS rax
    popq R_rax(%rax)
    mov 16(%rsp), %rcx
    mov %rcx, R_rip(%rax)
    mov 32(%rsp), %rcx
    mov %rcx, R_rflags(%rax)
    mov 40(%rsp), %rcx
    mov %rcx, R_rsp(%rax)
    mov %rax, %rdi
    mov (%rsp), %rsi
    mov 8(%rsp), %rdx
.endm

/* 16-byte stubs for vectors \first to \last: a zero where the CPU pushes no error code,
 * then the vector, then \common. */
.macro STUBS first, last, common
    .set vec, \first
    .rept \last - \first + 1
    .p2align 4
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push $0
    .endif
    push $vec
    jmp \common
    .set vec, vec + 1
    .endr
.endm

/* The IDT points vector v at trap_stubs + 16 * v: exceptions (0-31) to trap_common,
 * interrupts (32-255) to irq_common. */
    .text
    .p2align 4
    .globl trap_stubs
trap_stubs:
    STUBS 0, 31, trap_common
    STUBS 32, 255, irq_common

/* The stack holds the vector, the error code and the CPU's frame (RIP, CS, RFLAGS, RSP, SS).
 * From ring 0: the frame struct x86_trap_frame describes, for x86_trap(), which reports and
 * stops. From ring 3 (CS's RPL): the thread's registers, then x86_user_trap(regs, vector,
 * error, cr2) on the entry stack. */
trap_common:
    testb $3, 24(%rsp)
    jnz user_trap
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call x86_trap
    ud2 /* x86_trap() does not return */

user_trap:
    USER_SAVE
    mov %cr2, %rcx
    mov %gs:PC_STACK, %rsp
    call x86_user_trap
    jmp entry_return

/* An interrupt: its vector becomes pending in this CPU's bitmap, which arch_irq_ack() reads,
 * as a GIC's acknowledge register would give it. In ring 0 (the kernel waits for interrupts
 * only in arch_wait_for_interrupt()) that is all; from ring 3 the thread's registers are
 * saved and x86_user_irq() says what to resume. */
irq_common:
    testb $3, 24(%rsp)
    jnz user_irq
    push %rax
    mov 8(%rsp), %rax
    bts %rax, %gs:PC_PENDING
    pop %rax
    add $16, %rsp
    iretq
user_irq:
    USER_SAVE
    bts %rsi, %gs:PC_PENDING
    mov %gs:PC_STACK, %rsp
    call x86_user_irq
    jmp entry_return

/* SYSCALL from ring 3: RCX holds its RIP, R11 its RFLAGS, RSP is still its own, and
 * interrupts are off (SFMASK). */
    .globl syscall_entry
syscall_entry:
    swapgs
    mov %rsp, %gs:PC_SCRATCH
    mov %gs:PC_CPU, %rsp
    mov (%rsp), %rsp
    mov %rax, R_rax(%rsp)
    SAVE_GPRS rsp
    mov %rcx, R_rip(%rsp)
    mov %r11, R_rflags(%rsp)
    mov %gs:PC_SCRATCH, %rcx
    mov %rcx, R_rsp(%rsp)
    mov %rsp, %rdi
    mov %gs:PC_STACK, %rsp
    call x86_syscall
    /* fall through */

/* RAX = the struct arch_regs to resume in ring 3, made this CPU's current; NULL (the first
 * stage only) returns from x86_user_run() instead. IRETQ, not SYSRET: it restores every
 * register whatever the entry was, and never faults in ring 0 on a bad RIP. */
entry_return:
    test %rax, %rax
    jz user_leave
    mov %gs:PC_CPU, %rcx
    mov %rax, (%rcx)
    mov %gs:PC_STACK, %rsp
    pushq $USER_DS
    pushq R_rsp(%rax)
    mov R_rflags(%rax), %rcx
    and $RFLAGS_USER, %rcx
    or $RFLAGS_ON, %rcx
    push %rcx
    pushq $USER_CS
    pushq R_rip(%rax)
    .irp r, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15
    mov R_\r(%rax), %\r
    .endr
    mov R_rax(%rax), %rax
    swapgs
    iretq

/* x86_enter(regs): the first entry into ring 3 (arch_enter_first()). */
    .globl x86_enter
x86_enter:
    mov %rdi, %rax
    jmp entry_return

/* x86_user_run(regs): run ring 3 from @regs until an entry's handler returns NULL, then
 * return here. The first stage's way to run a ring-3 test between its other steps; the
 * kernel's callee-saved registers and stack are kept at PC_KCTX meanwhile. */
    .globl x86_user_run
x86_user_run:
    PUSH_CALLEE_SAVED
    mov %rsp, %gs:PC_KCTX
    mov %rdi, %rax
    jmp entry_return
user_leave:
    mov %gs:PC_KCTX, %rsp
    POP_CALLEE_SAVED
    ret
