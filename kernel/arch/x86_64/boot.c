/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The x86_64 port's first stage (docs/x86_64.md): entered from head.S in long mode, it reads
 * the PVH start_info's memory map, hands the largest RAM region to the kernel's frame
 * allocator, moves onto the kernel's final map (W^X, NX, page 0 unmapped), checks that the CPU
 * offers AMD SVM with nested paging, enables SVM, and runs a test guest under VMRUN whose
 * nested tables map only its code: to a VMMCALL; to a load outside its memory, which must come
 * back as a nested page fault; writing a line to COM1 by port I/O, which the kernel emulates
 * exit by exit; and VMMCALL after VMMCALL, timed. The rest of the generic kernel (IPC,
 * scheduler, servers) is not linked for x86_64 yet. */
#include <stdarg.h>
#include <stdint.h>
#include <understudy/abi.h>
#include <us/platform.h>
#include <uslib/fmt.h>
#include <us/frame.h>
#include <us/kmem.h>
#include <us/log.h>
#include <us/sched.h>
#include <us/arch/irq.h>
#include <us/arch/mmu.h>
#include <arch/io.h>
#include "board.h"
#include "pvh.h"
#include "svm.h"
#include "x86.h"

#define GUEST_ASID 1u

extern const uint8_t guest_code[], guest_vmmcall[], guest_oob_load[], guest_kernel_load[],
    guest_loop[], guest_uart[];
extern char _image_start[], _image_end[];

static uint8_t vmcb[4096] __attribute__((aligned(4096)));
static uint8_t host_save[4096] __attribute__((aligned(4096)));
static uint8_t host_state[4096] __attribute__((aligned(4096))); /* VMSAVE's, around VMRUN */
static uint8_t iopm[3 * 4096] __attribute__((aligned(4096)));   /* a bit per port: all set */
static struct stage2 guest_s2;
static struct cpu boot_cpu;

/* One line on COM1, @prefix and a newline added. */
static void say(const char *prefix, const char *fmt, va_list ap)
{
    char line[160];
    int n = us_vsnprintf(line, sizeof(line) - 1, fmt, ap);

    if (n > (int)sizeof(line) - 2) {
        n = (int)sizeof(line) - 2;
    }
    line[n] = '\n';
    plat_uart_write(prefix, __builtin_strlen(prefix));
    plat_uart_write(line, (uint64_t)n + 1);
}

void x86_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say("kernel| ", fmt, ap);
    va_end(ap);
}

/* The kernel log's calls, for the generic files the first stage links (the frame allocator):
 * straight to COM1, as the kernel log does before servers run. US_LOG_* add "kernel| ". */
void klog_printf(uint32_t level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    say("", fmt, ap);
    va_end(ap);
}

void klog_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say("\nkernel| PANIC: ", fmt, ap);
    va_end(ap);
    x86_stop();
}

void x86_stop(void)
{
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

static uint64_t pa(const void *p)
{
    return pa_of(pa_from_ptr(p));
}

/* The stack protector's guard and its failure, as kernel/main.c has them for the kernel. */
uint64_t __stack_chk_guard = 0x3d5be1a97c20f468ull;
_Noreturn void __stack_chk_fail(void);
_Noreturn void __stack_chk_fail(void)
{
    klog_panic("stack smashing detected");
}

static void put64(uint32_t off, uint64_t v)
{
    vmcb_put64(vmcb, off, v);
}

static uint64_t get64(uint32_t off)
{
    return vmcb_get64(vmcb, off);
}

/* The frame allocator over RAM region [base, base + size), whole pages inside the first GiB
 * (what the boot tables reach), the kernel's image and the allocator's bitmap kept out; then
 * the kernel's final map over it. Stops if the image is not in the region. */
static void take_memory(uint64_t base, uint64_t size)
{
    uint64_t lo = align_up(base, PAGE_SIZE), hi = align_down(base + size, PAGE_SIZE);
    uint64_t img_lo = pa(_image_start), img_hi = pa(_image_end), words;
    us_err_t e;

    hi = hi < PLAT_BOOT_MAPPED ? hi : PLAT_BOOT_MAPPED;
    if (img_lo < lo || img_hi >= hi) {
        x86_say("error: the kernel at 0x%llx is not in the largest RAM region 0x%llx-0x%llx: "
                "stopping",
                (unsigned long long)img_lo, (unsigned long long)lo, (unsigned long long)hi);
        x86_stop();
    }
    words = frame_pool_bitmap_words((hi - lo) / PAGE_SIZE);
    frame_pool_init(&kmem_pool, pa_init(lo), (hi - lo) / PAGE_SIZE, pa_ptr(pa_init(img_hi)));
    frame_pool_reserve(&kmem_pool, pa_init(img_lo), img_hi - img_lo + words * 8u);
    e = arch_mmu_kernel_map_final(pa_init(lo), hi - lo);
    if (e != US_OK) {
        x86_say("error: cannot build the kernel map: %s: stopping", us_err_name(e));
        x86_stop();
    }
    x86_say("kernel map: RAM 0x%llx-0x%llx, image W^X, the rest NX, page 0 unmapped; "
            "%llu frames free",
            (unsigned long long)lo, (unsigned long long)hi,
            (unsigned long long)kmem_pool.free_count);
}

/* A flat 32-bit protected-mode guest without paging, entered at @rip, in guest-physical
 * memory mapped 1:1 by the nested tables. */
static void vmcb_setup(const void *rip)
{
    __builtin_memset(vmcb, 0, sizeof(vmcb));
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC1, MISC1_HLT | MISC1_SHUTDOWN | MISC1_IOIO);
    vmcb_put32(vmcb, VMCB_INTERCEPT_MISC2, MISC2_VMRUN | MISC2_VMMCALL);
    put64(VMCB_IOPM, pa(iopm));
    vmcb_put32(vmcb, VMCB_ASID, guest_s2.vmid);
    vmcb[VMCB_TLB_CTL] = 1; /* flush this ASID's translations on entry */
    put64(VMCB_NP_ENABLE, 1);
    put64(VMCB_N_CR3, pa_of(guest_s2.root));
    svm_flat32(vmcb, pa(rip));
}

/* Every port intercepted; the nested tables map the guest's one page of code, read and
 * execute, at the guest-physical address it has in the kernel's image (its code uses
 * absolute addresses). Nothing else of the machine is the guest's. */
static void npt_setup(void)
{
    us_err_t e;

    __builtin_memset(iopm, 0xff, sizeof(iopm));
    e = arch_stage2_init(&guest_s2, GUEST_ASID);
    if (e == US_OK) {
        e = arch_stage2_map(&guest_s2, ipa_init(pa(guest_code)), pa_from_ptr(guest_code), PAGE_SIZE,
                            US_RIGHT_READ | US_RIGHT_EXEC);
    }
    if (e != US_OK) {
        x86_say("error: cannot build the guest's nested tables: %s: stopping", us_err_name(e));
        x86_stop();
    }
}

static void guest_run(const char *what, const void *rip, uint64_t want)
{
    struct svm_gprs g = {0};
    uint64_t code;

    vmcb_setup(rip);
    svm_run(pa(vmcb), &g, pa(host_state));
    code = get64(VMCB_EXITCODE);
    if (code != want) {
        x86_say("SVM: %s: unexpected exit 0x%llx (info 0x%llx 0x%llx), wanted 0x%llx", what,
                (unsigned long long)code, (unsigned long long)get64(VMCB_EXITINFO1),
                (unsigned long long)get64(VMCB_EXITINFO2), (unsigned long long)want);
        return;
    }
    if (code == EXIT_NPF) {
        x86_say("SVM: %s: nested page fault at guest-physical 0x%llx, contained (guest rip 0x%llx)",
                what, (unsigned long long)get64(VMCB_EXITINFO2),
                (unsigned long long)get64(VMCB_RIP));
    } else {
        x86_say("SVM: %s: exit 0x%llx at guest rip 0x%llx", what, (unsigned long long)code,
                (unsigned long long)get64(VMCB_RIP));
    }
}

/* EXITINFO1 of an IOIO exit (APM volume 2, 15.10.2): the port, and a byte written by OUT. */
#define IOIO_IN (1u << 0)
#define IOIO_SZ8 (1u << 4)
#define IOIO_REP_STR (3u << 2)
#define IOIO_PORT(info) ((uint32_t)((info) >> 16) & 0xffffu)
#define COM1_DATA 0x3f8u

/* The guest writes a line to COM1, one OUT per byte: each exits, and the kernel emulates it
 * into a line of its own log, then resumes the guest after the instruction (EXITINFO2 holds
 * the next RIP for IOIO exits, next-RIP saving or not). Anything but a byte OUT to COM1's
 * data register, or more exits than the line can take, ends the run as unexpected. */
static void guest_uart_run(void)
{
    struct svm_gprs g = {0};
    char line[96];
    uint32_t n = 0;

    vmcb_setup(guest_uart);
    for (uint32_t exits = 0; exits < sizeof(line); exits++) {
        uint64_t code, info;

        svm_run(pa(vmcb), &g, pa(host_state));
        code = get64(VMCB_EXITCODE);
        info = get64(VMCB_EXITINFO1);
        if (code == EXIT_VMMCALL) {
            x86_say("SVM: port output: %u exits emulated, then VMMCALL", exits);
            return;
        }
        if (code != EXIT_IOIO || IOIO_PORT(info) != COM1_DATA || (info & IOIO_IN) ||
            (info & IOIO_REP_STR) || !(info & IOIO_SZ8)) {
            x86_say("SVM: port output: unexpected exit 0x%llx (info 0x%llx 0x%llx, rip 0x%llx)",
                    (unsigned long long)code, (unsigned long long)info,
                    (unsigned long long)get64(VMCB_EXITINFO2), (unsigned long long)get64(VMCB_RIP));
            return;
        }
        line[n++] = (char)get64(VMCB_RAX);
        if (line[n - 1] == '\n' || n == sizeof(line) - 1) {
            plat_uart_write("guest| ", 7);
            plat_uart_write(line, n);
            if (line[n - 1] != '\n') {
                plat_uart_write("\n", 1);
            }
            n = 0;
        }
        put64(VMCB_RIP, get64(VMCB_EXITINFO2));
    }
    x86_say("SVM: port output: unexpected: more than %u exits", (unsigned)sizeof(line));
}

#define LOOP_TRIPS 1000u
#define VMMCALL_LEN 3u

/* VMMCALL round trips back to back, timed with the TSC. Under QEMU's -icount shift=0 a tick
 * is one instruction, so this is the floor of an exit in instructions: VMRUN, the guest's
 * VMMCALL, #VMEXIT and the loop around them (bench/x86_bench.py prints it). */
static void guest_loop_run(void)
{
    struct svm_gprs g = {0};
    uint64_t t0, t1;
    uint32_t i;

    vmcb_setup(guest_loop);
    t0 = rdtsc();
    for (i = 0; i < LOOP_TRIPS; i++) {
        svm_run(pa(vmcb), &g, pa(host_state));
        if (get64(VMCB_EXITCODE) != EXIT_VMMCALL) {
            break;
        }
        put64(VMCB_RIP, get64(VMCB_RIP) + VMMCALL_LEN); /* no next-RIP saving to read */
        vmcb[VMCB_TLB_CTL] = 0;
    }
    t1 = rdtsc();
    if (i < LOOP_TRIPS) {
        x86_say("SVM: round trips: unexpected exit 0x%llx after %u",
                (unsigned long long)get64(VMCB_EXITCODE), i);
        return;
    }
    x86_say("SVM: %u VMMCALL round trips in %llu TSC ticks", LOOP_TRIPS,
            (unsigned long long)(t1 - t0));
}

/* Debug builds take a fault on request from the command line (QEMU's -append), once on the
 * final map, so that the tests see the kernel's own faults reported and its map enforced:
 * "fault=ud2" runs an undefined instruction, "fault=pf" reads page 0, "fault=wx" writes to
 * the kernel's text, "fault=nx" calls into its data. */
static const char *debug_fault(const struct hvm_start_info *si)
{
    static const char *const kinds[] = {"fault=ud2", "fault=pf", "fault=wx", "fault=nx"};
    const char *cl = (const char *)(uintptr_t)si->cmdline_paddr;

    if (si->cmdline_paddr == 0 || si->cmdline_paddr >= PLAT_BOOT_MAPPED - 4096) {
        return NULL;
    }
    for (uint32_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (x86_cmdline_has(cl, kinds[i])) {
            return kinds[i];
        }
    }
    return NULL;
}

static void take_fault(const char *kind)
{
#ifdef US_DEBUG
    static uint8_t ret_in_data[] = {0xc3}; /* RET, in a page the map makes NX */

    if (kind == NULL) {
        return;
    }
    x86_say("debug: taking %s", kind);
    if (__builtin_strcmp(kind, "fault=ud2") == 0) {
        __asm__ volatile("ud2");
    } else if (__builtin_strcmp(kind, "fault=pf") == 0) {
        (void)*(volatile uint64_t *)pa_ptr(pa_init(0));
    } else if (__builtin_strcmp(kind, "fault=wx") == 0) {
        *(volatile uint8_t *)(uintptr_t)&x86_boot_main = 0xcc;
    } else {
        ((void (*)(void))(uintptr_t)ret_in_data)();
    }
#else
    (void)kind;
#endif
}

#define IDLE_TICK_US 1000u

/* The interrupt controllers and the counter (apic.c), then one wait in the kernel's idle
 * path: the tick must wake it. */
static void interrupts_start(void)
{
    uint64_t t0;
    uint32_t intid;

    arch_irq_init();
    arch_irq_init_cpu(0);
    x86_say("interrupts: local APIC and IOAPIC; TSC at %llu kHz, APIC timer at %llu kHz (measured "
            "against the HPET)",
            (unsigned long long)(arch_counter_freq() / 1000u),
            (unsigned long long)(x86_timer_hz() / 1000u));
    arch_irq_enable(arch_timer_intid());
    arch_timer_arm(IDLE_TICK_US);
    t0 = arch_counter();
    do {
        arch_wait_for_interrupt();
    } while ((intid = arch_irq_ack()) == ARCH_IRQ_NONE);
    arch_irq_eoi(intid);
    arch_irq_disable(arch_timer_intid());
    x86_say("idle: woke on interrupt %u (the tick is %u) after %llu us", intid, arch_timer_intid(),
            (unsigned long long)((arch_counter() - t0) * 1000000u / arch_counter_freq()));
}

/* A device's line through the IOAPIC: COM1 raises IOAPIC line 4 when a byte arrives; the
 * kernel waits for it idle, takes the byte, and opens the line again. */
static void com1_interrupt(void)
{
    uint32_t line = 32u + PLAT_COM1_GSI, intid;
    int c;

    arch_irq_set_edge(line);
    arch_irq_enable(line);
    plat_uart_rx_interrupt();
    x86_say("first stage done: the generic kernel is not ported yet; type a key (COM1's "
            "interrupt, through the IOAPIC)");
    do {
        arch_wait_for_interrupt();
    } while ((intid = arch_irq_ack()) == ARCH_IRQ_NONE);
    arch_irq_eoi(intid);
    c = plat_uart_getc();
    arch_irq_deactivate(intid);
    x86_say("interrupt %u (IOAPIC line %u, COM1): received 0x%02x; halting", intid, PLAT_COM1_GSI,
            (unsigned)c & 0xffu);
}

void x86_boot_main(uint64_t start_info, uint64_t magic)
{
    const struct hvm_start_info *si = pa_ptr(pa_init(start_info));
    struct plat_boot_info bi;
    const char *why, *fault;
    uint32_t asids = 0, have;
    bool nrips = false;

    (void)magic; /* the first stage boots by PVH only: anything else fails the check below */
    plat_uart_init();
    x86_trap_init();
    have = x86_cpu_init(&boot_cpu);
    x86_time_init();
    x86_say("Understudy hypervisor (ABI %u) on %s, first stage: long mode", US_ABI_REVISION,
            plat_name());
    if (plat_boot_parse(pa_init(start_info), &bi) != US_OK) {
        x86_say("error: no PVH start_info with a memory map at 0x%llx (boot with QEMU -kernel): "
                "stopping",
                (unsigned long long)start_info);
        x86_stop();
    }
    fault = debug_fault(si); /* read now: the final map leaves the boot data out */
    x86_say("RAM %llu MiB at 0x%llx, the largest region of the PVH memory map (%u entries)",
            (unsigned long long)(bi.ram_size >> 20), (unsigned long long)pa_of(bi.ram_base),
            si->memmap_entries);
    take_memory(pa_of(bi.ram_base), bi.ram_size);
    take_fault(fault);
    interrupts_start();
    ring3_run(have);
    why = svm_missing(&asids, &nrips);
    if (why != NULL) {
        x86_say("error: %s: stopping", why);
        x86_stop();
    }
    x86_say("SVM with nested paging, %u ASIDs, next-RIP %s", asids, nrips ? "saved" : "not saved");
    svm_enable(pa(host_save));
    npt_setup();
    guest_run("VMMCALL", guest_vmmcall, EXIT_VMMCALL);
    guest_run("load past the guest's memory", guest_oob_load, EXIT_NPF);
    guest_run("load from the kernel's image", guest_kernel_load, EXIT_NPF);
    guest_uart_run();
    guest_loop_run();
    com1_interrupt();
    x86_stop();
}
