#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A service moved between two kvds without a gap (guests/linux/kvd/kvd_relay.h), on the host:
two host_kvd processes and, playing the host, a relay on a Unix socket that pairs their
"JOIN kvd" lines, answers OK to both and splices the two streams. Usage: test_kvd_relay.py CASE
KVD"""
import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE = 30.0
MOVED = "ERR service moved; its new instance is unreachable"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_line(s):
    """One line from socket @s, read a byte at a time so nothing after it is consumed."""
    line = b""
    while not line.endswith(b"\n"):
        b = s.recv(1)
        if not b:
            break
        line += b
    return line


class Relay:
    """The host's side of the relay: pairs two joiners, then splices them until cut. With
    @fake, the first joiner gets OK and @fake's bytes instead, as from a broken peer."""

    def __init__(self, path, fake=None):
        self.path = path
        self.fake = fake
        self.conns = []
        self.joined = []
        self.flowing = threading.Event()  # cleared: the splice holds what it reads
        self.flowing.set()
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        pair = []
        try:
            while len(pair) < 2:
                c, _ = self.srv.accept()
                with self.lock:
                    self.conns.append(c)
                join = read_line(c)
                with self.lock:
                    self.joined.append(join)
                if join != b"JOIN kvd\n":
                    c.close()
                    continue
                if self.fake is not None:
                    c.sendall(b"OK\n" + self.fake)
                    continue
                pair.append(c)
        except OSError:
            return
        for c in pair:
            c.sendall(b"OK\n")
        threading.Thread(target=self.splice, args=pair, daemon=True).start()
        threading.Thread(target=self.splice, args=pair[::-1], daemon=True).start()

    def splice(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                b.sendall(data)
        except OSError:
            pass
        self.cut()

    def cut(self):
        """End both streams, as the host does when it loses one side."""
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.cut()
        try:
            self.srv.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.srv.close()
        os.unlink(self.path)


class Kvd:
    def __init__(self, exe, tmp, name, relay_path):
        self.sock = os.path.join(tmp, name + ".sock")
        self.errpath = os.path.join(tmp, name + ".err")
        self.name = name
        # free_port()'s port is free only until another process on the machine takes it (a
        # second suite's tests do): a kvd that finds it in use exits, and gets another.
        for _ in range(5):
            self.port = free_port()
            with open(self.errpath, "wb") as err:
                self.p = subprocess.Popen(
                    [exe, "-a", self.sock, "-r", "unix:" + relay_path, str(self.port)],
                    stdout=subprocess.PIPE, stderr=err)
            r, _, _ = select.select([self.p.stdout], [], [], DEADLINE)
            assert r, "%s did not start" % name
            line = self.p.stdout.readline()
            if line or self.p.wait(DEADLINE) != 1 or "in use" not in self.log():
                break
            self.p.stdout.close()
        assert line == b"kvd: listening on port %d\n" % self.port, (line, self.log())

    def ask(self, cmd):
        """One admin command on kvd's Unix socket; its reply line."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(DEADLINE)
            s.connect(self.sock)
            s.sendall(cmd.encode() + b"\n")
            return read_line(s).decode().rstrip("\n")

    def stats(self):
        words = self.ask("STATS").split()
        assert words[0] == "STATS", words
        return dict(w.split("=", 1) for w in words[1:])

    def wait(self, what, pred):
        """Poll STATS until @pred holds of it, for at most DEADLINE seconds."""
        end = time.monotonic() + DEADLINE
        while True:
            st = self.stats()
            if pred(st):
                return st
            assert time.monotonic() < end, "%s: no %s in %r" % (self.name, what, st)
            time.sleep(0.01)

    def wait_role(self, role):
        return self.wait("role=" + role, lambda st: st["role"] == role)

    def log(self):
        with open(self.errpath, "rb") as f:
            return f.read().decode(errors="replace")

    def connect(self):
        c = socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE)
        return c, c.makefile("rwb")

    def kv(self, *lines):
        c, f = self.connect()
        with c:
            return talk(f, lines)

    def stop(self):
        assert self.p.poll() is None, "%s died: %s" % (self.name, self.log())
        self.p.terminate()
        self.p.wait(DEADLINE)


def talk(f, lines):
    """Send @lines pipelined on @f and read one reply line each."""
    f.write("".join(x + "\n" for x in lines).encode())
    f.flush()
    return [f.readline().decode().rstrip("\n") for _ in lines]


class Rig:
    def __init__(self, exe):
        self.tmp = tempfile.TemporaryDirectory()
        self.exe = exe
        self.relay_path = os.path.join(self.tmp.name, "relay.sock")
        self.relays = []
        self.kvds = []

    def relay(self, fake=None):
        for r in self.relays:
            if os.path.exists(r.path):
                r.close()
        self.relays.append(Relay(self.relay_path, fake))
        return self.relays[-1]

    def kvd(self, name):
        self.kvds.append(Kvd(self.exe, self.tmp.name, name, self.relay_path))
        return self.kvds[-1]

    def close(self):
        for k in self.kvds:
            k.stop()
        self.tmp.cleanup()


def seed(k, count, prefix="k"):
    """@count keys through one pipelining client, in batches so no buffer fills up."""
    want = {}
    c, f = k.connect()
    with c:
        for start in range(0, count, 1000):
            keys = ["%s%d" % (prefix, i) for i in range(start, min(count, start + 1000))]
            lines = ["SET %s v-%s" % (key, key) for key in keys]
            assert talk(f, lines) == ["OK"] * len(lines)
            want.update((key, "v-" + key) for key in keys)
    return want


def check_all(k, want):
    """Every key of @want reads back from @k with its value (None: absent)."""
    keys = sorted(want)
    c, f = k.connect()
    with c:
        for start in range(0, len(keys), 1000):
            part = keys[start:start + 1000]
            got = talk(f, ["GET " + key for key in part])
            exp = ["NOTFOUND" if want[key] is None else "VALUE " + want[key] for key in part]
            assert got == exp, [(a, b, c) for a, b, c in zip(part, got, exp) if b != c][:5]


def move(rig, keys):
    """A first kvd seeded with @keys keys, followed by a second, synced, not handed over."""
    relay = rig.relay()
    a, b = rig.kvd("first"), rig.kvd("second")
    want = seed(a, keys)
    assert b.ask("FOLLOW") == "OK following"
    rep = a.ask("REPLICATE").split()
    assert rep[:2] == ["OK", "replicating"] and int(rep[2]) > 24 + 32, rep
    a.wait_role("synced")
    return relay, a, b, want


def follow_and_hand_over(rig):
    relay = rig.relay()
    a, b = rig.kvd("first"), rig.kvd("second")
    want = seed(a, 20000)
    assert b.ask("FOLLOW") == "OK following"
    assert b.stats()["role"] == "following"
    rep = a.ask("REPLICATE").split()
    assert rep[:2] == ["OK", "replicating"] and int(rep[2]) > 20000 * 3, rep
    # A persistent client writes on while the follower catches up: those writes must follow.
    pc, pf = a.connect()
    for i in range(100000):
        assert talk(pf, ["SET p%d w%d" % (i, i), "DEL k%d" % i]) == ["OK", "OK"]
        want["p%d" % i], want["k%d" % i] = "w%d" % i, None
        role = a.stats()["role"]
        if role == "synced":
            break
        assert role == "replicating", role
    assert role == "synced", "never synced"
    assert talk(pf, ["SET p-last last", "DEL k19999", "DEL nothing"]) == ["OK", "OK", "NOTFOUND"]
    want["p-last"], want["k19999"] = "last", None
    keys = sum(v is not None for v in want.values())
    assert int(a.stats()["keys"]) == keys
    b.wait("keys=%d" % keys, lambda st: int(st["keys"]) == keys)
    assert b.stats()["role"] == "following"
    assert a.ask("HANDOVER") == "OK handed over"
    st = a.stats()
    assert st["role"] == "forwarding" and st["clients"] == "1", st
    b.wait_role("primary")
    # The persistent client goes on, now served by the second kvd through the first.
    assert talk(pf, ["GET k5", "GET k0", "SET h1 after", "GET h1"]) == \
        ["VALUE v-k5", "NOTFOUND", "OK", "VALUE after"]
    want["h1"] = "after"
    assert b.kv("GET h1", "GET p-last") == ["VALUE after", "VALUE last"]
    # Not run on the first: its own store (seen by an admin client, never forwarded) is stale.
    assert a.ask("GET h1") == "NOTFOUND"
    # A new connection to the first (the switch has not moved it yet) is forwarded too.
    nc, nf = a.connect()
    assert talk(nf, ["SET n1 new", "GET n1", "PING"]) == ["OK", "VALUE new", "PONG"]
    want["n1"] = "new"
    assert b.kv("GET n1") == ["VALUE new"]
    assert b.kv("SET b1 direct") == ["OK"]
    want["b1"] = "direct"
    assert talk(pf, ["GET b1"]) == ["VALUE direct"]
    st = a.stats()
    assert st["clients"] == "2" and st["pending"] == "0", st
    assert talk(nf, ["QUIT"]) == ["BYE"]
    assert nf.readline() == b"", "still open after BYE"
    nc.close()
    pf.close()
    pc.close()  # closes without QUIT
    a.wait("clients=0", lambda st: st["clients"] == "0")
    st = b.stats()
    assert st["role"] == "primary" and st["keys"] == str(sum(v is not None for v in want.values()))
    check_all(b, want)
    assert a.stats()["role"] == "forwarding"
    # The host retires the first: the second keeps serving.
    relay.cut()
    assert b.kv("GET b1") == ["VALUE direct"]
    b.wait("the relay gone", lambda st: "relay ended" in b.log())
    assert b.stats()["role"] == "primary"


def relay_lost_before_handover(rig):
    relay, a, b, want = move(rig, 1000)
    c, f = a.connect()
    assert talk(f, ["SET x 1", "DEL k1"]) == ["OK", "OK"]
    want["x"], want["k1"] = "1", None
    relay.cut()
    a.wait_role("lost")
    b.wait_role("lost")
    assert "relay lost" in a.log() and "relay lost" in b.log()
    # Nothing was lost on the first: it serves everything, the same client included.
    assert talk(f, ["SET y 2", "GET x"]) == ["OK", "VALUE 1"]
    want["y"] = "2"
    check_all(a, want)
    assert a.ask("HANDOVER").startswith("ERR not synced")
    # The move is tried again, with a relay the host sets up anew.
    rig.relay()
    assert a.ask("ALONE") == "OK"
    assert a.stats()["role"] == "alone"
    assert b.ask("FOLLOW") == "OK following"
    assert a.ask("REPLICATE").startswith("OK replicating ")
    a.wait_role("synced")
    assert talk(f, ["SET z 3"]) == ["OK"]
    want["z"] = "3"
    keys = sum(v is not None for v in want.values())
    b.wait("keys=%d" % keys, lambda st: int(st["keys"]) == keys)
    # Called off: the first drops the relay and goes on alone; the follower is lost.
    assert a.ask("ALONE") == "OK"
    assert a.stats()["role"] == "alone"
    b.wait_role("lost")
    assert talk(f, ["SET after-alone 1"]) == ["OK"]
    want["after-alone"] = "1"
    check_all(a, want)
    c.close()
    assert a.ask("ALONE") == "OK"


def snapshot(records, digest_ok=True, body=None):
    data = b"".join(struct.pack("<BH", len(k), len(v)) + k + v for k, v in records)
    head = b"KVSNAP01" + struct.pack("<QQ", len(records), len(data) if body is None else body)
    digest = hashlib.sha256(head + data).digest()
    return head + data + (digest if digest_ok else bytes(32))


def bad_admin_requests(rig):
    # No relay at all.
    a = rig.kvd("first")
    assert a.kv("SET keep 1") == ["OK"]
    assert a.ask("HANDOVER").startswith("ERR not synced")
    assert a.ask("REPLICATE").startswith("ERR relay unreachable")
    assert a.ask("FOLLOW").startswith("ERR relay unreachable")
    assert a.ask("ALONE") == "OK"
    for bad in ("FOLLOWX", "REPLICATE now", "HANDOVER ", "", "alone", "SYNCED 1", "PROMOTE"):
        assert a.ask(bad).startswith("ERR"), bad
    assert a.stats()["role"] == "alone"
    # A relay where no follower ever joins: REPLICATE gives up after 5 s.
    relay = rig.relay()
    t = time.monotonic()
    assert a.ask("REPLICATE") == "ERR no follower joined"
    assert time.monotonic() - t >= 4.5
    assert relay.joined == [b"JOIN kvd\n"]
    assert "no follower joined: none within 5 s" in a.log()
    st = a.stats()
    assert st["role"] == "alone" and st["keys"] == "1", st
    # A follower that claims another count than was sent, or says something else: not synced.
    for fake, why in ((b"SYNCED 999\n", "another number of keys"),
                      (b"HELLO\n", "unexpected line while replicating")):
        rig.relay(fake=fake)
        assert a.ask("REPLICATE").startswith("OK replicating ")
        a.wait_role("lost")
        assert why in a.log(), (why, a.log())
        assert a.ask("HANDOVER").startswith("ERR not synced")
        assert a.ask("ALONE") == "OK"
    rig.relay(fake=b"SYNCED 1\n")
    assert a.ask("REPLICATE").startswith("OK replicating ")
    a.wait_role("synced")
    assert a.ask("ALONE") == "OK"
    # A follower is paired with a peer sending a corrupt snapshot: refused, nothing loaded.
    b = rig.kvd("second")
    assert b.kv("SET own 1") == ["OK"]
    good = [(b"a", b"1"), (b"b", b"2")]
    for fake, why in ((snapshot(good, digest_ok=False), "checksum mismatch"),
                      (snapshot(good, body=1 << 40), "larger than the store may hold"),
                      (b"NOTASNAPSHOT" * 4, "not a kvd snapshot"),
                      (snapshot([(b"a", b"1"), (b"a", b"2")]), "a key twice")):
        rig.relay(fake=fake)
        assert b.ask("FOLLOW") == "OK following"
        b.wait_role("lost")
        assert why in b.log(), (why, b.log())
        assert b.kv("GET own", "GET a") == ["VALUE 1", "NOTFOUND"]
    # A follower refuses to follow or replicate again, and serves no TCP client meanwhile.
    rig.relay(fake=b"")
    assert b.ask("FOLLOW") == "OK following"
    for cmd in ("FOLLOW", "REPLICATE", "HANDOVER", "ALONE"):
        assert b.ask(cmd).startswith("ERR"), cmd
    assert b.stats()["role"] == "following"
    c, f = b.connect()
    f.write(b"PING\n")
    f.flush()
    r, _, _ = select.select([c], [], [], 0.2)
    assert not r, "a follower answered a TCP client"
    c.close()
    # A good snapshot from the same kind of peer loads, and SYNCED goes back to it.
    fake = rig.relay(fake=snapshot(good))
    b2 = rig.kvd("third")
    assert b2.ask("FOLLOW") == "OK following"
    b2.wait("keys=2", lambda st: st["keys"] == "2")
    assert b2.stats()["role"] == "following"
    c = fake.conns[-1]
    c.settimeout(DEADLINE)
    assert read_line(c) == b"SYNCED 2\n"
    # The first kvd was never disturbed.
    assert a.kv("GET keep", "PING") == ["VALUE 1", "PONG"]


def order_kept_when_forwarding(rig):
    relay, a, b, want = move(rig, 500)
    x, xf = a.connect()
    y, yf = a.connect()
    assert a.ask("HANDOVER") == "OK handed over"
    assert a.ask("HANDOVER").startswith("ERR not synced")
    assert a.ask("ALONE") == "ERR handed over already"
    assert a.ask("REPLICATE").startswith("ERR handed over already")
    # Two clients pipeline at once; each gets its own replies, in its own order.
    lines, exp = [], []
    for i in range(400):
        lines += ["SET o%d %d" % (i, i), "GET o%d" % i, "GET k%d" % i]
        exp += ["OK", "VALUE %d" % i, "VALUE v-k%d" % i]
        if i % 100 == 50:
            lines += ["x" * 600, "PING", "FLY"]
            exp += ["ERR line too long", "PONG", "ERR unknown command"]
    lines += ["DEL o1", "GET o1", "x" * 700, "COUNT", "QUIT", "SET after-quit 1"]
    exp += ["OK", "NOTFOUND", "ERR line too long", "COUNT ", "BYE"]
    other = ["SET y%d %d" % (i, i) for i in range(300)] + ["x" * 600, "GET y299"]
    yf.write("".join(s + "\n" for s in other).encode())
    yf.flush()
    xf.write("".join(s + "\n" for s in lines).encode())
    xf.flush()
    got = [xf.readline().decode().rstrip("\n") for _ in exp]
    assert xf.readline() == b"", "open after BYE"
    bad = [(i, g, e) for i, (g, e) in enumerate(zip(got, exp)) if not g.startswith(e)]
    assert not bad, bad[:5]
    got = [yf.readline().decode().rstrip("\n") for _ in other]
    assert got == ["OK"] * 300 + ["ERR line too long", "VALUE 299"], got[-3:]
    assert b.kv("GET after-quit", "GET o2", "GET y7") == ["NOTFOUND", "VALUE 2", "VALUE 7"]
    # A client that half-closes after its requests still gets every reply.
    z, zf = a.connect()
    zf.write(b"SET half 1\nGET half\n" + b"y" * 900 + b"\nGET half\n")
    zf.flush()
    z.shutdown(socket.SHUT_WR)
    assert [zf.readline() for _ in range(5)] == [b"OK\n", b"VALUE 1\n", b"ERR line too long\n",
                                                 b"VALUE 1\n", b""]
    z.close()
    st = a.wait("clients=1", lambda st: st["clients"] == "1")  # y only
    assert st["pending"] == "0" and st["role"] == "forwarding", st
    # A client reset with replies pending: the next connection in its slot gets none of them.
    relay.flowing.clear()
    w, wf = a.connect()
    wf.write(b"GET k1\n" * 50)
    wf.flush()
    a.wait("pending=50", lambda st: st["pending"] == "50")
    w.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    wf.close()
    w.close()
    a.wait("clients=1", lambda st: st["clients"] == "1")
    v, vf = a.connect()
    vf.write(b"PING\n")
    vf.flush()
    a.wait("pending=51", lambda st: st["pending"] == "51")
    relay.flowing.set()
    assert vf.readline() == b"PONG\n"
    a.wait("pending=0", lambda st: st["pending"] == "0")
    v.close()
    # The relay breaks: the first cannot serve what moved, and says so, once in its log.
    relay.cut()
    a.wait_role("lost")
    assert talk(yf, ["GET y1", "SET y1 2", "QUIT"]) == [MOVED, MOVED, "BYE"]
    assert a.kv("PING", "x" * 600) == [MOVED, "ERR line too long"]
    assert a.log().count("relay lost while forwarding") == 1
    assert a.ask("ALONE") == "ERR handed over already"
    assert a.ask("FOLLOW").startswith("ERR handed over already")
    y.close()
    x.close()
    b.wait_role("primary")
    assert b.kv("GET y1") == ["VALUE 1"]


def main():
    case, exe = sys.argv[1:3]
    rig = Rig(exe)
    try:
        globals()[case](rig)
        rig.close()
    except BaseException:
        for k in rig.kvds:
            k.p.kill()
            print("--- %s's stderr:\n%s" % (k.name, k.log()), file=sys.stderr)
        raise
    print("PASS")


if __name__ == "__main__":
    main()
