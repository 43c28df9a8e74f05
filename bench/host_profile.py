#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Where the host's CPU time goes for a kvd request, bare QEMU against Understudy.

Boots the two machines of bench/rate_bench.py (same kernel, initramfs and QEMU settings), one
at a time. After a few warm-up requests, `perf record` samples the QEMU process (every
thread) while a client makes --requests requests, each on a new connection; the table gives
host CPU milliseconds per request by where the sample fell: QEMU's own code (the emulation's
runtime: exceptions, TLB fills, system register and device helpers, the main loop), the code
QEMU translated (guest, kernel and servers alike), the host kernel, and libraries (libc,
libslirp, glib). Debian's QEMU is stripped, so no finer split is possible without its debug
symbols. The rate printed is of the sampled rounds, under perf, and is not a benchmark figure:
bench/rate_bench.py is. Needs `perf` (Debian package linux-perf) and the rights to use it.

Then, on the same machine, it counts every instruction QEMU executes (guest, kernel and
servers) over --insns requests: QEMU's `exec,nochain,in_asm` log is switched on at run time
through the monitor (which retranslates everything, so each block's size is in the log),
and each block's executions are multiplied by its instruction count. So the table also says
whether the machine does more work per request, or the same work at a higher price.

  python3 bench/host_profile.py [--requests 300] [--insns 40] [--cpu max,pauth=off] [--build DIR]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import rate_bench  # noqa: E402
import usqemu  # noqa: E402
from run_bench import print_table as table  # noqa: E402

FREQ = 1999  # samples a second per thread
GROUPS = ("QEMU's own code", "translated code", "host kernel", "libraries")
ROW = re.compile(r"^\s*[\d.]+%\s+(\d+)\s+(.+?)\s*$")
TRACE = re.compile(rb"Trace \d+: (0x[0-9a-f]+) ")
INSN = re.compile(rb"0x[0-9a-f]+:\s+[0-9a-f]{8}\s")


def group(dso):
    if dso.startswith("qemu-system"):
        return GROUPS[0]
    if dso.startswith("[JIT]"):
        return GROUPS[1]
    if dso.startswith("[kernel"):
        return GROUPS[2]
    return GROUPS[3]


def count_insns(m, port, requests, log):
    """Instructions QEMU executes over @requests requests (every block of the log's window
    times its size; blocks are logged as translated, just before their first execution)."""
    def hmp(cmd):
        return m.qmp.execute("human-monitor-command", {"command-line": cmd})

    hmp("logfile " + log)
    hmp("log in_asm,exec,nochain")
    rate_bench.round_rate(port, 10, "trace-warm")
    start = os.path.getsize(log)
    rate_bench.round_rate(port, requests, "trace")
    end = os.path.getsize(log)
    hmp("log none")
    size, total, unknown, pending = {}, 0, 0, None
    with open(log, "rb") as f:
        for line in f:
            if line.startswith(b"Trace"):
                tb = TRACE.match(line).group(1)
                if pending is not None:
                    size[tb], pending = pending, None
                if f.tell() > end:
                    break
                if f.tell() >= start:
                    total += size.get(tb, 0)
                    unknown += tb not in size
            elif line.startswith(b"IN:"):
                pending = 0
            elif pending is not None and INSN.match(line):
                pending += 1
    if unknown:
        raise RuntimeError("%d executions of blocks the log never showed translated" % unknown)
    return total // requests


def sample(boot, build, requests, insns, log_dir, tmp):
    """Boot, warm up, sample @requests requests, count @insns requests' instructions;
    returns (requests/s, {group: samples}, instructions a request)."""
    data = os.path.join(tmp, "perf.data")
    m, port = boot(build, 1, log_dir)
    try:
        rate_bench.round_rate(port, 40, "warm")
        perf = subprocess.Popen(["perf", "record", "-q", "-F", str(FREQ), "-p", str(m.proc.pid),
                                 "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            rate = rate_bench.round_rate(port, requests, "p")
        finally:
            perf.send_signal(2)
            err = perf.communicate(timeout=60)[1]
        if perf.returncode not in (0, -2):
            raise RuntimeError("perf record failed: %s" % err.decode(errors="replace"))
        per_request = count_insns(m, port, insns, os.path.join(tmp, "trace.log")) if insns else 0
    finally:
        m.kill()
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "-n", "--sort", "dso"],
                         capture_output=True, text=True, check=True).stdout
    got = dict.fromkeys(GROUPS, 0)
    for line in out.splitlines():
        r = ROW.match(line)
        if r and not line.startswith("#"):
            got[group(r.group(2))] += int(r.group(1))
    return rate, got, per_request


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--insns", type=int, default=40,
                    help="requests whose instructions are counted (0: none)")
    ap.add_argument("--cpu", default="max,pauth=off",
                    help="QEMU -cpu: cortex-a72 (no VHE) or max,pauth=off (VHE)")
    args = ap.parse_args()
    if shutil.which("perf") is None:
        sys.exit("host_profile: no perf (Debian package linux-perf)")
    rate_bench.CPU = args.cpu
    build = os.path.abspath(args.build)
    log_dir = os.path.join(build, "bench")
    os.makedirs(log_dir, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for boot in (rate_bench.boot_bare, rate_bench.boot_understudy):
                runs.append(sample(boot, build, args.requests, args.insns, log_dir, tmp))
        except (usqemu.UsQemuError, OSError, RuntimeError, subprocess.SubprocessError) as e:
            sys.exit("host_profile: %s\n(logs in %s)" % (e, log_dir))
    ms = [{g: n * 1000.0 / FREQ / args.requests for g, n in got.items()} for _, got, _ in runs]
    print("host CPU ms per kvd request (perf samples at %d Hz, every QEMU thread), a new "
          "connection per request; QEMU virt -cpu %s -smp 1 -m 1G" % (FREQ, args.cpu))
    print("command: python3 bench/host_profile.py --requests %d --insns %d --cpu %s"
          % (args.requests, args.insns, args.cpu))
    print()
    rows = [[g, "%.2f" % ms[0][g], "%.2f" % ms[1][g], "%+.2f" % (ms[1][g] - ms[0][g])]
            for g in GROUPS]
    rows.append(["all", "%.2f" % sum(ms[0].values()), "%.2f" % sum(ms[1].values()),
                 "%+.2f" % (sum(ms[1].values()) - sum(ms[0].values()))])
    rows.append(["requests/s while sampled", "%.0f" % runs[0][0], "%.0f" % runs[1][0], ""])
    if args.insns:
        a, b = runs[0][2], runs[1][2]
        rows.append(["instructions a request (%d requests)" % args.insns, str(a), str(b),
                     "%+d (%+.0f%%)" % (b - a, 100.0 * (b - a) / a)])
    table(["where", "bare QEMU", "under Understudy", "difference"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
