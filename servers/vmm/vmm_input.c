/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The guest's console input, whichever device reads it (PL011, 16550, virtio console). */
#include <understudy/slots.h>
#include <understudy/usys.h>
#include "vmm.h"

uint8_t vmm_input_take(struct vmm_state *st, uint32_t slot)
{
    struct vmm_pl011 *u = &st->vms[slot].uart;

    /* The console holds back what did not fit (vmm_pl011_input()): there is room for it now. */
    if (u->in_head - u->in_tail == VMM_INPUT_LEN) {
        (void)us_signal(US_SLOT_VMM_CONSOLE_NTFN, US_NTFN_GUEST_IN_ROOM);
    }
    return u->in[u->in_tail++ % VMM_INPUT_LEN];
}
