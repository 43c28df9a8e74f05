# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""devmgr's SMMUv3 driver (servers/devmgr/devmgr_smmu.c). With QEMU's SMMUv3
(-M virt,iommu=smmuv3) and an e1000e behind a PCIe root port, devmgr enables the SMMU with a
stream table in which every stream aborts, `hw list` shows the smmuv3 node, and a devmgr
restart takes the SMMU up again from the state region without setting it up anew. Without the
SMMU, devmgr says so in one line and the default image's guest serves kvd as ever."""
import json
import re

import kvcheck
import usqemu

PCI = ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
       "-netdev", "user,id=pn1", "-device", "e1000e,bus=rp1,netdev=pn1")
ENABLED = (r"devmgr\| SMMU: enabled, 4096 stream IDs, every stream aborts until confined "
           r"\(tables at 0x[0-9a-f]+\)")
RECOVERED = (r"devmgr\| SMMU: recovered, not re-initialised: 0 stream\(s\) confined, "
             r"0 DMA fault\(s\) so far")
NONE = r"devmgr\| SMMU: none on this platform \(no arm,smmu-v3 node\): PCI DMA is not confined"


def devices(m):
    return {d["name"]: d for d in json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]}


def smmu_lines(m):
    return [l for l in m.output.splitlines() if "devmgr| SMMU:" in l]


def with_smmu(t):
    m = t.machine(iommu=True, extra_args=PCI)
    m.expect(r"us> ")
    m.expect_seen(ENABLED)
    lines = smmu_lines(m)
    assert len(lines) == 1 and re.search(ENABLED, lines[0]), lines
    got = devices(m)
    smmu = got.get("smmuv3@9050000")
    assert smmu is not None, sorted(got)
    assert (smmu["compatible"], smmu["base"], smmu["size"], smmu["irq"]) == (
        "arm,smmu-v3", 0x09050000, 0x20000, 106), smmu  # the event queue's SPI 74
    assert got["pci-01:00.0"]["compatible"] == "pci8086,10d3", got  # a function behind it
    # A restart takes the SMMU up from the state region: no second set-up (which would disable
    # it, and let DMA through, for a moment).
    since = len(m.output)
    assert usqemu.console_cmd(m, "server restart devmgr") == "ok"
    m.expect_seen(r"devmgr\| state recovered after restart 1", since=since)
    m.expect_seen(RECOVERED, since=since)
    after = m.output[since:]
    assert "SMMU: enabled" not in after and "set up again" not in after, after
    assert devices(m)["smmuv3@9050000"] == smmu
    assert not re.search(r"ERR +devmgr\|", m.output), smmu_lines(m)
    m.kill()


def without_smmu(t):
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)], extra_args=PCI)
    m.expect(r"us> ")
    m.expect_seen(NONE)
    lines = smmu_lines(m)
    assert len(lines) == 1 and re.search(NONE, lines[0]), lines
    assert not any(d["compatible"] == "arm,smmu-v3" for d in devices(m).values())
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", timeout=300)
    kvcheck.exercise(port)
    assert smmu_lines(m) == lines, smmu_lines(m)


def test(t):
    with_smmu(t)
    without_smmu(t)


usqemu.run_test(test)
