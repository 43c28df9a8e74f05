#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the maintenance flows cost the clients of the served application (bench/README.md).

Boots build/images/default (kvd in kvd0, reached through the NIC and the vmm's switch), seeds
--keys keys with the load generator (tests/qemu/loadgen.py), and measures the clients with no
flow running: requests, failures, p50 and p99 latency, and the longest gap between successful
responses. The steady state is the baseline for the flows (issue 10): each flow, once built,
adds a row measured the same way while it runs, with its total time and the bytes of state it
moved.
Wall-clock figures under TCG: compare rows of one run, not runs on different machines.
Prints one table; nothing here passes or fails on a timing.
"""
import argparse
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--keys", type=int, default=100000)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--smp", type=int, default=2)
    a = p.parse_args()
    image = os.path.join(a.build, "images", "default")
    rows = [steady_state(image, a.keys, a.requests, a.smp)]
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
