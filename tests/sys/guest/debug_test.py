# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A guest arms the debug registers and leaves its thread pointers behind: the servers that
share its CPU, and the other VM, must not notice (tests/sys/guest/README.md)."""
import json

import consolecheck
import usqemu

DETACH = "\x1d"


def attach(m, n, name):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(%s\)" % (n, name))


def echo(m, n, name, key):
    attach(m, n, name)
    m.send(key)
    m.expect(r"hello: got %s" % key)
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    attach(m, 0, "vm0")
    # The vmm logs the unknown call (a debug line) while the guest's line waits for its
    # answer: the line is drawn again below the log, whole.
    m.expect(r"hello: unknown hvc -> -1")
    m.expect(r"hello: tpidr set")
    # The guest sees its own writes back (the vmm's emulated MDSCR_EL1, OS lock unlocked).
    m.expect(r"hello: debug attack done mdscr=0xa001 oslsr=0x8")
    m.expect(r"hello: echo on")
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")

    # The console (a server on the guests' CPU) still answers, and sees no guest register.
    report = usqemu.check_badipc(m)
    assert "isolation: guest tpidr regs" in report, report

    # Both guests and every server keep running; none faulted.
    echo(m, 0, "vm0", "x")
    attach(m, 1, "vm1")
    m.expect(r"hello: echo on")  # replayed: nobody was attached to vm1 yet
    m.send(DETACH)
    m.expect(r"detached")
    echo(m, 1, "vm1", "y")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["state"] for v in vms] == ["running", "running"], vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["faults"] == 0 and s["state"] == "running" for s in servers), servers
    consolecheck.log_lines_whole(m, m.output.index("console| up"))


usqemu.run_test(test)
