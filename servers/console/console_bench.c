/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The server-to-server IPC benchmark behind `debug ipcbench N`: console calls migrate's ping
 * N times per batch and times each batch with the virtual counter (EL0 may read it). */
#include <understudy/slots.h>
#include <uslib/stats.h>
#include <uslib/string.h>
#include "console.h"

#define IPCBENCH_BATCHES 7u
#define IPCBENCH_WARMUP 16u

static inline uint64_t read_cntvct(void)
{
    uint64_t v;

    /* The ISB keeps the read from being taken early, before the calls it brackets. */
    __asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

static inline uint64_t read_cntfrq(void)
{
    uint64_t v;

    __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

static us_err_t ping_migrate(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        us_err_t e;

        us_msg_init(us_msgbuf(), US_LABEL_PING, 0);
        e = us_call(US_SLOT_MIGRATE_EP);
        if (e != US_OK) {
            return e;
        }
    }
    return US_OK;
}

us_err_t console_ipcbench(void *ctx, uint32_t n, struct console_ipcbench_result *out)
{
    uint64_t per_call[IPCBENCH_BATCHES];
    uint64_t freq = read_cntfrq();
    us_err_t e;

    (void)ctx;
    if (n == 0 || freq == 0) {
        return US_EINVAL;
    }
    e = ping_migrate(IPCBENCH_WARMUP);
    if (e != US_OK) {
        return e;
    }
    for (uint32_t b = 0; b < IPCBENCH_BATCHES; b++) {
        uint64_t t0 = read_cntvct();
        uint64_t ns;

        e = ping_migrate(n);
        if (e != US_OK) {
            return e;
        }
        ns = us_ticks_to_ns(read_cntvct() - t0, freq);
        per_call[b] = (ns + n / 2u) / n;
    }
    out->calls = n;
    out->batches = IPCBENCH_BATCHES;
    out->ns_per_call = us_median_u64(per_call, IPCBENCH_BATCHES);
    return US_OK;
}
