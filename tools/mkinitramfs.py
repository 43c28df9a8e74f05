#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Write a gzip-compressed initramfs (cpio "newc", Linux Documentation/driver-api/early-userspace).

Reproducible: every entry has mtime 0 and uid/gid 0, and entries are written in the order
given (directories first). Usage:

    mkinitramfs.py -o initramfs.cpio.gz --dir /bin --file /bin/busybox=PATH:0755 \
                   --file /init=PATH:0755 --symlink /bin/sh=busybox
"""
import argparse
import gzip
import os
import stat
import sys


def entry(name, mode, data=b"", ino=1, nlink=1):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--dir", action="append", default=[], help="directory to create, e.g. /bin")
    ap.add_argument("--file", action="append", default=[], metavar="DEST=SRC[:MODE]")
    ap.add_argument("--symlink", action="append", default=[], metavar="DEST=TARGET")
    args = ap.parse_args()

    out, ino = [], 1
    for d in args.dir:
        out.append(entry(d.lstrip("/"), stat.S_IFDIR | 0o755, ino=ino, nlink=2))
        ino += 1
    for spec in args.file:
        dest, sep, rest = spec.partition("=")
        src, _, mode = rest.rpartition(":") if rest.count(":") else (rest, "", "")
        if not sep or not dest or not src:
            sys.exit("mkinitramfs: --file %r is not DEST=SRC[:MODE]" % spec)
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError as e:
            sys.exit("mkinitramfs: %s: %s" % (src, e.strerror))
        perm = int(mode, 8) if mode else 0o644
        out.append(entry(dest.lstrip("/"), stat.S_IFREG | perm, data, ino=ino))
        ino += 1
    for spec in args.symlink:
        dest, sep, target = spec.partition("=")
        if not sep or not dest or not target:
            sys.exit("mkinitramfs: --symlink %r is not DEST=TARGET" % spec)
        out.append(entry(dest.lstrip("/"), stat.S_IFLNK | 0o777, target.encode(), ino=ino))
        ino += 1
    out.append(entry("TRAILER!!!", 0, ino=0, nlink=1))
    raw = b"".join(out)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
            gz.write(raw)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
