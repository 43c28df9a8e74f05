# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""A load generator for kvd (guests/linux/kvd): the client the maintenance flows are measured
by. Python standard library only, loopback only, bounded in requests and in time.

It seeds the store, then runs clients side by side: some keep one connection (persistent),
one opens a connection per request. Each sends a steady mix of GET and SET and records every
request. A request fails if it gets an ERR reply, times out, finds its connection reset or
refused, or reads a value other than the last one acknowledged. Each client owns its own keys,
so the value a GET must return is always known. Afterwards verify() reads back every key that
was ever acknowledged.

Used by the flow tests (tests/sys/maint) and bench/maint_bench.py; as a program:
  python3 tests/qemu/loadgen.py --port P [--keys N] [--requests N] [--seconds S]
"""
import argparse
import random
import socket
import threading
import time

TIMEOUT = 30.0  # seconds a request may take before it counts as failed


def value_of(key, gen):
    """The value a client writes to @key in its @gen-th write: deterministic, checkable."""
    return "v%d-%s" % (gen, key)


class Failure(Exception):
    pass


class Conn:
    """One TCP connection speaking kvd's line protocol."""

    def __init__(self, port, timeout=TIMEOUT):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rwb")

    def ask(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        reply = self.f.readline()
        if not reply.endswith(b"\n"):
            raise Failure("connection closed")
        return reply.decode().rstrip("\n")

    def pipeline(self, lines):
        """Send every line, then read one reply per line."""
        self.f.write("".join(line + "\n" for line in lines).encode())
        self.f.flush()
        out = []
        for _ in lines:
            reply = self.f.readline()
            if not reply.endswith(b"\n"):
                raise Failure("connection closed")
            out.append(reply.decode().rstrip("\n"))
        return out

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


class LoadGen:
    """Seed, run and verify; every request is recorded in self.log as
    (start, end, op, error or None)."""

    def __init__(self, port, keys=100000, persistent=3, per_request=1, seed=1,
                 set_ratio=0.5):
        self.port = port
        self.keys = keys
        self.clients = persistent + per_request
        self.persistent = persistent
        self.rng_seed = seed
        self.set_ratio = set_ratio
        self.acked = {}  # key -> value last acknowledged
        self.log = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = []
        self.t0 = None  # when start() started the clients (monotonic)

    def key(self, i):
        return "lg%d" % i

    def seed(self, batch=2000):
        """SET every key once, pipelined; all must be acknowledged."""
        c = Conn(self.port, timeout=120)
        try:
            for lo in range(0, self.keys, batch):
                keys = [self.key(i) for i in range(lo, min(lo + batch, self.keys))]
                replies = c.pipeline(["SET %s %s" % (k, value_of(k, 0)) for k in keys])
                for k, r in zip(keys, replies):
                    if r != "OK":
                        raise Failure("seeding %s: %r" % (k, r))
                    self.acked[k] = value_of(k, 0)
        finally:
            c.close()

    def _record(self, start, op, err):
        with self.lock:
            self.log.append((start, time.monotonic(), op, err))

    def _client(self, n, persistent, deadline, budget):
        rng = random.Random(self.rng_seed * 1000 + n)
        mine = range(n, self.keys, self.clients)
        gens = {}
        conn = None
        for _ in range(budget):
            if self.stop.is_set() or time.monotonic() > deadline:
                break
            k = self.key(rng.choice(mine))
            op = "SET" if rng.random() < self.set_ratio else "GET"
            if op == "SET":
                gens[k] = gens.get(k, 0) + 1
                line = "SET %s %s" % (k, value_of(k, gens[k]))
            else:
                line = "GET " + k
            start = time.monotonic()
            err = None
            try:
                if conn is None:
                    conn = Conn(self.port)
                reply = conn.ask(line)
                if op == "SET":
                    if reply != "OK":
                        err = "SET %s: %r" % (k, reply)
                    else:
                        with self.lock:
                            self.acked[k] = value_of(k, gens[k])
                else:
                    with self.lock:
                        want = self.acked.get(k)
                    want = "VALUE " + want if want is not None else "NOTFOUND"
                    if reply != want:
                        err = "GET %s: %r, not %r" % (k, reply, want)
            except (OSError, Failure) as e:
                err = "%s %s: %s" % (op, k, e.__class__.__name__ + ": " + str(e))
                if conn is not None:
                    conn.close()
                conn = None
            if not persistent and conn is not None:
                conn.close()
                conn = None
            self._record(start, op, err)
        if conn is not None:
            conn.close()

    def start(self, requests=20000, seconds=600.0):
        """Start the clients: at most @requests in all and @seconds from now."""
        self.t0 = time.monotonic()
        deadline = self.t0 + seconds
        for n in range(self.clients):
            t = threading.Thread(target=self._client,
                                 args=(n, n < self.persistent, deadline,
                                       requests // self.clients), daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        """Stop the clients and wait for them."""
        self.stop.set()
        for t in self.threads:
            t.join(TIMEOUT + 10)
        assert not any(t.is_alive() for t in self.threads), "a client is stuck"

    def failures(self):
        """Each failed request: when it started and ended, in seconds since start(), so that
        a failure can be set beside the flow's steps and the serial log."""
        t0 = self.t0 if self.t0 is not None else 0.0
        return ["%s (started at +%.3f s, ended at +%.3f s)" % (e, s - t0, end - t0)
                for (s, end, _, e) in self.log if e is not None]

    def verify(self, batch=2000):
        """Read back every acknowledged key; returns the mismatches."""
        bad = []
        c = Conn(self.port, timeout=120)
        try:
            items = sorted(self.acked.items())
            for lo in range(0, len(items), batch):
                part = items[lo:lo + batch]
                replies = c.pipeline(["GET " + k for k, _ in part])
                bad += ["%s: %r, not %r" % (k, r, "VALUE " + v)
                        for (k, v), r in zip(part, replies) if r != "VALUE " + v]
        finally:
            c.close()
        return bad

    def summary(self, since=None, until=None):
        """Requests, failures, latency percentiles (ms) and the longest gap (ms) between
        successful responses; of the requests started in [@since, @until] (monotonic
        seconds) if given."""
        lo = since if since is not None else float("-inf")
        hi = until if until is not None else float("inf")
        log = [r for r in self.log if lo <= r[0] <= hi]
        ok = sorted((s, e) for (s, e, _, err) in log if err is None)
        lat = sorted(e - s for s, e in ok)
        ends = sorted(e for _, e in ok)
        gap = max((b - a for a, b in zip(ends, ends[1:])), default=0.0)

        def pct(p):
            return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0.0
        return {"requests": len(log), "failed": len([r for r in log if r[3] is not None]),
                "p50_ms": pct(0.50), "p99_ms": pct(0.99), "longest_gap_ms": 1000 * gap}


def main():
    p = argparse.ArgumentParser(description="kvd load generator")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--keys", type=int, default=100000)
    p.add_argument("--requests", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=120)
    a = p.parse_args()
    g = LoadGen(a.port, keys=a.keys)
    t0 = time.monotonic()
    g.seed()
    print("seeded %d keys in %.1f s" % (a.keys, time.monotonic() - t0))
    g.start(requests=a.requests, seconds=a.seconds)
    for t in g.threads:
        t.join()
    g.finish()
    s = g.summary()
    bad = g.verify()
    print("%(requests)d requests, %(failed)d failed, p50 %(p50_ms).1f ms, p99 %(p99_ms).1f ms, "
          "longest gap %(longest_gap_ms).1f ms" % s)
    print("%d acknowledged keys read back, %d wrong" % (len(g.acked), len(bad)))
    for f in (g.failures() + bad)[:10]:
        print("  " + f)
    return 1 if s["failed"] or bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
