# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The maintenance flows' yardstick with no flow running: the default image's kvd seeded with
--keys keys, then persistent and per-request clients (tests/qemu/loadgen.py) sending a GET/SET
mix through the NIC and the vmm's switch. Zero failed requests, and every acknowledged SET
reads back."""
import loadgen
import usqemu


def test(t):
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)])
    m.expect(r"us> ")
    m.sendline("vm console 0")
    m.expect(r"kvd: listening on port 7000", timeout=240)
    g = loadgen.LoadGen(port, keys=t.args.keys)
    g.seed()
    c = loadgen.Conn(port)
    assert c.ask("COUNT") == "COUNT %d" % t.args.keys
    c.close()
    g.start(requests=t.args.requests, seconds=600)
    for th in g.threads:
        th.join()
    g.finish()
    s = g.summary()
    print("loadgen: %s" % s)
    assert s["requests"] == t.args.requests, s
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    assert len(g.acked) == t.args.keys


def args(p):
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--requests", type=int, default=2000)


usqemu.run_test(test, setup_args=args)
