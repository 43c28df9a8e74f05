# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Root in a Linux guest abuses its virtio-blk transport (tests/sys/linux/README.md)."""
import json

import usqemu

DRV = "/sys/bus/platform/drivers/virtio-mmio"
DEV = "a000000.virtio_mmio"


def shell(m, cmd, want=None):
    m.sendline(cmd)
    if want:
        m.expect(want, timeout=60)
    m.expect(r"guest# ", timeout=60)


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    m.sendline("vm console 0")
    m.expect(r"guest# ", timeout=180)
    shell(m, "echo precious > /root/p; tar cf /dev/vda -C /root p; sync; echo ok=$?", r"ok=0")
    # Take the device from its driver, then program it by hand: a ready queue whose descriptor
    # table lies outside guest RAM, and a notify.
    shell(m, "echo %s > %s/unbind; echo rc=$?" % (DEV, DRV), r"rc=0")
    shell(m, "devmem 0x0a000070 32 0; devmem 0x0a000070 32 7; devmem 0x0a000038 32 8; "
             "devmem 0x0a000080 32 0xdead0000; devmem 0x0a000084 32 0x7; "
             "devmem 0x0a000044 32 1; devmem 0x0a000050 32 0; echo done=$?", r"done=0")
    shell(m, "devmem 0x0a000070 32", r"0x00000047")  # DEVICE_NEEDS_RESET is reported
    # The vmm's log line reached the console before the device's status did.
    assert ("vmm| linux0: virtio-blk: queue outside guest RAM or misaligned; device needs reset"
            in m.output), "no log line for the bad queue"
    # Garbage in registers that do not exist and a queue size that is not a power of two.
    shell(m, "devmem 0x0a0000f0 32 0xffffffff; devmem 0x0a000038 32 3; echo done=$?", r"done=0")
    # The driver resets and takes the device again; the disk lost nothing.
    shell(m, "echo %s > %s/bind; echo rc=$?" % (DEV, DRV), r"rc=0")
    shell(m, "tar xf /dev/vda -C /tmp && cat /tmp/p", r"\nprecious\n")
    m.send("\x1d")
    m.expect(r"detached")
    m.expect(r"us> ")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert vms[0]["state"] == "running", vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["state"] == "running" and s["faults"] == 0 for s in servers), servers


usqemu.run_test(test)
