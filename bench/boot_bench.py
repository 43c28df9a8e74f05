#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Linux boot time on bare QEMU and under Understudy, and the hypervisor's memory footprint.

Wall seconds from starting QEMU to the guest's first userspace line ("understudy-guest:
userspace up", printed by guests/linux/init) for the same Debian kernel and initramfs, (a)
directly on QEMU virt and (b) as the guest of build/images/linux, with identical QEMU settings
(-cpu cortex-a72 -smp 1 -m 1G, no -icount: this is wall time), and both once more with -smp 2
(under Understudy the guest's vCPU then runs on CPU 1, the servers on CPU 0; directly, the guest
boots one CPU, maxcpus=1: QEMU's multi-threaded mode has a cost of its own). Median of --runs
runs each, the four ways alternating. For the boots under Understudy a second table splits the
time before the guest's first instruction by the kernel's time stamps on the log lines that end
each stage (servers up, the vmm's guest images checked, the VM configured).

Memory, from the console's `stats mem --json` once the guests are up: image linux with only a
PL011 (one VM) and image linux2 (two such VMs) differ by one VM, which gives the per-VM
overhead; the hypervisor's own footprint (kernel and servers) is the rest. (A virtio-blk disk
adds its 8 MiB per VM.) Prints tables; judges nothing.

With --icount, instead: image linux booted once on one host CPU and once on two under
-icount shift=0,sleep=off, where the counter's 62.5 MHz ticks are 16 instructions each, and
the kernel's `stats cpu --json` at the guest's userspace split into instructions the guest ran
(with the traps the kernel finished for it) and the servers ran. Deterministic to a fraction of
a percent, where the wall-clock rows move by a sixth between runs.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import usqemu  # noqa: E402
from run_bench import print_table as table  # noqa: E402

USERSPACE = r"understudy-guest: userspace up"
CPU = "cortex-a72"
CMDLINE = "console=ttyAMA0 panic=-1"  # keep in sync with boot/configs/linux.dts
MKFIRMWARE = os.path.join(HERE, "..", "tools", "mkfirmware.py")


def boot_direct(build, log_dir, cmdline, smp=1):
    """Bare QEMU; with @smp 2 the guest still runs on one CPU (maxcpus=1), as under
    Understudy, so the row shows what QEMU's multi-threaded mode costs by itself."""
    m = usqemu.Machine(kernel=os.path.join(build, "deps", "linux-arm64", "Image"),
                       initrd=os.path.join(build, "guests", "linux", "initramfs.cpio.gz"),
                       cpu=CPU, smp=smp, log_dir=log_dir, name="boot-direct", timeout=600,
                       extra_args=["-append", cmdline + (" maxcpus=1" if smp > 1 else "")])
    t0 = time.monotonic()
    try:
        m.start()
        m.expect(USERSPACE, timeout=300)
        return time.monotonic() - t0
    finally:
        m.kill()


def start_understudy(build, image, log_dir, name, smp=1, icount=False):
    m = usqemu.Machine(image_dir=image if os.path.isabs(image) else
                       os.path.join(build, "images", image), cpu=CPU, smp=smp, icount=icount,
                       log_dir=log_dir, name=name, timeout=900 if icount else 600)
    m.start()
    m.expect(r"us> ", timeout=120)
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0", timeout=60)
    return m


# Where an Understudy boot's time goes before the guest's first instruction: the log lines
# that end each stage, stamped by the kernel's counter (which starts with the machine).
STAGES = (("servers up", r"servers up"), ("guest images checked", r"guest image\(s\), .* checked"),
          ("VM configured", r"VM\(s\) configured"))


def stage_times(text):
    """The kernel's time stamp (s) of the first line of each of STAGES in @text."""
    out = []
    for name, rx in STAGES:
        m = re.search(r"\[\s*(\d+\.\d+)\] INFO [^|]*\| [^\n]*" + rx, text)
        if m is None:
            raise usqemu.UsQemuError("no %r line in the boot log" % name)
        out.append(float(m.group(1)))
    return out


def boot_understudy(build, log_dir, image, smp=1, stages=None):
    """Wall seconds to the guest's userspace; the STAGES' stamps appended to @stages."""
    t0 = time.monotonic()
    m = start_understudy(build, image, log_dir, "boot-understudy", smp)
    try:
        m.expect(USERSPACE, timeout=300)
        took = time.monotonic() - t0
        if stages is not None:
            stages.append(stage_times(m.output))
        return took
    finally:
        m.kill()


DEVICES = 'devices = "uart", "virtio-blk", "virtio-console", "pcie";'  # as in linux.dts
DISK = 'disk = "seed";'  # the disk's initial contents, a bundle entry (guests/linux/disk)


def variant_image(build, log_dir, name, cmdline, uart_only=False):
    """Image linux with the guest command line @cmdline instead (and only the PL011 when
    @uart_only, like image linux2's guests), built with mkfirmware."""
    src = os.path.join(HERE, "..", "boot", "configs", "linux.dts")
    with open(src) as f:
        text = f.read()
    if CMDLINE not in text or DEVICES not in text or DISK not in text:
        raise usqemu.UsQemuError("%s no longer has %r, %r and %r" % (src, CMDLINE, DEVICES, DISK))
    text = text.replace(CMDLINE, cmdline)
    if uart_only:
        text = text.replace(DEVICES, 'devices = "uart";').replace(DISK, "")
    dts = os.path.join(log_dir, "linux-%s.dts" % name)
    with open(dts, "w") as f:
        f.write(text)
    out = os.path.join(log_dir, "linux-" + name)
    r = subprocess.run([sys.executable, MKFIRMWARE, "--build", build, "--config", dts,
                        "--guest", "linux=" + os.path.join(build, "deps", "linux-arm64", "Image"),
                        "--initrd", "initramfs=" + os.path.join(build, "guests", "linux",
                                                                "initramfs.cpio.gz"),
                        "--disk", "seed=" + os.path.join(build, "guests", "linux", "disk-seed.tar"),
                        "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        raise usqemu.UsQemuError("mkfirmware: " + r.stderr)
    return out


def memory(build, image, vms, log_dir):
    """`stats mem` once every VM of @image reached userspace."""
    m = start_understudy(build, image, log_dir, "mem-" + os.path.basename(image))
    try:
        for n in range(vms):
            if n > 0:
                m.sendline("vm console %d" % n)
                m.expect(r"attached to vm %d" % n, timeout=60)
            m.expect(USERSPACE, timeout=300)
            m.send("\x1d")
            m.expect(r"detached")
            m.expect(r"us> ")
        return json.loads(usqemu.console_cmd(m, "stats mem --json"))["mem"]
    finally:
        m.kill()


def icount_split(build, log_dir):
    """Per host-CPU count: the guest's and the servers' instructions (millions) to userspace,
    guest entries through the scheduler, traps finished without the lock, local TLBIs."""
    rows = []
    for smp in (1, 2):
        m = start_understudy(build, "linux", log_dir, "boot-icount%d" % smp, smp, icount=True)
        try:
            m.expect(USERSPACE, timeout=600)
            m.send("\x1d")
            m.expect(r"detached")
            m.expect(r"us> ")
            cpus = json.loads(usqemu.console_cmd(m, "stats cpu --json"))["cpus"]
        finally:
            m.kill()
        total = lambda k: sum(c[k] for c in cpus)
        if total("guest_ticks") == 0 or total("server_ticks") == 0:
            raise usqemu.UsQemuError("stats cpu counted no guest or server time: %s" % cpus)
        rows.append([str(smp), "%.2f" % (total("guest_ticks") * 16 / 1e6),
                     "%.2f" % (total("server_ticks") * 16 / 1e6), str(total("guest_entries")),
                     str(total("traps_nolock")), str(total("tlbi_local"))])
    print("image linux to the guest's userspace, QEMU virt -cpu %s -icount shift=0,sleep=off "
          "(16 instructions a counter tick)" % CPU)
    print("command: python3 bench/boot_bench.py --icount --cpu %s" % CPU)
    print()
    table(["host CPUs", "guest (M insns)", "servers (M insns)", "guest entries",
           "traps without the lock", "local TLBI"], rows)


def main():
    global CPU
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpu", default=CPU,
                    help="QEMU -cpu: cortex-a72 (no VHE) or max,pauth=off (VHE)")
    ap.add_argument("--icount", action="store_true",
                    help="only the instructions to userspace on one and two host CPUs")
    args = ap.parse_args()
    CPU = args.cpu
    build = os.path.abspath(args.build)
    log_dir = os.path.join(build, "bench")
    os.makedirs(log_dir, exist_ok=True)
    if args.icount:
        try:
            icount_split(build, log_dir)
        except usqemu.UsQemuError as e:
            sys.exit("boot_bench: %s\n(logs in %s)" % (e, log_dir))
        return 0
    for need in (os.path.join(build, "images", "linux", "understudy.bin"),
                 os.path.join(build, "images", "linux2", "understudy.bin"),
                 os.path.join(build, "deps", "linux-arm64", "Image")):
        if not os.path.exists(need):
            sys.exit("boot_bench: no %s; build first (./check)" % need)
    try:
        quiet = variant_image(build, log_dir, "quiet", CMDLINE + " quiet")
        rows, stage_rows = [], []
        for label, cmdline, image in (("", CMDLINE, "linux"),
                                      (", quiet", CMDLINE + " quiet", quiet)):
            # Runs alternate between the four ways, so the host's drift weighs on all alike.
            ways = [(False, 1), (False, 2), (True, 1), (True, 2)]
            runs = {w: [] for w in ways}
            stamps = {1: [], 2: []}
            for _ in range(args.runs):
                for us, smp in ways:
                    runs[us, smp].append(boot_understudy(build, log_dir, image, smp, stamps[smp])
                                         if us else boot_direct(build, log_dir, cmdline, smp))
            med = {w: statistics.median(runs[w]) for w in ways}
            for smp in (1, 2):
                at = [statistics.median(s[i] for s in stamps[smp]) for i in range(len(STAGES))]
                stage_rows.append(["under Understudy" + label +
                                   (", 2 host CPUs" if smp > 1 else "")] +
                                  ["%.2f" % (b - a) for a, b in zip([0.0] + at, at)] +
                                  ["%.2f" % (med[True, smp] - at[-1]), "%.2f" % med[False, smp]])
            for us, smp in ways:
                rows.append([("under Understudy" if us else "direct on QEMU") + label +
                             (", 2 host CPUs" if smp > 1 else ""),
                             " ".join("%.2f" % x for x in runs[us, smp]), "%.2f" % med[us, smp],
                             "%.2fx" % (med[us, smp] / med[False, 1]),
                             "%.2fx" % (med[us, smp] / med[False, smp])])
        one = memory(build, variant_image(build, log_dir, "uart", CMDLINE, True), 1, log_dir)
        two = memory(build, "linux2", 2, log_dir)
    except usqemu.UsQemuError as e:
        sys.exit("boot_bench: %s\n(logs in %s)" % (e, log_dir))

    boot_dir = os.path.join(build, "deps", "linux-arm64", "boot")
    kernels = [f for f in os.listdir(boot_dir) if f.startswith("vmlinuz-")]
    print("Debian %s + guests/linux initramfs, QEMU virt -cpu %s -smp 1 -m 1G, "
          "wall seconds to the first userspace line, median of %d"
          % (kernels[0] if kernels else "arm64 kernel", CPU, args.runs))
    print("guest command line: %r, then with \" quiet\"" % CMDLINE)
    print("'2 host CPUs': QEMU -smp 2; under Understudy the guest's one vCPU on CPU 1 and the "
          "servers on CPU 0, directly the guest with maxcpus=1")
    print("command: python3 bench/boot_bench.py --runs %d --cpu %s" % (args.runs, CPU))
    print()
    table(["boot", "runs (s)", "median (s)", "vs direct", "vs direct, same host CPUs"],
          rows + [["Xen 4.17 dom0 (reference)", "-", "-", "1.4-1.5x", "-"]])
    print()
    print("Before the guest's first instruction (medians, s; the kernel's time stamps of its "
          "own and the vmm's log lines): the kernel until its servers are up, the vmm's "
          "SHA-256 check of every guest image in the bundle, the VM built (RAM, images copied "
          "in, devmgr's view, device tree); then the guest, to its userspace, against the "
          "whole direct boot")
    print()
    table(["boot", "kernel", "images checked", "VM built", "guest", "direct, whole boot"],
          stage_rows)
    print()
    per_vm = two["hypervisor"] - one["hypervisor"]
    mib = lambda b: "%.1f MiB" % (b / 1048576.0) if b >= 1 << 20 else "%d KiB" % (b >> 10)
    table(["memory", "size"],
          [["hypervisor: kernel + 4 servers (+ one VM's overhead removed)",
            mib(one["hypervisor"] - per_vm)],
           ["per-VM overhead (stage-2 tables, vCPU, vmm mappings)", mib(per_vm)],
           ["boot image kept in RAM (holds the guest kernel)", mib(one["boot_image"])],
           ["guest RAM, one VM", mib(one["guests"])]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
