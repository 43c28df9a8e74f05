# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint remove-device` (docs/pci.md): the maintpt image's kvd0 serves on two paths, the
node's NIC through the vmm's switch and an e1000e passed through to it (its own user network,
10.0.3.0/24, QEMU's SMMU confining its DMA). While clients hammer kvd over the switch:
refusals (no such device, not a PCI function), an abort with kvd frozen (kvd0 keeps the
e1000e and serves on both paths), then the flow: an understudy without the e1000e takes kvd
over the switch, kvd0 retires, devmgr releases the card and powers its slot off, and QEMU removes
the card (DEVICE_DELETED), as a device_del would. Zero failed requests, every acknowledged SET reads back; the e1000e's
path is gone, the other serves on."""
import json

import loadgen
import maintcheck
import usqemu

DEV = "pci-01:00.0"


def pci_args(port):
    return ("-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1",
            "-netdev", "user,id=pn1,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:%d-10.0.3.15:7000"
            % port,
            "-device", "e1000e,bus=rp1,netdev=pn1,id=nic1")


def ping(port):
    c = usqemu.LineClient(port)
    try:
        return c.ask("PING")
    finally:
        c.close()


def test(t):
    port, port2 = usqemu.free_port(), usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)], iommu=True, extra_args=pci_args(port2))
    m.expect(r"us> ")
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=300)
    assert ping(port2) == "PONG"  # through the e1000e
    assert maintcheck.owner(m, DEV) == "guest"
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    maintcheck.refused(m, "maint remove-device nothing-such", "no such device")
    maintcheck.refused(m, "maint remove-device pl011@9000000", "not a PCI function")

    # Aborted with kvd frozen: kvd0 keeps its e1000e and serves on both paths.
    since = len(m.output)
    usqemu.console_cmd(m, "maint remove-device %s fault=stall" % DEV)
    m.expect_seen(r"migrate\| maint: kvd0: kvd frozen on kvd0; stalled here", timeout=300,
                  since=since)
    assert usqemu.console_cmd(m, "maint abort") == "aborted: the first instance serves"
    m.expect_seen(r"migrate\| maint: kvd0: aborted by the operator; the first instance serves "
                  r"with all its data", timeout=300, since=since)
    assert maintcheck.owner(m, DEV) == "guest"
    assert ping(port2) == "PONG"

    # The flow: the understudy boots without the e1000e, kvd moves over the switch.
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint remove-device %s --json" % DEV)
    assert json.loads(out) == {"started": "remove-device", "device": DEV}, out
    m.expect_seen(r"migrate\| maint: kvd0: %s released, its slot powered off: it may be "
                  r"pulled" % DEV, timeout=600, since=since)
    m.expect_seen(r"migrate\| maint: kvd0: done: kvd0-b serves", timeout=60, since=since)
    assert "devmgr| PCIe: %s released by VM slot 0" % DEV in m.output[since:]
    assert "devmgr| SMMU: stream 0x0100 released: it aborts again" in m.output[since:]
    # Its slot powered off, QEMU takes the card out, as device_del does once a slot is off.
    m.qmp.wait_event("DEVICE_DELETED", timeout=60)
    assert "nic1" not in json.dumps(m.qmp.execute("query-pci"))
    maintcheck.load_clean(g, "maint remove-device")
    assert maintcheck.owner(m, DEV) is None  # out of the inventory
    assert [v["name"] for v in maintcheck.vms(m).values()] == ["kvd0-b"], maintcheck.vms(m)
    maintcheck.refused(m, "maint remove-device %s" % DEV, "no such device")
    assert all(s["state"] == "running" and s["faults"] == 0 for s in maintcheck.servers(m))


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
