#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The x86_64 port's exit floor in instructions (bench/README.md, docs/x86_64.md).

Boots, on qemu-system-x86_64 -M q35 -cpu max with -icount shift=0,sleep=off (where the TSC
advances one tick per instruction), first build/images/x86_64/selftest.elf (the port's first
stage): the kernel times a ring-3 program's null system calls, SYSCALL to SYSCALL (the entry,
its save into the thread's registers, C, and IRETQ back), and a guest's VMMCALL after VMMCALL
answered in its own loop (VMRUN, the VMMCALL, #VMEXIT; no IPC). Then understudy.elf with
images/x86_64/hello.bin: the bare-metal test guest times 1000 VMMCALLs, each answered by the
vmm's PSCI code, and 1000 writes to its UART's scratch register, each emulated by the vmm:
the whole exit path, VMRUN to the vmm by IPC and back. Prints one table; nothing here passes or
fails on a timing (--check only requires the figures).
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from run_bench import print_table  # noqa: E402

TRIPS = re.compile(r"kernel\| SVM: (\d+) VMMCALL round trips in (\d+) TSC ticks")
GUEST = re.compile(r"bench: 1000 (VMMCALL round trips|UART port writes) in TSC ticks "
                   r"0x([0-9a-f]{8})\r?\n")
CALLS = re.compile(r"kernel\| ring 3: (\d+) null system calls in (\d+) TSC ticks")


def guest_figures(image, log_dir):
    """The test guest's two timings, per round trip, read from its console."""
    m = usqemu.Machine(image_dir=image, arch="x86_64", cpu="max", mem="256M", icount=True,
                       initrd=os.path.join(image, "hello.bin"), log_dir=log_dir,
                       name="bench-x86_64-guest", timeout=120)
    try:
        m.start()
        m.expect(r"vmm\| vm0: unhandled exit \(esr 0x7f", timeout=60)
        m.sendline("vm console 0")
        found = {}
        for _ in range(2):
            g = m.expect(GUEST.pattern, timeout=60)
            found[g.group(1)] = int(g.group(2), 16) / 1000
    except usqemu.UsQemuError as e:
        sys.exit("x86_bench: %s (logs in %s)" % (e, log_dir))
    finally:
        m.kill()
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="build directory (default: ./build)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless the round trips were timed (the smoke test)")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    image = os.path.join(build, "images", "x86_64")
    if not os.path.exists(os.path.join(image, "selftest.elf")):
        sys.exit("x86_bench: no %s; build first (./check or cmake --build build)" % image)
    log_dir = os.path.join(build, "bench")
    os.makedirs(log_dir, exist_ok=True)
    m = usqemu.Machine(image_dir=image, arch="x86_64", cpu="max", mem="256M", icount=True,
                       kernel=os.path.join(image, "selftest.elf"),
                       log_dir=log_dir, name="bench-x86_64", timeout=120)
    try:
        m.start()
        calls = m.expect(CALLS.pattern + r"|kernel\| error: [^\n]*|unexpected[^\n]*", timeout=60)
        got = m.expect(TRIPS.pattern + r"|kernel\| error: [^\n]*|unexpected[^\n]*", timeout=60)
    except usqemu.UsQemuError as e:
        sys.exit("x86_bench: %s (logs in %s)" % (e, log_dir))
    finally:
        m.kill()
    trips, call = TRIPS.match(got.group(0)), CALLS.match(calls.group(0))
    if not trips or not call:
        sys.exit("x86_bench: %s (logs in %s)" % ((calls if not call else got).group(0), log_dir))
    guest = guest_figures(image, log_dir)
    per_trip = int(trips.group(2)) / int(trips.group(1))
    per_call = int(call.group(2)) / int(call.group(1))
    print("Instructions per round trip, QEMU q35, -cpu max, -icount shift=0,sleep=off, "
          "%s system calls, %s VMMCALLs" % (call.group(1), trips.group(1)))
    print("command: python3 bench/x86_bench.py")
    print()
    print_table(["path", "instructions"],
                [["null system call from ring 3 (SYSCALL to SYSCALL, IRETQ back)",
                  "%.1f" % per_call],
                 ["VMMCALL answered in the kernel's loop (VMRUN to VMRUN, no IPC)",
                  "%.1f" % per_trip],
                 ["VMMCALL answered by the vmm (PSCI_VERSION, one IPC round trip)",
                  "%.1f" % guest["VMMCALL round trips"]],
                 ["UART port write emulated by the vmm (OUT to the 16550's scratch register)",
                  "%.1f" % guest["UART port writes"]]])
    if args.check:
        if per_trip <= 0 or per_call <= 0 or min(guest.values()) <= 0:
            print("FAIL: no positive figure")
            return 1
        print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
