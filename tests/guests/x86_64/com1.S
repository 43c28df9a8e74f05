/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 test guests' output on COM1, in 32-bit code: polling the line status, one exit
 * per port access. */
    .code32
    .section .text
    .globl puts, putc, puthex

/* Print %edi as eight hex digits and a newline. */
puthex:
    push %ecx
    mov $8, %ecx
1:  rol $4, %edi
    mov %edi, %eax
    and $0xf, %eax
    mov hexdigits(%eax), %al
    call putc
    loop 1b
    mov $'\n', %al
    call putc
    pop %ecx
    ret

/* Print the NUL-terminated string at %esi. */
puts:
    lodsb
    test %al, %al
    jz 1f
    call putc
    jmp puts
1:  ret

/* Print %al once the transmit holding register is empty. */
putc:
    push %edx
    push %eax
1:  mov $0x3fd, %dx /* line status */
    in %dx, %al
    test $0x20, %al
    jz 1b
    pop %eax
    mov $0x3f8, %dx
    out %al, %dx
    pop %edx
    ret

    .section .rodata
hexdigits:
    .ascii "0123456789abcdef"
