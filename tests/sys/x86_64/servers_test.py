# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Servers in ring 3 on x86_64 (docs/x86_64.md): the generic kernel boots the x86_64 image's
bundle (boot/manifest-x86_64.txt: vmm, devmgr and migrate built for x86_64, packed by uspack
--arch x86_64) and each server comes up as on aarch64: its start-up system calls (the log, its
state region sealed with SHA-256, its heap, libfdt on the VM config for the vmm), then its
receive loop. devmgr has no device tree on q35 and must say so, not fault. No server may fault
and the kernel may not panic."""
import os

import usqemu

BANNER = (r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\), entered in long "
          r"mode, servers in ring 3")
SERVERS = ("vmm", "devmgr", "migrate")


def test(t):
    m = t.machine(arch="x86_64", initrd=os.path.join(t.args.image, "bundle.bin"))
    m.expect(BANNER)
    for name in SERVERS:
        m.expect(r"kernel\| server %s started \(priority \d+\)" % name)
    m.expect(r"kernel\| 3 servers up, \d+ free frames")
    m.expect(r"vmm\| up: 0 VM\(s\) configured")
    m.expect(r"devmgr\| platform device tree unusable: US_ECAP; inventory empty")
    m.expect(r"migrate\| up \(cold start\)")
    out = m.output
    assert "faulted" not in out and "PANIC" not in out and "fatal" not in out, out


usqemu.run_test(test)
