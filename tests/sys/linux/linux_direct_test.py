# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Debian's kernel and our initramfs on bare QEMU (tests/sys/linux/README.md)."""
import usqemu


def test(t):
    m = t.machine(kernel=t.args.linux, initrd=t.args.initramfs,
                  extra_args=["-append", "console=ttyAMA0 panic=-1"])
    m.expect(r"Linux version \d+\.\d+\S* \(debian-kernel@", timeout=120)
    m.expect(r"understudy-guest: userspace up, %d CPU\(s\), Linux \S+" % t.args.smp,
             timeout=180)
    m.expect(r"guest# ", timeout=60)
    m.sendline("echo sum=$((40 + 2))")
    m.expect(r"sum=42")
    m.sendline("poweroff -f")
    m.expect(r"reboot: Power down|System halted", timeout=60)
    assert m.proc.wait(30) == 0, "QEMU did not exit after poweroff"


def args(p):
    p.add_argument("--linux", required=True)
    p.add_argument("--initramfs", required=True)


usqemu.run_test(test, setup_args=args)
