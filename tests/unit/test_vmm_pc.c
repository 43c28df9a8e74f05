/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_pc.c: a PC guest's port I/O (COM1's 16550, open bus), CPUID
 * and MSR exits, as the x86_64 kernel sends them (kernel/arch/x86_64/vcpu.c). */
#include <string.h>
#include <understudy/vcpu.h>
#include "ut.h"
#include "vmm_arch.h"

static struct vmm_state st;
static struct us_msg m;
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

/* Ports nobody models read as all ones at the access's size; a VM without a UART has no
 * COM1 either. */
static void other_ports_open_bus(void)
{
    setup(VMM_DEV_UART);
    io(0x80, 2, false, 0xabcd0000ull);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xabcdffffull);
    io(0xcfc, 4, false, 0xaaaaaaaa00000000ull);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xaaaaaaaaffffffffull);
    setup(0);
    io(0x3f8, 1, true, 'x');
    io(0x3fd, 1, false, 0);
    UT_EXPECT_EQ(out_len, 0);
    UT_EXPECT_EQ(m.w[US_RESUME_VALUE], 0xff);
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

UT_MAIN({"uart_status_reads_idle", uart_status_reads_idle},
        {"uart_output_goes_to_console", uart_output_goes_to_console},
        {"other_ports_open_bus", other_ports_open_bus}, {"msr_and_cpuid", msr_and_cpuid})
