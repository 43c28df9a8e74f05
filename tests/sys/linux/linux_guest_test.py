# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Debian's kernel as a guest of Understudy, to its init and shell (tests/sys/linux/README.md)."""
import json

import cpucheck
import usqemu

DETACH = "\x1d"


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(linux0\)")
    if not t.args.hvc:
        # On the PL011 the kernel's own log is there from the start. (On hvc0 Linux throws
        # away what it prints before the virtio port is up, so it is checked with dmesg.)
        m.expect(r"Linux version \d+\.\d+\S* \(debian-kernel@", timeout=60)
        m.expect(r"GICv3: \d+ SPIs implemented", timeout=60)
        m.expect(r"arch_timer: cp15 timer\(s\) running at", timeout=60)
        m.expect(r"Run /init as init process", timeout=120)
    m.expect(r"understudy-guest: userspace up, %d CPU\(s\), Linux \S+" % t.args.vcpus,
             timeout=120)
    m.expect(r"guest# ", timeout=60)
    if t.args.hvc:
        # The whole kernel log (about 25 KB, several times the console ring) in one burst on
        # the virtio console: flow control must deliver all of it, first line to last.
        m.sendline("dmesg; echo dmesg-done")
        m.expect(r"Booting Linux on physical CPU 0x0", timeout=60)
        m.expect(r"GICv3: \d+ SPIs implemented", timeout=60)
        m.expect(r"Run /init as init process", timeout=60)
        m.expect(r"\ndmesg-done", timeout=60)
        m.expect(r"guest# ", timeout=60)
    if not t.args.hvc:
        # The PL011's control register is a latch in the fast-MMIO page (US_FASTMMIO_LATCH):
        # Linux reads, sets and restores it around every line its console writes, and none of
        # that exits to the vmm: 300 lines cost 236 exits in one run, and 1136 (three each
        # more) with the latch switched off.
        # The bytes themselves wait in the fast-MMIO ring until the kernel's tick (or a half
        # full ring) signals the vmm: each line is over 20 bytes, and a signal per byte made
        # the vmm and then the console preempt the guest for every one on one host CPU (two
        # switches a byte: 16,018 for these lines in one run without the batching, 536 with
        # it, most of them the shell's own work).
        before = cpucheck.exit_counters(m)
        m.sendline("for i in $(seq 300); do echo \"<3>latch $i\" > /dev/kmsg; done; echo latched")
        m.expect(r"latch 300", timeout=120)
        m.expect(r"\nlatched", timeout=60)
        m.expect(r"guest# ", timeout=60)
        after = cpucheck.exit_counters(m)
        spent, switched = after[0] - before[0], after[1] - before[1]
        print("300 console lines: %d exits, %d switches to servers" % (spent, switched))
        assert spent < 600, spent
        assert switched < 3000, switched
    # Its PCIe host bridge: Linux's generic ECAM driver takes it and scans bus 0, where every
    # function reads as all-ones: a bus, and no device on it.
    m.sendline("echo pcibus=$(ls /sys/class/pci_bus) pcidevs=$(ls /sys/bus/pci/devices | wc -l)")
    m.expect(r"\npcibus=0000:00 pcidevs=0\r?\n", timeout=60)
    m.expect(r"guest# ", timeout=60)
    m.sendline("cat /sys/devices/system/cpu/online")
    m.expect(r"\n%s\n" % ("0" if t.args.vcpus == 1 else "0-%d" % (t.args.vcpus - 1)),
             timeout=60)
    # Typed bytes reach the guest through the PL011's (or the virtio console's) receive
    # interrupt.
    m.sendline("echo sum=$((40 + 2)); grep -c . /proc/interrupts")
    m.expect(r"sum=42", timeout=60)
    m.expect(r"guest# ", timeout=60)
    # PSCI SYSTEM_RESET: the vmm reloads the images and restarts vCPU 0; the guest boots again
    # from a fresh initramfs (the file written before is gone) with all its vCPUs.
    if t.args.disk:
        # virtio-console: what the guest writes to /dev/hvc0 joins the VM's console.
        m.sendline("echo hv$((1 + 1))c-out > /dev/hvc0")
        m.expect(r"\nhv2c-out", timeout=60)
        m.expect(r"guest# ", timeout=60)
        # virtio-blk: the disk starts with the contents the firmware image carries...
        m.sendline("mkdir /tmp/seed && tar xf /dev/vda -C /tmp/seed && cat /tmp/seed/seed.txt")
        m.expect(r"\nThis file came with the firmware image", timeout=60)
        m.expect(r"guest# ", timeout=60)
        # ...and is the vmm's RAM from then on, so what is written survives the reboot.
        m.sendline("echo kept-across-reboot > /root/note; tar cf /dev/vda -C /root note; "
                   "sync; echo wrote=$?")
        m.expect(r"wrote=0", timeout=60)
    m.sendline("echo mark > /root/before-reboot; reboot -f")
    if not t.args.hvc:  # on hvc0 the last words go out after the virtio port is shut down
        m.expect(r"reboot: Restarting system", timeout=60)
    if not t.args.hvc:
        m.expect(r"Linux version", timeout=60)
    m.expect(r"understudy-guest: userspace up, %d CPU\(s\)" % t.args.vcpus, timeout=120)
    m.expect(r"guest# ", timeout=60)
    m.sendline("ls /root/before-reboot; echo rc=$?")
    m.expect(r"No such file or directory\s+rc=1", timeout=60)
    if t.args.disk:
        m.sendline("tar xf /dev/vda -C /tmp && cat /tmp/note")
        m.expect(r"\nkept-across-reboot\n", timeout=60)
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert vms[0]["state"] == "running", vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["state"] == "running" for s in servers), servers
    cpucheck.check_vcpu_placement(m, t.args.smp, {0: t.args.vcpus})


def args(p):
    p.add_argument("--vcpus", type=int, default=1, help="vCPUs the image's VM has")
    p.add_argument("--hvc", action="store_true", help="the guest's console is hvc0 (virtio)")
    p.add_argument("--disk", action="store_true",
                   help="the VM has a virtio-blk disk and a virtio console")


usqemu.run_test(test, setup_args=args)
