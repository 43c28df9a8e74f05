#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""kvd's request rate on bare QEMU and under Understudy, a new TCP connection per request.

The same Debian kernel and initramfs run kvd (a) directly on QEMU virt and (b) as kvd0 of
build/images/default, behind the vmm's switch and its virtio-net uplink; both with the same
QEMU settings (-cpu cortex-a72 -smp N -m 1G, user networking forwarding a host port to
10.0.2.15:7000, no -icount: wall time). Both machines are booted first; then rounds alternate
between them, one client at a time, so whatever else the host does weighs on both alike. In a
round the client opens a connection, sends one SET or GET, reads the answer and closes, for
--requests requests; the row gives each round's rate and the median. Every answer is checked
(a GET must return the value the round's last SET wrote), but this prints figures and judges
nothing. The last column counts QEMU's own TLB flushes (HMP `info jit`) per request: an MMU
index QEMU emptied, and in brackets one it was asked to empty that was empty already. Under
-cpu cortex-a72 (no VHE) every switch between a guest and a server on one CPU rewrites EL1's
translation registers, and QEMU empties the guest's translations with them.

  python3 bench/rate_bench.py [--rounds 5] [--requests 300] [--smp 1] [--build DIR]
"""
import argparse
import os
import re
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from run_bench import print_table as table  # noqa: E402

CPU = "cortex-a72"
CMDLINE = "console=ttyAMA0 panic=-1"  # as tests/sys/linux/kvd_direct_test.py boots it


def one_request(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f = s.makefile("rwb")
        f.write(line.encode() + b"\n")
        f.flush()
        reply = f.readline()
    if not reply.endswith(b"\n"):
        raise RuntimeError("no answer to %r" % line)
    return reply.decode().rstrip("\n")


def round_rate(port, requests, tag):
    """@requests requests, half SET half GET on one key per pair; returns requests/s."""
    t0 = time.monotonic()
    for i in range(requests // 2):
        key, value = "%s-%d" % (tag, i % 64), "v%d" % i
        if one_request(port, "SET %s %s" % (key, value)) != "OK":
            raise RuntimeError("SET %s refused" % key)
        got = one_request(port, "GET " + key)
        if got != "VALUE " + value:
            raise RuntimeError("GET %s: %r, wrote %r" % (key, got, value))
    return (requests // 2 * 2) / (time.monotonic() - t0)


def tlb_flushes(m):
    """QEMU's count of TLB flushes by MMU index so far, all CPUs (HMP `info jit`): an index
    flushed (partial), or asked to be and already empty (elided)."""
    out = m.qmp.execute("human-monitor-command", {"command-line": "info jit"})
    return [int(re.search(r"TLB %s flushes\s+(\d+)" % k, out).group(1))
            for k in ("partial", "elided")]


def boot_bare(build, smp, log_dir):
    port = usqemu.free_port()
    m = usqemu.Machine(kernel=os.path.join(build, "deps", "linux-arm64", "Image"),
                       initrd=os.path.join(build, "guests", "linux", "initramfs.cpio.gz"),
                       cpu=CPU, smp=smp, nic=[(port, "10.0.2.15", 7000)], log_dir=log_dir,
                       name="rate-bare", timeout=3600, extra_args=["-append", CMDLINE])
    m.start()
    m.expect(r"kvd: listening on port 7000", timeout=300)
    return m, port


def boot_understudy(build, smp, log_dir):
    port = usqemu.free_port()
    m = usqemu.Machine(image_dir=os.path.join(build, "images", "default"), cpu=CPU, smp=smp,
                       nic=[(port, "10.0.2.15", 7000)], log_dir=log_dir, name="rate-understudy",
                       timeout=3600)
    m.start()
    m.expect(r"us> ", timeout=120)
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
    return m, port


def main():
    global CPU
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--cpu", default=CPU,
                    help="QEMU -cpu: cortex-a72 (no VHE) or max,pauth=off (VHE)")
    args = ap.parse_args()
    CPU = args.cpu
    build = os.path.abspath(args.build)
    log_dir = os.path.join(build, "bench")
    os.makedirs(log_dir, exist_ok=True)
    for need in (os.path.join(build, "images", "default", "understudy.bin"),
                 os.path.join(build, "deps", "linux-arm64", "Image")):
        if not os.path.exists(need):
            sys.exit("rate_bench: no %s; build first (./check)" % need)
    machines = []
    try:
        machines.append(boot_bare(build, args.smp, log_dir))
        machines.append(boot_understudy(build, args.smp, log_dir))
        rates, flushes = ([], []), [tlb_flushes(m) for m, _ in machines]
        for r in range(args.rounds):
            for k, (_, port) in enumerate(machines):
                rates[k].append(round_rate(port, args.requests, "r%d" % r))
        done = args.rounds * (args.requests // 2 * 2)
        flushes = [[(b - a) / done for a, b in zip(before, tlb_flushes(m))]
                   for before, (m, _) in zip(flushes, machines)]
    except (usqemu.UsQemuError, OSError, RuntimeError) as e:
        sys.exit("rate_bench: %s\n(logs in %s)" % (e, log_dir))
    finally:
        for m, _ in machines:
            m.kill()
    bare, under = (statistics.median(x) for x in rates)
    print("kvd, one TCP connection per request (SET then GET), %d requests a round, rounds "
          "alternating; QEMU virt -cpu %s -smp %d -m 1G, user networking"
          % (args.requests, CPU, args.smp))
    print("command: python3 bench/rate_bench.py --rounds %d --requests %d --smp %d --cpu %s"
          % (args.rounds, args.requests, args.smp, CPU))
    print()
    table(["kvd", "rounds (requests/s)", "median", "vs bare",
           "QEMU TLB flushes a request (elided)"],
          [["bare QEMU", " ".join("%.0f" % x for x in rates[0]), "%.0f" % bare, "1.00x",
            "%.0f (%.0f)" % tuple(flushes[0])],
           ["under Understudy (kvd0 of image default)", " ".join("%.0f" % x for x in rates[1]),
            "%.0f" % under, "%.2fx" % (under / bare), "%.0f (%.0f)" % tuple(flushes[1])]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
