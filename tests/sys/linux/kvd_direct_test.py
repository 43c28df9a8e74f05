# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""kvd in Debian's kernel on bare QEMU, reached from the host (tests/sys/linux/README.md)."""
import kvcheck
import usqemu


def test(t):
    port = usqemu.free_port()
    m = t.machine(kernel=t.args.linux, initrd=t.args.initramfs,
                  nic=[(port, "10.0.2.15", 7000)],
                  extra_args=["-append", "console=ttyAMA0 panic=-1"])
    m.expect(r"understudy-guest: network up on eth0 \(10\.0\.2\.15/24\), kvd started", timeout=180)
    m.expect(r"kvd: listening on port 7000", timeout=60)
    kvcheck.exercise(port)
    kvcheck.bulk(port)


def args(p):
    p.add_argument("--linux", required=True)
    p.add_argument("--initramfs", required=True)


usqemu.run_test(test, setup_args=args)
