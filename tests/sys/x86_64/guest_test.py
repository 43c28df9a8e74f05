# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A guest on x86_64 through the generic kernel and the vmm (docs/x86_64.md): the x86_64
image hello.bin runs the bare-metal test guest (tests/guests/x86_64/hello.S) in a VM the vmm
creates from its config. The kernel runs it under VMRUN with its own VMCB and nested tables,
and each exit it does not finish itself reaches the vmm as one IPC call with the x86 exit
message. The guest's line on COM1 comes through the vmm's 16550 (a status read and a data
write per byte, US_EXIT_IO); its VMMCALL is answered by the vmm's PSCI code (US_EXIT_HVC)
with the version it prints; its load outside its memory is a nested page fault the vmm
refuses with #GP, which without an IDT shuts the guest down, and the vmm stops that VM alone.
The console, the other servers and the kernel go on."""
import json
import os

import usqemu

DETACH = "\x1d"  # Ctrl-]: leave a guest's console


def test(t):
    m = t.machine(arch="x86_64", initrd=os.path.join(t.args.image, "hello.bin"))
    m.expect(r"kernel\| 4 servers up")
    m.expect(r"vmm\| vm0: vmid 1, 16 MiB, kernel 'hello' at 0x40100000")
    m.expect(r"vmm\| vm0: abort without syndrome at IPA 0x20000000 \(pc 0x[0-9a-f]+\); "
             r"abort injected")
    m.expect(r"vmm\| vm0: unhandled exit \(esr 0x7f, pc 0x[0-9a-f]+\); VM stopped")
    m.sendline("")
    m.expect(r"us> ")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert len(vms) == 1 and vms[0]["state"] == "crashed", vms
    assert vms[0]["exits"] > 2 * len("hello from the x86_64 guest\n"), vms
    m.sendline("vm console 0")
    m.expect(r"hello from the x86_64 guest\r?\n")
    m.expect(r"PSCI_VERSION by VMMCALL: 0x([0-9a-f]{8})\r?\n")
    m.expect(r"load from 0x20000000\r?\n")
    m.send(DETACH)
    m.expect(r"detached")
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s
    out = m.output
    assert "PANIC" not in out and "faulted" not in out, out


usqemu.run_test(test)
