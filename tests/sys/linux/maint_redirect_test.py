# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint ... via=redirect` (tests/sys/linux/README.md): the application already runs in the
understudy, and the switch moves the service address to it. kvd0-b's kvd follows kvd0's
through the vmm's relay (the state, then every write); kvd0 hands over; the switch sends new
connections to kvd0-b while the established ones finish on kvd0, whose kvd forwards their
requests to kvd0-b; kvd0 retires once they have closed. Then the same back, as an application
upgrade: kvd0 runs kvd-next (VERSION 2) and the request stream is cut over to it.

Persistent and per-request clients run throughout. A connection opened before the first move
keeps working across it and sees what new connections write, and the reverse. Zero failed
requests; every acknowledged SET reads back."""
import time

import loadgen
import maintcheck
import usqemu


def served_since(g, n, want, timeout=300):
    """Wait until @want more requests than @n have been answered (the clients run on)."""
    end = time.monotonic() + timeout
    while len(g.log) < n + want:
        assert time.monotonic() < end, "the clients stopped being answered"
        time.sleep(0.1)


def move(t, m, g_acked, port, cmd, first, understudy, version):
    """Run @cmd under load; returns the load generator, finished and checked."""
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=3, per_request=1, seed=len(cmd))
    g.acked = dict(g_acked)
    kept = loadgen.Conn(port)  # established before the move: finishes on @first
    assert kept.ask("SET kept-%s before" % first) == "OK"
    g.start(requests=10 ** 9, seconds=900)
    since = len(m.output)
    out = usqemu.console_cmd(m, cmd)
    assert out.startswith("%s of %s started" % (cmd.split()[1], first)), out
    m.expect_seen(r"migrate\| maint: %s: %s takes new connections" % (first, understudy),
                  timeout=600, since=since)
    s = maintcheck.status(m)
    assert s["phase"] == "commit" and s["via"] == "redirect" and s["bytes"] > 0, s
    # New connections reach the understudy; the kept one is forwarded to it from @first.
    served_since(g, len(g.log), 200)
    fresh = loadgen.Conn(port)
    assert fresh.ask("VERSION") == "VERSION %d" % version
    assert fresh.ask("GET kept-%s" % first) == "VALUE before"
    assert kept.ask("SET kept-%s after" % first) == "OK"
    assert fresh.ask("GET kept-%s" % first) == "VALUE after"
    assert fresh.ask("SET fresh-%s yes" % first) == "OK"
    assert kept.ask("GET fresh-%s" % first) == "VALUE yes"
    fresh.close()
    # The first instance stays until its established clients are gone.
    assert maintcheck.status(m)["phase"] == "commit"
    assert first in maintcheck.vms(m)
    kept.close()
    g.finish()
    m.expect_seen(r"migrate\| maint: %s: done: %s serves" % (first, understudy), timeout=300,
                  since=since)
    assert list(maintcheck.vms(m)) == [understudy]
    r = g.summary()
    print("%s: %s, %d bytes streamed" % (cmd, r, s["bytes"]))
    assert r["requests"] > 0, r
    assert not g.failures(), g.failures()[:10]
    return g


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys)
    g.seed()
    g = move(t, m, g.acked, port, "maint upgrade-os kvd0 initrd=initramfs-next via=redirect",
             "kvd0", "kvd0-b", 1)
    g = move(t, m, g.acked, port, "maint upgrade-app kvd0-b image=kvd-next via=redirect",
             "kvd0-b", "kvd0", 2)
    bad = g.verify()
    assert not bad, bad[:10]


def args(p):
    p.add_argument("--keys", type=int, default=10000)


usqemu.run_test(test, setup_args=args)
