# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Several guests, their own consoles, one powering off (tests/sys/multi/README.md)."""
import json

import usqemu

DETACH = "\x1d"


def vm_states(m):
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    return {v["name"]: v["state"] for v in vms}


def attach(m, n, name):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(%s\)" % (n, name))


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    m.expect(r"vmm\| vm2: guest called SYSTEM_OFF; VM stopped")
    states = vm_states(m)
    assert states == {"vm0": "running", "vm1": "running", "vm2": "off"}, states

    attach(m, 0, "vm0")
    m.expect(r"hello: bootargs=vm0 echo")  # replayed from while nobody was attached
    m.expect(r"hello: echo on")
    m.send("a")
    m.expect(r"hello: got a")
    m.send(DETACH)
    m.expect(r"detached")

    attach(m, 1, "vm1")
    m.expect(r"hello: bootargs=vm1 echo")
    m.expect(r"hello: echo on")
    mark = m.mark()
    m.send("b")
    m.expect(r"hello: got b")
    assert "got a" not in m.output[mark:], "vm1 saw vm0's input"
    m.send(DETACH)
    m.expect(r"detached")

    attach(m, 2, "vm2")
    m.expect(r"hello: done")
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")
    states = vm_states(m)
    assert states == {"vm0": "running", "vm1": "running", "vm2": "off"}, states


usqemu.run_test(test)
