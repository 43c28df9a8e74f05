# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Each server restarted by command while two Linux guests serve kvd, each under its own
load generator (tests/sys/linux/README.md). The vmm takes up both VMs; afterwards both
guests' shells answer on their consoles. Zero failed requests on either guest, every
acknowledged SET reads back, one restart per server."""
import time

import loadgen
import maintcheck
import usqemu

SERVERS = ("vmm", "devmgr", "migrate", "console")


def answered(gens, n=50, timeout=300):
    """Every client group has had @n more answers: each restart happens under load."""
    want = [len(g.log) + n for g in gens]
    end = time.monotonic() + timeout
    while any(len(g.log) < w for g, w in zip(gens, want)):
        assert time.monotonic() < end, "a guest's clients are no longer answered"
        time.sleep(0.05)


def test(t):
    m, ports = maintcheck.serving_two(t)
    gens = [loadgen.LoadGen(p, keys=t.args.keys, persistent=1, per_request=1) for p in ports]
    for g in gens:
        g.seed()
        g.start(requests=10 ** 9, seconds=900)
    for name in SERVERS:
        answered(gens)
        since = len(m.output)
        if name == "console":  # it restarts itself: the new instance's prompt answers
            m.sendline("server restart console")
            m.expect_seen(r"console\| state recovered after restart 1", since=since)
            m.expect(r"us> ")
        else:
            assert usqemu.console_cmd(m, "server restart " + name) == "ok"
        m.expect_seen(r"kernel\| server %s restarted from the boot image \(restart 1\)" % name,
                      since=since)
        m.expect_seen(r"%s\| state recovered after restart 1" % name, since=since)
        if name == "vmm":
            m.expect_seen(r"vmm\| state recovered after restart 1: 2 VM slot\(s\)", since=since)
    answered(gens)
    # Both guests' consoles go on.
    for n in (0, 1):
        maintcheck.attach(m, n, "linux%d" % n)
        m.sendline("echo console-of-$((40 + %d))" % n)
        m.expect(r"console-of-%d" % (40 + n), timeout=60)
        maintcheck.detach(m)
    sums = []
    for g in gens:
        g.finish()
        sums.append(g.summary())
    print("two guests, each server restarted once: %s" % sums)
    for g, s in zip(gens, sums):
        assert s["requests"] > 0, s
        assert not g.failures(), g.failures()[:10]
        bad = g.verify()
        assert not bad, bad[:10]
    servers = {s["name"]: s for s in maintcheck.servers(m)}
    assert {n: servers[n]["restarts"] for n in SERVERS} == {n: 1 for n in SERVERS}, servers
    assert [v["state"] for v in maintcheck.vms(m).values()] == ["running", "running"]


def args(p):
    p.add_argument("--keys", type=int, default=2000)


usqemu.run_test(test, setup_args=args)
