/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* The vmm's relay (servers/vmm/vmm_relay.c) on vsock port 1026, from one VM: every malformed
 * request refused with a reason, a JOIN waiting for its twin, and a VM that tries to pair
 * with itself or to send before its pair is complete refused, the service unharmed. (The
 * pairing of two twins and the stream between them run in qemu.default.maint_redirect.) */
#include <stdio.h>
#include <string.h>
#include "ut.h"
#include "vmm.h"
#include "vmm_vsock_fx.h"

#define RELAY 1026u

static unsigned mem_allocs;

us_err_t us_mem_alloc(us_cap_t ctl, uint64_t size, us_cap_t *mem)
{
    (void)ctl, (void)size, (void)mem;
    mem_allocs++;
    return US_ENOMEM;
}

us_err_t us_mem_map(us_cap_t mem, uint64_t va, uint32_t rights)
{
    (void)mem, (void)va, (void)rights;
    return US_ENOMEM;
}

us_err_t us_mem_unmap(us_cap_t mem)
{
    (void)mem;
    return US_OK;
}

us_err_t us_mem_free(us_cap_t mem)
{
    (void)mem;
    return US_OK;
}

/* What arrived for guest port @sport: its bytes, and whether it was reset. */
static const char *collect(uint32_t sport, bool *reset)
{
    static char out[1024];
    size_t n = 0;
    struct pkt p;

    out[0] = '\0';
    *reset = false;
    while (next_rx(&p)) {
        if (p.dst_port != sport) {
            continue;
        }
        *reset |= p.op == OP_RST;
        if (p.op == OP_RW && n + p.len < sizeof(out)) {
            memcpy(out + n, p.data, p.len);
            n += p.len;
            out[n] = '\0';
        }
    }
    return out;
}

static const char *ask(uint32_t sport, const char *req, bool *reset)
{
    connect_ok(sport, RELAY);
    post_rx_quiet(2);
    UT_EXPECT(tx(OP_RW, sport, RELAY, req));
    return collect(sport, reset);
}

static void relay_refuses_bad_requests(void)
{
    static const char *const cases[][2] = {
        {"HELLO\n", "ERR unknown request (JOIN NAME)\n"},
        {"JOIN\n", "ERR unknown request (JOIN NAME)\n"},
        {"JOIN \n", "ERR bad JOIN line (JOIN NAME)\n"},
        {"JOIN a b\n", "ERR bad JOIN line (JOIN NAME)\n"},
        {"JOIN ../x\n", "ERR bad JOIN line (JOIN NAME)\n"},
        {"JOIN abcdefghijklmnop\n", "ERR bad JOIN line (JOIN NAME)\n"},
        {"JOIN 0123456789012345678901234567890123\n", "ERR line too long\n"},
    };
    bool reset;

    setup();
    vmm_relay_init(&st, true);
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got_reply = ask(7000 + i, cases[i][0], &reset);

        if (strcmp(got_reply, cases[i][1]) != 0) {
            fprintf(stderr, "%u: '%s'\n", i, got_reply);
        }
        UT_EXPECT(strcmp(got_reply, cases[i][1]) == 0);
        UT_EXPECT(!reset);
    }
    /* Bytes after a refused request: the connection is reset. */
    (void)ask(7100, "NOPE\nmore", &reset);
    UT_EXPECT(reset);
    UT_EXPECT_EQ(mem_allocs, 0);
}

static void relay_join_waits_for_a_twin(void)
{
    bool reset;

    setup();
    vmm_relay_init(&st, true);
    /* The first JOIN waits, silently; the same VM cannot be its own other end. */
    UT_EXPECT(strcmp(ask(7200, "JOIN kvd\n", &reset), "") == 0 && !reset);
    UT_EXPECT(strcmp(ask(7201, "JOIN kvd\n", &reset),
                     "ERR the other end must be the twin instance\n") == 0);
    /* Another name waits beside it; a third finds every relay in use. */
    UT_EXPECT(strcmp(ask(7202, "JOIN other\n", &reset), "") == 0 && !reset);
    UT_EXPECT(strcmp(ask(7203, "JOIN third\n", &reset), "ERR every relay is in use\n") == 0);
    /* Bytes from a waiting end have nowhere to go: reset. */
    UT_EXPECT(tx(OP_RW, 7202, RELAY, "early"));
    (void)collect(7202, &reset);
    UT_EXPECT(reset);
    /* Its relay is free again: a new name may wait there. */
    UT_EXPECT(strcmp(ask(7204, "JOIN third\n", &reset), "") == 0 && !reset);
    /* The waiting end goes: its name is free, and nothing was allocated. */
    UT_EXPECT(tx(OP_RST, 7200, RELAY, NULL));
    UT_EXPECT(strcmp(ask(7205, "JOIN kvd\n", &reset), "ERR every relay is in use\n") != 0);
    UT_EXPECT_EQ(mem_allocs, 0);
}

UT_MAIN({"relay_refuses_bad_requests", relay_refuses_bad_requests},
        {"relay_join_waits_for_a_twin", relay_join_waits_for_a_twin})
