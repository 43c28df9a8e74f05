/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_pc.c: a PC guest's port I/O (COM1's 16550, open bus), CPUID
 * and MSR exits, as the x86_64 kernel sends them (kernel/arch/x86_64/vcpu.c). */
#include <string.h>
#include <understudy/slots.h>
#include <understudy/vcpu.h>
#include "ut.h"
#include "vmm_arch.h"

static struct vmm_state st;
static uint64_t counter; /* the counter's time, which the PM timer reads (1 GHz) */

uint64_t us_cpu_counter(void)
{
    return counter;
}

uint64_t us_cpu_counter_freq(void)
{
    return 1000000000u;
}

static uint32_t injected; /* the last interrupt injected outside a reply, where, how many */
static us_cap_t injected_to;
static int injections;

static uint64_t started_at; /* the last vCPU started (vmm_vcpu_on()): its index and entry */
static uint32_t started;
static int starts;

us_err_t vmm_vcpu_on(struct vmm_state *s, uint32_t slot, uint32_t i, uint64_t entry, uint64_t x0)
{
    UT_EXPECT(s == &st && slot == 0 && x0 == 0);
    started = i;
    started_at = entry;
    starts++;
    return US_OK;
}

static int room_signals; /* US_NTFN_GUEST_IN_ROOM to the console (vmm_input_take()) */

us_err_t us_signal(us_cap_t ntfn, uint64_t bits)
{
    UT_EXPECT(ntfn == US_SLOT_VMM_CONSOLE_NTFN && bits == US_NTFN_GUEST_IN_ROOM);
    room_signals++;
    return US_OK;
}

us_err_t us_vcpu_inject(us_cap_t vcpu, uint32_t intid)
{
    injected_to = vcpu;
    injected = intid;
    injections++;
    return US_OK;
}
/* The kernel's fast-path entries, as the vmm set them: the kind at each port (it keeps one
 * entry per key; removing a missing one is US_ENOENT, as there), and how many calls. */
static uint32_t fast_kind[0x10000];
static int fast_calls;
static int published; /* vmm_pl011_publish() calls: the kernel's line status made current */

us_err_t us_vm_fastmmio(us_cap_t vm, uint64_t ipa, uint32_t kind, us_cap_t mem, uint64_t offset,
                        us_cap_t ntfn)
{
    uint32_t port = (uint32_t)(ipa & 0xffffu);

    UT_EXPECT(vm == 7 && mem == 9 && offset == 0);
    UT_EXPECT_EQ(ipa, US_FASTMMIO_PORT(port));
    UT_EXPECT(ntfn == (port == 0x3f8 ? US_SLOT_SELF_NTFN : 0u)); /* the ring's signal */
    fast_calls++;
    if ((kind & 0xffu) == US_FASTMMIO_NONE && fast_kind[port] == US_FASTMMIO_NONE) {
        return US_ENOENT;
    }
    fast_kind[port] = kind & 0xffu;
    return US_OK;
}

void vmm_pl011_publish(struct vmm_state *s, uint32_t slot)
{
    UT_EXPECT(s == &st && slot == 0);
    published++;
}

static struct us_msg m;
static uint64_t virtio_ipa; /* where the last virtio access went */

/* The virtio transports, played: a read gets "virt"; a write completes a request, raising the
 * transport's interrupt. */
struct vmm_virtio_hit vmm_virtio_mmio(struct vmm_state *s, uint32_t slot, uint64_t ipa,
                                      uint32_t size, bool write, uint64_t v)
{
    struct vmm_virtio_hit h = {0x74726976u, 0, true};

    UT_EXPECT(s == &st && slot == 0 && size == 4);
    (void)v;
    virtio_ipa = ipa;
    h.irq = !write ? 0u : ipa >= VMM_VIRTIO_NET_IPA ? VMM_VIRTIO_NET_INTID : VMM_VIRTIO_BLK_INTID;
    return h;
}
static char out[64];
static size_t out_len;

void us_logf(uint32_t level, const char *fmt, ...)
{
    (void)level;
    (void)fmt;
}

void vmm_console_put(struct vmm_state *s, uint32_t slot, uint8_t b)
{
    UT_EXPECT(s == &st && slot == 0);
    if (out_len < sizeof(out)) {
        out[out_len++] = (char)b;
    }
}

/* As vmm_exit.c's: a reply with these flags and every other word zero. */
void vmm_resume(struct us_msg *r, uint64_t flags)
{
    us_msg_init(r, US_LABEL_VCPU_EXIT, US_RESUME_LEN);
    memset(r->w, 0, US_RESUME_LEN);
    r->w[US_RESUME_FLAGS] = flags;
}

static void setup(uint32_t devices)
{
    memset(&st, 0, sizeof(st));
    st.config.vm_count = 1;
    st.vms[0].visible = devices;
    out_len = 0;
    injections = 0;
    counter = 0;
    starts = 0;
    fast_calls = 0;
    published = 0;
    memset(fast_kind, 0, sizeof(fast_kind));
    vmm_pc_reset(&st, 0);
}

/* An IN or OUT exit of @size bytes at @port, RAX @rax; the reply left in m. */
static void io(uint32_t port, uint32_t size, bool write, uint64_t rax)
{
    memset(&m, 0, sizeof(m));
    us_msg_init(&m, US_LABEL_VCPU_EXIT, US_EXIT_LEN);
    m.w[US_EXIT_REASON] = US_EXIT_IO;
    m.w[US_EXIT_REG] = port;
    m.w[US_EXIT_SIZE] = size;
    m.w[US_EXIT_WRITE] = write;
    m.w[US_EXIT_X0] = rax;
    vmm_pc_io(&st, 0, &m);
    UT_EXPECT_EQ(us_resume_check(&m), US_OK);
}

/* The line status says the transmitter is empty; the rest of RAX stays the guest's. */
static void uart_status_reads_idle(void)
{
    setup(VMM_DEV_UART);
    io(0x3fd, 1, false, 0x1122334455667788ull);
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC | US_RESUME_SET_REG);
    UT_EXPECT_EQ(m.w[US_RESUME_REG], 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x1122334455667760ull);
}

/* Data writes reach the console, but not while the divisor latch is selected. */
static void uart_output_goes_to_console(void)
{
    setup(VMM_DEV_UART);
    io(0x3f8, 1, true, 'h');
    io(0x3f8, 1, true, 0x100 | 'i'); /* only AL is the byte */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC);
    io(0x3fb, 1, true, 0x80); /* DLAB */
    io(0x3f8, 1, true, 1);    /* divisor low byte */
    io(0x3fb, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x80);
    io(0x3fb, 1, true, 0x03);
    io(0x3f8, 1, true, '!');
    UT_EXPECT_EQ(out_len, 3);
    UT_EXPECT(memcmp(out, "hi!", 3) == 0);
}

/* COM1 in the kernel's fast path (US_FASTMMIO_PORT): the line status always, the transmitter
 * only while the data port is not the divisor latch and no transmitter-empty interrupt is
 * asked for, also after the chipset's reset; rewriting the same enable costs no call; a byte
 * read makes the kernel's line status current; all taken back when the UART goes. */
static void uart_fast_path_gated(void)
{
    static struct us_fastmmio_page page;

    setup(VMM_DEV_UART);
    st.vms[0].vm_cap = 7;
    st.vms[0].fast_cap = 9;
    st.vms[0].uart_fast = &page;
    UT_EXPECT_EQ(vmm_pc_uart_fast(&st, 0, true), US_OK);
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_RING);
    UT_EXPECT_EQ(fast_kind[0x3fd], US_FASTMMIO_WORD);
    UT_EXPECT_EQ(fast_calls, 2);
    vmm_pc_reset(&st, 0);     /* as a boot does after setting the entries: they stay known */
    io(0x3f9, 1, true, 0x01); /* the receive interrupt: the transmitter stays */
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_RING);
    UT_EXPECT_EQ(fast_calls, 2);
    io(0x3f9, 1, true, 0x03); /* and the transmitter's: its writes must exit */
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_NONE);
    io(0x3f9, 1, true, 0x02);
    UT_EXPECT_EQ(fast_calls, 3);
    io(0x3f9, 1, true, 0x00); /* a console line: Linux clears the enable around it */
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_RING);
    io(0x3fb, 1, true, 0x83); /* the divisor latch: the data port is not the transmitter */
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_NONE);
    io(0x3f8, 1, true, 1);
    UT_EXPECT_EQ(out_len, 0);
    io(0x3fb, 1, true, 0x03);
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_RING);
    UT_EXPECT_EQ(fast_kind[0x3fd], US_FASTMMIO_WORD);
    UT_EXPECT_EQ(vmm_pc_lsr(&st, 0), 0x60u);
    st.vms[0].uart.in[0] = 'k';
    st.vms[0].uart.in_head = 1;
    UT_EXPECT_EQ(vmm_pc_lsr(&st, 0), 0x61u);
    io(0x3f8, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 'k');
    UT_EXPECT_EQ(published, 1);
    UT_EXPECT_EQ(vmm_pc_lsr(&st, 0), 0x60u);
    UT_EXPECT_EQ(vmm_pc_uart_fast(&st, 0, false), US_OK);
    UT_EXPECT_EQ(fast_kind[0x3f8], US_FASTMMIO_NONE);
    UT_EXPECT_EQ(fast_kind[0x3fd], US_FASTMMIO_NONE);
    UT_EXPECT_EQ(vmm_pc_uart_fast(&st, 0, false), US_OK); /* nothing left: not an error */
    setup(VMM_DEV_UART); /* no fast page: the enable never reaches the kernel */
    io(0x3f9, 1, true, 0x00);
    UT_EXPECT_EQ(fast_calls, 0);
}

/* Ports nobody models read as all ones at the access's size; a VM without a UART has no
 * COM1 either. The 8254's read as a timer stopped at zero: Linux's quick PIT calibration
 * takes all ones for a counter not yet counting and reads it 100,000 times. */
static void other_ports_open_bus(void)
{
    setup(VMM_DEV_UART);
    io(0x80, 2, false, 0xabcd0000ull);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xabcdffffull);
    io(0x42, 1, false, 0x1234ull);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x1200ull);
    io(0x43, 1, true, 0xb0);
    io(0x40, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0);
    io(0xcfc, 4, false, 0xaaaaaaaa00000000ull);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xaaaaaaaaffffffffull);
    setup(0);
    io(0x3f8, 1, true, 'x');
    io(0x3fd, 1, false, 0);
    UT_EXPECT_EQ(out_len, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xff);
}

/* The master 8259 as Linux sets it up: vector base 0x30, a slave on line 2, IMR @imr. */
static void pic_init(uint8_t imr)
{
    io(0x20, 1, true, 0x11); /* ICW1: initialise, ICW4 follows */
    io(0x21, 1, true, 0x30); /* ICW2: the vector base */
    io(0x21, 1, true, 0x04); /* ICW3: the slave on line 2 */
    io(0x21, 1, true, 0x01); /* ICW4: 8086 mode, normal EOI */
    io(0x21, 1, true, imr);
}

/* The 8259's in-service register (OCW3 read ISR, then the command port). */
static uint64_t pic_isr(void)
{
    io(0x20, 1, true, 0x0b);
    io(0x20, 1, false, 0);
    return m.w[US_RESUME_VALUE] & 0xff;
}

#define VEC_COM1 (0x34u | US_VIRQ_EXTINT)

/* COM1's transmitter interrupt: enabling it with OUT2 set makes line 4 rise, and the 8259
 * hands out its vector through LINT0 in the reply; reading the identification ends it; the
 * 8259 holds another request until the end of interrupt, and a masked line until unmasked. */
static void uart_interrupt_through_8259(void)
{
    setup(VMM_DEV_UART);
    pic_init(0xef);
    io(0x3f9, 1, true, 0x02); /* THRE interrupt, but OUT2 clear: the line stays low */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, 0);
    io(0x3fc, 1, true, 0x08); /* OUT2 */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC | US_RESUME_INJECT_IRQ);
    UT_EXPECT_EQ(m.w[US_RESUME_VIRQ], VEC_COM1);
    io(0x3fa, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x02); /* THRE, no FIFO */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, 0);
    io(0x3fa, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x01); /* read once, it is gone */
    UT_EXPECT_EQ(pic_isr(), 0x10);
    io(0x3f8, 1, true, 'a'); /* sent at once: empty again, a new edge, held in service */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, 0);
    io(0x20, 1, true, 0x64); /* specific EOI, line 4: the held request comes */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, US_RESUME_INJECT_IRQ);
    UT_EXPECT_EQ(m.w[US_RESUME_VIRQ], VEC_COM1);
    io(0x3fa, 1, false, 0);
    io(0x20, 1, true, 0x20); /* non-specific EOI */
    UT_EXPECT_EQ(pic_isr(), 0);
    io(0x21, 1, true, 0xff); /* masked: the next edge waits */
    io(0x3f8, 1, true, 'b');
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, 0);
    io(0x21, 1, true, 0xef);
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, US_RESUME_INJECT_IRQ);
    UT_EXPECT_EQ(injections, 0); /* every one came in a reply */
    io(0x21, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xef);
}

/* Operator input: the line status says a byte waits, the receive buffer gives it, and with
 * the receive interrupt enabled it is injected at once, outside any exit. */
static void uart_input_interrupts(void)
{
    setup(VMM_DEV_UART);
    pic_init(0xef);
    io(0x3fc, 1, true, 0x08);
    io(0x3f9, 1, true, 0x01); /* received-data interrupt */
    st.vms[0].uart.in[0] = 'k';
    st.vms[0].uart.in_head = 1;
    UT_EXPECT_EQ(vmm_pc_input(&st, 0), US_OK);
    UT_EXPECT_EQ(injections, 1);
    UT_EXPECT_EQ(injected, VEC_COM1);
    io(0x3fd, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x61); /* data ready */
    io(0x3fa, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x04);
    io(0x3f8, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 'k');
    io(0x3fd, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0x60);
    io(0x20, 1, true, 0x20);
    UT_EXPECT_EQ(vmm_pc_input(&st, 0), US_OK); /* nothing waits: nothing injected */
    UT_EXPECT_EQ(injections, 1);
}

/* Input the console could not all hand over (the buffer full): the guest's first read makes
 * room, and the console is told once, so it sends the rest; later reads say nothing. */
static void uart_input_full_tells_console(void)
{
    setup(VMM_DEV_UART);
    room_signals = 0;
    memset(st.vms[0].uart.in, 'f', VMM_INPUT_LEN);
    st.vms[0].uart.in_tail = 5;
    st.vms[0].uart.in_head = 5 + VMM_INPUT_LEN;
    io(0x3f8, 1, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 'f');
    UT_EXPECT_EQ(room_signals, 1);
    io(0x3f8, 1, false, 0);
    UT_EXPECT_EQ(room_signals, 1);
    UT_EXPECT_EQ(st.vms[0].uart.in_tail, 7u);
}

/* The RTC register @reg, read through the index and data ports. */
static uint64_t cmos(uint8_t reg)
{
    io(0x70, 1, true, reg);
    io(0x71, 1, false, 0);
    return m.w[US_RESUME_VALUE] & 0xff;
}

/* The MC146818: the time since the counter's start from 2000-01-01 in BCD, through a leap
 * day; never an update in progress; its RAM kept, status B always BCD and 24-hour. */
static void rtc_counts_from_2000(void)
{
    setup(0);
    UT_EXPECT_EQ(cmos(0x0a) & 0x80, 0); /* no update in progress, ever */
    UT_EXPECT_EQ(cmos(0x0d), 0x80);
    UT_EXPECT_EQ(cmos(0x09), 0x00);
    UT_EXPECT_EQ(cmos(0x32), 0x20);
    UT_EXPECT_EQ(cmos(0x08), 0x01);
    UT_EXPECT_EQ(cmos(0x07), 0x01);
    UT_EXPECT_EQ(cmos(0x06), 7);                                    /* a Saturday */
    counter = (60ull * 86400u + 3600u + 60u + 59u) * 1000000000ull; /* Jan 31 + Feb 29 on */
    UT_EXPECT_EQ(cmos(0x08), 0x03);
    UT_EXPECT_EQ(cmos(0x07), 0x01);
    UT_EXPECT_EQ(cmos(0x04), 0x01);
    UT_EXPECT_EQ(cmos(0x02), 0x01);
    UT_EXPECT_EQ(cmos(0x00), 0x59);
    UT_EXPECT_EQ(cmos(0x06), 4); /* 2000-03-01, a Wednesday */
    counter = (366ull + 365u) * 86400u * 1000000000ull;
    UT_EXPECT_EQ(cmos(0x09), 0x02);
    UT_EXPECT_EQ(cmos(0x08), 0x01);
    UT_EXPECT_EQ(cmos(0x07), 0x01);
    io(0x70, 1, true, 0x90); /* NMI mask bit, register 0x10 */
    io(0x71, 1, true, 0xa5);
    UT_EXPECT_EQ(cmos(0x10), 0xa5);
    io(0x70, 1, true, 0x0b);
    io(0x71, 1, true, 0x16); /* update interrupt, binary, 24-hour */
    UT_EXPECT_EQ(cmos(0x0b), 0x12);
    io(0x70, 1, true, 0x00);
    io(0x71, 1, true, 0x33); /* setting the time: ignored */
    UT_EXPECT_EQ(cmos(0x00), 0x00);
}

/* The ACPI fixed registers: SCI_EN always set, the status cleared by writing ones, and the
 * PM timer counting at 3.579545 MHz of the counter's time. */
static void acpi_fixed_registers(void)
{
    setup(0);
    io(0x604, 2, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 1);
    io(0x604, 2, true, 0);
    io(0x604, 2, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 1);
    counter = 1000000000u; /* one second */
    io(0x608, 4, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 3579545u);
    counter += 1000000u; /* and a millisecond */
    io(0x608, 4, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 3579545u + 3579u);
    counter += 1000u; /* and a microsecond: the timer moves on, a tick in 279 ns */
    io(0x608, 4, false, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 3579545u + 3583u);
}

/* An ICR write the kernel passed on: a start-up IPI starts the vCPU it names in real mode at
 * its vector's page; INIT, a shorthand's SIPI and one for a vCPU the VM lacks start none. */
static void icr_write(uint64_t v)
{
    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_REASON] = US_EXIT_MSR;
    m.w[US_EXIT_WRITE] = 1;
    m.w[US_EXIT_REG] = 0x830;
    m.w[US_EXIT_VALUE] = v;
    vmm_pc_msr(&st, 0, &m);
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC);
}

static void sipi_starts_vcpu(void)
{
    setup(0);
    st.config.vms[0].vcpu_count = 2;
    icr_write((1ull << 32) | (5u << 8)); /* INIT */
    UT_EXPECT_EQ(starts, 0);
    icr_write((1ull << 32) | (6u << 8) | 0x9a); /* SIPI, page 0x9a000 */
    UT_EXPECT_EQ(starts, 1);
    UT_EXPECT_EQ(started, 1);
    UT_EXPECT_EQ(started_at, 0x9a000ull | US_VCPU_X86_SIPI);
    icr_write((2ull << 32) | (6u << 8) | 0x9a); /* APIC ID 2: no such vCPU */
    icr_write((3u << 18) | (6u << 8) | 0x9a);   /* to all others */
    UT_EXPECT_EQ(starts, 1);
}

/* RDMSR answers zero in EDX:EAX and leaves RBX and RCX; WRMSR only advances; CPUID zeros. */
static void msr_and_cpuid(void)
{
    setup(0);
    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_REASON] = US_EXIT_MSR;
    m.w[US_EXIT_REG] = 0xc0000082u;
    m.w[US_EXIT_X0 + 1] = 0x1111;
    m.w[US_EXIT_X0 + 2] = 0xc0000082u;
    vmm_pc_msr(&st, 0, &m);
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC | US_RESUME_SET_X0_3);
    UT_EXPECT_EQ(m.w[US_RESUME_X0], 0);
    UT_EXPECT_EQ(m.w[US_RESUME_X0 + 1], 0x1111);
    UT_EXPECT_EQ(m.w[US_RESUME_X0 + 2], 0xc0000082u);
    UT_EXPECT_EQ(m.w[US_RESUME_X0 + 3], 0);
    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_WRITE] = 1;
    vmm_pc_msr(&st, 0, &m);
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC);
    vmm_pc_cpuid(&st, 0, &m); /* leaf 0: the host model has no CPUID, so zeros */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS], US_RESUME_ADVANCE_PC | US_RESUME_SET_X0_3);
    UT_EXPECT_EQ(m.w[US_RESUME_X0] | m.w[US_RESUME_X0 + 1] | m.w[US_RESUME_X0 + 2], 0);
    m.w[US_EXIT_X0] = 0x40000000u;
    vmm_pc_cpuid(&st, 0, &m);
    UT_EXPECT_EQ(m.w[US_RESUME_X0], 0x40000000u);
    UT_EXPECT_EQ(m.w[US_RESUME_X0 + 1], 0x65646e55u); /* "Unde" */
}

/* An MMIO exit of 4 bytes at the I/O APIC's offset @off; what a load gets. */
static uint64_t ioapic(uint32_t off, bool write, uint32_t v)
{
    uint64_t got = 0xdead;
    uint32_t virq = 1;

    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_REASON] = US_EXIT_MMIO;
    m.w[US_EXIT_IPA] = VMM_PC_IOAPIC + off;
    m.w[US_EXIT_SIZE] = 4;
    m.w[US_EXIT_WRITE] = write;
    m.w[US_EXIT_VALUE] = v;
    UT_EXPECT(vmm_board_mmio(&st, 0, &m, &got, &virq));
    UT_EXPECT_EQ(virq, 0);
    return got;
}

/* Register @reg through the select register and the window. */
static uint32_t ioreg(uint32_t reg, bool write, uint32_t v)
{
    ioapic(0x00, true, reg);
    return (uint32_t)ioapic(0x10, write, v);
}

/* The identification, version and redirection registers; the read-only bits stay the I/O
 * APIC's; what is outside its page is not its. */
static void ioapic_registers(void)
{
    uint64_t v;
    uint32_t virq;

    setup(0);
    vmm_ioapic_reset(&st, 0);
    UT_EXPECT_EQ(ioreg(0x01, false, 0), 0x00170020u); /* version 0x20, 24 pins */
    ioreg(0x00, true, 0x05000000u);
    UT_EXPECT_EQ(ioreg(0x00, false, 0), 0x05000000u);
    UT_EXPECT_EQ(ioapic(0x00, false, 0), 0x00u);   /* the select register reads back */
    UT_EXPECT_EQ(ioreg(0x16, false, 0), 0x10000u); /* pin 3: masked from reset */
    ioreg(0x16, true, 0xa031u | 0x5000u);          /* remote IRR and delivery status: read-only */
    UT_EXPECT_EQ(ioreg(0x16, false, 0), 0xa031u);
    ioreg(0x17, true, 0x02000000u);
    UT_EXPECT_EQ(ioreg(0x17, false, 0), 0x02000000u);
    UT_EXPECT_EQ(ioreg(0x16, false, 0), 0xa031u);
    UT_EXPECT_EQ(ioreg(0x40, false, 0), 0u); /* pin 24: none */
    UT_EXPECT_EQ(ioapic(0x20, false, 0), 0u);
    m.w[US_EXIT_IPA] = VMM_PC_IOAPIC + VMM_PC_IOAPIC_SIZE;
    UT_EXPECT(!vmm_board_mmio(&st, 0, &m, &v, &virq));
    m.w[US_EXIT_IPA] = VMM_PC_IOAPIC - 4u;
    UT_EXPECT(!vmm_board_mmio(&st, 0, &m, &v, &virq));
    UT_EXPECT_EQ(injections, 0);
}

/* A pin's rising edge reaches the vCPU its entry names, physical or logical, never while
 * masked; a level-triggered pin unmasked while high is taken then; what the I/O APIC does not
 * model is dropped. */
static void ioapic_delivers_to_its_destination(void)
{
    setup(0);
    vmm_ioapic_reset(&st, 0);
    st.vms[0].vcpus_created = 3;
    st.vms[0].vcpu_cap[0] = 10;
    st.vms[0].vcpu_cap[1] = 11;
    vmm_ioapic_line(&st, 0, 5, true); /* masked */
    vmm_ioapic_line(&st, 0, 5, false);
    UT_EXPECT_EQ(injections, 0);
    ioreg(0x10 + 2 * 5 + 1, true, 1u << 24); /* physical destination: APIC ID 1 */
    ioreg(0x10 + 2 * 5, true, 0x35);
    vmm_ioapic_line(&st, 0, 5, true);
    UT_EXPECT_EQ(injections, 1);
    UT_EXPECT_EQ(injected, 0x35u);
    UT_EXPECT_EQ(injected_to, 11u);
    vmm_ioapic_line(&st, 0, 5, true); /* no edge */
    UT_EXPECT_EQ(injections, 1);
    vmm_ioapic_line(&st, 0, 5, false);
    ioreg(0x10 + 2 * 5 + 1, true, 1u << 24); /* logical, flat: the bitmap names vCPU 0 */
    ioreg(0x10 + 2 * 5, true, 0x36 | 1u << 11);
    vmm_ioapic_line(&st, 0, 5, true);
    UT_EXPECT_EQ(injections, 2);
    UT_EXPECT_EQ(injected, 0x36u);
    UT_EXPECT_EQ(injected_to, 10u);
    vmm_ioapic_line(&st, 0, 5, false);
    ioreg(0x10 + 2 * 5 + 1, true, 7u << 24); /* no vCPU 7 */
    ioreg(0x10 + 2 * 5, true, 0x37);
    vmm_ioapic_line(&st, 0, 5, true);
    UT_EXPECT_EQ(injections, 2);
    ioreg(0x10 + 2 * 6, true, 0x38 | 1u << 15 | 1u << 16); /* pin 6: level, masked */
    vmm_ioapic_line(&st, 0, 6, true);
    UT_EXPECT_EQ(injections, 2);
    ioreg(0x10 + 2 * 6, true, 0x38 | 1u << 15); /* unmasked while high */
    UT_EXPECT_EQ(injections, 3);
    UT_EXPECT_EQ(injected, 0x38u);
    ioreg(0x10 + 2 * 6, true, 0x38 | 1u << 15); /* written again, unmasked already */
    UT_EXPECT_EQ(injections, 3);
    ioreg(0x10 + 2 * 7, true, 0x39 | 4u << 8); /* NMI delivery: not modelled */
    vmm_ioapic_line(&st, 0, 7, true);
    ioreg(0x10 + 2 * 8, true, 0x05); /* an exception's vector */
    vmm_ioapic_line(&st, 0, 8, true);
    vmm_ioapic_line(&st, 0, 99, true); /* no such pin */
    UT_EXPECT_EQ(injections, 3);
}

/* An MMIO exit of 4 bytes at guest-physical @ipa through the PC's board; whether it was a
 * device's. */
static bool board(uint64_t ipa, bool write)
{
    uint64_t v = 0;
    uint32_t virq = 1;
    bool mine;

    memset(&m, 0, sizeof(m));
    m.w[US_EXIT_REASON] = US_EXIT_MMIO;
    m.w[US_EXIT_IPA] = ipa;
    m.w[US_EXIT_SIZE] = 4;
    m.w[US_EXIT_WRITE] = write;
    mine = vmm_board_mmio(&st, 0, &m, &v, &virq);
    UT_EXPECT_EQ(virq, 0);
    UT_EXPECT(!mine || write || v == 0x74726976u);
    return mine;
}

/* The PC's virtio windows are aarch64's transports moved to 0xd0000000; what a transport
 * raises is an edge on its ISA line through the 8259, one vector in flight at a time. */
static void virtio_through_8259(void)
{
    setup(0);
    vmm_ioapic_reset(&st, 0);
    pic_init(0x5f); /* lines 5 and 7 */
    UT_EXPECT(board(0xd0000000u, false));
    UT_EXPECT_EQ(virtio_ipa, VMM_VIRTIO_BLK_IPA);
    UT_EXPECT_EQ(injections, 0);
    UT_EXPECT(board(0xd0000050u, true));
    UT_EXPECT_EQ(virtio_ipa, VMM_VIRTIO_BLK_IPA + 0x50u);
    UT_EXPECT_EQ(injections, 1);
    UT_EXPECT_EQ(injected, (0x30u + 5u) | US_VIRQ_EXTINT);
    UT_EXPECT(board(0xd0002050u, true)); /* the network's, line 7: held while 5 is in service */
    UT_EXPECT_EQ(virtio_ipa, VMM_VIRTIO_NET_IPA + 0x50u);
    UT_EXPECT_EQ(injections, 1);
    io(0x20, 1, true, 0x65); /* specific EOI, line 5 */
    UT_EXPECT_EQ(m.w[US_RESUME_FLAGS] & US_RESUME_INJECT_IRQ, US_RESUME_INJECT_IRQ);
    UT_EXPECT_EQ(m.w[US_RESUME_VIRQ], (0x30u + 7u) | US_VIRQ_EXTINT);
    UT_EXPECT(!board(0xd0000000u + VMM_PC_VIRTIO_SIZE, false)); /* past the windows */
    UT_EXPECT(!board(0xcffffffcu, false));
    UT_EXPECT_EQ(vmm_pc_virtio_line(VMM_VIRTIO_CON_INTID), 6u);
    UT_EXPECT_EQ(vmm_pc_virtio_line(VMM_VIRTIO_VSOCK_INTID), 3u);
    UT_EXPECT_EQ(vmm_pc_virtio_line(VMM_UART_INTID), 0u);
}

UT_MAIN({"uart_status_reads_idle", uart_status_reads_idle},
        {"uart_output_goes_to_console", uart_output_goes_to_console},
        {"uart_fast_path_gated", uart_fast_path_gated},
        {"other_ports_open_bus", other_ports_open_bus}, {"msr_and_cpuid", msr_and_cpuid},
        {"uart_interrupt_through_8259", uart_interrupt_through_8259},
        {"uart_input_interrupts", uart_input_interrupts},
        {"uart_input_full_tells_console", uart_input_full_tells_console},
        {"acpi_fixed_registers", acpi_fixed_registers},
        {"rtc_counts_from_2000", rtc_counts_from_2000}, {"sipi_starts_vcpu", sipi_starts_vcpu},
        {"ioapic_registers", ioapic_registers},
        {"ioapic_delivers_to_its_destination", ioapic_delivers_to_its_destination},
        {"virtio_through_8259", virtio_through_8259})
