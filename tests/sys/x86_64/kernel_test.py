# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The generic kernel on x86_64 (understudy.elf, docs/x86_64.md): it boots through kmain() on
q35, reads the PVH start_info (RAM, the bundle as QEMU's -initrd module), builds its map and
its interrupts, and checks the boot bundle as on aarch64. No servers are built for x86_64 yet,
so every bundle it can be given is refused, each with its own clear error and no panic:
--bundle none (no -initrd), aarch64 (the default image's bundle: its hashes and manifest hold,
and the first server's ELF is for another machine), corrupt (that bundle with its first byte
changed)."""
import os

import usqemu

BANNER = (r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\), entered in long "
          r"mode, servers in ring 3")
RAM = (r"kernel\| RAM 0x100000\+0x([0-9a-f]+), 1 CPU\(s\), bundle 0x([0-9a-f]+)\+0x([0-9a-f]+)"
       r"\r?\n")  # to the line's end: a number cut where the serial output stops matches too
REFUSED = (r"kernel\| boot image refused \((US_[A-Z]+)\): no server started; fix the image and "
           r"reboot")


def setup(parser):
    parser.add_argument("--bundle", choices=("none", "aarch64", "corrupt"), required=True)


def test(t):
    default = os.path.join(os.path.dirname(os.path.abspath(t.args.image)), "default", "bundle.bin")
    initrd = None
    if t.args.bundle == "aarch64":
        initrd = default
    elif t.args.bundle == "corrupt":
        with open(default, "rb") as f:
            data = bytearray(f.read())
        data[0] ^= 0xff
        initrd = os.path.abspath("kernel_bundle_corrupt.bin")  # this test's own file
        with open(initrd, "wb") as f:
            f.write(data)
    m = t.machine(arch="x86_64", initrd=initrd)
    m.expect(BANNER)
    ram = m.expect(RAM)
    assert int(ram.group(1), 16) >= 200 << 20, ram.group(0)  # the region from 1 MiB
    base, size = int(ram.group(2), 16), int(ram.group(3), 16)
    assert (size == 0) == (initrd is None), ram.group(0)
    if initrd is not None:
        assert size == os.path.getsize(initrd) and base % 4096 == 0, ram.group(0)
    if t.args.bundle == "aarch64":
        m.expect(r"kernel\| server console: ELF image rejected: US_ECORRUPT")
        want = "US_ECORRUPT"
    elif t.args.bundle == "corrupt":
        m.expect(r"kernel\| bundle rejected: [^\n]+: US_ECORRUPT")
        want = "US_ECORRUPT"
    else:
        want = "US_EINVAL"
    assert m.expect(REFUSED).group(1) == want, m.output
    assert "PANIC" not in m.output and "trap:" not in m.output, m.output


usqemu.run_test(test, setup_args=setup)
