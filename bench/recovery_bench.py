#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""How the servers recover from injected faults (bench/README.md, issue #11).

Boots build/images/default under QEMU with -icount shift=0,sleep=off (one nanosecond of the
guest's virtual counter per instruction), seeds kvd0 through the load generator, then runs
the fault campaign of tests/qemu/faultcheck.py: --faults faults, each a random one of crash,
restart, corrupted state, hang and garbled reply, on a random one of the four servers, while
the clients keep asking. Prints one table: per server, the faults injected, the restarts, and
the median and worst time from the kernel's restart to the new instance waiting for requests
again, in instructions; then what the clients and the guest saw. Nothing here passes or fails
on a figure.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import faultcheck  # noqa: E402
import loadgen  # noqa: E402
import usqemu  # noqa: E402


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa
    print(line(rows[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows[1:]:
        print(line(r))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--faults", type=int, default=100)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--log-dir", default=None, help="keep the serial and QEMU logs here")
    a = p.parse_args()
    port = usqemu.free_port()
    with usqemu.Machine(image_dir=os.path.join(a.build, "images", "default"), smp=a.smp,
                        icount=True, nic=[(port, "10.0.2.15", 7000)], log_dir=a.log_dir,
                        name="recovery-bench",
                        timeout=7200) as m:
        m.expect(r"us> ", timeout=600)
        m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=1200)
        g = loadgen.LoadGen(port, keys=a.keys, persistent=2, per_request=1)
        g.seed()
        g.start(requests=10 ** 9, seconds=7000)
        c = faultcheck.campaign(m, g, a.faults, a.seed)
        g.finish()
        r = g.summary()
        lost = g.verify()
    # Each server's restarts are logged in the order they were injected: pair them up.
    by = {}
    for s in faultcheck.SERVERS:
        kinds = [k for n, k in c["picked"] if n == s and k != "garble"]
        for k, ns in zip(kinds, c["back"].get(s, [])):
            by.setdefault((s, k), []).append(ns)
    rows = [("server", "fault", "injected", "recovered", "median (instructions)",
             "worst (instructions)")]
    for s in faultcheck.SERVERS:
        for k in faultcheck.KINDS:
            n = sum(1 for x in c["picked"] if x == (s, k))
            ns = by.get((s, k), [])
            if n:
                rows.append((s, k, n, len(ns) if k != "garble" else "(no restart)",
                             faultcheck.median(ns) or "-", max(ns) if ns else "-"))
    print("Recovery from injected faults: QEMU virt, -icount shift=0,sleep=off, -smp %d, "
          "seed %d" % (a.smp, a.seed))
    print("command: python3 bench/recovery_bench.py --faults %d --seed %d --smp %d\n"
          % (a.faults, a.seed, a.smp))
    table(rows)
    running = sum(v["state"] == "running" for v in c["vms"].values())
    print("\nfaults by kind: %s" % ", ".join("%s %d" % kv for kv in c["kinds"].items()))
    print("guests that survived: %d of %d" % (running, len(c["vms"])))
    print("client requests: %d, failed %d" % (r["requests"], r["failed"]))
    keys = [b.split(":")[0] for b in lost]
    print("acknowledged writes lost: %d (%d bytes of keys and values)"
          % (len(lost), sum(len(k) + len(g.acked.get(k, "")) for k in keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
