#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the maintenance flows cost the clients of the served application (bench/README.md).

Boots build/images/default (kvd in kvd0, reached through the NIC and the vmm's switch), seeds
--keys keys with the load generator (tests/qemu/loadgen.py), and measures the clients with no
flow running: requests, failures, p50 and p99 latency, and the longest gap between successful
responses. Then, on fresh machines, the same figures in a steady stretch and while
each flow runs: upgrade-os, upgrade-app and reconfigure via=restart with clients that open a
connection per request (a kept connection cannot survive that mechanism), upgrade-os via=criu,
and upgrade-os and upgrade-app via=redirect, with three persistent clients and one
per-request; with each flow's total time and the bytes it moved. A redirect's row runs from
the command through the cut-over and as many requests again; its first instance retires
once the clients stop.
Wall-clock figures under TCG: compare rows of one run, not runs on different machines.
Prints one table; nothing here passes or fails on a timing.
"""
import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import loadgen  # noqa: E402
import usqemu  # noqa: E402

# QEMU maps the machine's RAM lazily: the first touch of each page is a host page fault.
# Creating the first understudy touches 192 MiB for the first time, which showed the clients
# a 665 ms gap that real RAM would not cause (112 ms with the RAM preallocated).
PREALLOC = ("-mem-prealloc",)


def steady_state(image, keys, requests, smp):
    port = usqemu.free_port()
    with usqemu.Machine(image_dir=image, smp=smp, nic=[(port, "10.0.2.15", 7000)],
                        log_dir=None, timeout=3600, extra_args=PREALLOC) as m:
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


def wait_answers(g, n):
    """Pace the benchmark (nothing is decided by it): until @n more requests are recorded."""
    want = len(g.log) + n
    while len(g.log) < want:
        time.sleep(0.5)


def one_flow(m, g, cmd, first, understudy, requests):
    """Run @cmd under @g's clients; returns (start, end, status). A redirect's first instance
    retires once its clients close: its span runs through the cut-over and @requests more
    requests, then the clients stop. So does a flow done at once (remove-memory copying a
    guest's RAM under it), whose clients see the pause after the command has returned."""
    since = len(m.output)
    t1 = time.monotonic()
    out = usqemu.console_cmd(m, cmd)
    done = re.search(r": (\d+) pages moved out, .*it may be removed$", out)
    assert "started" in out or done, out
    if done:
        took = time.monotonic() - t1
        wait_answers(g, requests)
        t2 = time.monotonic()
        g.finish()
        return t1, t2, {"bytes": int(done.group(1)) * 4096, "phase": "copied in %.1f s" % took}
    if " via=redirect" in cmd:
        m.expect_seen(r"migrate\| maint: %s: %s takes new connections" % (first, understudy),
                      timeout=1800, since=since)
        wait_answers(g, requests)
        t2 = time.monotonic()
        st = json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]
        g.finish()
        m.expect_seen(r"migrate\| maint: %s: done" % first, timeout=600, since=since)
    else:
        # reconfigure's two legs end on the VM's own name
        m.expect_seen(r"migrate\| maint: \S+: (done: %s serves|.*the first instance serves)"
                      % understudy, timeout=1800, since=since)
        t2 = time.monotonic()
        st = json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]
        g.finish()
    return t1, t2, st


def flow_rows(image, keys, requests, smp, persistent, per_request, flows, machine=None,
              before=None):
    """On one machine: a steady stretch of @requests with the given clients, then each of
    @flows, (command or a function of the machine giving it, first VM, the VM that serves
    after it), under the same load, each with
    fresh clients that know every write acknowledged before. A row each. @machine: other
    arguments of the machine (QEMU's extra arguments included); @before(m): run before each
    flow's command, outside its span."""
    port = usqemu.free_port()
    clients = "%d persistent + %d per-request" % (persistent, per_request)
    rows, spans = [], []
    kw = dict(extra_args=PREALLOC)
    kw.update(machine or {})
    with usqemu.Machine(image_dir=image, smp=smp, nic=[(port, "10.0.2.15", 7000)],
                        log_dir=None, timeout=7200, **kw) as m:
        m.expect(r"us> ")
        m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
        g = loadgen.LoadGen(port, keys=keys, persistent=persistent, per_request=per_request)
        g.seed()
        acked = g.acked
        for k, (cmd, first, understudy) in enumerate(flows):
            g = loadgen.LoadGen(port, keys=keys, persistent=persistent, per_request=per_request,
                                seed=k + 1)
            g.acked = acked
            t0 = time.monotonic()
            g.start(requests=10 ** 9, seconds=3000)
            wait_answers(g, requests)
            if k == 0:
                spans.append(("none, " + clients, g, t0, time.monotonic(), None))
            if before is not None:
                before(m)
            if callable(cmd):
                cmd = cmd(m)  # a command that depends on the machine (remove-memory's range)
            t1, t2, st = one_flow(m, g, cmd, first, understudy, requests)
            spans.append(("%s, %s" % (" ".join(cmd.split()[1:3] + [w for w in cmd.split()
                                                                   if w.startswith("via=")]),
                                      clients), g, t1, t2, st))
            acked = g.acked
        bad = g.verify()
    for name, g, lo, hi, st in spans:
        s = g.summary(since=lo, until=hi)
        rows.append({"flow": name, "keys": keys, "total_s": hi - lo, "requests": s["requests"],
                     "failed": s["failed"], "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
                     "gap_ms": s["longest_gap_ms"],
                     "moved": "-" if st is None else "{:,} B ({})".format(st["bytes"],
                                                                          st["phase"])})
    rows[-1]["failed"] += len(bad)  # read back once, after the last flow
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
    n = a.requests // 4
    os_cmd = "maint upgrade-os %s initrd=initramfs-next via="
    rows += flow_rows(image, a.keys, n, a.smp, 0, 2, [
        ((os_cmd % "kvd0") + "restart", "kvd0", "kvd0-b"),
        ("maint upgrade-app kvd0-b image=kvd-next via=restart", "kvd0-b", "kvd0"),
        ("maint reconfigure kvd0 mem=256 vcpus=2 via=restart", "kvd0", "kvd0")])
    rows += flow_rows(image, a.keys, n, a.smp, 3, 1, [((os_cmd % "kvd0") + "criu", "kvd0",
                                                       "kvd0-b")])
    rows += flow_rows(image, a.keys, n, a.smp, 3, 1, [
        ((os_cmd % "kvd0") + "redirect", "kvd0", "kvd0-b"),
        ("maint upgrade-app kvd0-b image=kvd-next via=redirect", "kvd0-b", "kvd0")])
    print_table(rows)
    print("\nseeding %s keys took %.1f s; command: python3 bench/maint_bench.py --keys %d "
          "--requests %d --smp %d" % ("{:,}".format(a.keys), rows[0]["seed_s"], a.keys,
                                       a.requests, a.smp))


def print_table(rows):
    """@rows as a Markdown table."""
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


if __name__ == "__main__":
    main()
