#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Instructions per symbol from power-on until the vmm's VMs are configured (bench/README.md).

Boots an image (default: build/images/linux) on one host CPU under -icount with QEMU's
`-d exec,nochain,in_asm` trace limited (`-dfilter`) to the kernel's and the servers' text, read
through a pipe as QEMU writes it (no file of gigabytes), until the vmm logs "up: N VM(s)
configured": everything the hypervisor does before a guest's first instruction. Blocks are
attributed to the ELF whose bytes they hold (profile_request.py), and the kernel's log
timestamps, which count instructions under -icount, say when each stage ended.

  python3 bench/profile_boot.py [--image linux] [--cpu cortex-a72|max,pauth=off] [--top 25]
"""
import argparse
import collections
import os
import re
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from profile_request import (Elf, FILTER, INSN, SERVERS, TRACE, attribute,  # noqa: E402
                             tally)

STAGES = r"servers up|guest image\(s\)|devmgr\| up|VM\(s\) configured"


def count(fifo, elves, blocks, runs):
    """Runs of each translated block, as QEMU's trace comes through @fifo."""
    pending = None
    with open(fifo, "rb") as f:
        for line in f:
            if line.startswith(b"Trace"):
                tb = TRACE.match(line).group(1)
                if pending is not None:  # the block translated just before its first run
                    blocks[tb], pending = (attribute(pending, elves), len(pending)), None
                if tb in blocks:
                    runs[tb] += 1
            elif line.startswith(b"IN:"):
                pending = []
            elif pending is not None:
                mm = INSN.match(line)
                if mm:
                    pending.append((int(mm.group(1), 16), int(mm.group(2), 16)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--image", default="linux")
    ap.add_argument("--cpu", default="cortex-a72")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    tgt = os.path.join(os.path.abspath(args.build), "aarch64")
    elves = [Elf(os.path.join(tgt, "kernel", "understudy.elf"), "kernel")]
    elves += [Elf(os.path.join(tgt, "servers", s, s + ".elf"), s) for s in SERVERS]
    blocks, runs = {}, collections.Counter()
    with tempfile.TemporaryDirectory(prefix="usprofboot-") as tmp:
        fifo = os.path.join(tmp, "trace.fifo")
        os.mkfifo(fifo)
        reader = threading.Thread(target=count, args=(fifo, elves, blocks, runs))
        reader.start()
        m = usqemu.Machine(image_dir=os.path.join(args.build, "images", args.image),
                           icount=True, cpu=args.cpu, log_dir=tmp, name="profile-boot",
                           timeout=1800, extra_args=["-d", "exec,nochain,in_asm", "-dfilter",
                                                     FILTER, "-D", fifo])
        try:
            m.start()
            m.expect(r"VM\(s\) configured", timeout=1800)
            stages = [re.search(r"\[\s*\d+\.\d+\].*", line).group(0).strip()
                      for line in m.output.splitlines() if re.search(STAGES, line)]
        finally:
            m.kill()  # QEMU's end closes the pipe
            reader.join()
    per_symbol, per_part = tally(blocks, runs)
    print("instructions from power-on to the VMs configured, image %s, -cpu %s, one host CPU"
          % (args.image, args.cpu))
    print("command: python3 bench/profile_boot.py --image %s --cpu %s" % (args.image, args.cpu))
    print("stages (the kernel's log time under -icount: 1 ns = 1 instruction):")
    for line in stages:
        print("  " + line)
    print("  " + ", ".join("%s %d" % kv for kv in per_part.most_common()))
    for name, n in per_symbol.most_common(args.top):
        print("%12d  %s" % (n, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
