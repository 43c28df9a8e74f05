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
vmm's PSCI code, 1000 writes to its UART's scratch register and 1000 reads of its I/O APIC's
window (MMIO, which the kernel decodes), each emulated by the vmm:
the whole exit path, VMRUN to the vmm by IPC and back. Then, with --linux-runs N, the Linux
boot ratio: wall seconds from starting QEMU to the guests' init's first line ("understudy-guest:
userspace up") for Debian's amd64 kernel and the x86_64 initramfs, (a) directly on QEMU q35 and
(b) as the guest of images/x86_64/linux.bin, the same QEMU settings (-cpu max -smp 1 -m 256M, no
-icount: wall time) and the same command line, the two alternating, medians. Prints tables;
nothing here passes or fails on a timing (--check only requires the figures).
"""
import argparse
import os
import re
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from run_bench import print_table  # noqa: E402

TRIPS = re.compile(r"kernel\| SVM: (\d+) VMMCALL round trips in (\d+) TSC ticks")
GUEST = re.compile(r"bench: 1000 (VMMCALL round trips|UART port writes|IOAPIC reads) in TSC ticks "
                   r"0x([0-9a-f]{8})\r?\n")
CALLS = re.compile(r"kernel\| ring 3: (\d+) null system calls in (\d+) TSC ticks")
USERSPACE = r"understudy-guest: userspace up"
# boot/configs/x86_64-linux.dts's bootargs; the vmm adds tsc_early_khz=, bare QEMU's Linux
# measures the TSC against QEMU's PIT.
CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 nokaslr"


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
        for _ in range(3):
            g = m.expect(GUEST.pattern, timeout=60)
            found[g.group(1)] = int(g.group(2), 16) / 1000
    except usqemu.UsQemuError as e:
        sys.exit("x86_bench: %s (logs in %s)" % (e, log_dir))
    finally:
        m.kill()
    return found


def linux_boot(build, log_dir, understudy):
    """Wall seconds to the guest's first userspace line: bare QEMU or under Understudy."""
    image = os.path.join(build, "images", "x86_64")
    if understudy:
        m = usqemu.Machine(image_dir=image, arch="x86_64", cpu="max", mem="256M",
                           initrd=os.path.join(image, "linux.bin"), log_dir=log_dir,
                           name="bench-x86_64-linux", timeout=600)
    else:
        m = usqemu.Machine(arch="x86_64", cpu="max", mem="256M", log_dir=log_dir,
                           kernel=os.path.join(build, "deps", "linux-amd64", "bzImage"),
                           initrd=os.path.join(build, "guests", "linux",
                                               "initramfs-x86_64.cpio.gz"),
                           extra_args=["-append", CMDLINE], name="bench-x86_64-direct",
                           timeout=600)
    t0 = time.monotonic()
    try:
        m.start()
        if understudy:
            m.expect(r"console\| up", timeout=120)
            m.sendline("vm console 0")
        m.expect(USERSPACE, timeout=300)
        return time.monotonic() - t0
    except usqemu.UsQemuError as e:
        sys.exit("x86_bench: %s (logs in %s)" % (e, log_dir))
    finally:
        m.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="build directory (default: ./build)")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 unless the round trips were timed (the smoke test)")
    ap.add_argument("--linux-runs", type=int, default=0,
                    help="Linux boots of each kind, alternating, for the boot ratio (default 0)")
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
                  "%.1f" % guest["UART port writes"]],
                 ["I/O APIC read emulated by the vmm (MMIO: nested page fault, the kernel's "
                  "decode, one IPC round trip)", "%.1f" % guest["IOAPIC reads"]]])
    ratio = None
    if args.linux_runs > 0:
        bare, under = [], []
        for _ in range(args.linux_runs):
            bare.append(linux_boot(build, log_dir, False))
            under.append(linux_boot(build, log_dir, True))
        ratio = statistics.median(under) / statistics.median(bare)
        print()
        print("Linux to userspace, wall seconds, QEMU q35 -cpu max -smp 1 -m 256M, median of %d "
              "alternating runs" % args.linux_runs)
        print("command: python3 bench/x86_bench.py --linux-runs %d" % args.linux_runs)
        print()
        print_table(["boot", "seconds", "ratio"],
                    [["Debian amd64 kernel on bare QEMU", "%.1f" % statistics.median(bare), "1.00"],
                     ["the same as the guest of images/x86_64/linux.bin",
                      "%.1f" % statistics.median(under), "%.2f" % ratio]])
    if args.check:
        if per_trip <= 0 or per_call <= 0 or min(guest.values()) <= 0 or ratio == 0:
            print("FAIL: no positive figure")
            return 1
        print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
