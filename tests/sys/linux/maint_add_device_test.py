# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint add-device` (docs/pci.md): the maintpt image's kvd0 is configured with the host's PCI
function 01:00.0, but the root port's slot is empty at boot, so kvd0 boots without it and
serves over the vmm's switch. While clients hammer kvd there: an e1000e is hot-added over QMP
(devmgr powers the slot, enumerates and shields it); kvd0's Linux never sees it, not even after
a PCI rescan, nor in its device tree. Refusals (no such device, a VM that does not exist), an
abort (the understudy retired, the e1000e free again), then the flow: an understudy given the
e1000e takes kvd over, its Linux binds its driver and serves kvd through it too. Zero failed
requests; every acknowledged SET reads back."""
import json

import kvcheck
import loadgen
import maintcheck
import usqemu

DEV = "pci-01:00.0"
# One echo: a kernel message cannot land between the numbers.
PROBE = ("echo seen: $(ls /sys/bus/pci/devices | wc -l) $(ls /proc/device-tree/pcie@10000000 | "
         "wc -l) $(grep -rl e1000e /proc/device-tree | wc -l)")


def at_shell(m, n, name):
    maintcheck.attach(m, n, name)
    m.sendline("")
    m.expect(r"guest# ", timeout=60)


def test(t):
    port, port2 = usqemu.free_port(), usqemu.free_port()
    net1 = "user,id=pn1,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:%d-10.0.3.15:7000" % port2
    m = t.machine(nic=[(port, "10.0.2.15", 7000)], iommu=True,
                  extra_args=("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
                              "-netdev", net1))
    m.expect(r"us> ")
    m.expect_seen(r"vmm\| kvd0: %s is absent: it boots without it" % DEV, timeout=120)
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=300)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    # Hot-added while kvd0 runs: devmgr has it, shielded; kvd0 sees nothing of it.
    since = len(m.output)
    m.qmp.execute("device_add", driver="e1000e", bus="rp1", netdev="pn1", id="nic1")
    m.expect_seen(r"devmgr\| PCIe: 01:00\.0 8086:10d3 added in the slot of 00:01\.0; shielded",
                  since=since, timeout=60)
    assert maintcheck.owner(m, DEV) == "none"
    at_shell(m, 0, "kvd0")
    kvcheck.guest(m, PROBE, r"seen: 0 \d+ 0\s")
    kvcheck.guest(m, "echo 1 > /sys/bus/pci/rescan; " + PROBE, r"seen: 0 \d+ 0\s")
    maintcheck.detach(m)

    maintcheck.refused(m, "maint add-device pci-07:00.0 kvd0", "no such device")
    maintcheck.refused(m, "maint add-device %s nosuch" % DEV, "no VM of that name")
    # Aborted while the understudy boots: it is retired and gives the e1000e back.
    since = len(m.output)
    usqemu.console_cmd(m, "maint add-device %s kvd0" % DEV)
    assert usqemu.console_cmd(m, "maint abort") == "aborted: the first instance serves"
    m.expect_seen(r"migrate\| maint: kvd0: aborted by the operator; the first instance serves "
                  r"with all its data", timeout=300, since=since)
    assert maintcheck.owner(m, DEV) == "none"

    # The flow: the understudy, given the e1000e, takes kvd over.
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint add-device %s kvd0 --json" % DEV)
    assert json.loads(out) == {"started": "add-device", "device": DEV}, out
    m.expect_seen(r"vmm\| kvd0-b: %s \(8086:10d3\) at its 00:01\.0" % DEV, since=since,
                  timeout=120)
    m.expect_seen(r"migrate\| maint: kvd0: done: kvd0-b serves", timeout=600, since=since)
    maintcheck.load_clean(g, "maint add-device")
    assert maintcheck.owner(m, DEV) == "guest"
    vms = maintcheck.vms(m)
    assert list(vms) == ["kvd0-b"], vms
    # kvd0-b's Linux has it, with Debian's driver, and kvd answers through it too.
    at_shell(m, vms["kvd0-b"]["id"], "kvd0-b")
    kvcheck.guest(m, "d=/sys/bus/pci/devices/0000:00:01.0; echo pci: $(cat $d/vendor) "
                  "$(basename $(readlink $d/driver))", r"pci: 0x8086 e1000e\s")
    maintcheck.detach(m)
    c = usqemu.LineClient(port2)
    assert c.ask("PING") == "PONG"
    assert c.ask("COUNT") == "COUNT %d" % t.args.keys
    c.close()
    assert all(s["state"] == "running" and s["faults"] == 0 for s in maintcheck.servers(m))


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
