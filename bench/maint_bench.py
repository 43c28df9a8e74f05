#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the maintenance flows cost the clients of the served application (bench/README.md).

Boots build/images/default (kvd in kvd0, reached through the NIC and the vmm's switch), seeds
--keys keys with the load generator (tests/qemu/loadgen.py), and measures the clients with no
flow running: requests, failures, p50 and p99 latency, and the longest gap between successful
responses. Then, on fresh machines, the same figures in a steady stretch and while
`maint upgrade-os kvd0` runs: via=restart with clients that open a connection per request
(a kept connection cannot survive that mechanism), via=criu and via=redirect with three
persistent clients and one per-request, with each flow's total time and the bytes it moved.
A redirect's row runs from the command through the cut-over and as many requests again; its
first instance retires once the clients stop.
Wall-clock figures under TCG: compare rows of one run, not runs on different machines.
Prints one table; nothing here passes or fails on a timing.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import loadgen  # noqa: E402
import usqemu  # noqa: E402


def steady_state(image, keys, requests, smp):
    port = usqemu.free_port()
    with usqemu.Machine(image_dir=image, smp=smp, nic=[(port, "10.0.2.15", 7000)],
                        log_dir=None, timeout=3600) as m:
        m.expect(r"us> ")
        m.sendline("vm console 0")
        m.expect(r"kvd: listening on port 7000", timeout=300)
        g = loadgen.LoadGen(port, keys=keys)
        t0 = time.monotonic()
        g.seed()
        seed_s = time.monotonic() - t0
        t0 = time.monotonic()
        g.start(requests=requests, seconds=1800)
        for t in g.threads:
            t.join()
        g.finish()
        run_s = time.monotonic() - t0
        s = g.summary()
        bad = g.verify()
    return {"flow": "none (steady state)", "keys": keys, "seed_s": seed_s, "total_s": run_s,
            "requests": s["requests"], "failed": s["failed"] + len(bad),
            "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"], "gap_ms": s["longest_gap_ms"],
            "moved": "-"}


def flow_rows(image, keys, requests, smp, via, persistent, per_request):
    """A steady stretch of @requests with the given clients, then `maint upgrade-os kvd0 via=@via`
    under the same load: two rows."""
    port = usqemu.free_port()
    with usqemu.Machine(image_dir=image, smp=smp, nic=[(port, "10.0.2.15", 7000)],
                        log_dir=None, timeout=3600) as m:
        m.expect(r"us> ")
        m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
        g = loadgen.LoadGen(port, keys=keys, persistent=persistent, per_request=per_request)
        g.seed()
        t0 = time.monotonic()
        g.start(requests=10 ** 9, seconds=3000)
        while len(g.log) < requests:
            time.sleep(0.5)  # pacing the benchmark only: nothing is decided by it
        t1 = time.monotonic()
        since = len(m.output)
        out = usqemu.console_cmd(m, "maint upgrade-os kvd0 initrd=initramfs-next via=" + via)
        assert "started" in out, out
        if via == "redirect":
            # The first instance retires once its clients close: measure through the
            # cut-over and as many requests again after it, then let them go.
            m.expect_seen(r"migrate\| maint: kvd0: kvd0-b takes new connections",
                          timeout=1800, since=since)
            n = len(g.log)
            while len(g.log) < n + requests:
                time.sleep(0.5)  # pacing only
            t2 = time.monotonic()
            st = json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]
            g.finish()
            m.expect_seen(r"migrate\| maint: kvd0: done", timeout=600, since=since)
        else:
            m.expect_seen(r"migrate\| maint: kvd0: (done|.*the first instance serves)",
                          timeout=1800, since=since)
            t2 = time.monotonic()
            st = json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]
            g.finish()
        bad = g.verify()
    clients = "%d persistent + %d per-request" % (persistent, per_request)
    rows = []
    for name, lo, hi in (("none, " + clients, t0, t1),
                         ("upgrade-os via %s, %s" % (via, clients), t1, t2)):
        s = g.summary(since=lo, until=hi)
        rows.append({"flow": name, "keys": keys, "total_s": hi - lo, "requests": s["requests"],
                     "failed": s["failed"] + (len(bad) if hi == t2 else 0),
                     "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
                     "gap_ms": s["longest_gap_ms"],
                     "moved": "-" if hi == t1 else "{:,} B ({})".format(st["bytes"],
                                                                         st["phase"])})
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--keys", type=int, default=100000)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--smp", type=int, default=2)
    a = p.parse_args()
    image = os.path.join(a.build, "images", "default")
    rows = [steady_state(image, a.keys, a.requests, a.smp)]
    rows += flow_rows(image, a.keys, a.requests // 4, a.smp, "restart", 0, 2)
    rows += flow_rows(image, a.keys, a.requests // 4, a.smp, "criu", 3, 1)
    rows += flow_rows(image, a.keys, a.requests // 4, a.smp, "redirect", 3, 1)
    head = ("flow", "keys", "requests", "failed", "p50 ms", "p99 ms", "longest gap ms",
            "flow time s", "state moved")
    cells = [head] + [(r["flow"], "{:,}".format(r["keys"]), "{:,}".format(r["requests"]),
                       str(r["failed"]), "%.1f" % r["p50_ms"], "%.1f" % r["p99_ms"],
                       "%.1f" % r["gap_ms"], "%.1f" % r["total_s"], r["moved"]) for r in rows]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(head))]
    for i, c in enumerate(cells):
        print("| " + " | ".join(str(x).ljust(w) for x, w in zip(c, widths)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\nseeding %s keys took %.1f s; command: python3 bench/maint_bench.py --keys %d "
          "--requests %d --smp %d" % ("{:,}".format(a.keys), rows[0]["seed_s"], a.keys,
                                       a.requests, a.smp))


if __name__ == "__main__":
    main()
