/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Server start-up: stack protector, then main(); a server that returns or fails is stopped. */
#include <understudy/cpu.h>
#include <understudy/usys.h>

int main(void);
_Noreturn void us_runtime_start(const struct us_bootinfo *bi);
_Noreturn void __stack_chk_fail(void);

uint64_t __stack_chk_guard = 0x2f8a61c3d07e94b5ull;

_Noreturn void us_fatal(const char *what)
{
    us_logf(US_LOG_LEVEL_ERR, "fatal: %s", what);
    /* An instruction the kernel reports as this server's fault: it stops this server alone. */
    for (;;) {
        us_cpu_trap();
    }
}

_Noreturn void __stack_chk_fail(void)
{
    us_fatal("stack smashing detected");
}

_Noreturn void us_runtime_start(const struct us_bootinfo *bi)
{
    if (bi->abi_revision != US_ABI_REVISION) {
        us_fatal("boot info ABI revision mismatch");
    }
    main();
    us_fatal("main returned");
}
