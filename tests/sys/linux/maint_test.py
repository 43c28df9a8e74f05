# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint upgrade-os` via restart (tests/sys/linux/README.md): while clients keep sending GET
and SET through the NIC, kvd0's application moves to an understudy booted from the bundle's
initramfs-next, and back again: each time the understudy boots as kvd0's network twin, the
switch holds new connections while kvd drains, freezes and its state is carried through the
vmm (SHA-256 checked at both ends) into the understudy's kvd; the switch cuts over and the
first instance is retired. Then `maint reconfigure kvd0 mem=256 vcpus=2 append=...`: out to
an understudy configured as kvd0 is, back to kvd0 made anew with 256 MiB, two vCPUs and the
added command line. Zero failed requests; every acknowledged SET reads back."""
import json

import loadgen
import maintcheck
import usqemu


def flow(m, first, second):
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-os %s initrd=initramfs-next --json" % first)
    assert json.loads(out) == {"started": "upgrade-os", "vm": first}, out
    m.expect_seen(r"migrate\| maint: %s: done: %s serves" % (first, second), timeout=600,
                  since=since)
    status = maintcheck.status(m)
    assert status["phase"] == "done" and status["result"] == "US_OK", status
    assert status["first"] == first and status["understudy"] == second, status
    assert status["bytes"] > 0, status
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [(v["name"], v["state"]) for v in vms] == [(second, "running")], vms
    return status["bytes"]


def test(t):
    m, port = maintcheck.serving(t)
    # Clients that open a connection per request: via restart the TCP endpoint moves with the
    # instance, so a kept connection cannot survive it (via criu and redirect are for those).
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)
    moved = flow(m, "kvd0", "kvd0-b")
    moved_back = flow(m, "kvd0-b", "kvd0")
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint reconfigure kvd0 mem=256 vcpus=2 "
                                "append=understudy.note=reconfigured")
    assert out.startswith("reconfigure of kvd0 started"), out
    m.expect_seen(r"migrate\| maint: kvd0: done: kvd0-b serves", timeout=600, since=since)
    m.expect_seen(r"migrate\| maint: kvd0-b: done: kvd0 serves", timeout=600, since=since)
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [(v["name"], v["vcpus"], v["mem"]) for v in vms] == [("kvd0", 2, 256 << 20)], vms
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(kvd0\)")
    m.sendline("")
    m.expect(r"guest# ", timeout=60)
    m.sendline("echo cpus=$(nproc) $(cat /proc/cmdline)")
    m.expect(r"cpus=2 .*understudy\.note=reconfigured", timeout=60)
    m.send("\x1d")
    m.expect(r"detached")
    g.finish()
    s = g.summary()
    print("maint: %s, state carried %d and %d bytes" % (s, moved, moved_back))
    assert s["requests"] > 0, s
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    c = loadgen.Conn(port)
    assert c.ask("COUNT") == "COUNT %d" % t.args.keys
    c.close()
    servers = json.loads(usqemu.console_cmd(m, "server list --json"))
    assert all(s["state"] == "running" for s in servers["servers"]), servers


def args(p):
    p.add_argument("--keys", type=int, default=10000)


usqemu.run_test(test, setup_args=args)
