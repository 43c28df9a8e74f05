# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""devmgr owns the host's PCIe (tests/sys/linux/README.md): QEMU virt with three PCIe root
ports, a virtio-rng behind the first, an e1000e behind the second, the third empty. devmgr
enumerates the hierarchy through the ECAM window, gives each root port its bus and each BAR
its place in the host bridge's 32-bit memory window, and `hw list` shows every function
beside the device-tree devices; a devmgr restart keeps the inventory as it was (no second
enumeration). Then native hot-plug over QMP: a virtio-rng device_add'ed to the empty port is
powered, enumerated and listed (shielded from the guest); device_del presses the slot's
attention button, devmgr powers the slot off, QEMU completes the removal (DEVICE_DELETED)
and the function leaves the inventory. `hw remove` does the same for the e1000e at the
operator's word, and refuses what is no card in a hot-plug slot. The guest serves meanwhile."""
import json

import kvcheck
import maintcheck
import usqemu

PCI = ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
       "-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2",
       "-device", "pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3",
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
    m.expect_seen(r"devmgr\| PCIe: 6 function\(s\) behind the host bridge at 0x4010000000")
    got = pci(m)
    assert {n: d["compatible"] for n, d in got.items()} == {
        "pci-00:00.0": "pci1b36,0008",  # the host bridge
        "pci-00:01.0": "pci1b36,000c",  # root port 1 ...
        "pci-01:00.0": "pci1af4,1044",  # ... its secondary bus 1: virtio-rng
        "pci-00:02.0": "pci1b36,000c",  # root port 2 ...
        "pci-02:00.0": "pci8086,10d3",  # ... bus 2: e1000e
        "pci-00:03.0": "pci1b36,000c",  # root port 3, its slot empty
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
    # Hot-plug: a card into the empty slot of root port 3 (its bus is 3).
    since = len(m.output)
    m.qmp.execute("device_add", driver="virtio-rng-pci", bus="rp3", id="hot")
    m.expect_seen(r"devmgr\| PCIe: 03:00.0 1af4:1044 added in the slot of 00:03.0; shielded",
                  since=since, timeout=60)
    hot = pci(m)["pci-03:00.0"]
    assert hot["compatible"] == "pci1af4,1044" and hot["owner"] == "none", hot
    assert WINDOW[0] <= hot["base"] and hot["base"] % hot["size"] == 0, hot
    assert all(d["base"] + d["size"] <= hot["base"] or hot["base"] + hot["size"] <= d["base"]
               for n, d in got.items() if d["size"]), (hot, got)
    # ... and out again: the attention button, the slot powered off, QEMU's removal done.
    since = len(m.output)
    m.qmp.execute("device_del", id="hot")
    m.expect_seen(r"devmgr\| PCIe: the slot of 00:03.0 is powered off: its card \(1 "
                  r"function\(s\)\) may be pulled", since=since, timeout=60)
    m.qmp.wait_event("DEVICE_DELETED", timeout=60)
    assert pci(m) == got
    # The operator's removal: refused with a reason for what is no card in a hot-plug slot;
    # the e1000e is released, its slot powered off, and QEMU takes it out.
    maintcheck.refused(m, "hw remove nothing-such", "no such device")
    maintcheck.refused(m, "hw remove pl011@9000000", "not a card in a hot-plug slot")
    maintcheck.refused(m, "hw remove pci-00:02.0", "not a card in a hot-plug slot")  # a port
    assert usqemu.console_cmd(m, "hw remove pci-02:00.0") == (
        "pci-02:00.0: 1 function(s) released, slot powered off; it may be pulled")
    m.qmp.wait_event("DEVICE_DELETED", timeout=60)
    del got["pci-02:00.0"]
    assert pci(m) == got
    maintcheck.refused(m, "hw remove pci-02:00.0", "no such device")
    # The guest served throughout.
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
    kvcheck.exercise(port)
    assert [v["state"] for v in maintcheck.vms(m).values()] == ["running"]


usqemu.run_test(test)
