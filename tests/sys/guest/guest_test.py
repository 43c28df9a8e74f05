# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The hello guest under trap-and-emulate (tests/sys/guest/README.md)."""
import json
import re
import time

import consolecheck
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
    # Idle, the guest waits in WFI for its UART's interrupt: the kernel does not enter it at
    # all over a second (it entered it every 100 us when the guest polled UARTFR).
    before = guest_entries(m)
    time.sleep(1.0)  # the window observed, not a wait for anything
    idle = guest_entries(m) - before
    assert idle < 20, "an idle guest was entered %d times in a second" % idle
    # Input still wakes it.
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(vm0\)")
    m.send("z")
    m.expect(r"hello: got z")
    # A burst far larger than the vmm's input buffer (256 bytes), typed faster than the guest
    # takes it a byte at a time: the console holds what does not fit and sends it as the guest
    # reads (US_NTFN_GUEST_IN_ROOM), so every byte arrives, once, in order.
    burst = "".join(chr(33 + (i * 7) % 90) for i in range(900)) + "~"
    since = len(m.output)
    m.send(burst)
    try:
        m.expect(r"hello: got ~", timeout=30)  # under a second when nothing is lost
    except usqemu.UsQemuError:
        pass  # the comparison below says what arrived
    got = "".join(re.findall(r"hello: got (.)", m.output[since:]))
    assert got == burst, "guest input lost or reordered: %d of %d bytes, first difference at %d" % (
        len(got), len(burst), next((i for i, (a, b) in enumerate(zip(got, burst)) if a != b),
                                   min(len(got), len(burst))))
    m.send(DETACH)
    m.expect(r"detached")
    consolecheck.log_lines_whole(m, m.output.index("console| up"))


def guest_entries(m):
    cpus = json.loads(usqemu.console_cmd(m, "stats cpu --json"))["cpus"]
    return sum(c["guest_entries"] for c in cpus)


usqemu.run_test(test)
