# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The default firmware image: its Linux guest's kvd, reached from the host through QEMU's
user networking, the node's NIC (driven by the vmm) and the vmm's switch, and kvd's snapshots
taken and loaded from the guest's shell (tests/sys/linux/README.md)."""
import json
import os
import subprocess
import sys

import kvcheck
import cpucheck
import usqemu


def test(t):
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)])
    m.expect(r"us> ")
    assert "vmm| NIC: virtio-net 52:54:00:12:34:56 is the switch's uplink" in m.output
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(kvd0\)")
    m.expect(r"understudy-guest: network up on eth0 \(10\.0\.2\.15/24\), kvd started", timeout=180)
    m.expect(r"kvd: listening on port 7000", timeout=60)
    # The guest agent, which started kvd, reached the vmm over virtio-vsock (CID 2, port 1024)
    # and was greeted (its lines and kvd's may come in either order).
    m.expect_seen(r"kvd0: agent: HELLO host=\S+ boot=[0-9a-f-]{36} apps=kvd", timeout=60)
    m.expect_seen(r"agent: host: WELCOME kvd0", timeout=60)
    # Its lines went on through the agent channel to migrate, which asked for its health:
    # vmm, migrate, the agent and kvd, end to end.
    m.expect_seen(r"migrate\| kvd0: agent connected", timeout=60)
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=60)
    kvcheck.exercise(port)
    kvcheck.bulk(port)
    # The README's client, as a newcomer runs it.
    tool = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "kv.py")
    out = subprocess.run([sys.executable, tool, "--port", str(port), "PING", "SET via-tool yes",
                          "GET via-tool", "DEL via-tool"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out == "PONG\nOK\nVALUE yes\nOK\n", out
    # Many short connections: a handshake, a request and a close each.
    for i in range(20):
        c = usqemu.LineClient(port)
        assert c.ask("GET k%d" % (i + 10)) == "VALUE v%d" % (i + 10)
        assert c.ask("QUIT") == "BYE"
        c.close()
    # The guest's console still answers, and the VM and the servers still run.
    m.sendline("")
    m.expect(r"guest# ", timeout=60)
    m.sendline("echo sum=$((20 + 22))")
    m.expect(r"sum=42", timeout=60)
    m.expect(r"guest# ", timeout=60)
    kvcheck.snapshot_cycle(m, port)
    m.send("\x1d")
    m.expect(r"detached")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["state"] for v in vms] == ["running"], vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))
    assert all(s["state"] == "running" for s in servers["servers"]), servers
    cpucheck.check_vcpu_placement(m, t.args.smp, {0: 1})
    # Every transport's status and doorbell, and the UART's registers, fit the kernel's table.
    assert "not in the fast path" not in m.output, m.output
    # Neither the virtio interrupt status and acknowledgement nor the queue doorbells reach
    # the vmm: the kernel answers the first from the fast-MMIO page (US_FASTMMIO_W1C) and
    # rings the vmm for the second (US_FASTMMIO_BELL). A connection per request then costs
    # no exit to the vmm; it cost about 4 without the doorbells and about 14 without either.
    exits = vms[0]["exits"]
    for i in range(50):
        c = usqemu.LineClient(port)
        assert c.ask("GET k%d" % (i % 20 + 10)) == "VALUE v%d" % (i % 20 + 10)
        c.close()
    per = (json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"][0]["exits"] - exits) / 50
    assert per < 1, "%.1f exits to the vmm per request" % per


usqemu.run_test(test)
