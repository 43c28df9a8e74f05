#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The guest agent (guests/linux/agent) and kvd, both built for the host: the agent starts
kvd, and each request typed on its stdin (--stdio) must do to kvd what it says, checked from
kvd's TCP side. Usage: test_agent.py CASE AGENT KVD"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE = 30.0


class Rig:
    def __init__(self, agent, kvd):
        self.tmp = tempfile.TemporaryDirectory()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.sock = os.path.join(self.tmp.name, "kvd.sock")
        self.p = subprocess.Popen(
            [agent, "--stdio", "--kvd", kvd, "--port", str(self.port), "--socket", self.sock],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""
        self.wait_log(b"kvd: listening on port %d" % self.port)

    def wait_log(self, what, times=1):
        """Read the agent's (and kvd's) stderr until @what has appeared @times times."""
        end = time.monotonic() + DEADLINE
        while self.err.count(what) < times:
            left = end - time.monotonic()
            assert left > 0, "no %r in %r" % (what, self.err)
            r, _, _ = select.select([self.p.stderr], [], [], left)
            if r:
                chunk = os.read(self.p.stderr.fileno(), 4096)
                assert chunk, "agent exited: %r" % self.err
                self.err += chunk

    def ask(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        r, _, _ = select.select([self.p.stdout], [], [], DEADLINE)
        assert r, "no reply to %r" % line
        return self.p.stdout.readline().decode().rstrip("\n")

    def kv(self, *lines):
        with socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE) as c:
            f = c.makefile("rwb")
            f.write("".join(x + "\n" for x in lines).encode())
            f.flush()
            return [f.readline().decode().rstrip("\n") for _ in lines]

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(DEADLINE) == 0
        self.tmp.cleanup()


def requests_drive_kvd(r):
    assert r.ask("INVENTORY") == "APPS kvd:%d" % r.port
    assert r.ask("HEALTH") == "HEALTH kvd=up keys=0"
    assert r.kv("SET a 1", "SET b 2") == ["OK", "OK"]
    assert r.ask("HEALTH") == "HEALTH kvd=up keys=2"
    snap = os.path.join(r.tmp.name, "kvd.snap")
    saved = r.ask("SNAPSHOT kvd " + snap).split()
    assert saved[:2] == ["SAVED", "2"] and int(saved[2]) == os.path.getsize(snap), saved
    assert r.kv("SET a changed", "DEL b") == ["OK", "OK"]
    assert r.ask("RESTORE kvd " + snap) == "LOADED 2"
    assert r.kv("GET a", "GET b") == ["VALUE 1", "VALUE 2"]
    # Quiesced, a client's request waits; resumed, it is answered.
    assert r.ask("QUIESCE kvd") == "OK frozen"
    c = socket.create_connection(("127.0.0.1", r.port), timeout=DEADLINE)
    c.sendall(b"GET a\n")
    assert r.ask("HEALTH") == "HEALTH kvd=up keys=2"
    assert r.ask("RESUME kvd") == "OK"
    assert c.makefile("rb").readline() == b"VALUE 1\n"
    c.close()


def bad_requests_get_errors(r):
    for bad in ("", "FLY", "QUIESCE", "QUIESCE nginx", "QUIESCE kvdx", "SNAPSHOT kvd",
                "SNAPSHOT kvd relative/path", "RESTORE kvd", "START kvd", "x" * 600,
                "DRAIN", "DRAIN kvd now", "FETCH kvd", "FETCH kvd abc", "SEND kvd x",
                "FOLLOW", "FOLLOW kvd now", "HANDOVER kvd", "REPLICATE kvd x", "LINGER kvd",
                "LINGER kvd x", "LINGER kvd -1", "LINGER kvd 99999999", "ALONE kvd now",
                "FETCH kvd " + "0" * 64):  # the last: no vmm to fetch from on the host
        reply = r.ask(bad)
        assert reply.startswith("ERR"), (bad[:20], reply)
    corrupt = os.path.join(r.tmp.name, "bad.snap")
    with open(corrupt, "wb") as f:
        f.write(b"KVSNAP01" + b"\0" * 60)
    assert r.kv("SET keep 1") == ["OK"]
    assert r.ask("RESTORE kvd " + corrupt).startswith("ERR " + corrupt + " refused")
    assert r.ask("RESTORE kvd /nonexistent").startswith("ERR /nonexistent refused")
    # The host's greeting and errors are not answered (the next reply is HEALTH's).
    r.p.stdin.write(b"WELCOME vm0\nERR unknown\n")
    assert r.ask("HEALTH") == "HEALTH kvd=up keys=1"
    assert r.kv("GET keep") == ["VALUE 1"]


def drain_waits_for_clients(r):
    """DRAIN answers only once kvd's last TCP client has finished, then kvd is frozen."""
    c = socket.create_connection(("127.0.0.1", r.port), timeout=DEADLINE)
    f = c.makefile("rwb")
    f.write(b"PING\n")
    f.flush()
    assert f.readline() == b"PONG\n"  # kvd has accepted it
    r.p.stdin.write(b"DRAIN kvd\n")
    r.p.stdin.flush()
    f.write(b"SET d 1\n")  # still served while draining
    f.flush()
    assert f.readline() == b"OK\n"
    ready, _, _ = select.select([r.p.stdout], [], [], 0)
    assert not ready, "DRAIN answered while a client was still connected"
    f.close()
    c.close()
    ready, _, _ = select.select([r.p.stdout], [], [], DEADLINE)
    assert ready and r.p.stdout.readline() == b"OK frozen\n"
    c = socket.create_connection(("127.0.0.1", r.port), timeout=DEADLINE)
    c.sendall(b"GET d\n")  # frozen: waits
    # Connected but not accepted yet, it counts: draining must not freeze kvd over it.
    assert kvd_cmd(r, "FREEZE IDLE") == "ERR busy clients=1"
    assert r.ask("RESUME kvd") == "OK"
    assert c.makefile("rb").readline() == b"VALUE 1\n"
    assert kvd_cmd(r, "FREEZE IDLE") == "ERR busy clients=1"  # accepted now
    c.close()
    deadline = time.monotonic() + DEADLINE
    while kvd_cmd(r, "FREEZE IDLE") != "OK frozen":
        assert time.monotonic() < deadline, "kvd never saw its client close"
        time.sleep(0.01)
    assert r.ask("RESUME kvd") == "OK"


def settle_waits_for_accepts(r):
    """SETTLE answers only when no connection to kvd's port waits to be accepted: criu would
    not carry one. A frozen kvd accepts none, so the bound is reached and it says so."""
    assert r.ask("SETTLE kvd") == "SETTLED kvd"
    assert r.ask("QUIESCE kvd") == "OK frozen"
    c = socket.create_connection(("127.0.0.1", r.port), timeout=DEADLINE)
    c.sendall(b"GET a\n")
    reply = r.ask("SETTLE kvd")
    assert reply == "ERR 1 connection(s) to kvd still opening after 2000 ms", reply
    assert r.ask("RESUME kvd") == "OK"
    assert c.makefile("rb").readline() == b"NOTFOUND\n"
    assert r.ask("SETTLE kvd") == "SETTLED kvd"
    c.close()


def kvd_cmd(r, line):
    """One command on kvd's local socket, as the agent sends it."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(DEADLINE)
        s.connect(r.sock)
        s.sendall(line.encode() + b"\n")
        return s.makefile("rb").readline().decode().rstrip("\n")


def stop_and_start(r):
    assert r.kv("SET x 1") == ["OK"]
    assert r.ask("STOP kvd") == "OK stopped"
    assert r.ask("HEALTH") == "HEALTH kvd=down"
    assert r.ask("START kvd") == "OK started"
    r.wait_log(b"kvd: listening on port %d" % r.port, times=2)
    # A fresh kvd: empty (the state moves by SNAPSHOT and RESTORE, not by restarting).
    assert r.ask("HEALTH") == "HEALTH kvd=up keys=0"


def main():
    case, agent, kvd = sys.argv[1:4]
    r = Rig(agent, kvd)
    try:
        globals()[case](r)
        r.close()
    except BaseException:
        r.p.kill()
        print(r.err.decode(errors="replace"), file=sys.stderr)
        raise
    print("PASS")


if __name__ == "__main__":
    main()
