# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Two Linux guests at once; one powers off, the other runs on (tests/sys/linux/README.md)."""
import json

import consolecheck
import cpucheck
import usqemu

DETACH = "\x1d"


def attach(m, n):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(linux%d\)" % (n, n))


def shell(m, cmd, want):
    m.sendline(cmd)
    m.expect(want, timeout=60)
    m.expect(r"guest# ", timeout=60)


def detach(m):
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")


def states(m):
    return [v["state"] for v in json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]]


def test(t):
    ports = [usqemu.free_port(), usqemu.free_port()]
    m = t.machine(nic=[(ports[0], "10.0.2.15", 7000), (ports[1], "10.0.2.16", 7000)])
    m.expect(r"us> ")
    for n in (0, 1):
        attach(m, n)
        m.expect(r"understudy-guest: userspace up", timeout=180)
        m.expect(r"kvd: listening on port 7000", timeout=60)
        m.sendline("")
        m.expect(r"guest# ", timeout=60)
        shell(m, "grep -o 'understudy.name=[a-z0-9]*' /proc/cmdline",
              r"understudy\.name=linux%d\n" % n)
        detach(m)
    assert states(m) == ["running", "running"]

    # Guest to guest through the vmm's switch: linux1 writes into linux0's kvd, and the host
    # reads it back through the NIC; the host reaches linux1's own kvd too.
    attach(m, 1)
    shell(m, "printf 'SET who linux1\\nQUIT\\n' | nc 10.0.2.15 7000", r"OK\nBYE")
    detach(m)
    c0, c1 = usqemu.LineClient(ports[0]), usqemu.LineClient(ports[1])
    assert c0.ask("GET who") == "VALUE linux1"
    assert c1.ask("GET who") == "NOTFOUND" and c1.ask("PING") == "PONG"
    c0.close()
    c1.close()

    # A guest that takes another address is cut off (the switch only takes a VM's frames
    # from its own address), and is back once it uses its own again.
    attach(m, 1)
    shell(m, "ip link set eth0 address 02:75:73:00:00:01 && ping -c 1 -W 2 10.0.2.15; "
          "echo rc=$?", r"rc=1")
    shell(m, "ip link set eth0 address 02:75:73:00:00:02 && ping -c 1 -W 5 10.0.2.15; "
          "echo rc=$?", r"rc=0")
    detach(m)
    assert "vmm| linux1: virtio-net: source address is not the VM's own; frame dropped" in m.output

    # Hostile poke from root in linux1: a device address nothing emulates. The vmm injects an
    # abort, the guest kernel turns it into SIGBUS for the process, and both guests go on.
    attach(m, 1)
    shell(m, "devmem 0x0a000000 32; echo rc=$?", r"Bus error\s+rc=135")
    shell(m, "echo after=$((2 + 3))", r"after=5")
    detach(m)
    assert states(m) == ["running", "running"]  # a console round trip: the log is out by now
    assert "vmm| linux1: read of unmapped address at IPA 0xa000000" in m.output
    cpucheck.check_vcpu_placement(m, t.args.smp, {0: 1, 1: 1})

    # linux1's kernel crashes (panic=-1: it reboots at once through PSCI SYSTEM_RESET) and comes
    # back; linux0 runs on and its kvd keeps its data.
    attach(m, 1)
    m.sendline("echo c > /proc/sysrq-trigger")
    m.expect(r"Kernel panic - not syncing", timeout=60)
    m.expect(r"understudy-guest: userspace up", timeout=180)
    m.expect(r"kvd: listening on port 7000", timeout=60)
    detach(m)
    assert "vmm| linux1: guest called SYSTEM_RESET; restarting it" in m.output
    c0 = usqemu.LineClient(ports[0])
    assert c0.ask("GET who") == "VALUE linux1"
    c0.close()
    assert states(m) == ["running", "running"]

    attach(m, 0)
    m.sendline("poweroff -f")
    m.expect(r"reboot: Power down", timeout=60)
    detach(m)
    # The guest's last words and the vmm's log line reach the console by different paths,
    # in either order: wait for the VM's state instead (each poll is a console round trip).
    for _ in range(500):
        if states(m)[0] == "off":
            break
    assert states(m) == ["off", "running"]
    assert "vmm| linux0: guest called SYSTEM_OFF; VM stopped" in m.output

    attach(m, 1)
    m.sendline("")
    m.expect(r"guest# ", timeout=60)
    shell(m, "echo still=$((6 * 7))", r"still=42")
    detach(m)
    assert states(m) == ["off", "running"]
    consolecheck.log_lines_whole(m, m.output.index("console| up"))


usqemu.run_test(test)
