/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* x86_64 entry through the PVH boot ABI (QEMU's -kernel on q35 with an ELF kernel) or through
 * Multiboot2 (GRUB's multiboot2 command, the vendor's path): either loader starts us in 32-bit
 * protected mode, paging off, with %ebx pointing to its boot information (the hvm_start_info
 * structure; with Multiboot2's magic in %eax, its information structure). We load our own GDT,
 * identity-map the first GiB with 2 MiB pages and the APIC window [0xfec00000, 0xff000000)
 * uncacheable (the local APIC and the HPET are needed before the kernel's own map), enable
 * PAE, long mode and NX, and call x86_boot_main(info, eax) in 64-bit mode. */

#include "callee_saved.inc"

#define CR0_PE 0x1
#define CR0_WP 0x10000 /* ring 0 too respects read-only pages */
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define CR4_PGE 0x80
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define EFER_NXE 0x800
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define PTE_UC 0x18 /* PWT and PCD */
#define APIC_WINDOW_PD 502 /* 0xfec00000's entry in the 4th GiB's directory */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* PAE and global pages, the boot tables, long mode and NX: what paging then turns on, for the
 * boot CPU in 32-bit protected mode and for the others straight from real mode. */
.macro LONG_MODE_TABLES
    mov %cr4, %eax
    or $(CR4_PAE + CR4_PGE), %eax
    mov %eax, %cr4
    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME + EFER_NXE), %eax
    wrmsr
.endm

/* Multiboot2's header (the Multiboot2 specification, 3.1), first in the image so it lies in
 * the file's first 32 KiB: the ELF's entry is used, and modules are page-aligned. */
#define MB2_HEADER_MAGIC 0xe85250d6
    .section .multiboot2, "a"
    .p2align 3
mb2_header:
    .long MB2_HEADER_MAGIC, 0, mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_HEADER_MAGIC + (mb2_header_end - mb2_header))
    .short 6, 0 /* module alignment */
    .long 8
    .short 0, 0 /* the end */
    .long 8
mb2_header_end:

/* The note QEMU's ELF loader looks for (load_elfboot): where to enter in 32-bit mode. */
    .section .note.Xen, "a", @note
    .p2align 2
    .long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .p2align 2
    .long pvh_entry

    .section .text.boot, "ax"
    .code32
    .globl pvh_entry
pvh_entry:
    cli
    cld
    mov %ebx, %esi
    mov %eax, %ebp /* Multiboot2's magic, or whatever PVH left */
    lgdt gdt_desc
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $boot_stack_top, %esp

    /* Zero the four table pages, then PML4[0] -> PDPT, PDPT[0] -> PD: 512 x 2 MiB,
     * PDPT[3] -> the APIC window's two 2 MiB pages. */
    mov $boot_pml4, %edi
    xor %eax, %eax
    mov $(4 * 4096 / 4), %ecx
    rep stosl
    movl $(boot_pdpt + PTE_P + PTE_W), boot_pml4
    movl $(boot_pd + PTE_P + PTE_W), boot_pdpt
    movl $(boot_pd_apic + PTE_P + PTE_W), boot_pdpt + 3 * 8
    movl $(0xfec00000 + PTE_P + PTE_W + PTE_PS + PTE_UC), boot_pd_apic + APIC_WINDOW_PD * 8
    movl $(0xfee00000 + PTE_P + PTE_W + PTE_PS + PTE_UC), boot_pd_apic + (APIC_WINDOW_PD + 1) * 8
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P + PTE_W + PTE_PS), %eax
    mov %eax, boot_pd(, %ecx, 8)
    inc %ecx
    cmp $512, %ecx
    jb 1b

    LONG_MODE_TABLES
    mov %cr0, %eax
    or $(CR0_PE + CR0_WP + CR0_PG), %eax
    mov %eax, %cr0
    ljmp $0x08, $long_entry

    .code64
long_entry:
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    lea boot_stack_top(%rip), %rsp
    mov %esi, %edi /* zero-extends: the boot information's physical address */
    mov %ebp, %esi
    call x86_boot_main
2:  cli
    hlt
    jmp 2b

/* An application processor's start (smp.c). The SIPI starts it in real mode at the page below
 * 1 MiB that smp.c copied [ap_tramp, ap_tramp_end) to, CS its paragraph. It goes straight to
 * long mode on the boot tables above (they map the kernel where it runs, and the page is
 * never executed in place: it is data in the image), and ap_long takes the stack and index
 * smp.c left for it. */
    .section .rodata
    .code16
    .globl ap_tramp, ap_tramp_end
ap_tramp:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    lgdtl ap_gdtr - ap_tramp
    LONG_MODE_TABLES
    mov $(CR0_PE + CR0_WP + CR0_PG), %eax /* CD and NW, set by INIT, cleared */
    mov %eax, %cr0
    ljmpl $0x08, $ap_long
    .p2align 2
ap_gdtr:
    .word gdt_end - gdt - 1
    .long gdt
ap_tramp_end:

    .text
    .code64
ap_long:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov x86_ap_stack(%rip), %rsp
    mov x86_ap_index(%rip), %edi
    call x86_ap_main /* the first stage starts no other CPU, and has none */
3:  cli
    hlt
    jmp 3b

/* svm_run(vmcb_pa, gprs, host_pa): VMRUN the guest described by the VMCB at @vmcb_pa until
 * its #VMEXIT, with its general registers other than RAX and RSP (which the VMCB holds) loaded
 * from, and saved back to, struct svm_gprs at @gprs. The processor restores our RSP, RIP and
 * RAX from its host save area and nothing else, so the C caller's callee-saved registers are
 * kept here, and the state VMSAVE and VMLOAD move (FS, GS, TR, LDTR, KERNEL_GS_BASE, the
 * SYSCALL MSRs) is saved to the page at @host_pa before the guest's is loaded, and loaded back
 * from it once the guest's is saved; nothing between may use GS. The host's interrupts must
 * be able to end the guest (a guest that spins with its own IF clear, whose VMCB sets
 * V_INTR_MASKING and intercepts INTR): with V_INTR_MASKING the host's RFLAGS.IF at VMRUN
 * decides that, so VMRUN runs with IF set and the global interrupt flag clear, which holds
 * any interrupt until the guest runs; #VMEXIT clears GIF again, IF is cleared before STGI,
 * and an interrupt that ended the guest stays pending for the caller to take. */
    .globl svm_run
svm_run:
    PUSH_CALLEE_SAVED
    push %rdx
    push %rsi
    clgi
    sti
    mov %rdx, %rax
    vmsave %rax
    mov %rdi, %rax
    vmload %rax
    mov 0x00(%rsi), %rbx
    mov 0x08(%rsi), %rcx
    mov 0x10(%rsi), %rdx
    mov 0x20(%rsi), %rdi
    mov 0x28(%rsi), %rbp
    mov 0x30(%rsi), %r8
    mov 0x38(%rsi), %r9
    mov 0x40(%rsi), %r10
    mov 0x48(%rsi), %r11
    mov 0x50(%rsi), %r12
    mov 0x58(%rsi), %r13
    mov 0x60(%rsi), %r14
    mov 0x68(%rsi), %r15
    mov 0x18(%rsi), %rsi
    vmrun %rax
    vmsave %rax /* RAX is @vmcb_pa again: #VMEXIT restores the host's */
    xchg %rsi, (%rsp) /* the guest's RSI to the stack, the pointer back */
    mov %rbx, 0x00(%rsi)
    mov %rcx, 0x08(%rsi)
    mov %rdx, 0x10(%rsi)
    popq 0x18(%rsi)
    mov %rdi, 0x20(%rsi)
    mov %rbp, 0x28(%rsi)
    mov %r8, 0x30(%rsi)
    mov %r9, 0x38(%rsi)
    mov %r10, 0x40(%rsi)
    mov %r11, 0x48(%rsi)
    mov %r12, 0x50(%rsi)
    mov %r13, 0x58(%rsi)
    mov %r14, 0x60(%rsi)
    mov %r15, 0x68(%rsi)
    pop %rax
    vmload %rax
    cli
    stgi
    POP_CALLEE_SAVED
    ret

    .section .rodata
    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff /* 0x10: data, ring 0 */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .quad gdt

    .weak x86_ap_main

    .section .data
    .p2align 3
    .globl x86_ap_stack, x86_ap_index
x86_ap_stack:
    .quad 0
x86_ap_index:
    .quad 0

    .section .bss
    .p2align 12
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4096
boot_pd_apic:
    .skip 4096
    .p2align 4
boot_stack:
    .skip 16384
boot_stack_top:
