#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Instructions per symbol for one bench-guest loop (bench/README.md, "Where the instructions go").

Boots build/images/bench once under -icount with QEMU's `-d exec,nochain,in_asm` trace (about
2 GB, written to a temporary directory and deleted), then counts every executed instruction
from the first entry into the chosen guest loop to the guest's SYSTEM_OFF, attributes each to
its symbol in the kernel, vmm or guest ELF, and prints instructions per operation. Servers other
than vmm share the vmm's virtual addresses, so run it on the bench image, where they are idle.
"""
import argparse
import bisect
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402

LOOPS = ("bench_loop_mmio_read", "bench_loop_gicd_read", "bench_loop_mmio_write",
         "bench_loop_hvc", "bench_loop_hvc_fp")  # in the order bench.c runs them
OPS_PER_LOOP = 16 + 7 * 2000  # warm-up + b batches of n (boot/configs/bench.dts)
TRACE = re.compile(r"Trace \d+: (0x[0-9a-f]+) ")
KERNEL_BASE, GUEST_BASE, EL2_END = 0x40200000, 0x40080000, 0x40400000


class Symbols:
    def __init__(self, elf, tag):
        out = subprocess.run(["aarch64-linux-gnu-nm", "-n", elf], capture_output=True,
                             text=True, check=True).stdout
        self.syms = [(int(a, 16), n) for a, k, n in
                     (line.split() for line in out.splitlines() if len(line.split()) == 3)
                     if k in "tTwW"]
        self.addrs = [a for a, _ in self.syms]
        self.tag, self.elf = tag, elf

    def name(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return "%s:%s" % (self.tag, self.syms[i][1] if i >= 0 else "?")

    def range_of(self, name):
        i = [n for _, n in self.syms].index(name)
        return self.syms[i][0], self.syms[i + 1][0]


def annotate(elf, name, per_pc, ops):
    """Each executed instruction of symbol @name in @elf with its executions per operation and
    the source line it came from (objdump -l), then the executions summed per function inlined
    into it (addr2line -i, the innermost): with link-time optimisation one symbol holds many
    functions, and this says which."""
    out = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "-l", "--no-show-raw-insn",
                          "--disassemble=" + name, elf], capture_output=True, text=True,
                         check=True).stdout
    src, ran = "?", {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(.*)", line)
        if m is None:
            if line.startswith("/"):
                src = os.path.relpath(line.split(" ")[0], os.path.join(HERE, ".."))
            continue
        pc = int(m.group(1), 16)
        if per_pc.get(pc, 0) / ops >= 0.05:
            ran[pc] = per_pc[pc] / ops
            print("  %6.2f  %-40s %s" % (ran[pc], m.group(2).replace("\t", " ")[:40], src))
    chains = subprocess.run(["aarch64-linux-gnu-addr2line", "-a", "-f", "-i", "-e", elf] +
                            ["0x%x" % pc for pc in ran], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    per_fn = collections.Counter()
    for i, line in enumerate(chains):
        if line.startswith("0x"):
            per_fn[chains[i + 1]] += ran[int(line, 16)]
    print("per function inlined into %s (executions per operation):" % name)
    for fn, n in per_fn.most_common():
        print("  %6.1f  %s" % (n, fn))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--loop", choices=LOOPS, default="bench_loop_hvc")
    ap.add_argument("--cpu", default="cortex-a72",
                    help="QEMU -cpu (max,pauth=off runs the servers with VHE)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--symbol", action="append", default=[],
                    help="also print executions per instruction of this symbol, with their "
                    "source lines and a sum per inlined function (e.g. kernel:kernel_exit); "
                    "may be given more than once")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless the kernel, the vmm and the loop itself all show "
                         "instructions (the smoke test)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tgt = os.path.join(build, "aarch64")
    kernel = Symbols(os.path.join(tgt, "kernel", "understudy.elf"), "kernel")
    vmm = Symbols(os.path.join(tgt, "servers", "vmm", "vmm.elf"), "vmm")
    guest = Symbols(os.path.join(tgt, "tests", "guests", "bench", "bench.elf"), "guest")
    start_lo, start_hi = guest.range_of(args.loop)

    def symbol(pc):
        if KERNEL_BASE <= pc < EL2_END:
            return kernel.name(pc)
        if GUEST_BASE <= pc < KERNEL_BASE:
            return guest.name(pc)
        if pc < GUEST_BASE:
            return vmm.name(pc)
        return "trampoline"

    with tempfile.TemporaryDirectory(prefix="usprof-") as tmp:
        log = os.path.join(tmp, "trace.log")
        m = usqemu.Machine(image_dir=os.path.join(build, "images", "bench"), icount=True,
                           cpu=args.cpu,
                           log_dir=tmp, name="profile", timeout=900,
                           extra_args=["-d", "exec,nochain,in_asm", "-D", log])
        try:
            m.start()
            m.expect(r"guest called SYSTEM_OFF", timeout=900)
        finally:
            m.kill()
        blocks, runs, pending, counting = {}, collections.Counter(), None, False
        with open(log) as f:
            for line in f:
                if line.startswith("Trace"):
                    tb = TRACE.match(line).group(1)
                    if pending is not None:  # the block translated just before its first run
                        blocks[tb], pending = pending, None
                    pcs = blocks.get(tb)
                    if not counting and pcs and start_lo <= pcs[0] < start_hi:
                        counting = True
                    if counting:
                        runs[tb] += 1
                elif line.startswith("IN:"):
                    pending = []
                elif pending is not None and line.startswith("0x"):
                    pending.append(int(line.split(":", 1)[0], 16))
    # Counting ends with the run: the chosen loop and everything after it. Only the last loop
    # (HVC) is exact; for the others later loops add to the totals.
    per_symbol = collections.Counter()
    per_pc = {name: collections.Counter() for name in args.symbol}
    for tb, n in runs.items():
        for pc in blocks.get(tb, ()):
            per_symbol[symbol(pc)] += n
            if symbol(pc) in per_pc:
                per_pc[symbol(pc)][pc] += n
    total = sum(per_symbol.values())
    ops = OPS_PER_LOOP * (len(LOOPS) - LOOPS.index(args.loop))
    print("instructions per operation from %s on: %.1f (%d operations)" % (args.loop,
                                                                          total / ops, ops))
    print("command: python3 bench/profile_exits.py --loop %s --cpu %s" % (args.loop, args.cpu))
    for name, n in per_symbol.most_common(args.top):
        print("%8.1f  %s" % (n / ops, name))
    for sym, counts in per_pc.items():
        print("per instruction of %s (executions per operation, source line):" % sym)
        tag, name = sym.split(":", 1)
        annotate({"kernel": kernel, "vmm": vmm, "guest": guest}[tag].elf, name, counts, ops)
    parts = {name.split(":")[0] for name in per_symbol}
    if args.check and (not {"kernel", "vmm"} <= parts or per_symbol["guest:" + args.loop] == 0):
        print("profile_exits: no instructions attributed to the kernel, the vmm or %s"
              % args.loop)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
