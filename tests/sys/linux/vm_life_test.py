# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""VMs created and retired at run time (tests/sys/linux/README.md): beside the default image's
kvd0, which keeps serving, `vm create` boots a second Debian instance from the bundle's images,
its guest agent reaches migrate, and `vm retire` gives its memory back, cycle after cycle. Bad
requests are refused with their reason: not enough memory, an image missing or failing its
sha256, a name taken, no such base, no such VM."""
import json
import os
import struct

import kvcheck
import usqemu
from maintcheck import free_mem, refused, vms

HDR = 64
ENTRY = 128


def corrupt_entry(bundle, name):
    """A copy of @bundle with one byte flipped in the middle of entry @name's data."""
    count = struct.unpack_from("<I", bundle, 12)[0]
    for i in range(count):
        off = HDR + i * ENTRY
        if bundle[off:off + 32].split(b"\0")[0].decode() == name:
            eoff, esize = struct.unpack_from("<QQ", bundle, off + 40)
            bad = bytearray(bundle)
            bad[eoff + esize // 2] ^= 0x5a
            return bytes(bad)
    raise AssertionError("no bundle entry %r" % name)


def cycle(m, port, wait_agent):
    """Create kvd1 beside kvd0, optionally wait for its agent, retire it; kvd0 serves."""
    since = len(m.output)
    out = usqemu.console_cmd(m, "vm create kvd1 kvd0 append=understudy.ip=10.0.2.16/24 --json")
    assert json.loads(out) == {"created": "kvd1", "vmid": 1}, out
    assert vms(m)["kvd1"]["state"] == "running"
    if wait_agent:
        # A second Linux booted from the bundle's images, and its agent reached migrate.
        m.expect_seen(r"migrate\| kvd1: agent: HEALTH kvd=up keys=0", timeout=300, since=since)
    kvcheck.exercise(port)
    assert usqemu.console_cmd(m, "vm retire 1") == "retired vm 1"
    m.expect_seen(r"vmm\| kvd1: retired; its memory is free again", since=since)
    assert "kvd1" not in vms(m)


def test(t):
    good = open(os.path.join(t.image, "bundle.bin"), "rb").read()
    path = os.path.abspath("vm_life.bundle")
    with open(path, "wb") as f:
        f.write(corrupt_entry(good, "initramfs-next"))  # kvd0 boots from "initramfs"
    port = usqemu.free_port()
    m = t.machine(initrd=path, nic=[(port, "10.0.2.15", 7000)])
    m.expect(r"us> ")
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=300)
    kvcheck.exercise(port)
    free0 = free_mem(m)
    cycle(m, port, wait_agent=True)
    free1 = free_mem(m)
    # The guest's RAM, disk and tables came back; what stays is the vmm's own page tables
    # for the slot's mapping, reused by the next VM there.
    assert free0 - free1 < (1 << 20), (free0, free1)
    cycle(m, port, wait_agent=False)  # retired while it still boots
    cycle(m, port, wait_agent=True)
    assert free_mem(m) == free1
    refused(m, "vm create big kvd0 mem=4000", "not enough free memory for 4000 MiB")
    refused(m, "vm create x kvd0 kernel=nope", "an image is not in the bundle")
    refused(m, "vm create x kvd0 initrd=initramfs-next", "fails its sha256")
    m.expect_seen(r"vmm\| image 'initramfs-next' fails its sha256: refused")
    refused(m, "vm create kvd0 kvd0", "a VM of that name exists")
    refused(m, "vm create x nosuch", "no base VM of that name")
    refused(m, "vm create bad.name kvd0", "name must be")
    refused(m, "vm create x kvd0 vcpus=9", "vcpus must be 1-8")
    refused(m, "vm retire 5", "no VM in that slot")
    refused(m, "vm retire 0x", "usage")
    refused(m, "vm create x kvd0 colour=blue", "usage")
    assert free_mem(m) == free1
    assert list(vms(m)) == ["kvd0"]
    kvcheck.exercise(port)
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))
    assert all(s["state"] == "running" for s in servers["servers"]), servers


usqemu.run_test(test)
