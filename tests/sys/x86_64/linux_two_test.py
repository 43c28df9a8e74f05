# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Two of Debian's amd64 kernels as guests on x86_64, talking through the vmm's switch
(docs/x86_64.md): linux2.bin's two VMs each have a virtio-net NIC, the transport the DSDT
names at 0xd0002000 on ISA line 7, and the guests' init brings eth0 up and starts the agent,
which starts kvd (built for amd64) and reaches migrate over virtio-vsock (Debian's amd64 vsock
modules in the initramfs, the transport on ISA line 3). linux1 stores a key in linux0's kvd across the switch;
linux0 reads it back from its own kvd; each guest took interrupts on line 7 for its NIC. The
servers run on without a fault, and both VMs stay running. With --smp 2 the VMs' vCPUs run
on CPU 1 and CPU 0, beside the servers, and each exit crosses between the two."""
import json
import os

import consolecheck
import cpucheck
import kvcheck
import usqemu

DETACH = "\x1d"  # Ctrl-]: leave a guest's console


def attach(m, n):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(linux%d\)" % (n, n))


def shell(m, cmd, want):
    m.sendline(cmd)
    g = m.expect(want, timeout=60)
    m.expect(r"guest# ", timeout=60)
    return g


def detach(m):
    m.send(DETACH)
    m.expect(r"detached")


def test(t):
    port = usqemu.free_port()
    m = t.machine(arch="x86_64", initrd=os.path.join(t.args.image, "linux2.bin"),
                  nic=[(port, "10.0.2.15", 7000)])
    m.expect(r"console\| up")
    assert "vmm| NIC: virtio-net 52:54:00:12:34:56 is the switch's uplink" in m.output
    for n in (0, 1):
        attach(m, n)
        m.expect(r"understudy-guest: network up on eth0 \(10\.0\.2\.%d/24\), kvd started"
                 % (15 + n), timeout=180)
        m.expect(r"kvd: listening on port 7000", timeout=60)
        m.sendline("")
        m.expect(r"guest# ", timeout=60)
        detach(m)
    # Each guest's agent reaches migrate over its virtio-vsock transport (the PC's window,
    # ISA line 3) and reports kvd up.
    for n in (0, 1):
        m.expect_seen(r"migrate\| linux%d: agent connected" % n, timeout=120)
        m.expect_seen(r"migrate\| linux%d: agent: HEALTH kvd=up" % n, timeout=120)
    attach(m, 1)
    shell(m, "printf 'SET who linux1\\nQUIT\\n' | nc 10.0.2.15 7000", r"OK\r?\nBYE")
    detach(m)
    attach(m, 0)
    shell(m, "printf 'GET who\\nQUIT\\n' | nc 127.0.0.1 7000", r"VALUE linux1\r?\nBYE")
    # From the host: QEMU's user networking, the NIC the vmm drives over PCI (MSI-X), the
    # switch, linux0's virtio-net.
    c = usqemu.LineClient(port)
    assert c.ask("GET who") == "VALUE linux1"
    assert c.ask("DEL who") == "OK"
    c.close()
    kvcheck.exercise(port)
    kvcheck.bulk(port)
    for n in (0, 1):
        if n == 1:
            detach(m)
            attach(m, 1)
        g = shell(m, "grep virtio /proc/interrupts", r"7: +(\d+) +IO-APIC +7-edge +virtio0")
        assert int(g.group(1)) > 0, g.group(0)
    detach(m)
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["state"] for v in vms] == ["running", "running"], vms
    cpucheck.check_guest_cpus(m, t.args.smp, {0: 1, 1: 1})
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s
    out = m.output
    assert "PANIC" not in out and "Kernel panic" not in out, out[-4000:]
    # The agents' log lines came while the guests printed: none broke into a guest's line.
    consolecheck.log_lines_whole(m, out.index("console| up"))


usqemu.run_test(test)
