/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 port's bare-metal test guest (docs/x86_64.md): 32-bit code entered in protected
 * mode without paging, 1 MiB into guest RAM (vmm_image_pc.c). It prints a line on COM1 by
 * polling the line status and writing the data register, one exit per access; prints its x87
 * control word (the kernel hands a vCPU the FPU in FNINIT's state); asks the vmm
 * for PSCI_VERSION by VMMCALL and prints the answer; times 1000 VMMCALLs and 1000 writes to
 * the UART's scratch register with the TSC (bench/x86_bench.py reads the figures under
 * -icount); reads and writes the I/O APIC by MMIO, then times 1000 reads of it; checks CPUID for long mode and enters it (its own page tables, EFER.LME, paging,
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

    call ioapic
#if !defined(MODE) || MODE != MODE_NO_APIC
    call apic
#endif
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx /* long mode */
    jz nolong
    mov $haslong, %esi
    call puts
    /* Identity tables for the first 2 MiB of its RAM (which hold this code): PML4 -> PDPT
     * entry 0 (0-1 GiB) -> a 2 MiB page at 0; and for the 2 MiB at 0x20000000, outside its
     * RAM, so that the load below reaches the nested tables. */
    movl $(PDPT + 3), PML4
    movl $(PD + 3), PDPT
    movl $0x83, PD
    movl $(0x20000000 + 0x83), PD + 0x100 * 8
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

/* The local APIC, the kernel's in x2APIC mode: its base MSR; a TSC-deadline interrupt that
 * ends a HLT; three periodic ones; a self IPI held back by the task priority, then by a clear
 * IF, and taken once each is lifted (counting the instructions run after the STI first). Its
 * own GDT and an IDT for the two vectors, which it drops again before long mode. */
apic:
    lgdt gdt_desc
    ljmp $0x10, $1f
1:  mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $timer_isr, %eax
    mov $0x40, %ecx
    call set_gate
    mov $ipi_isr, %eax
    mov $0x41, %ecx
    call set_gate
    lidt idt_desc
    mov $apicbase, %esi
    call puts
    mov $0x1b, %ecx
    rdmsr
    mov %eax, %edi
    call puthex
    xor %edx, %edx
    mov $0x80f, %ecx /* spurious vector register: enabled, vector 0xff */
    mov $0x1ff, %eax
    wrmsr
    mov $0x832, %ecx /* timer: vector 0x40, TSC-deadline mode */
    mov $(0x40 | 2 << 17), %eax
    wrmsr
    rdtsc
    add $100000, %eax
    adc $0, %edx
    mov $0x6e0, %ecx
    wrmsr
    sti
1:  hlt
    cmpl $1, ticks
    jb 1b
    mov $deadline, %esi
    call puts
    xor %edx, %edx
    mov $0x83e, %ecx /* divide by 1 */
    mov $0xb, %eax
    wrmsr
    mov $0x832, %ecx /* periodic */
    mov $(0x40 | 1 << 17), %eax
    wrmsr
    mov $0x838, %ecx /* initial count */
    mov $100000, %eax
    wrmsr
1:  hlt
    cmpl $4, ticks
    jb 1b
    mov $0x832, %ecx /* masked */
    mov $0x10000, %eax
    wrmsr
    mov $periodic, %esi
    call puts
    mov $0x808, %ecx /* task priority 0x50 holds back class 4 */
    mov $0x50, %eax
    wrmsr
    call self_ipi
    cmpl $0, ipis
    jne apic_bad
    mov $0x808, %ecx
    xor %eax, %eax
    wrmsr /* priority 0: taken before the next instruction */
    cmpl $1, ipis
    jne apic_bad
    cli
    call self_ipi
    cmpl $1, ipis
    jne apic_bad
    xor %ebx, %ebx
    sti
1:  cmpl $2, ipis /* taken once STI's shadow ends: counted until then */
    je 2f
    inc %ebx
    jmp 1b
2:  mov $held, %esi
    call puts
    mov %ebx, %edi
    call puthex
    jmp 1f
apic_bad:
    mov $notheld, %esi
    call puts
    mov ipis, %edi
    call puthex
1:  cli
    lidt null_idt
    ret

/* The I/O APIC, the vmm's, by MMIO: each access a nested page fault whose move the kernel
 * decodes. Its version through the select register and the window (a store of an immediate,
 * a load); pin 1's entry written, and read back by MOVZX (its low half); the select register
 * (0x12 then) read into AH, the rest of EAX kept; then 1000 reads of the window, timed. */
ioapic:
    mov $0xfec00000, %ebx
    movl $1, (%ebx)
    mov 0x10(%ebx), %edi
    mov $ioapicver, %esi
    call puts
    call puthex
    movl $0x12, (%ebx)
    movl $0x10031, 0x10(%ebx) /* masked, vector 0x31 */
    movzwl 0x10(%ebx), %edi
    mov $ioapicrte, %esi
    call puts
    call puthex
    mov $0x11223344, %eax
    mov (%ebx), %ah
    mov %eax, %edi
    mov $ioapicsel, %esi
    call puts
    call puthex
    movl $1, (%ebx)
    mov $ioapics, %esi
    call puts
    rdtsc
    mov %eax, %ebp
    mov $1000, %ecx
1:  mov 0x10(%ebx), %eax
    loop 1b
    rdtsc
    sub %ebp, %eax
    mov %eax, %edi
    call puthex
    ret

/* A self IPI at vector 0x41, then fifty exits in which the kernel might wrongly deliver it. */
self_ipi:
    xor %edx, %edx
    mov $0x83f, %ecx
    mov $0x41, %eax
    wrmsr
    mov $50, %ebp
1:  xor %eax, %eax
    cpuid /* which sets EAX, EBX, ECX and EDX */
    dec %ebp
    jnz 1b
    ret

/* The IDT's 32-bit interrupt gate for vector %ecx to the handler at %eax. */
set_gate:
    mov %ax, idt(, %ecx, 8)
    movw $0x10, idt + 2(, %ecx, 8)
    movw $0x8e00, idt + 4(, %ecx, 8)
    shr $16, %eax
    mov %ax, idt + 6(, %ecx, 8)
    ret

timer_isr:
    incl ticks
    jmp eoi
ipi_isr:
    incl ipis
eoi:
    push %eax
    push %ecx
    push %edx
    xor %eax, %eax
    xor %edx, %edx
    mov $0x80b, %ecx /* end of interrupt */
    wrmsr
    pop %edx
    pop %ecx
    pop %eax
    iret

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
2:  mov 0x20000000, %eax /* above guest RAM (16 MiB from 0): nothing is mapped there */
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
ioapicver:
    .asciz "I/O APIC version register: 0x"
ioapicrte:
    .asciz "I/O APIC pin 1 entry, low half: 0x"
ioapicsel:
    .asciz "I/O APIC select register into AH: 0x"
ioapics:
    .asciz "bench: 1000 IOAPIC reads in TSC ticks 0x"
fcwmsg:
    .asciz "x87 control word: 0x"
haslong:
    .asciz "CPUID offers long mode\n"
nolongmsg:
    .asciz "CPUID offers no long mode\n"
in64:
    .asciz "in 64-bit mode; load from 0x20000000\n"
apicbase:
    .asciz "APIC base MSR: 0x"
deadline:
    .asciz "APIC timer: a TSC-deadline interrupt ended HLT\n"
periodic:
    .asciz "APIC timer: three periodic interrupts\n"
held:
    .asciz "self IPI held by TPR 0x50, then by IF; loop rounds after STI: 0x"
notheld:
    .asciz "self IPI not held back; taken: 0x"
    .balign 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code */
    .quad 0x00cf9a000000ffff /* 0x10: 32-bit code */
    .quad 0x00cf92000000ffff /* 0x18: data */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
idt_desc:
    .word 0x42 * 8 - 1
    .long idt
null_idt:
    .word 0
    .long 0

    .section .bss
fcw:
    .space 4
ticks:
    .space 4
ipis:
    .space 4
idt:
    .space 0x42 * 8
    .balign 4096
PML4:
    .space 4096
PDPT:
    .space 4096
PD:
    .space 4096
    .space 4096
stack_top:
