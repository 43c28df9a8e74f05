# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The fault campaign (issue #11), shared by qemu.default.fault_campaign and
bench/recovery_bench.py: faults injected at random into the four servers through the
console's debug commands while kvd0 serves under the load generator, each one checked to have
been recovered from, and the time each restart took (the kernel logs it)."""
import json
import random
import re
import time

import maintcheck
import usqemu

SERVERS = ("vmm", "migrate", "devmgr", "console")
KINDS = ("crash", "restart", "corrupt", "hang", "garble", "exhaust")
# The console calls nobody's reply its own; only the vmm has a memory quota to exhaust.
FAULTS = [(s, k) for s in SERVERS for k in KINDS
          if (s, k) != ("console", "garble") and (k != "exhaust" or s == "vmm")]
BACK = re.compile(r"kernel\| server (\w+) waits for requests again (\d+) ns after its restart")


def answered(g, n, timeout=300):
    want, end = len(g.log) + n, time.monotonic() + timeout
    while len(g.log) < want:
        assert time.monotonic() < end, "the clients are no longer answered"
        time.sleep(0.05)


def inject(m, name, kind, n):
    """One fault; returns once the server is back. @n counts its restarts, this one included
    (a garbled reply restarts nothing)."""
    since = len(m.output)
    if kind == "exhaust":  # then restarted: the restart gives the memory back
        assert usqemu.console_cmd(m, "server exhaust %s" % name) == "ok"
        m.expect_seen(r"%s\| took \d+ memory object" % name, since=since)
        m.sendline("server restart %s" % name)
        m.expect_seen(r"%s\| gave back \d+ memory object" % name, since=since)
    else:
        m.sendline("server %s %s" % (kind, name))
    if kind == "garble":
        m.expect_seen(r"%s\| the next reply will be garbled" % name, since=since)
        m.expect(r"us> ")
        return
    if kind == "corrupt" and name != "vmm":
        m.expect_seen(r"%s\| state region refused after restart %d" % (name, n), since=since)
    else:
        m.expect_seen(r"%s\| state recovered after restart %d" % (name, n), since=since)
    if kind == "corrupt" and name == "vmm":
        m.expect_seen(r"vmm\| the sealed copy of the configuration fails its check", since=since)
    if kind == "hang":
        m.expect_seen(r"kernel\| server %s stopped answering" % name, since=since)
    if not (name == "console" and kind == "corrupt"):
        # (a console that lost its state also lost its place in the kernel log)
        m.expect_seen(r"kernel\| server %s restarted from the boot image \(restart %d\)"
                      % (name, n), since=since)
    m.expect(r"us> ")


def fp_kept(m, callee, n):
    """`server fpcheck`: the console restarts itself (its restart @n) while it holds the FP
    registers, marks one and calls @callee, whose runtime writes that register. The mark must
    still be there: the kernel keeps each thread's FP registers, a thread it restarted in
    place too."""
    since = len(m.output)
    m.sendline("server fpcheck %s" % callee)
    got = m.expect_seen(r"console\| fpcheck: ([^\r\n]*)[\r\n]", since=since).group(1)
    assert got.startswith("FP registers kept"), got
    m.expect_seen(r"console\| state recovered after restart %d" % n, since=since)
    m.expect(r"us> ")


def campaign(m, g, faults, seed):
    """@faults faults picked with @seed, each checked; @g (a started LoadGen) must keep being
    answered. Returns what was injected and what the servers and the kernel say of it."""
    rng = random.Random(seed)
    devices = usqemu.console_cmd(m, "hw list --json")
    restarts = {s: 0 for s in SERVERS}
    crashes = {s: 0 for s in SERVERS}
    kinds = {k: 0 for k in KINDS}
    picked = []
    since = len(m.output)
    t0 = time.monotonic()
    for _ in range(faults):
        name, kind = rng.choice(FAULTS)
        picked.append((name, kind))
        restarts[name] += kind != "garble"
        crashes[name] += kind == "crash"
        kinds[kind] += 1
        inject(m, name, kind, restarts[name])
        # Every server answers, and has served once, so its next fault restarts it too.
        assert usqemu.console_cmd(m, "hw list --json") == devices
        assert json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]["phase"] in (
            "idle", "done")
        answered(g, 10)
    back = {}
    for name, ns in BACK.findall(m.output[since:]):
        back.setdefault(name, []).append(int(ns))
    return {"picked": picked, "kinds": kinds, "restarts": restarts, "crashes": crashes, "back": back,
            "seconds": time.monotonic() - t0,
            "servers": {s["name"]: s for s in maintcheck.servers(m)}, "vms": maintcheck.vms(m)}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0
