/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The Understudy authors */
/* Unit tests for servers/vmm/vmm_agent.c: the agent port's lines to and from migrate over the
 * agent channel (fixture: vmm_vsock_fx.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <understudy/ring.h>
#include <understudy/slots.h>
#include "ut.h"
#include "vmm_vsock_fx.h"

/* The agent's lines go up to migrate framed by open and close records; a HELLO is also
 * logged and greeted; migrate's lines come down to the agent; one agent per VM. */
static void vsock_agent_lines_reach_migrate(void)
{
    static const char hello[] = "HELLO host=kvd0 boot=1 apps=kvd\x01\n";
    struct pkt p;

    setup();
    rx_split = true; /* Linux 6.1's receive buffers */
    connect_ok(5000, 1024);
    UT_EXPECT(strcmp(up_line(), "\001open vm0") == 0);
    UT_EXPECT_EQ(migrate_signals, 1);
    post_rx_quiet(4);
    UT_EXPECT(tx(OP_RW, 5000, 1024, hello));
    UT_EXPECT(next_rx(&p));
    expect_pkt(&p, OP_RW, 1024, 5000);
    UT_EXPECT(p.len == 12 && memcmp(p.data, "WELCOME vm0\n", 12) == 0);
    UT_EXPECT_EQ(p.fwd_cnt, strlen(hello)); /* what we consumed, credited */
    UT_EXPECT(strcmp(info, "vm0: agent: HELLO host=kvd0 boot=1 apps=kvd?") == 0);
    UT_EXPECT(strcmp(up_line(), "HELLO host=kvd0 boot=1 apps=kvd?") == 0);
    UT_EXPECT(tx(OP_RW, 5000, 1024, "HEALTH kvd=u"));
    UT_EXPECT(strcmp(up_line(), "") == 0); /* half a line: nothing yet */
    UT_EXPECT(tx(OP_RW, 5000, 1024, "p keys=3\r\nHELLO again\n"));
    UT_EXPECT(strcmp(up_line(), "HEALTH kvd=up keys=3") == 0);
    UT_EXPECT(strcmp(up_line(), "HELLO again") == 0); /* only the first is a greeting */
    UT_EXPECT(!next_rx(&p));
    /* migrate's requests reach the agent at once, in order. */
    down_line("HEALTH\n");
    UT_EXPECT(next_rx(&p) && p.len == 7 && memcmp(p.data, "HEALTH\n", 7) == 0);
    down_line("INVENTORY\n");
    UT_EXPECT(next_rx(&p) && p.len == 10 && memcmp(p.data, "INVENTORY\n", 10) == 0);
    UT_EXPECT_EQ(warnings, 0);
    /* A second agent connection on the same VM is refused. */
    UT_EXPECT(tx(OP_REQUEST, 5001, 1024, NULL));
    UT_EXPECT(next_rx(&p) && p.op == OP_RST && p.dst_port == 5001);
    UT_EXPECT(strcmp(up_line(), "") == 0);
    /* The agent leaves: migrate hears so, and a line for it is dropped. */
    UT_EXPECT(tx(OP_RST, 5000, 1024, NULL));
    UT_EXPECT(strcmp(up_line(), "\001close") == 0);
    down_line("HEALTH\n");
    UT_EXPECT(!next_rx(&p));
    /* A new agent may connect. */
    connect_ok(5002, 1024);
    UT_EXPECT(strcmp(up_line(), "\001open vm0") == 0);
}

/* migrate stops reading: the agent's connection is reset rather than its lines lost
 * silently, and the next connection says so. */
static void vsock_agent_channel_full_resets(void)
{
    char line[100];
    struct pkt p;
    int sent = 0;

    setup();
    connect_ok(5000, 1024);
    post_rx_quiet(8);
    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 2] = '\n';
    line[sizeof(line) - 1] = '\0';
    while (st.vms[0].agent_conn != 0 && sent < 100) {
        UT_EXPECT(tx(OP_RW, 5000, 1024, line));
        sent++;
    }
    UT_EXPECT_EQ(st.vms[0].agent_conn, 0);
    UT_EXPECT(sent > 1 && sent < 100);
    UT_EXPECT(next_rx(&p) && p.op == OP_RST);
    UT_EXPECT_EQ(warnings, 1);
}

UT_MAIN({"vsock_agent_lines_reach_migrate", vsock_agent_lines_reach_migrate},
        {"vsock_agent_channel_full_resets", vsock_agent_channel_full_resets})
