#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Instructions per symbol of the kernel and the servers for one kvd request (bench/README.md).

Boots build/images/default on one host CPU with QEMU's `-d exec,nochain,in_asm` trace limited
(`-dfilter`) to the servers' and the kernel's text, warms kvd up with a few requests, then
counts every traced instruction executed while the client makes --requests requests, each on a
new TCP connection, as bench/rate_bench.py does. The servers are all linked at the same
addresses, and a guest's user programs may be too: each translated block is attributed to the
ELF file whose bytes it holds (kernel, vmm, console, devmgr, migrate); blocks that match none
are the guest's. Prints instructions per request, per symbol.

  python3 bench/profile_request.py [--requests 40] [--top 40] [--build DIR]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from profile_exits import Symbols  # noqa: E402
from rate_bench import CPU, one_request  # noqa: E402

SERVERS = ("vmm", "console", "devmgr", "migrate")
TRACE = re.compile(rb"Trace \d+: (0x[0-9a-f]+) ")
INSN = re.compile(rb"0x([0-9a-f]+):\s+([0-9a-f]{8})\s")
# The servers' text (linked at 4 MiB) and the kernel's (at RAM + 2 MiB).
FILTER = "0x400000..0x4fffff,0x40200000..0x403fffff"


class Elf(Symbols):
    """An ELF's function symbols and the words of its executable segments."""

    def __init__(self, path, tag):
        super().__init__(path, tag)
        self.text = {}
        hdr = subprocess.run(["aarch64-linux-gnu-readelf", "-lW", path], capture_output=True,
                             text=True, check=True).stdout
        with open(path, "rb") as f:
            data = f.read()
        for line in hdr.splitlines():
            p = line.split()
            if p and p[0] == "LOAD" and "E" in p[6:-1]:
                off, va, size = int(p[1], 16), int(p[2], 16), int(p[4], 16)
                self.text[va] = data[off:off + size]

    def word(self, pc):
        for va, b in self.text.items():
            if va <= pc < va + len(b) - 3:
                return int.from_bytes(b[pc - va:pc - va + 4], "little")
        return None

    def holds(self, insns):
        return all(self.word(pc) == w for pc, w in insns)


def attribute(insns, elves):
    """The symbol of a translated block, by whose bytes it holds."""
    for elf in elves:
        if elf.holds(insns[:4]):
            return elf.name(insns[0][0])
    return "guest"


def tally(blocks, runs):
    """Instructions per symbol and per ELF ("kernel", "vmm", ...), from each translated
    block's (symbol, size) in @blocks and its runs in @runs."""
    per_symbol = collections.Counter()
    for tb, n in runs.items():
        name, size = blocks[tb]
        per_symbol[name] += n * size
    per_part = collections.Counter()
    for name, n in per_symbol.items():
        per_part[name.split(":")[0]] += n
    return per_symbol, per_part


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--cpu", default=CPU,
                    help="QEMU -cpu: cortex-a72 (no VHE) or max,pauth=off (VHE)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tgt = os.path.join(build, "aarch64")
    elves = [Elf(os.path.join(tgt, "kernel", "understudy.elf"), "kernel")]
    elves += [Elf(os.path.join(tgt, "servers", s, s + ".elf"), s) for s in SERVERS]
    with tempfile.TemporaryDirectory(prefix="usprofreq-") as tmp:
        log = os.path.join(tmp, "trace.log")
        port = usqemu.free_port()
        m = usqemu.Machine(image_dir=os.path.join(build, "images", "default"), cpu=args.cpu,
                           nic=[(port, "10.0.2.15", 7000)], log_dir=tmp, name="profile-request",
                           timeout=3600, extra_args=["-d", "exec,nochain,in_asm", "-dfilter",
                                                     FILTER, "-D", log])
        try:
            m.start()
            m.expect(r"us> ", timeout=600)
            m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=1200)
            for i in range(10):  # every path translated once, outside the window
                one_request(port, "SET warm%d v" % i)
            start = os.path.getsize(log)
            for i in range(args.requests // 2):
                one_request(port, "SET k%d v%d" % (i, i))
                one_request(port, "GET k%d" % i)
            end = os.path.getsize(log)
        finally:
            m.kill()
        blocks, runs, pending = {}, collections.Counter(), None
        with open(log, "rb") as f:
            for line in f:
                if line.startswith(b"Trace"):
                    tb = TRACE.match(line).group(1)
                    if pending is not None:  # the block translated just before its first run
                        blocks[tb], pending = (attribute(pending, elves), len(pending)), None
                    if start <= f.tell() <= end and tb in blocks:
                        runs[tb] += 1
                    elif f.tell() > end:
                        break
                elif line.startswith(b"IN:"):
                    pending = []
                elif pending is not None:
                    mm = INSN.match(line)
                    if mm:
                        pending.append((int(mm.group(1), 16), int(mm.group(2), 16)))
    per_symbol, per_part = tally(blocks, runs)
    reqs = args.requests // 2 * 2
    print("instructions per kvd request (a new connection each), traced kernel and server "
          "text, image default, -cpu %s, one host CPU, %d requests" % (args.cpu, reqs))
    print("command: python3 bench/profile_request.py --requests %d --cpu %s"
          % (args.requests, args.cpu))
    print("  " + ", ".join("%s %.0f" % (k, v / reqs) for k, v in per_part.most_common()))
    for name, n in per_symbol.most_common(args.top):
        print("%9.1f  %s" % (n / reqs, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
