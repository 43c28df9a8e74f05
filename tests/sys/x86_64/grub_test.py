# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The x86_64 image's vendor boot (docs/x86_64.md): SeaBIOS boots a CD image
(tools/mkgrubiso.py) on which Debian's GRUB checks the SHA-256 of the kernel and of hello.bin's
bundle, then loads the kernel by Multiboot2 with the bundle as its module. The kernel makes a
start_info of GRUB's information (its memory map, the module, its copy of the ACPI RSDP, from
which the MADT gives the CPUs), checks the bundle itself as on every boot, and the four
servers and the bare-metal test guest run as they do after QEMU's -kernel. With --corrupt the
CD's recorded hash of the bundle is wrong: GRUB says so and boots nothing."""
import json
import os

import usqemu

BANNER = (r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\), entered in long "
          r"mode, servers in ring 3")


def test(t):
    iso = os.path.join(t.args.image, "grub-corrupt.iso" if t.args.corrupt else "grub.iso")
    m = t.machine(arch="x86_64", cdrom=iso)
    m.expect(r"grub: checking the image's SHA-256", timeout=120)
    m.expect(r"understudy\.elf: OK")
    if t.args.corrupt:
        m.expect(r"bundle\.bin: HASH MISMATCH")
        m.expect(r"grub: the image's hashes do not match: not booting it")
        m.wait_exit(timeout=60)  # GRUB's halt powers the machine off
        assert "Understudy hypervisor" not in m.output, m.output[-2000:]
        return
    m.expect(r"bundle\.bin: OK")
    m.expect(r"grub: loading Understudy by Multiboot2")
    m.expect(BANNER, timeout=60)
    m.expect(r"kernel\| RAM 0x[0-9a-f]+\+0x[0-9a-f]+, %d CPU\(s\), bundle 0x[0-9a-f]+\+0x[0-9a-f]+"
             % t.args.smp)
    m.expect(r"kernel\| 4 servers up")
    for cpu in range(1, t.args.smp):
        m.expect(r"kernel\| CPU %d up" % cpu)
    # The test guest's run ends in its deliberate shutdown (tests/sys/x86_64/guest_test.py).
    m.expect(r"vmm\| vm0: unhandled exit \(esr 0x7f, pc 0x[0-9a-f]+\); VM stopped", timeout=60)
    assert "vmm| vm0: vmid 1, 16 MiB, kernel 'hello' at 0x100000" in m.output, m.output
    m.sendline("")
    m.expect(r"us> ")
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s
    assert "PANIC" not in m.output, m.output[-4000:]


usqemu.run_test(test, setup_args=lambda p: p.add_argument("--corrupt", action="store_true"))
