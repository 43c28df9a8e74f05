#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A client for kvd's line protocol (guests/linux/kvd), Python standard library only, for
machines without nc.

  tools/kv.py [--host H] [--port P] REQUEST...   one request per argument, replies printed
  tools/kv.py [--host H] [--port P]              requests from stdin, one per line
"""
import argparse
import socket
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7000)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("request", nargs="*", help="e.g. 'SET colour blue' 'GET colour'")
    a = p.parse_args()
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        sys.exit("kv.py: cannot reach %s:%d: %s" % (a.host, a.port, e))
    f = s.makefile("rwb")
    lines = a.request if a.request else (line.rstrip("\n") for line in sys.stdin)
    failed = False
    for line in lines:
        f.write(line.encode() + b"\n")
        f.flush()
        reply = f.readline().decode(errors="replace")
        if not reply:
            sys.exit("kv.py: the connection closed")
        print(reply, end="", flush=True)
        failed |= reply.startswith("ERR")
        if reply == "BYE\n":
            break
    s.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
