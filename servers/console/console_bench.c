/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The server-to-server IPC benchmark behind `debug ipcbench N`: console calls migrate N times
 * per batch and times each batch with the virtual counter (EL0 may read it). Echoes are
 * answered by migrate's runtime, so they cost what the IPC costs; pings add migrate's handler
 * and the seal of its state after it (docs/restart.md). */
#include <understudy/cpu.h>
#include <understudy/slots.h>
#include <uslib/stats.h>
#include <uslib/string.h>
#include "console.h"

#define IPCBENCH_BATCHES 7u
#define IPCBENCH_WARMUP 16u

static us_err_t call_migrate(uint32_t label, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        us_err_t e;

        us_msg_init(us_msgbuf(), (uint16_t)label, 0);
        e = us_call(US_SLOT_MIGRATE_EP);
        if (e != US_OK) {
            return e;
        }
    }
    return US_OK;
}

/* The median over the batches of @n calls with @label, in virtual ns per call. */
static us_err_t time_calls(uint32_t label, uint32_t n, uint64_t freq, uint64_t *ns_per_call)
{
    uint64_t per_call[IPCBENCH_BATCHES];
    us_err_t e = call_migrate(label, IPCBENCH_WARMUP);

    for (uint32_t b = 0; b < IPCBENCH_BATCHES && e == US_OK; b++) {
        uint64_t t0 = us_cpu_counter();

        e = call_migrate(label, n);
        per_call[b] = (us_ticks_to_ns(us_cpu_counter() - t0, freq) + n / 2u) / n;
    }
    *ns_per_call = e == US_OK ? us_median_u64(per_call, IPCBENCH_BATCHES) : 0;
    return e;
}

us_err_t console_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out)
{
    uint64_t freq = us_cpu_counter_freq();
    us_err_t e;

    (void)ctx;
    if (n == 0 || freq == 0) {
        return US_EINVAL;
    }
    e = time_calls(US_LABEL_ECHO, n, freq, &out->ns_per_call);
    if (e == US_OK) {
        e = time_calls(US_LABEL_PING, n, freq, &out->ns_per_ping);
    }
    out->calls = n;
    out->batches = IPCBENCH_BATCHES;
    return e;
}
