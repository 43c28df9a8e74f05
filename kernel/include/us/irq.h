/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Routing physical interrupts to server notifications. */
#pragma once

#include <understudy/errors.h>
#include <us/types.h>

struct notification;

struct irq_route {
    uint32_t intid;
    struct notification *ntfn;
    uint64_t bit;
    bool in_use;
    bool active; /* delivered, not yet acknowledged */
};

/** irq_route_create() - deliver SPI @intid to @n as @bit.
 * Returns: US_OK; US_ERANGE for a non-SPI INTID; US_EEXIST if routed; US_ENOMEM. */
us_err_t irq_route_create(uint32_t intid, struct notification *n, uint64_t bit,
                          struct irq_route **out);

/** irq_route_ack() - the server handled it: let it fire again.
 * Returns: US_OK; US_EBUSY... never: acking an idle route is harmless and returns US_OK. */
us_err_t irq_route_ack(struct irq_route *r);

/** irq_handle() - take every pending interrupt; returns true if the kernel timer fired. */
bool irq_handle(void);
