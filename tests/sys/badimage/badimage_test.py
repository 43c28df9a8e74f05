# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The kernel refuses corrupt boot bundles with a clear message (tests/sys/badimage/README.md)."""
import os
import struct

import usqemu

HDR = 64
ENTRY = 128


def entries(bundle):
    count = struct.unpack_from("<I", bundle, 12)[0]
    out = []
    for i in range(count):
        off = HDR + i * ENTRY
        name = bundle[off:off + 32].split(b"\0")[0].decode()
        etype, _flags, eoff, esize = struct.unpack_from("<IIQQ", bundle, off + 32)
        out.append((name, etype, eoff, esize))
    return out


def boot_with(t, name, data, expect):
    path = os.path.abspath(name + ".bundle")
    with open(path, "wb") as f:
        f.write(data)
    m = t.machine(initrd=path)
    m.expect(r"kernel\| Understudy hypervisor")
    m.expect(expect)
    m.expect(r"kernel\| boot image refused \(US_E[A-Z]+\): no server started")
    assert "servers up" not in m.output, m.output
    m.kill()


def test(t):
    good = open(os.path.join(t.image, "bundle.bin"), "rb").read()
    ents = {e[0]: e for e in entries(good)}
    _, _, off, size = ents["console"]
    bad = bytearray(good)
    bad[off + size // 2] ^= 0x5a
    boot_with(t, "server-hash", bytes(bad),
              r"kernel\| server console: image 'console' fails its sha256")

    bad = bytearray(good)
    bad[HDR + 40] ^= 0x01  # inside the first entry's offset field
    boot_with(t, "table-hash", bytes(bad), r"kernel\| bundle rejected: .+")

    boot_with(t, "truncated", good[:len(good) // 3], r"kernel\| bundle rejected: .+")
    boot_with(t, "garbage", bytes(range(256)) * 64, r"kernel\| bundle rejected: .+")


usqemu.run_test(test)
