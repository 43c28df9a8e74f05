# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Servers in ring 3 on x86_64 (docs/x86_64.md): the generic kernel boots the x86_64 image's
bundle (boot/manifest-x86_64.txt: the four servers built for x86_64, packed by uspack --arch
x86_64) and each comes up as on aarch64: its start-up system calls (the log, its state region
sealed with SHA-256, its heap, libfdt on the VM config for the vmm), then its receive loop.
devmgr has no device tree on q35 and must say so, not fault. The console drives COM1 through
the I/O ports its manifest gives it: the shell lists the servers, runs the malformed-IPC
battery and refuses an unknown command. A server that touches a port it was not given faults
alone and is restarted; the console keeps its ports. The console restarted in place keeps
its FPU registers (`server fpcheck`, tests/sys/badinput/README.md). No server may fault otherwise and the
kernel may not panic."""
import json
import os

import faultcheck
import usqemu

BANNER = (r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\), entered in long "
          r"mode, servers in ring 3")
SERVERS = ("console", "vmm", "devmgr", "migrate")


def test(t):
    m = t.machine(arch="x86_64", initrd=os.path.join(t.args.image, "bundle.bin"))
    m.expect(BANNER)
    for name in SERVERS:
        m.expect(r"kernel\| server %s started \(priority \d+\)" % name)
    m.expect(r"kernel\| 4 servers up, \d+ free frames")
    m.expect(r"vmm\| up: 0 VM\(s\) configured")
    m.expect(r"console\| up: operator shell on the UART")
    m.expect(r"devmgr\| platform device tree unusable: US_ECAP; inventory empty")
    m.expect(r"migrate\| up \(cold start\)")

    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert sorted(s["name"] for s in servers) == sorted(SERVERS), servers
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s

    usqemu.check_badipc(m)

    out = usqemu.console_cmd(m, "frobnicate now")
    assert "error: unknown command 'frobnicate' (try 'help')" in out, out

    # Port 0x80 is nobody's: devmgr's write to it is a #GP (13) in ring 3, its fault alone.
    # devmgr must have served a request since it started, or it is not restarted.
    devices = json.loads(usqemu.console_cmd(m, "hw list --json"))["devices"]
    assert devices == [], devices
    usqemu.console_cmd(m, "server ports devmgr")
    m.expect(r"kernel\| server devmgr faulted: rip=0x[0-9a-f]+ cr2=0x0 vector.error=0xd00000000;")
    m.expect(r"kernel\| server devmgr restarted from the boot image \(restart 1\)")
    m.sendline("")
    m.expect(r"us> ")
    servers = {s["name"]: s for s in
               json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]}
    assert servers["devmgr"]["faults"] == 1 and servers["devmgr"]["restarts"] == 1, servers
    for name in SERVERS:
        assert servers[name]["state"] == "running", servers
    assert servers["console"]["faults"] == 0, servers
    # The console restarted in place keeps its FPU registers across a switch (CR0.TS set again).
    faultcheck.fp_kept(m, "migrate", 1)
    out = m.output
    assert "PANIC" not in out and "fatal" not in out, out
    assert out.count("faulted") == 1, out


usqemu.run_test(test)
