/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* An emulated PL011 per guest: output goes to the console's ring, input comes from the
 * console's GUEST_IN requests (ARM PrimeCell UART PL011 TRM, register names kept).
 *
 * A kernel printing its log polls UARTFR and writes UARTDR for every byte: two exits a byte.
 * The vmm hands both registers to the kernel (vm_fastmmio): UARTDR writes queue in a shared
 * ring the vmm drains before anything else the VM does, and UARTFR reads return a word the vmm
 * keeps current. Neither register has a side effect the ring would reorder: the transmit FIFO
 * is always empty here, so a write never changes the interrupt state. */
#include <understudy/slots.h>
#include "vmm.h"
#include "vmm_arch.h"

#define UARTDR 0x000u
#define UARTRSR 0x004u
#define UARTFR 0x018u
#define UARTIBRD 0x024u
#define UARTFBRD 0x028u
#define UARTLCR_H 0x02cu
#define UARTCR 0x030u
#define UARTIFLS 0x034u
#define UARTIMSC 0x038u
#define UARTRIS 0x03cu
#define UARTMIS 0x040u
#define UARTICR 0x044u
#define UARTPERIPHID0 0xfe0u

#define FR_RXFE (1u << 4)
#define FR_TXFE (1u << 7)
#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)

/* PrimeCell identification: PL011 r1p5, the values QEMU's model reports. */
static const uint8_t pl011_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

void vmm_console_put(struct vmm_state *st, uint32_t slot, uint8_t b)
{
    struct us_guest_ring *r = &st->rings[slot];
    uint32_t head = r->head;

    if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= US_GUEST_RING_BYTES) {
        return; /* the console is behind: drop rather than stall the guest */
    }
    r->buf[head % US_GUEST_RING_BYTES] = b;
    __atomic_store_n(&r->head, head + 1, __ATOMIC_SEQ_CST);
    /* Wake the console only when it may have seen the ring empty: it re-checks the head
     * after publishing its tail, so a byte is never left behind. */
    if (__atomic_load_n(&r->tail, __ATOMIC_SEQ_CST) == head) {
        (void)us_signal(US_SLOT_VMM_CONSOLE_NTFN, US_NTFN_GUEST_OUT);
    }
}

/* Interrupt status before masking: the transmit FIFO is always empty (output is taken at
 * once), so TX is always raised; RX and receive-timeout while input waits. */
static uint32_t raw_status(bool rx_ready)
{
    return INT_TX | (rx_ready ? INT_RX | INT_RT : 0u);
}

/* Where operator input goes: to the PL011 while the guest listens to it (its receive
 * interrupt unmasked: a tty has it open), else to a ready virtio console, else it waits in
 * the PL011 for a polling reader. */
static bool input_to_virtio(const struct vmm_state *st, uint32_t slot)
{
    return !(st->vms[slot].uart.imsc & INT_RX) && vmm_virtio_console_ready(st, slot);
}

static bool pl011_rx_ready(const struct vmm_state *st, uint32_t slot)
{
    const struct vmm_pl011 *u = &st->vms[slot].uart;

    return u->in_head != u->in_tail && !input_to_virtio(st, slot);
}

bool vmm_pl011_irq_line(struct vmm_state *st, uint32_t slot)
{
    const struct vmm_pl011 *u = &st->vms[slot].uart;

    return (raw_status(pl011_rx_ready(st, slot)) & u->imsc) != 0 &&
           vmm_gic_deliverable(&st->vms[slot].gic, VMM_UART_INTID);
}

uint32_t vmm_console_room(struct vmm_state *st, uint32_t slot, uint64_t want)
{
    struct us_guest_ring *r = &st->rings[slot];
    uint32_t room = US_GUEST_RING_BYTES - (r->head - __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST));

    if (room < want) {
        __atomic_store_n(&r->want_room, 1u, __ATOMIC_SEQ_CST);
        /* The console may have drained it meanwhile (then it saw no request): look again. */
        room = US_GUEST_RING_BYTES - (r->head - __atomic_load_n(&r->tail, __ATOMIC_SEQ_CST));
    }
    return room;
}

void vmm_console_out(struct vmm_state *st, uint32_t slot, const uint8_t *b, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        vmm_console_put(st, slot, b[i]);
    }
}

uint32_t vmm_pl011_flags(const struct vmm_state *st, uint32_t slot)
{
    return FR_TXFE | (pl011_rx_ready(st, slot) ? 0u : FR_RXFE);
}

us_err_t vmm_pl011_regs_fast(struct vmm_state *st, uint32_t slot, bool on)
{
    struct vmm_vm *vm = &st->vms[slot];
    us_err_t e;

    e = us_vm_fastmmio(vm->vm_cap, VMM_UART_IPA + UARTDR,
                       on ? US_FASTMMIO_RING | (US_NTFN_FASTMMIO << 8) : US_FASTMMIO_NONE,
                       vm->fast_cap, 0, US_SLOT_SELF_NTFN);
    if (e == US_OK || e == US_ENOENT) {
        e = us_vm_fastmmio(vm->vm_cap, VMM_UART_IPA + UARTFR,
                           on ? US_FASTMMIO_WORD : US_FASTMMIO_NONE, vm->fast_cap, 0, 0);
    }
    if (e == US_OK || e == US_ENOENT) {
        e = us_vm_fastmmio(vm->vm_cap, VMM_UART_IPA + UARTCR,
                           on ? US_FASTMMIO_LATCH : US_FASTMMIO_NONE, vm->fast_cap, 0, 0);
    }
    return e == US_ENOENT ? US_OK : e;
}

void vmm_pl011_fast(struct vmm_state *st, uint32_t slot)
{
    struct vmm_vm *vm = &st->vms[slot];
    us_err_t e;

    vmm_pl011_drain(st, slot);
    e = vmm_board_uart_fast(st, slot, (vm->visible & VMM_DEV_UART) && vm->uart_fast != NULL);
    if (e != US_OK) {
        US_LOG_WARN("%s: UART fast path not set up (%s): every access exits",
                    st->config.vms[slot].name, us_err_name(e));
    }
    vmm_pl011_publish(st, slot);
}

void vmm_pl011_drain(struct vmm_state *st, uint32_t slot)
{
    struct us_fastmmio_page *p = st->vms[slot].uart_fast;
    uint32_t tail, head;

    if (p == NULL) {
        return;
    }
    /* Publish the tail, then look at the head again: a byte the kernel added meanwhile is
     * ours to take now (it signals only from its tick or when the ring is half full). */
    tail = p->tail;
    while ((head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE)) != tail) {
        if (head - tail > US_FASTMMIO_RING_BYTES) {
            tail = head - US_FASTMMIO_RING_BYTES; /* never trust more than the ring holds */
        }
        for (; tail != head; tail++) {
            vmm_console_put(st, slot, p->ring[tail % US_FASTMMIO_RING_BYTES]);
        }
        __atomic_store_n(&p->tail, tail, __ATOMIC_SEQ_CST);
    }
}

void vmm_pl011_publish(struct vmm_state *st, uint32_t slot)
{
    if (st->vms[slot].uart_fast != NULL) {
        __atomic_store_n(&st->vms[slot].uart_fast->word, vmm_board_uart_status(st, slot),
                         __ATOMIC_RELEASE);
    }
}

us_err_t vmm_pl011_input(struct vmm_state *st, uint32_t slot, const uint8_t *b, uint32_t n,
                         uint32_t *taken)
{
    struct vmm_pl011 *u = &st->vms[slot].uart;
    uint32_t i;

    *taken = 0;
    if (st->vms[slot].state == US_VM_STATE_EMPTY) {
        return US_ENOENT;
    }
    for (i = 0; i < n && u->in_head - u->in_tail < VMM_INPUT_LEN; i++) {
        u->in[u->in_head++ % VMM_INPUT_LEN] = b[i];
    }
    *taken = i;
    vmm_pl011_publish(st, slot);
    if (input_to_virtio(st, slot)) {
        return vmm_virtio_console_rx(st, slot)
                   ? us_vcpu_inject(st->vms[slot].vcpu_cap[0], VMM_VIRTIO_CON_INTID)
                   : US_OK;
    }
    if (vmm_pl011_irq_line(st, slot)) {
        return us_vcpu_inject(st->vms[slot].vcpu_cap[0], VMM_UART_INTID);
    }
    return vmm_pc_input(st, slot); /* a PC guest reads the same bytes through its 16550 */
}

uint64_t vmm_pl011_access(struct vmm_state *st, uint32_t slot, uint64_t off, bool write,
                          uint64_t value)
{
    struct vmm_pl011 *u = &st->vms[slot].uart;
    bool rx_ready = pl011_rx_ready(st, slot);

    if (write) {
        switch (off) {
        case UARTDR:
            vmm_console_put(st, slot, (uint8_t)value);
            break;
        case UARTIMSC:
            u->imsc = (uint32_t)value & 0x7ffu;
            break;
        case UARTCR: /* in the shared page, where the kernel's fast path keeps it too */
            if (st->vms[slot].uart_fast != NULL) {
                __atomic_store_n(&st->vms[slot].uart_fast->latch, (uint32_t)value,
                                 __ATOMIC_RELEASE);
            }
            break;
        case UARTLCR_H:
            u->lcr_h = (uint32_t)value;
            break;
        default:
            break; /* baud rate, FIFO level, interrupt clear: accepted and ignored */
        }
        return 0;
    }
    switch (off) {
    case UARTDR:
        return rx_ready ? vmm_input_take(st, slot) : 0;
    case UARTFR:
        return vmm_pl011_flags(st, slot);
    case UARTIMSC:
        return u->imsc;
    case UARTCR:
        return st->vms[slot].uart_fast != NULL
                   ? __atomic_load_n(&st->vms[slot].uart_fast->latch, __ATOMIC_ACQUIRE)
                   : 0;
    case UARTLCR_H:
        return u->lcr_h;
    case UARTRIS:
        return raw_status(rx_ready);
    case UARTMIS:
        return raw_status(rx_ready) & u->imsc;
    default:
        if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 32u && (off & 3u) == 0) {
            return pl011_id[(off - UARTPERIPHID0) / 4u];
        }
        return 0;
    }
}
