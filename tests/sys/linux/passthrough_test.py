# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Pass-through (docs/pci.md): QEMU with its SMMUv3 and two PCIe root ports, an e1000e on user
networking behind the first and a virtio-rng behind the second. The linuxpt image gives the
e1000e (pci-01:00.0) to linux0: devmgr confines its DMA to linux0's RAM, the vmm maps its BAR
into linux0's stage 2 at 00:01.0 of its bridge and forwards its configuration accesses to
devmgr, its INTx reaches linux0 as a level-triggered SPI. Debian's e1000e driver takes it, and
kvd in linux0 serves the host through it. linux1, on the same host with a bridge of its own,
finds nothing: every function it probes reads all-ones. The function cannot be taken twice or
removed while linux0 holds it."""
import json
import threading

import kvcheck
import maintcheck
import usqemu


def pci_args(port):
    return ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
            "-device", "pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2",
            "-netdev", "user,id=pn1,hostfwd=tcp:127.0.0.1:%d-10.0.2.15:7000" % port,
            "-device", "e1000e,bus=rp1,netdev=pn1",
            "-device", "virtio-rng-pci,bus=rp2")


# Shell lines for linux0: the e1000e's registers (BAR 0) written with busybox devmem, its
# command register (memory, bus master) through sysfs, which the vmm forwards to devmgr.
DMA_ATTACK = (
    "echo 0000:00:01.0 > /sys/bus/pci/drivers/e1000e/unbind",
    "d=/sys/bus/pci/devices/0000:00:01.0; b=$(head -1 $d/resource | cut -d' ' -f1)",
    "printf '\\006' | dd of=$d/config bs=1 seek=4 count=1 conv=notrunc 2>/dev/null",
    "r() { devmem $(printf 0x%x $((b + $1))) 32 $2; }",
    "r 0x3800 0x80000000 && r 0x3804 0 && r 0x3808 4096 && r 0x3810 0 && r 0x3818 0",
    "r 0x0400 0x0a && r 0x3818 1",  # TCTL: enable; TDT: one descriptor to fetch
)


def attach(m, n, name, wait=None):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(%s\)" % (n, name))
    if wait:
        m.expect(wait, timeout=240)
    m.sendline("")
    m.expect(r"guest# ", timeout=60)


def test(t):
    port = usqemu.free_port()
    m = t.machine(iommu=True, extra_args=pci_args(port))
    m.expect(r"us> ")
    m.expect_seen(r"devmgr\| PCIe: pci-01:00\.0 passed through to VM slot 0, its DMA confined "
                  r"to 0x40000000\+0xc000000", timeout=120)
    m.expect_seen(r"vmm\| linux0: pci-01:00\.0 \(8086:10d3\) at its 00:01\.0, INTA as SPI 20")
    attach(m, 0, "linux0", wait=r"kvd: listening on port 7000")
    assert "understudy-guest: network up on eth0 (10.0.2.15/24), kvd started" in m.output
    # One echo: a kernel message cannot land between the words.
    kvcheck.guest(m, "d=/sys/bus/pci/devices/0000:00:01.0; echo pci: $(cat $d/vendor $d/device) "
                  "$(basename $(readlink $d/driver)) $(ls /sys/bus/pci/devices | wc -l)",
                  r"pci: 0x8086 0x10d3 e1000e 1\s")
    maintcheck.detach(m)
    # kvd answers through the e1000e: its driver's DMA (translated by the SMMU) and its INTx.
    kvcheck.exercise(port)
    kvcheck.bulk(port)
    # The vmm and devmgr restart while a burst goes through the card: the mappings, the
    # interrupt forwarding and the SMMU stay, and every request of the burst is answered.
    for server in ("vmm", "devmgr"):
        done = []
        burst = threading.Thread(target=lambda: done.append(kvcheck.bulk(port) is None))
        burst.start()
        assert usqemu.console_cmd(m, "server restart " + server) == "ok"
        burst.join(300)
        assert done == [True], "the burst failed across the restart of " + server
        kvcheck.bulk(port)
    attach(m, 1, "linux1")
    kvcheck.guest(m, "echo pci: $(ls /sys/bus/pci/devices | wc -l)", r"pci: 0\s")
    maintcheck.detach(m)
    # A hostile linux0: its driver unbound, it programs the e1000e itself to fetch a transmit
    # descriptor from 0x80000000, outside its RAM. The SMMU stops the read and devmgr reports
    # the fault; the driver bound again, the NIC serves as before.
    attach(m, 0, "linux0")
    since = len(m.output)
    for cmd in DMA_ATTACK:
        kvcheck.guest(m, cmd + "; echo rc=$?", r"rc=0")
    m.expect_seen(r"devmgr\| SMMU: DMA fault by stream 0x0100 at 0x80000000: F_TRANSLATION",
                  since=since, timeout=60)
    kvcheck.guest(m, "echo 0000:00:01.0 > /sys/bus/pci/drivers/e1000e/bind; echo rc=$?", r"rc=0")
    kvcheck.guest(m, "ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0; echo rc=$?", r"rc=0")
    maintcheck.detach(m)
    c = usqemu.LineClient(port)
    assert c.ask("GET k8") == "VALUE v8" and c.ask("COUNT") == "COUNT 450"  # from before
    c.close()
    kvcheck.bulk(port)
    hw = {d["name"]: d for d in json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]}
    assert hw["pci-01:00.0"]["owner"] == "guest", hw["pci-01:00.0"]
    assert hw["pci-02:00.0"]["owner"] == "none", hw["pci-02:00.0"]
    maintcheck.refused(m, "hw remove pci-01:00.0", "in use")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["state"] for v in vms] == ["running", "running"], vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["state"] == "running" and s["faults"] == 0 for s in servers), servers


usqemu.run_test(test)
