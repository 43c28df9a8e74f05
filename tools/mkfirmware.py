#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Build a firmware image from your own system configuration and guest images.

Takes the hypervisor and servers from a build tree, a system configuration (.dts, or a
compiled .dtb), and any number of guest kernels (arm64 Linux Image format), initrds and disk
contents (a virtio-blk disk starts with them; at most 8 MiB), and writes the same files the
build makes for its own images:

    OUT/config.dtb      the compiled configuration
    OUT/bundle.bin      boot bundle (servers, manifest, configuration, guests), for -initrd
    OUT/understudy.bin  the hypervisor, for -kernel
    OUT/image.its       FIT source
    OUT/understudy.fit  the firmware image (kernel + bundle, sha256 each), for U-Boot's bootm

Boot the result with: python3 tools/boot.py --image OUT [--uboot]
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = ("console", "vmm", "devmgr", "migrate")  # keep in sync with cmake/image.cmake


def fail(msg):
    sys.exit("mkfirmware: " + msg)


def named_file(spec, what):
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        fail("%s %r is not NAME=PATH" % (what, spec))
    if not os.path.isfile(path):
        fail("%s %s: no such file %s" % (what, name, path))
    return name, os.path.abspath(path)


def run(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail("%s failed (status %d):\n%s" % (os.path.basename(argv[0]), r.returncode,
                                              r.stdout.strip()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--build", default="build", help="build directory (default: build)")
    ap.add_argument("--config", required=True, help="system configuration, .dts or .dtb")
    ap.add_argument("--guest", action="append", default=[], metavar="NAME=IMAGE",
                    help="guest kernel that the configuration names in 'kernel = \"NAME\"'")
    ap.add_argument("--initrd", action="append", default=[], metavar="NAME=FILE",
                    help="initrd that the configuration names in 'initrd = \"NAME\"'")
    ap.add_argument("--disk", action="append", default=[], metavar="NAME=FILE",
                    help="a virtio-blk disk's initial contents, named by 'disk = \"NAME\"'")
    ap.add_argument("--manifest", default=os.path.join(HERE, "..", "boot", "manifest.txt"),
                    help="boot manifest (default: boot/manifest.txt)")
    ap.add_argument("--description", default="Understudy image")
    ap.add_argument("-o", "--output", required=True, help="output directory")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    target = os.path.join(build, "aarch64")
    uspack = os.path.join(build, "tools", "uspack")
    kernel = os.path.join(target, "kernel", "understudy.bin")
    for path in [uspack, kernel] + [os.path.join(target, "servers", s, s + ".elf")
                                    for s in SERVERS]:
        if not os.path.isfile(path):
            fail("%s is missing: build first (./check, or cmake --build %s)" % (path, build))
    if not os.path.isfile(args.config):
        fail("no such configuration %s" % args.config)
    guests = [named_file(g, "guest") for g in args.guest]
    initrds = [named_file(i, "initrd") for i in args.initrd]
    disks = [named_file(d, "disk") for d in args.disk]
    if not guests:
        fail("give at least one --guest NAME=IMAGE")

    out = os.path.abspath(args.output)
    os.makedirs(out, exist_ok=True)
    dtb = os.path.join(out, "config.dtb")
    with open(args.config, "rb") as f:
        is_dtb = f.read(4) == b"\xd0\x0d\xfe\xed"
    if is_dtb:
        shutil.copyfile(args.config, dtb)
    else:
        run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", dtb, args.config])

    bundle = os.path.join(out, "bundle.bin")
    pack = [uspack, "bundle", "-o", bundle, "--manifest", args.manifest, "--config", dtb]
    for s in SERVERS:
        pack += ["--server", "%s=%s" % (s, os.path.join(target, "servers", s, s + ".elf"))]
    for name, path in guests:
        pack += ["--guest", "%s=%s" % (name, path)]
    for name, path in initrds:
        pack += ["--initrd", "%s=%s" % (name, path)]
    for name, path in disks:
        pack += ["--blob", "%s=%s" % (name, path)]
    run(pack)  # uspack checks each guest's arm64 Image header and the configuration's shape

    shutil.copyfile(kernel, os.path.join(out, "understudy.bin"))
    its = os.path.join(out, "image.its")
    run([sys.executable, os.path.join(HERE, "mkits.py"), "--kernel",
         os.path.join(out, "understudy.bin"), "--bundle", bundle, "--description",
         args.description, "-o", its])
    run(["mkimage", "-q", "-f", its, os.path.join(out, "understudy.fit")])
    print("mkfirmware: wrote %s (boot it: python3 tools/boot.py --image %s)" % (out, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
