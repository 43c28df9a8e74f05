/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* What the x86_64 first stage's files share (docs/x86_64.md). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/** x86_say() - one line of the kernel's log on COM1, "kernel| " and a newline added. */
void x86_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** x86_stop() - stop this CPU for good: interrupts off, halted. */
_Noreturn void x86_stop(void);

/** x86_trap_init() - load an IDT whose 32 exception vectors report and stop. */
void x86_trap_init(void);

/** x86_cmdline_has() - whether the boot command line @cmdline holds the word @word. */
bool x86_cmdline_has(const char *cmdline, const char *word);
