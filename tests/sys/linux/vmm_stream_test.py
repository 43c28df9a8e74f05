# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The vmm killed in the middle of a stream of guest exits (tests/sys/linux/README.md).

kvd0's shell runs a loop in the background: each round writes a random 4 KiB block to the
virtio-blk disk (fsync'd, so it reaches the vmm's disk at once) and prints a numbered token
on the UART. Meanwhile the load generator hammers kvd through the switch and the NIC, and the
vmm is restarted by command and made to fault, again and again. Afterwards:
  - every token is on the console exactly once, in order: no byte lost or printed twice;
  - the disk, read back with the guest's page cache dropped, hashes to what the guest wrote;
  - every kvd request was answered and every acknowledged SET reads back."""
import re

import loadgen
import maintcheck
import usqemu

DISK_FIRST_BLOCK = 256  # 1 MiB in: the disk's first blocks hold the seed tar


def stream(rounds):
    """The guest's loop: a block to the disk and a token to the UART each round; then the
    hash of what it wrote and the hash of what the disk holds, read past the page cache."""
    n, first = rounds, DISK_FIRST_BLOCK
    return ("(i=0; rm -f /tmp/all; while [ $i -lt %d ]; do i=$((i+1)); "
            "dd if=/dev/urandom of=/tmp/b bs=4096 count=1 2>/dev/null; cat /tmp/b >> /tmp/all; "
            "dd if=/tmp/b of=/dev/vda bs=4096 seek=$((%d+i)) conv=notrunc,fsync 2>/dev/null; "
            "echo S${i}E; usleep 20000; done; sync; echo 3 > /proc/sys/vm/drop_caches; "
            "echo W$(sha256sum < /tmp/all | cut -c1-64)X; "
            "echo R$(dd if=/dev/vda bs=4096 skip=%d count=%d 2>/dev/null | sha256sum | "
            "cut -c1-64)X) &" % (n, first - 1, first, n))


def test(t):
    m, port = maintcheck.serving(t)
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=2, per_request=1)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)
    start = len(m.output)
    maintcheck.attach(m, 0, "kvd0")
    m.sendline(stream(t.args.rounds))
    kills = 0
    for k in range(t.args.kills):
        # Wait until the stream is well under way, then kill the vmm while it goes on.
        m.expect(r"S%dE" % ((k + 1) * t.args.rounds // (t.args.kills + 2)), timeout=300)
        maintcheck.detach(m)
        since = len(m.output)
        how = "crash" if k % 2 else "restart"
        assert usqemu.console_cmd(m, "server %s vmm" % how) == "ok"
        kills += 1
        m.expect_seen(r"vmm\| state recovered after restart %d: 1 VM slot" % kills, since=since)
        maintcheck.attach(m, 0, "kvd0")  # what the guest printed meanwhile is replayed
    written = m.expect(r"W([0-9a-f]{64})X", timeout=600).group(1)
    read = m.expect(r"R([0-9a-f]{64})X", timeout=300).group(1)
    maintcheck.detach(m)
    tokens = [int(x) for x in re.findall(r"S(\d+)E", m.output[start:])]
    g.finish()
    s = g.summary()
    print("vmm restarts under a stream of exits: %d kills, %d tokens, %s" % (kills, len(tokens), s))
    assert tokens == list(range(1, t.args.rounds + 1)), tokens
    assert written == read, (written, read)
    assert s["requests"] > 0, s
    assert not g.failures(), g.failures()[:10]
    bad = g.verify()
    assert not bad, bad[:10]
    servers = {x["name"]: x["restarts"] for x in maintcheck.servers(m)}
    assert servers["vmm"] == kills, servers


def args(p):
    p.add_argument("--keys", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=120)
    p.add_argument("--kills", type=int, default=6)


usqemu.run_test(test, setup_args=args)
