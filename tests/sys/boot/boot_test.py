# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Kernel and the four servers come up; the shell lists them (tests/sys/boot/README.md)."""
import json

import usqemu


def test(t):
    m = t.machine()
    m.expect(r"kernel\| Understudy hypervisor \(ABI \d+\) on qemu-virt-aarch64, entered at EL2")
    # -cpu max has VHE (FEAT_VHE): servers then run in the EL2&0 regime; an ARMv8.0 core has not.
    vhe = not t.args.cpu.startswith("cortex-a72")
    mode = m.expect(r"servers at EL0 of (EL2|EL1)&0").group(1)
    assert mode == ("EL2" if vhe else "EL1"), (t.args.cpu, mode)
    m.expect(r"kernel\| 4 servers up")
    m.expect(r"us> ")
    m.expect(r"migrate\| up \(cold start\)")
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    names = sorted(s["name"] for s in servers)
    assert names == ["console", "devmgr", "migrate", "vmm"], names
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s
    devices = json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]
    uart = [d for d in devices if d["name"] == "pl011@9000000"]
    assert uart and uart[0]["owner"] == "hyp" and uart[0]["irq"] == 33, uart
    assert any(d["compatible"] == "arm,gic-v3" for d in devices), devices


usqemu.run_test(test)
