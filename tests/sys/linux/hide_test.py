# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""devmgr hides a device from a VM's next boot and gives it back (tests/sys/linux/README.md)."""
import json

import usqemu


def shell(m, cmd, want):
    m.sendline(cmd)
    m.expect(want, timeout=60)
    m.expect(r"guest# ", timeout=60)


def attach(m):
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(linux0\)")


def detach(m):
    m.send("\x1d")
    m.expect(r"detached")
    m.expect(r"us> ")


def reboot(m):
    m.sendline("reboot -f")
    m.expect(r"reboot: Restarting system", timeout=60)
    m.expect(r"understudy-guest: userspace up", timeout=180)
    m.expect(r"guest# ", timeout=60)


def test(t):
    m = t.machine()
    m.expect(r"us> ")
    out = usqemu.console_cmd(m, "hw hide 0 virtio-blk")
    assert "vm 0: virtio-blk hidden from its next boot; hidden: virtio-blk" in out, out
    # The running guest keeps what it booted with: the disk is still there, and takes a file.
    attach(m)
    m.expect(r"guest# ", timeout=180)
    shell(m, "echo kept-while-hidden > /root/n; tar cf /dev/vda -C /root n; sync; echo ok=$?",
          r"ok=0")
    # Its next boot has no disk: not in its device tree, and the address is dead.
    reboot(m)
    shell(m, "ls /dev/vda; echo rc=$?", r"No such file or directory\s+rc=1")
    shell(m, "devmem 0x0a000000 32; echo rc=$?", r"Bus error\s+rc=135")
    detach(m)
    assert "vmm| linux0: devmgr hides devices 0x4 at this boot" in m.output
    out = usqemu.console_cmd(m, "hw show 0 virtio-blk")
    assert "vm 0: virtio-blk shown from its next boot; hidden: none" in out, out
    # Back at the following boot, with what was written before it was hidden.
    attach(m)
    m.sendline("")
    m.expect(r"guest# ", timeout=60)
    reboot(m)
    shell(m, "tar xf /dev/vda -C /tmp && cat /tmp/n", r"\nkept-while-hidden\n")
    detach(m)
    # Bad asks: an error each, nothing changes.
    assert "error: hw hide 9: US_ENOENT" in usqemu.console_cmd(m, "hw hide 9 virtio-net")
    assert "devices: uart" in usqemu.console_cmd(m, "hw hide 0 floppy")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert vms[0]["state"] == "running", vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["state"] == "running" and s["faults"] == 0 for s in servers), servers


usqemu.run_test(test)
