# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""devmgr owns the host's PCIe (tests/sys/linux/README.md): QEMU virt with two PCIe root ports,
a virtio-rng behind the first and an e1000e behind the second. devmgr enumerates the
hierarchy through the ECAM window, gives each root port its bus and each BAR its place in the
host bridge's 32-bit memory window, and `hw list` shows every function beside the device-tree
devices; a devmgr restart keeps the inventory as it was (no second enumeration). The guest
serves meanwhile."""
import json

import kvcheck
import maintcheck
import usqemu

PCI = ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
       "-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2",
       "-device", "virtio-rng-pci,bus=rp1",
       "-netdev", "user,id=pn2", "-device", "e1000e,bus=rp2,netdev=pn2")
WINDOW = (0x10000000, 0x10000000 + 0x2eff0000)  # QEMU virt's 32-bit PCI memory window


def pci(m):
    return {d["name"]: d for d in json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]
            if d["name"].startswith("pci-")}


def test(t):
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)], extra_args=PCI)
    m.expect(r"us> ")
    m.expect_seen(r"devmgr\| PCIe: 5 function\(s\) behind the host bridge at 0x4010000000")
    got = pci(m)
    assert {n: d["compatible"] for n, d in got.items()} == {
        "pci-00:00.0": "pci1b36,0008",  # the host bridge
        "pci-00:01.0": "pci1b36,000c",  # root port 1 ...
        "pci-01:00.0": "pci1af4,1044",  # ... its secondary bus 1: virtio-rng
        "pci-00:02.0": "pci1b36,000c",  # root port 2 ...
        "pci-02:00.0": "pci8086,10d3",  # ... bus 2: e1000e
    }, got
    rng, nic = got["pci-01:00.0"], got["pci-02:00.0"]
    for d in (rng, nic):
        assert WINDOW[0] <= d["base"] and d["base"] + d["size"] <= WINDOW[1], d
        assert d["base"] % d["size"] == 0 and d["owner"] == "none", d
    assert nic["size"] == 128 << 10, nic  # e1000e's register BAR
    assert rng["base"] + rng["size"] <= nic["base"], (rng, nic)  # bus 1's window comes first
    # A restart keeps what was assigned: devmgr does not enumerate (and move BARs) again.
    since = len(m.output)
    assert usqemu.console_cmd(m, "server restart devmgr") == "ok"
    m.expect_seen(r"devmgr\| state recovered after restart 1", since=since)
    assert pci(m) == got
    assert "PCIe:" not in m.output[since:]
    # The guest served throughout.
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
    kvcheck.exercise(port)
    assert [v["state"] for v in maintcheck.vms(m).values()] == ["running"]


usqemu.run_test(test)
