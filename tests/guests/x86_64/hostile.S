/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 port's hostile test guest (docs/x86_64.md), built three ways (MODE):
 *   MODE_SPIN:  writes the MSRs a host's system calls and per-CPU data depend on (LSTAR, STAR,
 *               SFMASK, KERNEL_GS_BASE, GS_BASE: its own copies, swapped by VMLOAD/VMSAVE),
 *               reads LSTAR back, writes those that would take SVM from the host (VM_CR,
 *               VM_HSAVE_PA: the vmm ignores them), tries to set a reserved EFER bit (#GP,
 *               which without an IDT would end it, so it stops trying there: see below),
 *               reads PCI configuration ports and CPUID, says so, then spins with interrupts
 *               off;
 *   MODE_SVM:   runs VMSAVE on its own memory, an SVM instruction no guest may use;
 *   MODE_STRIO: writes COM1 with REP OUTSB, string I/O the vmm is not given to emulate.
 * Each prints its name first. The host must stay whole: the spinning guest is preempted, the
 * others are stopped, and servers' system calls still work. */
    .code32
    .section .text
    .globl _start
_start:
    mov $stack_top, %esp
    mov $name, %esi
    call puts
#if MODE == MODE_SPIN
    mov $msrs, %ebx
1:  mov (%ebx), %ecx
    test %ecx, %ecx
    jz 2f
    mov $0x12345678, %eax
    xor %edx, %edx
    wrmsr
    rdmsr
    add $4, %ebx
    jmp 1b
2:  mov $0xc0000082, %ecx /* LSTAR: the guest's own value back */
    rdmsr
    cmp $0x12345678, %eax
    jne 4f
    mov $own, %esi
    call puts
4:  mov $0xcf8, %dx /* PCI configuration address */
    mov $0x80000000, %eax
    out %eax, %dx
    mov $0xcfc, %dx
    in %dx, %eax
    mov %eax, %edi
    xor %eax, %eax
    cpuid
    mov $spin, %esi
    call puts
    cli
3:  jmp 3b
#elif MODE == MODE_SVM
    mov $0x40200000, %eax /* a page of its own RAM: VMSAVE wants one aligned */
    vmsave %eax
#elif MODE == MODE_STRIO
    mov $name, %esi
    mov $8, %ecx
    mov $0x3f8, %dx
    rep outsb
#endif
    mov $survived, %esi
    call puts
1:  hlt
    jmp 1b

    .section .rodata
    .balign 4
msrs: /* LSTAR, STAR, SFMASK, KERNEL_GS_BASE, GS_BASE, VM_CR, VM_HSAVE_PA */
    .long 0xc0000082, 0xc0000081, 0xc0000084, 0xc0000102, 0xc0000101, 0xc0010114, 0xc0010117, 0
#if MODE == MODE_SPIN
name:
    .asciz "hostile: spin\n"
#elif MODE == MODE_SVM
name:
    .asciz "hostile: svm\n"
#else
name:
    .asciz "hostile: strio\n"
#endif
own:
    .asciz "hostile: LSTAR reads back the guest's own value\n"
spin:
    .asciz "hostile: MSRs written, PCI ports read, CPUID run; spinning with interrupts off\n"
survived:
    .asciz "hostile: not stopped\n"

    .section .bss
    .balign 16
    .space 4096
stack_top:
