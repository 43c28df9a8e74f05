# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Debian's Linux Image in our FIT layout, through U-Boot (tests/sys/uboot/README.md)."""
import os
import subprocess
import sys

import usqemu

HERE = os.path.dirname(os.path.abspath(__file__))
MKITS = os.path.join(HERE, "..", "..", "..", "tools", "mkits.py")


def test(t):
    its, fit = os.path.abspath("linux.its"), os.path.abspath("linux.fit")
    subprocess.run([sys.executable, MKITS, "--kernel", t.args.linux, "--bundle",
                    os.path.join(t.image, "bundle.bin"), "--description",
                    "Debian Linux in the Understudy FIT layout", "-o", its], check=True)
    subprocess.run(["mkimage", "-q", "-f", its, fit], check=True)
    m = t.machine(boot="uboot", fit=fit)  # returns after bootm's "Starting kernel ..."
    assert m.output.count("sha256+ OK") >= 2, "bootm did not verify both images"
    m.expect(r"Linux version \d+\.\d+\.\d+\S* \(debian-kernel@", timeout=120)
    m.expect(r"CPU: All CPU\(s\) started at EL2", timeout=120)
    m.expect(r"Trying to unpack rootfs image as initramfs", timeout=120)
    m.expect(r"Initramfs unpacking failed: invalid magic", timeout=120)


def args(p):
    p.add_argument("--linux", required=True, help="Debian's arm64 Image")


usqemu.run_test(test, setup_args=args)
