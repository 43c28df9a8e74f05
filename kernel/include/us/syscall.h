/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* System-call dispatch for server threads, and the common kernel exit path. */
#pragma once

#include <us/thread.h>

/** syscall_dispatch() - run the call in @t's x8 with arguments x0..x5; results go back into
 * @t's registers (x0 = us_err_t) now or when it is woken. */
void syscall_dispatch(struct thread *t);

/** kernel_exit() - pick the next thread, switch to it and return its saved registers. Idles
 * in the kernel while nothing can run. */
struct arch_regs *kernel_exit(void);

/** kernel_irq() - take pending interrupts; drives the preemption tick. */
void kernel_irq(void);
