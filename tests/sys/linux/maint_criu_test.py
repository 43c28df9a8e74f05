# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint upgrade-os ... via=criu` (tests/sys/linux/README.md): the kvd process itself moves
to the understudy with its established TCP connections. Clients keep persistent connections
and one opens a connection per request; the switch holds every frame for the address while
criu checkpoints kvd in kvd0 (left stopped), the images travel through the vmm, and criu
restores kvd in kvd0-b; then the switch cuts over. A connection opened before the move
answers after it on the same socket. Zero failed requests; every acknowledged SET reads
back."""
import loadgen
import maintcheck
import usqemu


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=3, per_request=1)
    g.seed()
    kept = loadgen.Conn(port)
    assert kept.ask("SET kept-before yes") == "OK"
    g.start(requests=10 ** 9, seconds=900)
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-os kvd0 initrd=initramfs-next via=criu")
    assert out.startswith("upgrade-os of kvd0 started"), out
    m.expect_seen(r"migrate\| maint: kvd0: (done: kvd0-b serves|.*the first instance serves)",
                  timeout=600, since=since)
    s = maintcheck.status(m)
    assert s["phase"] == "done" and s["via"] == "criu", s
    assert s["bytes"] > 0, s
    # The same socket, opened before the move, is served by the restored process.
    assert kept.ask("GET kept-before") == "VALUE yes"
    kept.close()
    g.finish()
    r = g.summary()
    print("maint via criu: %s, %d bytes of images" % (r, s["bytes"]))
    assert r["requests"] > 0, r
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    assert list(maintcheck.vms(m)) == ["kvd0-b"]


def args(p):
    p.add_argument("--keys", type=int, default=10000)


usqemu.run_test(test, setup_args=args)
