# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""kvd in Debian's kernel on bare QEMU, reached from the host (tests/sys/linux/README.md)."""
import socket

import usqemu


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rwb")

    def ask(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        reply = self.f.readline()
        assert reply.endswith(b"\n"), "no reply to %r: %r" % (line, reply)
        return reply.decode().rstrip("\n")

    def close(self):
        self.f.close()
        self.s.close()


def test(t):
    port = free_port()
    m = t.machine(kernel=t.args.linux, initrd=t.args.initramfs,
                  extra_args=["-append", "console=ttyAMA0 panic=-1",
                              "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:%d-:7000" % port,
                              "-device", "virtio-net-device,netdev=n0"])
    m.expect(r"understudy-guest: network up on eth0, kvd started", timeout=180)
    m.expect(r"kvd: listening on port 7000", timeout=60)
    a, b = Client(port), Client(port)
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
    a.close()
    b.close()


def args(p):
    p.add_argument("--linux", required=True)
    p.add_argument("--initramfs", required=True)


usqemu.run_test(test, setup_args=args)
