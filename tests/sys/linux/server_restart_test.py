# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Servers restarted while kvd0 serves under the load generator (tests/sys/linux/README.md).

migrate, devmgr and the console are restarted by command, each reloaded from the boot image
with its capabilities and its state region; each takes up its state as of the last request it
handled. migrate is then made to fault (server crash): the kernel restarts it on its own. A
byte flipped in migrate's saved state (server corrupt) is refused at the restart, reported,
and migrate starts afresh, learning again from the vmm which guest agents are connected. The vmm is restarted, made to
fault, and has its sealed configuration corrupted; the guest keeps running and printing
through each new instance. Throughout: zero failed requests, every acknowledged SET reads back, and the
servers answer afterwards (hw list from devmgr, maint status from migrate)."""
import json
import time

import loadgen
import maintcheck
import usqemu


def restarts(m):
    return {s["name"]: s["restarts"]
            for s in json.loads(usqemu.console_cmd(m, "server list --json"))["servers"]}


def answered(g, n=100, timeout=300):
    """Wait until the clients have had @n more answers: each restart happens under load."""
    want, end = len(g.log) + n, time.monotonic() + timeout
    while len(g.log) < want:
        assert time.monotonic() < end, "the clients are no longer answered"
        time.sleep(0.05)


def restarted(m, name, since, n):
    m.expect_seen(r"kernel\| server %s restarted from the boot image \(restart %d\)" % (name, n),
                  since=since)


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=2, per_request=1)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)
    devices = usqemu.console_cmd(m, "hw list --json")

    for name in ("migrate", "devmgr"):
        answered(g)
        since = len(m.output)
        assert usqemu.console_cmd(m, "server restart " + name) == "ok"
        restarted(m, name, since, 1)
        m.expect_seen(r"%s\| state recovered after restart 1" % name, since=since)
    # The console restarts itself: the new instance's prompt is the answer, and the kernel's
    # log lines of the meantime are printed, not lost.
    answered(g)
    since = len(m.output)
    m.sendline("server restart console")
    m.expect_seen(r"console\| state recovered after restart 1", since=since)
    restarted(m, "console", since, 1)
    m.expect(r"us> ")
    assert restarts(m) == {"console": 1, "vmm": 0, "devmgr": 1, "migrate": 1}
    # devmgr's inventory and migrate's view of the agents came through.
    assert usqemu.console_cmd(m, "hw list --json") == devices
    assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] == "idle"

    # The vmm: the VM table, the device models, the disks and the vsock connections are in
    # memory the kernel keeps; the new instance maps it again and checks it. Restarted by
    # command, then made to fault.
    for n, how in ((1, "restart"), (2, "crash")):
        answered(g)
        since = len(m.output)
        assert usqemu.console_cmd(m, "server %s vmm" % how) == "ok"
        restarted(m, "vmm", since, n)
        m.expect_seen(r"vmm\| state recovered after restart %d: 1 VM slot\(s\)" % n, since=since)
    # A byte of its sealed configuration flipped: found, reported, and the copy that still
    # matches the seal is kept.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server corrupt vmm") == "ok"
    m.expect_seen(r"vmm\| the sealed copy of the configuration fails its check; the live copy "
                  r"matches the seal", since=since)
    m.expect_seen(r"vmm\| state recovered after restart 3", since=since)
    # Hung: the kernel's watchdog sees it spend too long on one message and restarts it; the
    # console's call fails when it does, and the console says ok.
    for name, n in (("vmm", 4), ("devmgr", 2)):
        answered(g)
        since = len(m.output)
        assert usqemu.console_cmd(m, "server hang " + name, timeout=120) == "ok"
        m.expect_seen(r"kernel\| server %s stopped answering: \d+ ticks on one message; "
                      r"restarted \(watchdog\)" % name, since=since)
        restarted(m, name, since, n)
        m.expect_seen(r"%s\| state recovered after restart %d" % (name, n), since=since)
    # A garbled reply: whoever gets it refuses it, and a question is asked again.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server garble devmgr") == "ok"
    assert usqemu.console_cmd(m, "hw list --json") == devices
    m.expect_seen(r"console\| a reply to label 0x\w+ came back as label 0x\w+: refused",
                  since=since)
    # The vmm's next reply goes to a vCPU's exit (the kernel refuses it, and the exit is
    # delivered again) or to the console's question (refused, and asked again). Serving kvd
    # makes no exits now, so the question is asked.
    since = len(m.output)
    assert usqemu.console_cmd(m, "server garble vmm") == "ok"
    assert [v["name"] for v in json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]]
    m.expect_seen(r"vmm\| reply refused: |console\| a reply to label", since=since)
    answered(g)
    # Its memory quota used up by objects nothing records, as a leak would: a VM cannot be
    # created, with a reason; the restart finds the objects no state accounts for and gives
    # them back.
    free = maintcheck.free_mem(m)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server exhaust vmm") == "ok"
    m.expect_seen(r"vmm\| took \d+ memory object\(s\), \d+ KiB, that nothing records", since=since)
    assert maintcheck.free_mem(m) < free - (256 << 20)
    maintcheck.refused(m, "vm create extra kvd0", "US_ENOMEM")
    assert usqemu.console_cmd(m, "server restart vmm") == "ok"
    m.expect_seen(r"vmm\| gave back \d+ memory object\(s\), \d+ KiB, that no state accounts "
                  r"for", since=since)
    m.expect_seen(r"vmm\| state recovered after restart 5", since=since)
    assert maintcheck.free_mem(m) == free
    # The guest's console goes on through the new instances.
    since = len(m.output)
    m.sendline("vm console 0")
    m.sendline("echo vmm-survived-$((6*7))")
    m.expect_seen(r"vmm-survived-42", since=since)
    m.send("\x1d")
    m.expect(r"detached")
    m.expect(r"us> ")

    # A fault: the kernel restarts migrate by itself.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server crash migrate") == "ok"
    m.expect_seen(r"kernel\| server migrate faulted", since=since)
    restarted(m, "migrate", since, 2)
    m.expect_seen(r"migrate\| state recovered after restart 2", since=since)

    # Its saved state altered: refused at the restart, reported, rebuilt.
    answered(g)
    since = len(m.output)
    assert usqemu.console_cmd(m, "server corrupt migrate") == "ok"
    m.expect_seen(r"migrate\| state region refused after restart 3: its checksum does not "
                  r"match; starting afresh", since=since)
    # It learns again from the vmm which agents are connected, and asks each for its health.
    m.expect_seen(r"migrate\| state rebuilt: 1 agent\(s\) connected", since=since)
    m.expect_seen(r"migrate\| kvd0: agent: HEALTH kvd=up", since=since)
    assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] == "idle"

    answered(g)
    maintcheck.load_clean(g, "server restarts")
    assert restarts(m) == {"console": 1, "vmm": 5, "devmgr": 2, "migrate": 3}


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
