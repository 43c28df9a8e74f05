# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The hello guest under trap-and-emulate (tests/sys/guest/README.md)."""
import json

import usqemu

DETACH = "\x1d"  # Ctrl-]


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    m.expect(r"WARN vmm\| vm0: read of unmapped address at IPA 0x700000000")
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(vm0\)")
    m.expect(r"hello: guest up at EL1, dtb=0x40ff0000")
    m.expect(r"hello: bootargs=vm0 echo")
    m.expect(r"hello: cntvct ok delta=\d+")
    m.expect(r"hello: psci version 1\.1")
    m.expect(r"hello: unknown hvc -> -1")
    m.expect(r"hello: abort taken esr=0x96000010 far=0x700000000")
    m.expect(r"hello: done")
    m.expect(r"hello: echo on")
    m.send("q7")
    m.expect(r"hello: got q")
    m.expect(r"hello: got 7")
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert len(vms) == 1 and vms[0]["state"] == "running", vms
    # Every printed byte was a trapped UARTFR read and UARTDR write, but the kernel finished
    # those itself (vm_fastmmio): the vmm saw only the few other exits (PSCI, the abort, input).
    assert 0 < vms[0]["exits"] < 100, vms


usqemu.run_test(test)
