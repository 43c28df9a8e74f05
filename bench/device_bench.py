#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the hardware maintenance flows cost the clients of the served application
(bench/README.md, docs/pci.md).

Boots build/images/maintpt under QEMU with its SMMUv3 and one PCIe root port, and measures
kvd's clients (the load generator, tests/qemu/loadgen.py, through the node's NIC and the vmm's
switch) in a steady stretch and while each flow runs, on three machines:

- remove-device: the e1000e behind the root port is passed through to kvd0 at boot;
  `maint remove-device pci-01:00.0` moves kvd to an understudy without it, and the card is
  released and powered off;
- add-device: the slot is empty at boot; an e1000e is hot-added over QMP (shielded), and
  `maint add-device pci-01:00.0 kvd0` moves kvd to an understudy given it;
- remove-memory (image `default`): `maint remove-memory` of kvd0's RAM range, first by
  default (via=copy: kvd0's RAM is copied under it while its vCPU is parked, and kvd0 runs on),
  then via=restart for its new range (kvd moves to an understudy allocated elsewhere); each
  time the range is audited empty.

Each row: requests, failures, p50 and p99 latency, the longest gap between successful
responses, and the flow's total time (command to its last step). Wall-clock figures under TCG:
compare rows of one run. Prints one table; nothing here passes or fails on a timing.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "qemu"))
import maint_bench  # noqa: E402
import usqemu  # noqa: E402

PORT = ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
        "-netdev", "user,id=pn1,net=10.0.3.0/24")
CARD = ("-device", "e1000e,bus=rp1,netdev=pn1,id=nic1")


def hot_add(m):
    """Before the add-device flow: the card into the empty slot, shielded by devmgr."""
    since = len(m.output)
    m.qmp.execute("device_add", driver="e1000e", bus="rp1", netdev="pn1", id="nic1")
    m.expect_seen(r"devmgr\| PCIe: 01:00\.0 8086:10d3 added in the slot of 00:01\.0; shielded",
                  since=since, timeout=60)


def remove_memory(m):
    """The remove-memory command for kvd0's RAM, wherever the vmm put it."""
    kvd0 = {v["name"]: v for v in json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]}
    return "maint remove-memory 0x%x 0x%x" % (kvd0["kvd0"]["ram_pa"], kvd0["kvd0"]["mem"])


def remove_memory_restart(m):
    """The range the copy left withheld given back, then kvd0's new RAM via=restart."""
    assert usqemu.console_cmd(m, "hw online") == "the withheld memory range is in use again"
    return remove_memory(m) + " via=restart"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--requests", type=int, default=4000)
    p.add_argument("--smp", type=int, default=2)
    a = p.parse_args()
    image = os.path.join(a.build, "images", "maintpt")
    rows = maint_bench.flow_rows(image, a.keys, a.requests, a.smp, 0, 2, [
        ("maint remove-device pci-01:00.0", "kvd0", "kvd0-b")],
        machine=dict(iommu=True, extra_args=maint_bench.PREALLOC + PORT + CARD))
    rows += maint_bench.flow_rows(image, a.keys, a.requests, a.smp, 0, 2, [
        ("maint add-device pci-01:00.0 kvd0", "kvd0", "kvd0-b")],
        machine=dict(iommu=True, extra_args=maint_bench.PREALLOC + PORT), before=hot_add)
    rows += maint_bench.flow_rows(os.path.join(a.build, "images", "default"), a.keys, a.requests,
                                  a.smp, 0, 2, [(remove_memory, "kvd0", "kvd0"),
                                                (remove_memory_restart, "kvd0", "kvd0-b")])
    maint_bench.print_table(rows)
    print("\ncommand: python3 bench/device_bench.py --keys %d --requests %d --smp %d"
          % (a.keys, a.requests, a.smp))


if __name__ == "__main__":
    main()
