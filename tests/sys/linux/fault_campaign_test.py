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
import json
import random
import re
import time

import loadgen
import maintcheck
import usqemu

SERVERS = ("vmm", "migrate", "devmgr", "console")
KINDS = ("crash", "restart", "corrupt", "hang", "garble")
FAULTS = [(s, k) for s in SERVERS for k in KINDS if (s, k) != ("console", "garble")]
BACK = re.compile(r"kernel\| server (\w+) waits for requests again (\d+) ns after its restart")


def answered(g, n, timeout=300):
    want, end = len(g.log) + n, time.monotonic() + timeout
    while len(g.log) < want:
        assert time.monotonic() < end, "the clients are no longer answered"
        time.sleep(0.05)


def server_list(m):
    return {s["name"]: s
            for s in json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]}


def inject(m, name, kind, n):
    """One fault; returns once the server is back. @n counts its restarts, this one included
    (a garbled reply restarts nothing)."""
    since = len(m.output)
    m.sendline("server %s %s" % (kind, name))
    if kind == "garble":
        m.expect_seen(r"%s\| the next reply will be garbled" % name, since=since)
        m.expect(r"us> ")
        return
    if kind == "corrupt" and name != "vmm":
        m.expect_seen(r"%s\| state region refused after restart %d" % (name, n), since=since)
    else:
        m.expect_seen(r"%s\| state recovered after restart %d" % (name, n), since=since)
    if kind == "corrupt" and name == "vmm":
        m.expect_seen(r"vmm\| the sealed copy of the configuration fails its check", since=since)
    if kind == "hang":
        m.expect_seen(r"kernel\| server %s stopped answering" % name, since=since)
    if not (name == "console" and kind == "corrupt"):
        # (a console that lost its state also lost its place in the kernel log)
        m.expect_seen(r"kernel\| server %s restarted from the boot image \(restart %d\)"
                      % (name, n), since=since)
    m.expect(r"us> ")


def test(t):
    rng = random.Random(t.args.seed)
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=2, per_request=1)
    g.seed()
    g.start(requests=10 ** 9, seconds=3000)
    devices = usqemu.console_cmd(m, "hw list --json")
    restarts = {s: 0 for s in SERVERS}
    crashes = {s: 0 for s in SERVERS}
    kinds = {k: 0 for k in KINDS}
    t0 = time.monotonic()
    for _ in range(t.args.faults):
        name, kind = rng.choice(FAULTS)
        restarts[name] += kind != "garble"
        crashes[name] += kind == "crash"
        kinds[kind] += 1
        inject(m, name, kind, restarts[name])
        # Every server answers, and has served once, so its next fault restarts it too.
        assert usqemu.console_cmd(m, "hw list --json") == devices
        assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] in (
            "idle", "done")
        answered(g, 10)
    took = time.monotonic() - t0
    servers = server_list(m)
    for s in SERVERS:
        assert servers[s]["state"] == "running", servers
        assert servers[s]["restarts"] == restarts[s], (s, servers[s], restarts)
        assert servers[s]["faults"] == crashes[s], (s, servers[s], crashes)
    vms = maintcheck.vms(m)
    g.finish()
    r = g.summary()
    bad = g.verify()
    back = {}
    for name, ns in BACK.findall(m.output):
        back.setdefault(name, []).append(int(ns))
    print("fault campaign: %d faults (%s) in %.1f s; restarts %s; clients %s; %d keys wrong; "
          "guests running %d of %d" % (t.args.faults, kinds, took, restarts, r, len(bad),
                                       sum(v["state"] == "running" for v in vms.values()),
                                       len(vms)))
    for name in SERVERS:
        ns = sorted(back.get(name, []))
        if ns:
            print("  %s: %d restarts, back in median %d ns, worst %d ns"
                  % (name, len(ns), ns[len(ns) // 2], ns[-1]))
    assert [v["state"] for v in vms.values()] == ["running"], vms
    assert sum(len(v) for v in back.values()) == sum(restarts.values()), (back, restarts)
    assert r["requests"] > 0, r
    assert not g.failures(), g.failures()[:10]
    assert not bad, bad[:10]


def args(p):
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--faults", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)


usqemu.run_test(test, setup_args=args)
