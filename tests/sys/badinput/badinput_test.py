# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Malformed IPC, bad commands and a crashed server (tests/sys/badinput/README.md)."""
import json

import faultcheck
import usqemu

DETACH = "\x1d"


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    m.expect(r"migrate\| up")

    usqemu.check_badipc(m)

    out = usqemu.console_cmd(m, "frobnicate now")
    assert "error: unknown command 'frobnicate' (try 'help')" in out, out
    out = usqemu.console_cmd(m, "vm console")
    assert out.startswith("error: usage: vm console N"), out
    out = usqemu.console_cmd(m, "vm console 9")
    assert "US_ENOENT" in out, out
    out = usqemu.console_cmd(m, "server crash nosuch")
    assert out.startswith("error:"), out

    # A fault is contained, reported, and (devmgr recovers) the kernel restarts the server.
    usqemu.console_cmd(m, "server crash devmgr")
    m.expect(r"kernel\| server devmgr faulted: pc=0x0 far=0x0 esr=0x8200000[0-9a-f]")
    m.expect(r"kernel\| server devmgr restarted from the boot image \(restart 1\)")
    m.sendline("")
    m.expect(r"us> ")
    servers = {s["name"]: s for s in
               json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]}
    assert servers["devmgr"]["faults"] == 1 and servers["devmgr"]["restarts"] == 1, servers
    for name in ("console", "vmm", "devmgr", "migrate"):
        assert servers[name]["state"] == "running", servers
    out = usqemu.console_cmd(m, "hw list")
    assert "pl011" in out, out

    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert vms[0]["state"] == "running", vms
    m.sendline("vm console 0")
    m.expect(r"hello: echo on")
    m.send("z")
    m.expect(r"hello: got z")
    m.send(DETACH)
    m.expect(r"detached")

    faultcheck.fp_kept(m, "migrate", 1)
    out = usqemu.console_cmd(m, "server fpcheck console")
    assert "US_ENOTSUP" in out, out


usqemu.run_test(test)
