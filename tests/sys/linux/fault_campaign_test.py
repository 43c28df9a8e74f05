# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A fault campaign over the four servers (tests/sys/linux/README.md): --faults times, a
random one of the vmm, migrate, devmgr and the console gets a random one of: a fault (server
crash: the kernel restarts it), a restart by command, its saved state corrupted then a restart
(detected: refused and rebuilt, or for the vmm repaired from its second copy), a hang (the
kernel's watchdog restarts it) or a garbled next reply (whoever gets it refuses it; not for
the console, which nobody calls). After each, every server must answer (devmgr's inventory
unchanged, migrate's status), while kvd0 serves under the load generator. Zero failed
requests, every acknowledged SET reads back, the guest still runs, and the kernel's restart
and fault counts match what was injected. --seed picks the sequence; the counts are printed,
with the time each restart took until the server waited for requests again (the kernel logs
it; in instructions under -icount, bench/recovery_bench.py)."""
import faultcheck
import loadgen
import maintcheck
import usqemu


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=2, per_request=1)
    g.seed()
    g.start(requests=10 ** 9, seconds=3000)
    c = faultcheck.campaign(m, g, t.args.faults, t.args.seed)
    g.finish()
    r = g.summary()
    bad = g.verify()
    vms = c["vms"]
    print("fault campaign: %d faults (%s) in %.1f s; restarts %s; clients %s; %d keys wrong; "
          "guests running %d of %d" % (t.args.faults, c["kinds"], c["seconds"], c["restarts"], r,
                                       len(bad), sum(v["state"] == "running" for v in vms.values()),
                                       len(vms)))
    for name, ns in sorted(c["back"].items()):
        print("  %s: %d restarts, back in median %d ns, worst %d ns"
              % (name, len(ns), faultcheck.median(ns), max(ns)))
    for s in faultcheck.SERVERS:
        got = c["servers"][s]
        assert got["state"] == "running", got
        assert got["restarts"] == c["restarts"][s], (s, got, c["restarts"])
        assert got["faults"] == c["crashes"][s], (s, got, c["crashes"])
    assert [v["state"] for v in vms.values()] == ["running"], vms
    assert sum(len(v) for v in c["back"].values()) == sum(c["restarts"].values()), c
    assert r["requests"] > 0, r
    assert not g.failures(), g.failures()[:10]
    assert not bad, bad[:10]


def args(p):
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--faults", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)


usqemu.run_test(test, setup_args=args)
