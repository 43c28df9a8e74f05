#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Exit and IPC round-trip costs in instructions (bench/README.md).

Boots build/images/bench under QEMU with -icount shift=0,sleep=off, where the virtual counter
advances one nanosecond per instruction, so "ns" read by the guest and the servers are
instruction counts. The bench guest times trapped MMIO reads and writes and PSCI_VERSION HVCs;
the console's `debug ipcbench N` times calls from console to migrate: echoes, answered by its
runtime (the IPC alone), and pings (its handler and state seal too). Each figure is the
median of several batches. Prints one table; nothing here passes or fails on a timing.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402

CPUS = ("cortex-a72", "max,pauth=off")
ROWS = (
    ("guest_mmio_read", "guest MMIO read (PL011 FR, kernel fast path)", "-"),
    ("guest_gicd_read", "guest GIC distributor read (GICD_TYPER, vmm)", "~600"),
    ("guest_mmio_write", "guest MMIO write (PL011 IMSC, emulated in vmm)", "-"),
    ("guest_hvc", "guest HVC PSCI_VERSION (answered by vmm)", "~475"),
    ("guest_hvc_fp", "the same with the guest's FP registers live", "-"),
    ("ipc_call", "IPC call+reply, console -> migrate (echo: the runtime answers)", "-"),
    ("ipc_ping", "the same with migrate's handler and state seal (ping)", "-"),
)
GUEST_LINE = re.compile(r"bench (\w+) insns_per_op=(\d+)")
IPC_LINE = re.compile(r"ipcbench: calls=(\d+) batches=(\d+) ns_per_call=(\d+) ns_per_ping=(\d+)")


def print_table(head, rows):
    """A Markdown table (the README quotes it as printed); cells may be any value."""
    cells = [[str(c) for c in r] for r in [head] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]

    def line(r):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))


def measure(image, cpu, ipc_calls, log_dir):
    """One boot: the guest's figures and the IPC figures, as {name: insns}."""
    m = usqemu.Machine(image_dir=image, cpu=cpu, icount=True, log_dir=log_dir,
                       name="bench-" + cpu.split(",")[0], timeout=600)
    try:
        m.start()
        m.expect(r"vmm\| bench: guest called SYSTEM_OFF; VM stopped", timeout=300)
        m.expect(r"us> ")
        m.sendline("vm console 0")
        m.expect(r"attached to vm 0")
        m.expect(r"bench: done")
        text = m.output
        m.send("\x1d")
        m.expect(r"detached")
        m.expect(r"us> ")
        got = {k: int(v) for k, v in GUEST_LINE.findall(text)}
        reply = usqemu.console_cmd(m, "debug ipcbench %d" % ipc_calls, timeout=300)
        ipc = IPC_LINE.search(reply)
        if not ipc:
            raise usqemu.UsQemuError("debug ipcbench gave %r" % reply)
        got["ipc_call"], got["ipc_ping"] = int(ipc.group(3)), int(ipc.group(4))
        missing = [r[0] for r in ROWS if r[0] not in got]
        if missing:
            raise usqemu.UsQemuError("no figure for %s in:\n%s" % (", ".join(missing), text))
        return got
    finally:
        m.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="build directory (default: ./build)")
    ap.add_argument("--cpu", action="append", choices=CPUS,
                    help="CPU model (repeatable; default: both)")
    ap.add_argument("--ipc-calls", type=int, default=2000, help="IPC calls per batch")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless every row has a positive figure (the smoke test)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    image = os.path.join(build, "images", "bench")
    if not os.path.exists(os.path.join(image, "understudy.bin")):
        sys.exit("run_bench: no %s; build first (./check or cmake --build build)" % image)
    cpus = args.cpu or list(CPUS)
    log_dir = os.path.join(build, "bench")
    os.makedirs(log_dir, exist_ok=True)
    results = {}
    for cpu in cpus:
        try:
            results[cpu] = measure(image, cpu, args.ipc_calls, log_dir)
        except usqemu.UsQemuError as e:
            sys.exit("run_bench: %s: %s\n(logs in %s)" % (cpu, e, log_dir))

    cmd = "python3 bench/run_bench.py" + "".join(" --cpu " + c for c in args.cpu or ())
    print("Instructions per round trip, QEMU virt, -icount shift=0,sleep=off, "
          "median of 7 batches (guest: 2000 ops per batch; IPC: %d calls per batch)"
          % args.ipc_calls)
    print("command: %s" % cmd)
    print()
    head = ["path"] + ["-cpu " + c for c in cpus] + ["Xen 4.17 reference"]
    rows = [[desc] + [str(results[c][key]) for c in cpus] + [ref] for key, desc, ref in ROWS]
    print_table(head, rows)
    if args.check:
        bad = [(c, k) for c in cpus for k, _, _ in ROWS if results[c][k] <= 0]
        if bad:
            print("FAIL: no positive figure for %s" % bad)
            return 1
        print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
