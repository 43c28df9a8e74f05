# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the maintenance tests share, in one place: the default image booted with kvd0
serving, and what they ask the console shell (VMs, free memory, a flow's status, refusals
with their reason)."""
import json

import usqemu


def serving(t):
    """Boot the default image, kvd0's service forwarded from a free host port, and wait until
    kvd0's agent has reported kvd up. Returns (machine, port)."""
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.15", 7000)])
    m.expect(r"us> ")
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up keys=0", timeout=300)
    return m, port


def serving_two(t):
    """Boot the linux2 image (two Linux guests, kvd on 10.0.2.15 and 10.0.2.16), each
    service forwarded from a free host port, and wait until both kvds listen.
    Returns (machine, ports)."""
    ports = [usqemu.free_port(), usqemu.free_port()]
    m = t.machine(nic=[(ports[0], "10.0.2.15", 7000), (ports[1], "10.0.2.16", 7000)])
    m.expect(r"us> ")
    for n in (0, 1):
        attach(m, n, "linux%d" % n)
        m.expect(r"kvd: listening on port 7000", timeout=300)
        detach(m)
    return m, ports


def attach(m, n, name):
    """Attach the console shell to VM @n's console (VM named @name)."""
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(%s\)" % (n, name))


def detach(m):
    m.send("\x1d")
    m.expect(r"detached")
    m.expect(r"us> ")


def vms(m):
    """The VMs `vm list --json` shows, by name."""
    return {v["name"]: v for v in json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]}


def servers(m):
    """The servers `server list --json` shows, in order."""
    return json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]


def free_mem(m):
    return json.loads(usqemu.console_cmd(m, "stats mem --json"))["mem"]["free"]


def status(m):
    return json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]


def owner(m, name):
    """Who owns device @name in `hw list --json` (none, hypervisor, guest), or None."""
    devs = json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]
    return {d["name"]: d["owner"] for d in devs}.get(name)


def load_clean(g, what):
    """Stop load generator @g; its clients must have had answers, none failed, and every
    write they saw acknowledged must read back. Prints and returns the summary."""
    g.finish()
    s = g.summary()
    print("%s: %s" % (what, s))
    assert s["requests"] > 0, s
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    return s


def refused(m, cmd, reason):
    """@cmd must print one error line containing @reason."""
    out = usqemu.console_cmd(m, cmd)
    assert out.startswith("error: ") and reason in out, (cmd, out)
