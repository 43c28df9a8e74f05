# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Boot the FIT through Debian's U-Boot (tests/sys/uboot/README.md)."""
import json
import re

import usqemu


def test(t):
    m = t.machine()  # returns once bootm has printed "Starting kernel ..."
    # Both the kernel and the bundle were checked against their sha256 before the hand-over.
    verified = re.findall(r"Verifying Hash Integrity \.\.\. sha256\+ OK", m.output)
    assert len(verified) >= 2, m.output
    m.expect(r"kernel\| Understudy hypervisor \(ABI \d+\) on qemu-virt-aarch64, entered at EL2")
    m.expect(r"kernel\| 4 servers up")
    m.expect(r"us> ")
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert sorted(s["state"] for s in servers) == ["running"] * 4, servers


usqemu.run_test(test)
