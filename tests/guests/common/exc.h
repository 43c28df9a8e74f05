/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* EL1 exception handling for the test guests: expected-abort probes and fatal reports. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Register frame built by vectors.S; keep in sync with FRAME_* in vectors.S. */
struct exc_frame {
    uint64_t x[31];
    uint64_t elr;
    uint64_t spsr;
    uint64_t pad;
};

_Static_assert(sizeof(struct exc_frame) == 34 * 8, "exc_frame must match vectors.S");

/**
 * Called from vectors.S with the saved frame and the vector slot (EXC_KIND_*). A data abort
 * or SError during exc_probe_read32() is reported as "<guest_name>: abort taken ..." and
 * resumed; anything else is reported as unexpected, then the guest powers off.
 */
void exc_handle(struct exc_frame *frame, uint64_t kind);

/**
 * Read 32 bits from @addr with aborts expected: a synchronous data abort skips the load,
 * and SError is unmasked around it so an injected virtual SError is taken here too.
 * Returns: true if an abort was taken (*value is then 0), false if the load completed.
 */
bool exc_probe_read32(uintptr_t addr, uint32_t *value);

/** Report a fatal guest error as "<guest_name>: FATAL <what>", power off, never return. */
void exc_fatal(const char *what) __attribute__((noreturn));
