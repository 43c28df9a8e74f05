/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What each test guest provides to the shared runtime in tests/guests/common. */
#pragma once

#include <stdint.h>

/** Line prefix for messages the shared runtime prints ("hello", "bench"). */
extern const char guest_name[];

/**
 * Guest entry, called by start.S at EL1 with the MMU off, bss zeroed, a 16 KiB stack and
 * VBAR_EL1 installed. @dtb is the boot protocol's x0 (may be 0 or junk). May return; the
 * caller then waits in WFI forever.
 */
void guest_main(uint64_t dtb);
