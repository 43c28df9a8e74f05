# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Checks of kvd (guests/linux/kvd) from the host, shared by the tests that reach it."""

import usqemu


def exercise(port):
    """Two clients set, read, overwrite and delete keys; bad requests get an ERR line each and
    change nothing. Leaves 50 keys, k0..k49 but k7, plus 'colour'."""
    a, b = usqemu.LineClient(port), usqemu.LineClient(port)
    assert a.ask("PING") == "PONG"
    assert a.ask("SET colour blue") == "OK"
    assert b.ask("GET colour") == "VALUE blue", "a second client sees the first one's write"
    assert b.ask("SET colour deep red") == "OK"
    assert a.ask("GET colour") == "VALUE deep red"
    for i in range(50):
        assert a.ask("SET k%d v%d" % (i, i)) == "OK"
    assert b.ask("COUNT") == "COUNT 51"
    assert b.ask("DEL k7") == "OK" and b.ask("GET k7") == "NOTFOUND"
    assert a.ask("GET k8") == "VALUE v8"
    # Bad input: an error line each, and nothing lost.
    assert a.ask("FLY away").startswith("ERR unknown command")
    assert a.ask("SET onlykey").startswith("ERR usage")
    assert a.ask("GET " + "x" * 100).startswith("ERR bad key")
    assert a.ask("SET k " + "y" * 300).startswith("ERR bad value")
    assert a.ask("z" * 2000).startswith("ERR line too long")
    assert b.ask("COUNT") == "COUNT 50"
    # QUIT: BYE, then the server closes the connection.
    assert a.ask("QUIT") == "BYE"
    assert a.f.readline() == b"", "the connection stays open after QUIT"
    a.close()
    b.close()


def bulk(port, count=400, size=250):
    """@count SETs of @size-byte values sent in one burst (many frames in flight at once),
    then every value read back in another burst."""
    c = usqemu.LineClient(port, timeout=120)
    value = lambda i: ("%05d" % i) * (size // 5)
    c.f.write("".join("SET bulk%d %s\n" % (i, value(i)) for i in range(count)).encode())
    c.f.flush()
    for i in range(count):
        assert c.f.readline() == b"OK\n", "SET bulk%d" % i
    c.f.write("".join("GET bulk%d\n" % i for i in range(count)).encode())
    c.f.flush()
    for i in range(count):
        got = c.f.readline().decode().rstrip("\n")
        assert got == "VALUE " + value(i), "GET bulk%d: %r" % (i, got[:40])
    c.close()


def guest(m, cmd, pattern, timeout=60):
    """Type @cmd at the guest's shell (attached, at its prompt); wait for @pattern, then for
    the next prompt. Returns the match."""
    m.sendline(cmd)
    found = m.expect(pattern, timeout=timeout)
    m.expect(r"guest# ", timeout=timeout)
    return found


def snapshot_cycle(m, port):
    """kvd's state-moving commands, typed in the guest (attached, at its shell) while the host
    checks the store: SAVE, changes, a corrupt snapshot refused with nothing lost, LOAD back
    to the saved state, and a request sent while kvd is frozen answered once it thaws."""
    c = usqemu.LineClient(port)
    count = int(c.ask("COUNT").split()[1])
    saved = guest(m, "kvd ctl SAVE /tmp/kv.snap", r"SAVED (\d+) (\d+) ([0-9a-f]{64})")
    assert int(saved.group(1)) == count, saved.group(0)
    # sha256sum from busybox agrees with the digest kvd sealed the snapshot with.
    guest(m, "tail -c 32 /tmp/kv.snap | od -An -tx1 | tr -d ' \\n'; echo",
          saved.group(3) + r"\s")
    assert c.ask("SET colour green") == "OK" and c.ask("DEL k8") == "OK"
    assert c.ask("SET fresh 1") == "OK"
    # One byte flipped in a copy: refused by its checksum, the live store untouched.
    guest(m, "cp /tmp/kv.snap /tmp/bad.snap && printf X | "
             "dd of=/tmp/bad.snap bs=1 seek=40 conv=notrunc 2>/dev/null",
          r"\n")
    guest(m, "kvd ctl LOAD /tmp/bad.snap", r"ERR /tmp/bad\.snap refused: checksum mismatch")
    guest(m, "kvd ctl LOAD /tmp/missing.snap", r"ERR /tmp/missing\.snap refused: No such file")
    assert c.ask("GET colour") == "VALUE green" and c.ask("GET fresh") == "VALUE 1"
    assert c.ask("COUNT") == "COUNT %d" % (count + 0)  # k8 gone, fresh added
    loaded = guest(m, "kvd ctl LOAD /tmp/kv.snap", r"LOADED (\d+)\s")
    assert int(loaded.group(1)) == count
    for key, want in (("colour", "VALUE deep red"), ("k8", "VALUE v8"), ("fresh", "NOTFOUND")):
        got = c.ask("GET " + key)
        assert got == want, "after LOAD, GET %s: %r" % (key, got)
    # Frozen: a request waits in the guest's socket buffers and is answered after THAW.
    guest(m, "kvd ctl FREEZE", r"OK frozen")
    c.f.write(b"GET k9\n")
    c.f.flush()
    guest(m, "kvd ctl STATS", r"STATS keys=%d bytes=\d+ requests=\d+ frozen=1" % count)
    guest(m, "kvd ctl THAW", r"\nOK")
    assert c.f.readline() == b"VALUE v9\n"
    # The state-moving commands exist only on the guest's Unix socket, never over TCP.
    for cmd in ("SAVE /tmp/x", "LOAD /tmp/kv.snap", "FREEZE", "STATS"):
        assert c.ask(cmd).startswith("ERR unknown command"), cmd
    assert c.ask("COUNT") == "COUNT %d" % count
    assert c.ask("QUIT") == "BYE"
    c.close()
