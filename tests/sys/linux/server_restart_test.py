# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Servers restarted while kvd0 serves under the load generator (tests/sys/linux/README.md).

migrate, devmgr and the console are restarted by command, each reloaded from the boot image
with its capabilities and its state region; each takes up its state as of the last request it
handled. migrate is then made to fault (server crash): the kernel restarts it on its own. A
byte flipped in migrate's saved state (server corrupt) is refused at the restart, reported,
and migrate starts afresh, learning again from the vmm which guest agents are connected. The vmm does not recover its state yet, so its restart is refused
with a reason. Throughout: zero failed requests, every acknowledged SET reads back, and the
servers answer afterwards (hw list from devmgr, maint status from migrate)."""
import json
import time

import loadgen
import maintcheck
import usqemu


def restarts(m):
    return {s["name"]: s["restarts"]
            for s in json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]}


def answered(g, n=100, timeout=300):
    """Wait until the clients have had @n more answers: each restart happens under load."""
    want, end = len(g.log) + n, time.monotonic() + timeout
    while len(g.log) < want:
        assert time.monotonic() < end, "the clients are no longer answered"
        time.sleep(0.05)


def restarted(m, name, since, n):
    m.expect_seen(r"kernel\| server %s restarted from the boot image \(restart %d\)" % (name, n),
                  since=since)


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=2, per_request=1)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)
    devices = usqemu.console_cmd(m, "hw list --json")

    for name in ("migrate", "devmgr"):
        answered(g)
        since = len(m.output)
        assert usqemu.console_cmd(m, "server restart " + name) == "ok"
        restarted(m, name, since, 1)
        m.expect_seen(r"%s\| state recovered after restart 1" % name, since=since)
    # The console restarts itself: the new instance's prompt is the answer, and the kernel's
    # log lines of the meantime are printed, not lost.
    answered(g)
    since = len(m.output)
    m.sendline("server restart console")
    m.expect_seen(r"console\| state recovered after restart 1", since=since)
    restarted(m, "console", since, 1)
    m.expect(r"us> ")
    assert restarts(m) == {"console": 1, "vmm": 0, "devmgr": 1, "migrate": 1}
    # devmgr's inventory and migrate's view of the agents came through.
    assert usqemu.console_cmd(m, "hw list --json") == devices
    assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] == "idle"

    out = usqemu.console_cmd(m, "server restart vmm")
    assert out.startswith("error: ") and "US_ENOTSUP" in out, out

    # A fault: the kernel restarts migrate by itself.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server crash migrate") == "ok"
    m.expect_seen(r"kernel\| server migrate faulted", since=since)
    restarted(m, "migrate", since, 2)
    m.expect_seen(r"migrate\| state recovered after restart 2", since=since)

    # Its saved state altered: refused at the restart, reported, rebuilt.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server corrupt migrate") == "ok"
    m.expect_seen(r"migrate\| state region refused after restart 3: its checksum does not "
                  r"match; starting afresh", since=since)
    # It learns again from the vmm which agents are connected, and asks each for its health.
    m.expect_seen(r"migrate\| state rebuilt: 1 agent\(s\) connected", since=since)
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", since=since)
    assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] == "idle"

    answered(g)
    g.finish()
    s = g.summary()
    print("server restarts: %s" % s)
    assert s["requests"] > 0, s
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    assert restarts(m) == {"console": 1, "vmm": 0, "devmgr": 1, "migrate": 3}


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
