# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint upgrade-os` refused, aborted and failing (tests/sys/linux/README.md), while clients
keep sending GET and SET: refusals with their reason; an abort while the understudy boots; a
second flow refused while one runs; an abort while kvd is frozen (the flow stalled by fault
injection, with the clients' new connections held); the carried state corrupted inside the
vmm (refused by the understudy's checksum); the understudy destroyed while the state moves;
via redirect, an abort while kvd0's kvd replicates, and the follower destroyed.
After each, kvd0 alone serves, with every acknowledged write; no request failed and the free
memory is back where it was."""

import loadgen
import maintcheck
import usqemu
from maintcheck import free_mem, refused, status, vms


def out_of(m, cmd):
    return usqemu.console_cmd(m, cmd)


def only_kvd0(m):
    assert [(n, v["state"]) for n, v in vms(m).items()] == [("kvd0", "running")], vms(m)


def undone(m, since, why):
    """Wait for the flow to be undone for reason @why, and check what is left."""
    m.expect_seen(r"migrate\| maint: kvd0: %s; the first instance serves with all its data"
                  % why, timeout=300, since=since)
    s = status(m)
    assert s["phase"] == "aborted" and s["result"] != "US_OK", s
    only_kvd0(m)


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    free0 = free_mem(m)
    g.start(requests=10 ** 9, seconds=900)
    start = "maint upgrade-os kvd0 initrd=initramfs-next"

    refused(m, "maint upgrade-os nosuch", "no VM of that name with its agent connected")
    refused(m, start + " via=redirect fault=corrupt", "fault=corrupt needs a carried state")
    refused(m, start + " mem=4000", "not enough free memory for 4000 MiB")
    refused(m, "maint upgrade-os kvd0 kernel=nope", "an image is not in the bundle")
    refused(m, start + " fault=meteor", "usage")
    refused(m, "maint abort", "no flow is running")
    only_kvd0(m)

    # Abort while the understudy boots; a second flow is refused while one runs.
    since = len(m.output)
    assert out_of(m, start).startswith("upgrade-os of kvd0 started"), m.tail()
    refused(m, start, "a flow is already running")
    assert out_of(m, "maint abort") == "aborted: the first instance serves"
    undone(m, since, "aborted by the operator")
    refused(m, "maint abort", "no flow is running")

    # Abort while kvd is frozen and new connections wait in the switch.
    since = len(m.output)
    out_of(m, start + " fault=stall")
    m.expect_seen(r"migrate\| maint: kvd0: kvd frozen on kvd0; stalled here", timeout=300,
                  since=since)
    assert status(m)["phase"] == "transfer"
    assert out_of(m, "maint abort") == "aborted: the first instance serves"
    undone(m, since, "aborted by the operator")

    # The carried state corrupted inside the vmm: the understudy's agent refuses it.
    since = len(m.output)
    out_of(m, start + " fault=corrupt")
    undone(m, since, "an agent refused: downloaded state fails its sha256")

    # The understudy destroyed while the state moves.
    since = len(m.output)
    out_of(m, start + " fault=kill")
    undone(m, since, "the understudy's agent is gone")

    # via redirect: an abort while kvd0's kvd streams its writes to the follower, then the
    # follower destroyed. kvd0's kvd stops replicating and serves on.
    since = len(m.output)
    out_of(m, start + " via=redirect fault=stall")
    m.expect_seen(r"migrate\| maint: kvd0: kvd0-b follows; stalled here", timeout=300,
                  since=since)
    assert out_of(m, "maint abort") == "aborted: the first instance serves"
    undone(m, since, "aborted by the operator")
    since = len(m.output)
    out_of(m, start + " via=redirect fault=kill")
    undone(m, since, "the understudy's agent is gone")

    maintcheck.load_clean(g, "maint faults")
    c = loadgen.Conn(port)
    assert c.ask("COUNT") == "COUNT %d" % t.args.keys
    c.close()
    # The understudies' memory and the carried state's went back (the vmm's page tables
    # for a slot's mappings stay, reused by the next VM there).
    assert free0 - free_mem(m) < (1 << 20), (free0, free_mem(m))


def args(p):
    p.add_argument("--keys", type=int, default=10000)


usqemu.run_test(test, setup_args=args)
