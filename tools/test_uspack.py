#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""End-to-end tests of the uspack CLI; run by CTest as unit.uspack.<case>."""
import argparse
import hashlib
import os
import struct
import subprocess
import sys

BUNDLE_HDR = struct.Struct("<8sII Q 32s 8s")  # keep in sync with ipc/include/understudy/bundle.h
BUNDLE_ENTRY = struct.Struct("<32sII QQ 32s 40s")
MANIFEST_HDR = struct.Struct("<8sII")  # keep in sync with ipc/include/understudy/manifest.h
MANIFEST_SERVER_SIZE = 832
SERVERS = ("console", "vmm", "devmgr", "migrate")


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def run(args, ok):
    p = subprocess.run(args, capture_output=True, text=True)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if ok:
        expect(p.returncode == 0, "expected success: %s" % " ".join(args))
    else:
        expect(p.returncode == 1, "expected exit 1, got %d: %s" % (p.returncode, " ".join(args)))
        expect(len(p.stderr.strip().splitlines()) >= 1, "expected an error message")
    return p


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def fake_elf(path, fill, machine=183):
    # ELF64, little endian, EM_AARCH64 (183) or EM_X86_64 (62): enough for uspack's check.
    hdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HH", 2, machine)
    return write(path, hdr + bytes(44) + bytes([fill]) * 5000)


CONFIG = """/dts-v1/;
/ {
    compatible = "understudy,system-config";
    understudy,abi = <1>;
    vms {
        vm0 {
            memory = <0x0 0x1000000>;
            kernel = "%s";
            initrd = "hello-initrd";
        };
    };
};
"""


def config_dtb(path, kernel="hello"):
    """A real system configuration, compiled by dtc: uspack checks it as the vmm would."""
    src = write(path + ".dts", (CONFIG % kernel).encode())
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", path, src], check=True)
    return path


def manifest_case(a, text, ok, message=None):
    src = write(os.path.join(a.work, "m.txt"), text.encode())
    p = run([a.uspack, "manifest", src, os.path.join(a.work, "m.bin")], ok)
    if message is not None:
        expect(message in p.stderr, "expected %r in the error" % message)
    return p


def case_manifest_rejects_unknown_word(a):
    manifest_case(a, "server console priority 20\n  cap 0 endpoint console recv\n"
                  "  cap 1 klog colour\n", False, "m.txt:3: unknown word 'colour'")
    manifest_case(a, "# ok\nserver console priority 20 colour 3\n", False,
                  "m.txt:2: unknown word 'colour'")
    manifest_case(a, "servers console priority 20\n", False, "m.txt:1: unknown word 'servers'")
    manifest_case(a, "server a priority 2\n cap 1 frobnicate\n", False,
                  "m.txt:2: unknown cap kind 'frobnicate'")


def case_manifest_rejects_bad_references(a):
    manifest_case(a, "server a priority 2\n cap 2 endpoint nobody send\n", False,
                  "m.txt:2: no server named 'nobody'")
    manifest_case(a, "server a priority 2\n cap 2 klog\n cap 2 bundle\n", False,
                  "m.txt:3: slot 2 already used")
    manifest_case(a, "server a priority 2\nserver a priority 3\n", False, "declared twice")
    manifest_case(a, "server a\n", False, "m.txt:1: server 'a' has no priority")
    manifest_case(a, "server a priority 2\n cap 6 mmio 0x9000010 0x1000\n", False,
                  "m.txt:2: mmio base or size not page aligned")
    manifest_case(a, "server a priority 256\n", False, "m.txt:1: priority not 1..255")
    manifest_case(a, "server a priority 2\n cap 128 klog\n", False, "m.txt:2: slot out of range")
    manifest_case(a, "server a priority 2\n cap 7 irq 33 0\n", False, "m.txt:2: expected 'bit N'")
    manifest_case(a, "server a priority 12x\n", False, "is not a number")


def case_manifest_compiles_default(a):
    out = os.path.join(a.work, "default.bin")
    run([a.uspack, "manifest", a.manifest, out], True)
    data = open(out, "rb").read()
    magic, abi, count = MANIFEST_HDR.unpack_from(data)
    expect(magic == b"USMANIF1" and abi == 1 and count == 4, "bad manifest header")
    expect(len(data) == MANIFEST_HDR.size + 4 * MANIFEST_SERVER_SIZE, "bad manifest size")
    for i, name in enumerate(SERVERS):
        off = MANIFEST_HDR.size + i * MANIFEST_SERVER_SIZE
        got = data[off:off + 16].rstrip(b"\0").decode()
        expect(got == name, "server %d is %s, want %s" % (i, got, name))
    prio = struct.unpack_from("<I", data, MANIFEST_HDR.size + MANIFEST_SERVER_SIZE + 48)[0]
    expect(prio == 30, "vmm priority %d" % prio)


def fake_image():
    """100 bytes with the arm64 Image magic at 0x38 (Linux Documentation/arm64/booting)."""
    img = bytearray(b"\x14" * 100)
    img[0x38:0x3c] = b"ARM\x64"
    return bytes(img)


def make_bundle(a, out, extra=(), machine=183):
    args = [a.uspack, "bundle", "-o", out, "--manifest", a.manifest,
            "--config", config_dtb(os.path.join(a.work, "config.dtb"))]
    for i, name in enumerate(SERVERS):
        elf = fake_elf(os.path.join(a.work, name + ".elf"), i, machine)
        args += ["--server", "%s=%s" % (name, elf)]
    args += ["--guest", "hello=" + write(os.path.join(a.work, "hello.bin"), fake_image())]
    args += ["--initrd", "hello-initrd=" + write(os.path.join(a.work, "i.cpio"), b"")]
    return args + list(extra)


def case_bundle_roundtrip(a):
    out = os.path.join(a.work, "bundle.bin")
    run(make_bundle(a, out), True)
    p = run([a.uspack, "check", out], True)
    expect("console" in p.stdout and "guest_kernel" in p.stdout, "check lists the entries")
    data = open(out, "rb").read()
    magic, abi, count, total, table_sha, _ = BUNDLE_HDR.unpack_from(data)
    expect(magic == b"USBUNDL1" and abi == 1 and count == 8 and total == len(data), "header")
    table = data[BUNDLE_HDR.size:BUNDLE_HDR.size + count * BUNDLE_ENTRY.size]
    expect(hashlib.sha256(table).digest() == table_sha, "table hash")
    names = []
    for i in range(count):
        name, typ, _, off, size, sha, _ = BUNDLE_ENTRY.unpack_from(table, i * BUNDLE_ENTRY.size)
        names.append(name.rstrip(b"\0").decode())
        expect(off % 4096 == 0, "entry %d misaligned" % i)
        expect(hashlib.sha256(data[off:off + size]).digest() == sha, "entry %d hash" % i)
    expect(names[0] == "manifest" and "config" in names and "hello" in names, names)
    # Damage a component: check must fail with one clear line.
    bad = bytearray(data)
    bad[BUNDLE_ENTRY.unpack_from(table, 2 * BUNDLE_ENTRY.size)[3] + 70] ^= 1
    p = run([a.uspack, "check", write(os.path.join(a.work, "bad.bin"), bytes(bad))], False)
    expect("hash mismatch" in p.stderr, "names the hash failure")
    p = run([a.uspack, "check", write(os.path.join(a.work, "short.bin"), data[:5000])], False)
    expect("US_ETRUNC" in p.stderr, "names the truncation")


def case_bundle_rejects_bad_inputs(a):
    out = os.path.join(a.work, "bundle.bin")
    args = make_bundle(a, out)
    i = args.index("--server", args.index("--server") + 1)
    run(args[:i] + args[i + 2:], False)  # vmm image missing
    run(make_bundle(a, out, ["--blob", "console=" + a.manifest]), False)  # duplicate name
    run(make_bundle(a, out, ["--server", "x=" + a.manifest]), False)  # not an ELF
    run(make_bundle(a, out, ["--blob", "b=" + os.path.join(a.work, "missing")]), False)
    run(make_bundle(a, out, ["--blob", "n" * 32 + "=" + a.manifest]), False)
    run(make_bundle(a, out, ["--bogus", "x"]), False)
    p = run(make_bundle(a, out, ["--guest", "raw=" + a.manifest]), False)  # not an Image
    expect("not an arm64 Image" in p.stderr, "names the bad guest")
    # A configuration the vmm would refuse at boot: it names a kernel nobody packed, or it
    # is not a configuration at all.
    args = make_bundle(a, out)
    args[args.index("--config") + 1] = config_dtb(os.path.join(a.work, "c2.dtb"), "nope")
    p = run(args, False)
    expect("boots kernel 'nope', which is not packed" in p.stderr, "names the missing kernel")
    args[args.index("--config") + 1] = write(os.path.join(a.work, "c3.dtb"),
                                             struct.pack(">II", 0xD00DFEED, 64) + bytes(56))
    p = run(args, False)
    expect("config: US_ECORRUPT" in p.stderr, "refuses a broken DTB")
    expect(not os.path.exists(out), "no output after failures")


def case_bundle_arch(a):
    """--arch names the servers' machine: aarch64 by default, x86_64 for the x86_64 image."""
    out = os.path.join(a.work, "bundle.bin")
    p = run(make_bundle(a, out, machine=62), False)
    expect("is not an ELF64 aarch64 file" in p.stderr, "x86_64 servers refused by default")
    run(make_bundle(a, out, ["--arch", "x86_64"], machine=62), True)
    run([a.uspack, "check", out], True)
    os.remove(out)
    p = run(make_bundle(a, out, ["--arch", "x86_64"]), False)
    expect("is not an ELF64 x86_64 file" in p.stderr, "aarch64 servers refused for x86_64")
    p = run(make_bundle(a, out, ["--arch", "sparc"]), False)
    expect("neither aarch64 nor x86_64" in p.stderr, "names the unknown architecture")
    run(make_bundle(a, out, ["--arch", "aarch64"]), True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uspack", required=True)
    ap.add_argument("--manifest", required=True, help="boot/manifest.txt")
    ap.add_argument("--work", required=True)
    ap.add_argument("case")
    a = ap.parse_args()
    a.work = os.path.join(a.work, a.case)
    os.makedirs(a.work, exist_ok=True)
    try:
        globals()["case_" + a.case](a)
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
