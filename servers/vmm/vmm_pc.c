/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* A PC guest's port I/O, CPUID and MSRs (docs/x86_64.md): COM1's 16550 (output, the line
 * status, the divisor latch, and its interrupt: enable, identification, FIFO control, modem
 * control with OUT2 gating the line) on line 4 of an 8259 pair; the ACPI fixed registers
 * (PM1a status, enable and control with SCI_EN always set, and the PM timer, a 32-bit count
 * at 3.579545 MHz from the TSC); the 8254's ports as a stopped timer; other ports open bus; the
 * host CPU's CPUID without what a guest may not use; the MSRs the kernel leaves to the vmm
 * read as zero. */
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <understudy/vcpu.h>
#include <uslib/string.h>
#include "vmm_arch.h"

#define COM1 0x3f8u
#define COM1_IRQ 4u
#define UART_THR 0u /* with DLAB 0 */
#define UART_IER 1u
#define UART_IIR 2u /* reads; writes are the FIFO control register */
#define UART_LCR 3u
#define UART_MCR 4u
#define UART_LSR 5u
#define UART_MSR 6u
#define UART_SCR 7u
#define UART_LCR_DLAB 0x80u
#define UART_LSR_IDLE 0x60u /* THRE and TEMT: output is taken at once */
#define UART_LSR_DR 0x01u   /* a byte to read */
#define UART_IER_RDI 0x01u
#define UART_IER_THRI 0x02u
#define UART_IIR_NONE 0x01u
#define UART_IIR_THRI 0x02u
#define UART_IIR_RDI 0x04u
#define UART_IIR_FIFO 0xc0u /* with the FIFOs enabled: a 16550A */
#define UART_MCR_OUT2 0x08u /* a PC's UART drives its interrupt line only with OUT2 set */
#define UART_MCR_LOOP 0x10u
#define UART_MSR_CONNECTED 0xb0u /* DCD, DSR, CTS */

#define PIC_MASTER 0x20u
#define PIC_SLAVE 0xa0u
/* The 8254 timer's ports (counters 0-2, then the mode register). There is no 8254: its counters
 * read as stopped at zero. As open bus (all ones) they looked like counter 2 holding its start
 * value, and Linux's quick PIT calibration read it 100,000 times before giving up, each read an
 * exit: minutes on two host CPUs, where each crosses to the vmm's CPU. */
#define PIT 0x40u
/* The MC146818 real-time clock: index at 0x70, data at 0x71. Its clock counts from 2000-01-01
 * 00:00:00 at the counter's zero, the machine's reset (the vmm has no wall clock); an update
 * is never in progress. As open bus it read 0xff, an update always in progress, and Linux
 * retried its clock reads 40,000 times during a boot: 80,000 exits. */
#define RTC 0x70u
#define RTC_STATUS_A 0x0au
#define RTC_STATUS_B 0x0bu
#define RTC_STATUS_D 0x0du
#define RTC_A_DIVIDER 0x26u /* 32.768 kHz time base, 1024 Hz rate; UIP (bit 7) clear */
#define RTC_B_24H 0x02u     /* 24-hour mode */
#define RTC_B_BINARY 0x04u  /* binary, not BCD: not offered */
#define RTC_D_VALID 0x80u   /* the battery is good: the time and RAM are valid */
#define ELCR 0x4d0u         /* and 0x4d1: a line per bit, level-triggered when set */
#define ICW1_INIT 0x10u
#define ICW1_SINGLE 0x02u
#define ICW1_ICW4 0x01u
#define ICW4_AUTO_EOI 0x02u
#define OCW3 0x08u
#define OCW3_READ 0x02u
#define OCW3_ISR 0x01u
#define OCW2_EOI 0x20u
#define OCW2_SPECIFIC 0x40u
#define PM1_SCI_EN 1u
#define PM_TIMER_HZ 3579545u

void vmm_pc_reset(struct vmm_state *st, uint32_t slot)
{
    struct vmm_pc *pc = &st->vms[slot].pc;
    bool tx_fast = pc->tx_fast; /* the kernel's entry is not the chipset's: a reset keeps it */

    memset(pc, 0, sizeof(*pc));
    pc->tx_fast = tx_fast;
    pc->pic[0].imr = pc->pic[1].imr = 0xff;
    pc->pm1_cnt = PM1_SCI_EN; /* in ACPI mode from the start: no SMI command port */
    vmm_ioapic_reset(st, slot);
}

/* The ACPI fixed register at @off from the PM1a event block (the status is write-1-to-clear;
 * nothing sets it yet). */
static uint64_t acpi_fixed(struct vmm_pc *pc, uint32_t off, bool write, uint16_t v)
{
    uint64_t freq = us_cpu_counter_freq(), now = us_cpu_counter();

    switch (off) {
    case 0:
        pc->pm1_sts &= (uint16_t)(write ? ~(uint32_t)v : 0xffffu);
        return pc->pm1_sts;
    case 2:
        pc->pm1_en = write ? v : pc->pm1_en;
        return pc->pm1_en;
    case VMM_PC_PM1A_CNT - VMM_PC_PM1A_EVT:
        pc->pm1_cnt = write ? (uint16_t)(v | PM1_SCI_EN) : pc->pm1_cnt;
        return pc->pm1_cnt;
    case VMM_PC_PM_TMR - VMM_PC_PM1A_EVT:
        /* Whole seconds, then the rest, so neither product overflows nor loses ticks. */
        return freq == 0 ? 0
                         : (uint32_t)(now / freq * PM_TIMER_HZ + now % freq * PM_TIMER_HZ / freq);
    default:
        return ~0ull;
    }
}

static uint8_t bcd(uint64_t v)
{
    return (uint8_t)(((v / 10u) % 10u) << 4 | (v % 10u));
}

/* The RTC's register @reg: the time since the counter's start from 2000-01-01, in BCD (a
 * civil date from a day count, as in Howard Hinnant's days_from_civil inverse), the status
 * registers, or the RAM. */
static uint8_t rtc_reg(const struct vmm_pc *pc, uint8_t reg)
{
    uint64_t freq = us_cpu_counter_freq(), s = freq == 0 ? 0 : us_cpu_counter() / freq;
    uint64_t z = s / 86400u + 730425u; /* days since 0000-03-01 of 2000-01-01 */
    uint64_t era = z / 146097u, doe = z % 146097u;
    uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u), mp = (5u * doy + 2u) / 153u;
    uint64_t month = mp < 10u ? mp + 3u : mp - 9u, year = era * 400u + yoe + (month <= 2u);

    switch (reg) {
    case 0x00:
        return bcd(s % 60u);
    case 0x02:
        return bcd(s / 60u % 60u);
    case 0x04:
        return bcd(s / 3600u % 24u);
    case 0x06:
        return (uint8_t)((s / 86400u + 6u) % 7u + 1u); /* 2000-01-01 was a Saturday (7) */
    case 0x07:
        return bcd(doy - (153u * mp + 2u) / 5u + 1u);
    case 0x08:
        return bcd(month);
    case 0x09:
        return bcd(year % 100u);
    case 0x32:
        return bcd(year / 100u);
    case RTC_STATUS_A:
        return RTC_A_DIVIDER;
    case RTC_STATUS_B:
        return (uint8_t)((pc->cmos[RTC_STATUS_B] & ~RTC_B_BINARY) | RTC_B_24H); /* BCD */
    case RTC_STATUS_D:
        return RTC_D_VALID;
    default:
        return reg < 0x0eu ? 0u : pc->cmos[reg & 0x7fu]; /* alarms and status C read 0 */
    }
}

/* Whether operator input waits for VM @slot: the console's bytes, queued where the PL011's
 * are (vmm_pl011_input()). */
static bool rx_ready(const struct vmm_state *st, uint32_t slot)
{
    return st->vms[slot].uart.in_head != st->vms[slot].uart.in_tail;
}

/* The interrupt identification: received data first, then the empty transmitter. */
static uint8_t uart_iir(const struct vmm_state *st, uint32_t slot)
{
    const struct vmm_pc *pc = &st->vms[slot].pc;
    uint8_t fifo = (pc->fcr & 1u) ? UART_IIR_FIFO : 0u;

    if ((pc->ier & UART_IER_RDI) && rx_ready(st, slot)) {
        return fifo | UART_IIR_RDI;
    }
    return (uint8_t)(fifo |
                     (((pc->ier & UART_IER_THRI) && pc->thre) ? UART_IIR_THRI : UART_IIR_NONE));
}

uint32_t vmm_pc_lsr(const struct vmm_state *st, uint32_t slot)
{
    return UART_LSR_IDLE | (rx_ready(st, slot) ? UART_LSR_DR : 0u);
}

/* Whether COM1's transmitter may be in the kernel's ring: its port is the data port, and no
 * transmitter-empty interrupt is asked for (a byte through the ring would not raise it). */
static bool tx_allowed(const struct vmm_pc *pc)
{
    return !(pc->lcr & UART_LCR_DLAB) && !(pc->ier & UART_IER_THRI);
}

/* COM1's transmitter in the kernel's ring if @on allows it (vmm_pc_uart_fast()). */
static us_err_t tx_fast(struct vmm_state *st, uint32_t slot, bool on)
{
    struct vmm_vm *vm = &st->vms[slot];
    bool tx = on && tx_allowed(&vm->pc);
    us_err_t e = us_vm_fastmmio(vm->vm_cap, US_FASTMMIO_PORT(COM1 + UART_THR),
                                tx ? US_FASTMMIO_RING | (US_NTFN_FASTMMIO << 8) : US_FASTMMIO_NONE,
                                vm->fast_cap, 0, US_SLOT_SELF_NTFN);

    vm->pc.tx_fast = tx && e == US_OK;
    return e == US_ENOENT ? US_OK : e;
}

us_err_t vmm_pc_uart_fast(struct vmm_state *st, uint32_t slot, bool on)
{
    struct vmm_vm *vm = &st->vms[slot];
    us_err_t e = tx_fast(st, slot, on);

    if (e == US_OK) {
        e = us_vm_fastmmio(vm->vm_cap, US_FASTMMIO_PORT(COM1 + UART_LSR),
                           on ? US_FASTMMIO_WORD : US_FASTMMIO_NONE, vm->fast_cap, 0, 0);
    }
    return e == US_ENOENT ? US_OK : e;
}

/* After a write to the interrupt enable or line control: the transmitter leaves the kernel's
 * ring, or goes back to it (the bytes the ring holds go out before the next exit's). */
static void tx_regate(struct vmm_state *st, uint32_t slot)
{
    const struct vmm_pc *pc = &st->vms[slot].pc;
    bool want = st->vms[slot].uart_fast != NULL && tx_allowed(pc);
    us_err_t e = want == pc->tx_fast ? US_OK : tx_fast(st, slot, want);

    if (e != US_OK) {
        US_LOG_WARN("%s: COM1's transmitter not in the fast path (%s)", st->config.vms[slot].name,
                    us_err_name(e));
    }
}

static uint64_t uart(struct vmm_state *st, uint32_t slot, uint32_t reg, bool write, uint8_t v)
{
    struct vmm_pc *pc = &st->vms[slot].pc;
    bool dlab = (pc->lcr & UART_LCR_DLAB) != 0;
    uint8_t iir;

    if (!write) {
        switch (reg) {
        case UART_IER:
            return dlab ? 0u : pc->ier;
        case UART_IIR:
            iir = uart_iir(st, slot);
            if ((iir & 0x0fu) == UART_IIR_THRI) {
                pc->thre = false; /* reading the identification ends this one */
            }
            return iir;
        case UART_LCR:
            return pc->lcr;
        case UART_MCR:
            return pc->mcr;
        case UART_LSR:
            return vmm_pc_lsr(st, slot);
        case UART_MSR: /* in loopback, the modem controls come back as their status bits */
            return (pc->mcr & UART_MCR_LOOP)
                       ? (uint8_t)(((pc->mcr & 0x3u) << 4) | ((pc->mcr & 0xcu) << 4))
                       : UART_MSR_CONNECTED;
        case UART_SCR:
            return pc->scr;
        default: /* the receive buffer, or the divisor latch's low byte */
            if (dlab || !rx_ready(st, slot)) {
                return 0;
            }
            v = vmm_input_take(st, slot);
            vmm_pl011_publish(st, slot); /* the line status the kernel answers */
            return v;
        }
    }
    switch (reg) {
    case UART_THR:
        if (!dlab) {
            vmm_console_put(st, slot, v);
            pc->thre = true; /* sent at once: empty again */
        }
        break;
    case UART_IER:
        if (!dlab) {
            if ((v & UART_IER_THRI) && !(pc->ier & UART_IER_THRI)) {
                pc->thre = true; /* an empty transmitter interrupts as soon as it may */
            }
            pc->ier = v & 0x0fu;
            tx_regate(st, slot);
        }
        break;
    case UART_IIR:
        pc->fcr = v;
        break;
    case UART_LCR:
        pc->lcr = v;
        tx_regate(st, slot);
        break;
    case UART_MCR:
        pc->mcr = v & 0x1fu;
        break;
    case UART_SCR:
        pc->scr = v;
        break;
    default:
        break;
    }
    return 0;
}

/* The 8259 at @cmd's command (@data false) or data port. */
static uint64_t i8259(struct vmm_i8259 *p, bool data, bool write, uint8_t v)
{
    if (!write) {
        return data ? p->imr : p->read_isr ? p->isr : p->irr;
    }
    if (!data && (v & ICW1_INIT)) {
        *p = (struct vmm_i8259){.icw = 1, .icw1 = v};
    } else if (!data && (v & OCW3)) {
        if (v & OCW3_READ) {
            p->read_isr = (uint8_t)(v & OCW3_ISR);
        }
    } else if (!data && (v & OCW2_EOI)) {
        /* A specific EOI names its line; otherwise the highest in service (the lowest bit). */
        uint8_t bit = (uint8_t)((v & OCW2_SPECIFIC) ? 1u << (v & 7u) : p->isr & (0x100u - p->isr));

        p->isr &= (uint8_t)~bit;
    } else if (data && p->icw == 1) {
        p->base = v & 0xf8u;
        p->icw = (p->icw1 & ICW1_SINGLE) ? ((p->icw1 & ICW1_ICW4) ? 3u : 0u) : 2u;
    } else if (data && p->icw == 2) {
        p->icw = (p->icw1 & ICW1_ICW4) ? 3u : 0u; /* the cascade's wiring: line 2, as a PC's */
    } else if (data && p->icw == 3) {
        p->icw4 = v;
        p->icw = 0;
    } else if (data) {
        p->imr = v;
    }
    return 0;
}

/* COM1's line to the master 8259 (edge-triggered: a rise is a request), then the vector the
 * master hands the CPU if a line is requested, unmasked and above every one in service; -1 if
 * none. The slave's lines have no source yet. */
static int pc_irq(struct vmm_state *st, uint32_t slot)
{
    struct vmm_pc *pc = &st->vms[slot].pc;
    struct vmm_i8259 *p = &pc->pic[0];
    bool line = (uart_iir(st, slot) & 0x0fu) != UART_IIR_NONE && (pc->mcr & UART_MCR_OUT2) != 0;
    uint8_t ready, bit;

    if (line && !pc->line) {
        p->irr |= 1u << COM1_IRQ;
    }
    if (line != pc->line) {
        vmm_ioapic_line(st, slot, COM1_IRQ, line); /* the same ISA line at the I/O APIC */
    }
    pc->line = line;
    ready = p->irr & (uint8_t)~p->imr;
    bit = ready & (uint8_t)-ready;
    /* One vector in flight at a time, where an 8259 would let a higher line interrupt a lower
     * one in service: the kernel holds one ExtINT vector until the CPU takes it, and a second
     * would replace it, leaving the first in service for good. Linux ends each at once. */
    if (p->icw != 0 || bit == 0 || p->isr != 0) {
        return -1;
    }
    p->irr &= (uint8_t)~bit;
    if (!(p->icw4 & ICW4_AUTO_EOI)) {
        p->isr |= bit;
    }
    return (int)(p->base + (uint32_t)__builtin_ctz(bit));
}

void vmm_pc_io(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint32_t port = (uint32_t)m->w[US_EXIT_REG] & 0xffffu;
    bool write = m->w[US_EXIT_WRITE] != 0;
    uint64_t rax = m->w[US_EXIT_X0], mask, v = ~0ull;
    int vec;

    mask = m->w[US_EXIT_SIZE] == 4u ? 0xffffffffull : m->w[US_EXIT_SIZE] == 2u ? 0xffffu : 0xffu;
    if ((st->vms[slot].visible & VMM_DEV_UART) && port >= COM1 && port < COM1 + 8u) {
        v = uart(st, slot, port - COM1, write, (uint8_t)rax);
    } else if ((port & ~0x81u) == 0x20u) { /* 0x20, 0x21, 0xa0, 0xa1 */
        v = i8259(&st->vms[slot].pc.pic[port >> 7], port & 1u, write, (uint8_t)rax);
    } else if (port >= VMM_PC_PM1A_EVT && port < VMM_PC_PM_TMR + 4u) {
        v = acpi_fixed(&st->vms[slot].pc, port - VMM_PC_PM1A_EVT, write, (uint16_t)rax);
    } else if (port >= PIT && port < PIT + 4u) {
        v = 0;
    } else if (port == RTC || port == RTC + 1u) {
        struct vmm_pc *pc = &st->vms[slot].pc;

        if (port == RTC && write) {
            pc->cmos_index = (uint8_t)rax & 0x7fu; /* bit 7 masks NMIs */
        } else if (write && (pc->cmos_index == RTC_STATUS_B || pc->cmos_index >= 0x0eu)) {
            pc->cmos[pc->cmos_index] = (uint8_t)rax; /* the RAM, and status B's enables */
        }
        v = port == RTC ? pc->cmos_index : rtc_reg(pc, pc->cmos_index);
    } else if (port == ELCR || port == ELCR + 1u) {
        if (write) {
            st->vms[slot].pc.elcr[port - ELCR] = (uint8_t)rax;
        }
        v = st->vms[slot].pc.elcr[port - ELCR];
    }
    vec = pc_irq(st, slot);
    vmm_resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_REG) |
                      (vec >= 0 ? US_RESUME_INJECT_IRQ : 0u));
    m->w[US_RESUME_REG] = 0; /* RAX */
    m->w[US_RESUME_VALUE] = (rax & ~mask) | (v & mask);
    m->w[US_RESUME_VIRQ] = vec >= 0 ? (uint64_t)vec | US_VIRQ_EXTINT : 0u; /* through LINT0 */
}

void vmm_pc_pulse(struct vmm_state *st, uint32_t slot, uint32_t line)
{
    if (line < 8u) {
        st->vms[slot].pc.pic[0].irr |= (uint8_t)(1u << line);
        (void)vmm_pc_input(st, slot);
    }
}

us_err_t vmm_pc_input(struct vmm_state *st, uint32_t slot)
{
    int vec = pc_irq(st, slot);

    return vec < 0 ? US_OK
                   : us_vcpu_inject(st->vms[slot].vcpu_cap[0], (uint32_t)vec | US_VIRQ_EXTINT);
}

/* CPUID bits a guest is not given: VMX and the hypervisor bit's place in leaf 1 (ECX 5, 31
 * set instead), SVM (leaf 0x80000001 ECX 2), and leaf 0xd's XSAVE areas with the XSAVE bit
 * itself (ECX 26, 27), as the kernel hands over the FPU by FXSAVE. The local APIC is the
 * kernel's, in x2APIC mode with the TSC-deadline timer (EDX 9, ECX 21 and 24, whatever the
 * host's), its ID the vCPU's index (EBX 31:24). RDTSCP and RDPID (leaf 0x80000001 EDX 27,
 * leaf 7 ECX 22) are not offered: the kernel intercepts RDTSCP, and TSC_AUX is not the
 * guest's own. */
#define CPUID1_ECX_VMX (1u << 5)
#define CPUID1_ECX_X2APIC (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_XSAVE (3u << 26)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_APIC (1u << 9)
#define CPUIDX1_ECX_SVM (1u << 2)
#define CPUIDX1_EDX_RDTSCP (1u << 27)
#define CPUID7_ECX_RDPID (1u << 22)
#define CPUID_HV_LEAF 0x40000000u

/* Out of line: its register array would give every exit's dispatch a stack guard. */
__attribute__((noinline)) void vmm_pc_cpuid(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    uint32_t leaf = (uint32_t)m->w[US_EXIT_X0], sub = (uint32_t)m->w[US_EXIT_X0 + 2], r[4];

    (void)st;
    (void)slot;
    /* The host CPU's answers, what a guest may not use taken out; 0x40000000 names us. */
    if (leaf == CPUID_HV_LEAF) {
        r[0] = CPUID_HV_LEAF;
        memcpy(&r[1], "UnderstudyVM", 12); /* EBX, ECX, EDX */
    } else if (leaf == 0xdu || !us_cpu_cpuid(leaf, sub, r)) {
        r[0] = r[1] = r[2] = r[3] = 0;
    } else if (leaf == 1u) {
        r[1] = (r[1] & 0x00ffffffu) | (uint32_t)m->w[US_EXIT_VCPU] << 24;
        r[2] = (r[2] & ~(CPUID1_ECX_VMX | CPUID1_ECX_XSAVE)) | CPUID1_ECX_HYPERVISOR |
               CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
        r[3] |= CPUID1_EDX_APIC;
    } else if (leaf == 0x80000001u) {
        r[2] &= ~CPUIDX1_ECX_SVM;
        r[3] &= ~CPUIDX1_EDX_RDTSCP;
    } else if (leaf == 7u && sub == 0) {
        r[2] &= ~CPUID7_ECX_RDPID;
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | US_RESUME_SET_X0_3);
    for (uint32_t i = 0; i < 4; i++) {
        m->w[US_RESUME_X0 + i] = r[i];
    }
}

/* An ICR write the kernel's local APIC passed on (kernel/arch/x86_64/vcpu.c): a start-up IPI
 * starts the vCPU it names in real mode at its vector's page, as PSCI's CPU_ON does on aarch64
 * (INIT before it, and a second SIPI after it, change nothing); other kinds are ignored. */
#define MSR_X2APIC_ICR 0x830u
#define ICR_INIT 5u
#define ICR_SIPI 6u

static void icr(struct vmm_state *st, uint32_t slot, uint64_t v)
{
    uint32_t mode = (uint32_t)(v >> 8) & 7u, dest = (uint32_t)(v >> 32);

    if (mode == ICR_SIPI && dest < st->config.vms[slot].vcpu_count && !(v & (3u << 18))) {
        (void)vmm_vcpu_on(st, slot, dest, ((v & 0xffu) << 12) | US_VCPU_X86_SIPI, 0);
    } else if (mode != ICR_INIT && st->vms[slot].faults_logged < VMM_FAULT_LOG_LIMIT) {
        st->vms[slot].faults_logged++;
        US_LOG_WARN("%s: IPI 0x%llx ignored", st->config.vms[slot].name, (unsigned long long)v);
    }
}

void vmm_pc_msr(struct vmm_state *st, uint32_t slot, struct us_msg *m)
{
    bool write = m->w[US_EXIT_WRITE] != 0;

    if (write && m->w[US_EXIT_REG] == MSR_X2APIC_ICR) {
        icr(st, slot, m->w[US_EXIT_VALUE]);
        vmm_resume(m, US_RESUME_ADVANCE_PC);
        return;
    }

    if (st->vms[slot].faults_logged < VMM_FAULT_LOG_LIMIT) {
        st->vms[slot].faults_logged++;
        US_LOG_WARN("%s: %s of MSR 0x%llx: RAZ/WI", st->config.vms[slot].name,
                    write ? "WRMSR" : "RDMSR", (unsigned long long)m->w[US_EXIT_REG]);
    }
    vmm_resume(m, US_RESUME_ADVANCE_PC | (write ? 0u : US_RESUME_SET_X0_3));
    /* RDMSR's EDX:EAX zero; RBX and RCX as they were. */
    m->w[US_RESUME_X0 + 1] = m->w[US_EXIT_X0 + 1];
    m->w[US_RESUME_X0 + 2] = m->w[US_EXIT_X0 + 2];
}
