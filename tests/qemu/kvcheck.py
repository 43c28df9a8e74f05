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
