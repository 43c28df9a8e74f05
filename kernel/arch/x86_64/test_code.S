/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Code the x86_64 first stage runs other than its own (docs/x86_64.md): a test guest under
 * VMRUN and a test program in ring 3. The kernel never executes either: they sit in read-only
 * data, the guest's page mapped at its own address by the nested tables, the ring-3 page
 * copied into a server space at R3_VA. */
#include "first_stage.h"

/* The test guest's code (32-bit protected mode, flat, paging off): each entry point runs
 * one instruction that must exit, then halts. */
    .section .rodata.guest, "a"
    .p2align 12
    .globl guest_code, guest_vmmcall, guest_oob_load, guest_kernel_load, guest_loop, guest_uart
    .code32
guest_code:
guest_vmmcall:
    vmmcall
    hlt
guest_oob_load:
    mov 0x40000000, %eax /* far past its page */
    hlt
guest_kernel_load:
    mov 0x100000, %eax /* the kernel's first page, in host-physical terms */
    hlt
guest_loop: /* VMMCALL after VMMCALL: the exit path's round trip, timed by the kernel */
    vmmcall
    jmp guest_loop
guest_uart:
    mov $0x3f8, %dx /* COM1's data register: every port access exits */
    mov $guest_msg, %esi
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  vmmcall
    hlt
guest_msg:
    .asciz "hello from a guest under SVM, through trapped port writes\n"
    .code64


/* The ring-3 program, position-independent. Each check that fails ends in UD2, which the
 * kernel reports as the program's #UD: the test then fails on it. */
    .section .rodata.user, "a"
    .p2align 12
    .globl user_code, user_code_end, user_main, user_read_kernel, user_spin
user_code:
user_main:
    /* A line for the kernel log, copied through the space's tables. */
    lea user_msg(%rip), %rdi
    mov $(user_msg_end - user_msg), %esi
    mov $R3_SYS_LOG, %eax
    syscall
    test %rax, %rax
    jnz 9f
    /* A buffer in the kernel's part is refused with an error, and the program goes on. */
    mov $0x100000, %edi
    mov $8, %esi
    mov $R3_SYS_LOG, %eax
    syscall
    cmp $R3_ERANGE, %rax
    jne 9f
    /* The eight argument registers reach the kernel; they and the callee-saved ones are
     * there after the return. */
    mov $1, %edi
    mov $2, %esi
    mov $3, %edx
    mov $4, %r10d
    mov $5, %r8d
    mov $6, %r9d
    mov $7, %r12d
    mov $8, %r13d
    mov $0x1111, %ebx
    mov $0x2222, %ebp
    mov $0x3333, %r14d
    mov $0x4444, %r15d
    mov $R3_SYS_ARGS, %eax
    syscall
    cmp $36, %rax
    jne 9f
    cmp $1, %rdi
    jne 9f
    cmp $8, %r13
    jne 9f
    cmp $0x1111, %rbx
    jne 9f
    cmp $0x2222, %rbp
    jne 9f
    cmp $0x3333, %r14
    jne 9f
    cmp $0x4444, %r15
    jne 9f
    /* System calls that do nothing, back to back: the kernel times them. */
    mov $R3_NULL_CALLS, %ebx
1:  mov $R3_SYS_NULL, %eax
    syscall
    dec %ebx
    jnz 1b
    /* A write to its own code: a page fault, which stops the program and only it. */
    lea user_code(%rip), %rax
    movb $0xcc, (%rax)
9:  ud2
user_read_kernel: /* a second run: a read of the kernel's first page */
    mov 0x100000, %rax
    ud2
user_spin: /* a third: a loop only the tick can stop */
    jmp user_spin
user_msg:
    .ascii "hello from ring 3, through SYSCALL"
user_msg_end:
user_code_end:
