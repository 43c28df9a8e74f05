# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""migrate killed in the middle of a maintenance flow (tests/sys/linux/README.md), while
clients keep sending GET and SET.

First, migrate faults while the understudy boots: the kernel restarts it, it takes up the
flow from its state region, and the flow finishes when the understudy's agent reports:
kvd runs on kvd0-b only. Then a flow stalled with kvd0-b's kvd frozen and new connections
held in the switch (fault injection): migrate faults, comes back with the flow where it was,
and `maint abort` undoes it: kvd0-b serves, the understudy is retired. Last, migrate dies
having read kvd0-b's `OK frozen` but before its state took that in (fault injection): the
restarted instance reads the line again and the flow finishes. Each time the application ends
up running exactly once, with every acknowledged write; no request failed."""
import loadgen
import maintcheck
import usqemu


def crash_migrate(m, n):
    since = len(m.output)
    assert usqemu.console_cmd(m, "server crash migrate") == "ok"
    m.expect_seen(r"kernel\| server migrate restarted from the boot image \(restart %d\)" % n,
                  since=since)
    m.expect_seen(r"migrate\| state recovered after restart %d" % n, since=since)
    m.expect_seen(r"migrate\| maint: .*: the flow goes on from its last step", since=since)


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-os kvd0 initrd=initramfs-next")
    assert out.startswith("upgrade-os of kvd0 started"), out
    assert maintcheck.status(m)["phase"] == "prepare"
    crash_migrate(m, 1)
    m.expect_seen(r"migrate\| maint: kvd0: done: kvd0-b serves", timeout=600, since=since)
    assert list(maintcheck.vms(m)) == ["kvd0-b"]

    since = len(m.output)
    usqemu.console_cmd(m, "maint upgrade-os kvd0-b fault=stall")
    m.expect_seen(r"migrate\| maint: kvd0-b: kvd frozen on kvd0-b; stalled here", timeout=300,
                  since=since)
    crash_migrate(m, 2)
    s = maintcheck.status(m)
    assert s["phase"] == "transfer" and s["first"] == "kvd0-b", s
    assert usqemu.console_cmd(m, "maint abort") == "aborted: the first instance serves"
    m.expect_seen(r"migrate\| maint: kvd0-b: aborted by the operator; the first instance serves "
                  r"with all its data", timeout=300, since=since)
    assert [(n, v["state"]) for n, v in maintcheck.vms(m).items()] == [("kvd0-b", "running")]

    # A line taken is given back to the vmm only once the state that took it is sealed.
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-os kvd0-b fault=crash")
    assert out.startswith("upgrade-os of kvd0-b started"), out
    m.expect_seen(r"migrate\| fatal: maint: died having read OK frozen", timeout=300,
                  since=since)
    m.expect_seen(r"migrate\| state recovered after restart 3", since=since)
    m.expect_seen(r"migrate\| maint: kvd0-b: kvd frozen on kvd0-b; sending its state",
                  since=since)
    m.expect_seen(r"migrate\| maint: kvd0-b: done: kvd0 serves", timeout=300, since=since)
    assert list(maintcheck.vms(m)) == ["kvd0"]

    g.finish()
    r = g.summary()
    print("migrate restarted mid-flow: %s" % r)
    assert r["requests"] > 0, r
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
