/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 port's bare-metal test guest (docs/x86_64.md): 32-bit code entered in protected
 * mode without paging, 1 MiB into guest RAM (vmm_image_pc.c). It prints a line on COM1 by
 * polling the line status and writing the data register, one exit per access; prints its x87
 * control word (the kernel hands a vCPU the FPU in FNINIT's state); asks the vmm
 * for PSCI_VERSION by VMMCALL and prints the answer; times 1000 VMMCALLs and 1000 writes to
 * the UART's scratch register with the TSC (bench/x86_bench.py reads the figures under
 * -icount); checks CPUID for long mode and enters it (its own page tables, EFER.LME, paging,
 * a 64-bit code segment) as Linux's entry does; then, in 64-bit code, loads from a
 * guest-physical address outside its memory, which the vmm refuses with #GP: with no IDT the
 * guest then triple-faults and the vmm stops it. */
    .code32
    .section .text
    .globl _start
_start:
    mov $stack_top, %esp
    mov $hello, %esi
    call puts
    mov $fcwmsg, %esi /* the FPU as the kernel hands it over: FNINIT's state */
    call puts
    fnstcw fcw
    movzwl fcw, %edi
    call puthex
    mov $0x84000000, %eax /* PSCI_VERSION */
    vmmcall
    mov %eax, %edi
    mov $psci, %esi
    call puts
    call puthex

    mov $vmmcalls, %esi
    call puts
    rdtsc
    mov %eax, %ebx
    mov $1000, %ecx
1:  mov $0x84000000, %eax
    vmmcall
    loop 1b
    rdtsc
    sub %ebx, %eax
    mov %eax, %edi
    call puthex

    mov $outs, %esi
    call puts
    rdtsc
    mov %eax, %ebx
    mov $1000, %ecx
    mov $0x3ff, %dx /* the scratch register */
1:  out %al, %dx
    loop 1b
    rdtsc
    sub %ebx, %eax
    mov %eax, %edi
    call puthex

    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx /* long mode */
    jz nolong
    mov $haslong, %esi
    call puts
    /* Identity tables for the first 2 MiB of its RAM (which hold this code): PML4 -> PDPT
     * entry 1 (1-2 GiB) -> a 2 MiB page at 0x40000000; and for the 2 MiB at 0x20000000,
     * outside its RAM, so that the load below reaches the nested tables. */
    movl $(PDPT + 3), PML4
    movl $(PD + 3), PDPT + 8
    movl $(0x40000000 + 0x83), PD
    movl $(PD_LOW + 3), PDPT
    movl $(0x20000000 + 0x83), PD_LOW + 0x100 * 8
    mov %cr4, %eax
    or $(1 << 5), %eax /* PAE */
    mov %eax, %cr4
    mov $PML4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx /* EFER */
    rdmsr
    or $(1 << 8), %eax /* LME */
    wrmsr
    mov %cr0, %eax
    or $(1 << 31), %eax /* PG: long mode, compatibility */
    mov %eax, %cr0
    lgdt gdt_desc
    ljmp $0x08, $long64
nolong:
    mov $nolongmsg, %esi
    call puts
1:  hlt
    jmp 1b

    .code64
long64:
    lea in64(%rip), %rsi
1:  lodsb
    test %al, %al
    jz 2f
    mov %al, %bl
3:  mov $0x3fd, %dx
    in %dx, %al
    test $0x20, %al
    jz 3b
    mov $0x3f8, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
2:  mov 0x20000000, %eax /* below guest RAM (1 GiB up): nothing is mapped there */
1:  hlt
    jmp 1b
    .code32

    .section .rodata
hello:
    .asciz "hello from the x86_64 guest\n"
psci:
    .asciz "PSCI_VERSION by VMMCALL: 0x"
vmmcalls:
    .asciz "bench: 1000 VMMCALL round trips in TSC ticks 0x"
outs:
    .asciz "bench: 1000 UART port writes in TSC ticks 0x"
fcwmsg:
    .asciz "x87 control word: 0x"
haslong:
    .asciz "CPUID offers long mode\n"
nolongmsg:
    .asciz "CPUID offers no long mode\n"
in64:
    .asciz "in 64-bit mode; load from 0x20000000\n"
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt

    .section .bss
fcw:
    .space 4
    .balign 4096
PML4:
    .space 4096
PDPT:
    .space 4096
PD:
    .space 4096
PD_LOW:
    .space 4096
    .space 4096
stack_top:
