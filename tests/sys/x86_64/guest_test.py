# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Guests on x86_64 through the generic kernel and the vmm (docs/x86_64.md): the x86_64 image
hello.bin (--vms 1) or hello2.bin (--vms 2) runs the bare-metal test guest
(tests/guests/x86_64/hello.S) in each VM the vmm creates from its config. The kernel runs each
under VMRUN with its own VMCB, ASID and nested tables, and each exit it does not finish itself
reaches the vmm as one IPC call with the x86 exit message. Each guest's line on COM1 comes
through the vmm's 16550 (a status read and a data write per byte, US_EXIT_IO); its VMMCALL is
answered by the vmm's PSCI code (US_EXIT_HVC) with the version it prints; its local APIC, the
kernel's (vlapic.c), starts in x2APIC mode and delivers its timer's interrupts (TSC deadline,
periodic) and a self IPI, held back by the task priority and by IF until each is lifted; its
I/O APIC accesses are nested page faults whose moves the kernel decodes (US_EXIT_MMIO), the
I/O APIC the vmm's; its load outside its memory is decoded the same way and refused by the vmm
with #GP, which without an IDT shuts that guest down, and the vmm stops that VM alone. The console, the other servers and the kernel go on."""
import json
import os

import usqemu

DETACH = "\x1d"  # Ctrl-]: leave a guest's console


def test(t):
    n = t.args.vms
    image = "hello.bin" if n == 1 else "hello%d.bin" % n
    m = t.machine(arch="x86_64", initrd=os.path.join(t.args.image, image))
    m.expect(r"kernel\| 4 servers up")
    stopped = set()
    for _ in range(n):
        g = m.expect(r"vmm\| vm(\d): unhandled exit \(esr 0x7f, pc 0x[0-9a-f]+\); VM stopped")
        stopped.add(int(g.group(1)))
    assert stopped == set(range(n)), stopped
    out = m.output
    for i in range(n):
        assert ("vmm| vm%d: vmid %d, 16 MiB, kernel 'hello' at 0x100000" % (i, i + 1)) in out
        assert ("vmm| vm%d: read of unmapped address at IPA 0x20000000" % i) in out, out
    m.sendline("")
    m.expect(r"us> ")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert len(vms) == n, vms
    for vm in vms:
        assert vm["state"] == "crashed", vms
        assert vm["exits"] > 2 * len("hello from the x86_64 guest\n"), vms
    for i in range(n):
        m.sendline("vm console %d" % i)
        m.expect(r"hello from the x86_64 guest\r?\n")
        m.expect(r"x87 control word: 0x0000037f\r?\n")
        m.expect(r"PSCI_VERSION by VMMCALL: 0x([0-9a-f]{8})\r?\n")
        m.expect(r"I/O APIC version register: 0x00170020\r?\n")
        m.expect(r"I/O APIC pin 1 entry, low half: 0x00000031\r?\n")
        m.expect(r"I/O APIC select register into AH: 0x11221244\r?\n")
        m.expect(r"APIC base MSR: 0x(fee00[0-9a-f]00)\r?\n")
        m.expect(r"APIC timer: a TSC-deadline interrupt ended HLT\r?\n")
        m.expect(r"APIC timer: three periodic interrupts\r?\n")
        g = m.expect(r"self IPI held by TPR 0x50, then by IF; loop rounds after STI: "
                     r"0x([0-9a-f]{8})\r?\n")
        # Taken when STI's shadow ends (the VINTR intercept), not at the next host tick,
        # which would be a million rounds later.
        assert int(g.group(1), 16) <= 3, g.group(0)
        m.expect(r"CPUID offers long mode\r?\n")
        m.expect(r"in 64-bit mode; load from 0x20000000\r?\n")
        m.send(DETACH)
        m.expect(r"detached")
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    for s in servers:
        assert s["state"] == "running" and s["faults"] == 0, s
    # The vmm restarts on its own and finds its VMs again from its state region.
    usqemu.console_cmd(m, "server restart vmm")
    m.expect(r"kernel\| server vmm restarted from the boot image \(restart 1\)")
    m.expect(r"vmm\| state recovered after restart 1: %d VM slot\(s\)" % n)
    m.expect(r"kernel\| server vmm waits for requests again")
    m.sendline("")
    m.expect(r"us> ")
    again = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [(v["name"], v["state"]) for v in again] == [(v["name"], v["state"]) for v in vms], \
        (again, vms)
    out = m.output
    assert "PANIC" not in out and "faulted" not in out, out


usqemu.run_test(test, setup_args=lambda p: p.add_argument("--vms", type=int, default=1))
