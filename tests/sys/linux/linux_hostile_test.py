# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Root in one Linux guest abuses its devices and calls the hypervisor with nonsense; the
other guest serves the host throughout (tests/sys/linux/README.md)."""
import json

import usqemu

DRV = "/sys/bus/platform/drivers/virtio-mmio"
DEV = "a000000.virtio_mmio"
DETACH = "\x1d"
# What ushostile.ko (guests/linux/ushostile) must be answered. SMCCC: -1 NOT_SUPPORTED;
# PSCI: -2 INVALID_PARAMETERS, -4 ALREADY_ON. virtio status 0x4f: NEEDS_RESET on top of
# ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK.
UNKNOWN_CALLS = ["0xc600ff01", "0x82000010", "0xc400ffff", "0x3f000000", "0xbf00ff00"]
EXPECTED = ["%s %s -> -1" % (conduit, fn) for fn in UNKNOWN_CALLS for conduit in ("hvc", "smc")]
EXPECTED += ["psci cpu_on 0xff -> -2", "psci cpu_on 0x0 -> -4", "psci affinity_info 0xff -> -2",
             "virtio loop -> status 0x4f", "virtio bad-head -> status 0x4f",
             "virtio bad-next -> status 0x4f", "virtio index-ahead -> status 0x4f",
             "virtio out-of-ram -> request status 1, used 1", "virtio out-of-ram -> status 0x0f"]


def shell(m, cmd, want=None):
    m.sendline(cmd)
    if want:
        m.expect(want, timeout=60)
    m.expect(r"guest# ", timeout=60)


def attach(m, n):
    m.sendline("vm console %d" % n)
    m.expect(r"attached to vm %d \(linux%d\)" % (n, n))


def detach(m):
    m.send(DETACH)
    m.expect(r"detached")
    m.expect(r"us> ")


def test(t):
    port = usqemu.free_port()
    m = t.machine(nic=[(port, "10.0.2.16", 7000)])
    m.expect(r"us> ")
    # The bystander, linux1, serves kvd to the host.
    attach(m, 1)
    m.expect(r"kvd: listening on port 7000", timeout=180)
    detach(m)
    bystander = usqemu.LineClient(port)
    assert bystander.ask("SET before hostile") == "OK"

    attach(m, 0)
    m.sendline("")
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

    # From the guest's kernel: unknown HVC and SMC calls, PSCI calls with bad arguments, and
    # queues of garbage (looping and out-of-table chains, an index far ahead, a buffer
    # outside RAM) on the same device.
    shell(m, "insmod /lib/modules/ushostile.ko virtio=0x0a000000; echo rc=$?", r"rc=0")
    m.sendline("dmesg | grep -o 'ushostile: .*'; echo end-of-probes")
    m.expect(r"\nend-of-probes", timeout=60)
    m.expect(r"guest# ", timeout=60)
    probes = m.output[m.output.rfind("echo end-of-probes"):]
    for line in EXPECTED:
        assert "ushostile: " + line in probes, "%r missing from:\n%s" % (line, probes)
    assert "ushostile: done" in probes, probes
    assert "vmm| linux0: unknown SMC function 0xbf00ff00" in m.output  # logged (debug level)
    assert "vmm| linux0: virtio-blk: malformed descriptor chain; device needs reset" in m.output
    assert ("vmm| linux0: virtio-blk: available index runs ahead of the queue; device needs "
            "reset" in m.output)

    # The driver resets and takes the device again; the disk lost nothing.
    shell(m, "echo %s > %s/bind; echo rc=$?" % (DEV, DRV), r"rc=0")
    shell(m, "tar xf /dev/vda -C /tmp && cat /tmp/p", r"\nprecious\n")
    # A device address nothing emulates: an abort, SIGBUS for the process.
    shell(m, "devmem 0x0a004000 32; echo rc=$?", r"Bus error\s+rc=135")
    detach(m)

    # The bystander noticed nothing: its data, new connections, its console.
    assert bystander.ask("GET before") == "VALUE hostile"
    bystander.close()
    again = usqemu.LineClient(port)
    assert again.ask("PING") == "PONG"
    again.close()
    attach(m, 1)
    m.sendline("echo calm=$((5 * 5))")
    m.expect(r"calm=25", timeout=60)
    detach(m)
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["state"] for v in vms] == ["running", "running"], vms
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]
    assert all(s["state"] == "running" and s["faults"] == 0 for s in servers), servers


usqemu.run_test(test)
