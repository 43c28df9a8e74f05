#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Make the x86_64 image's vendor boot: a CD image on which Debian's GRUB (grub-pc-bin, for
SeaBIOS) checks the SHA-256 of the kernel and the bundle, then loads the kernel by Multiboot2
and the bundle as its module (docs/x86_64.md). GRUB's messages go to COM1, where the kernel's
follow.

    python3 tools/mkgrubiso.py --kernel understudy.elf --bundle hello.bin -o grub.iso
                               [--corrupt]

--corrupt records a wrong hash for the bundle: GRUB must refuse to boot it (the test of that
path). grub-mkrescue needs xorriso; tools/setup-deps.sh installs both.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

GRUB_CFG = """\
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
echo "grub: checking the image's SHA-256"
if hashsum --hash sha256 --check /SHA256SUMS --prefix /; then
    echo "grub: loading Understudy by Multiboot2"
    multiboot2 /understudy.elf
    module2 /bundle.bin bundle
    boot
else
    echo "grub: the image's hashes do not match: not booting it"
    halt
fi
"""

# What grub.cfg uses, and what reads the CD; grub-mkrescue adds their dependencies. Without
# this list it installs every module, fonts and locales: 11 MB instead of about 3.
MODULES = ("normal serial terminal echo test hashsum gcry_sha256 multiboot2 halt iso9660 "
           "biosdisk part_msdos")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--corrupt", action="store_true")
    a = p.parse_args(argv)
    if shutil.which("grub-mkrescue") is None:
        print("mkgrubiso: grub-mkrescue not found (Debian: grub-pc-bin, grub-common, xorriso)",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "boot", "grub"))
        with open(os.path.join(d, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(GRUB_CFG)
        shutil.copyfile(a.kernel, os.path.join(d, "understudy.elf"))
        shutil.copyfile(a.bundle, os.path.join(d, "bundle.bin"))
        bundle_hash = sha256(a.bundle)
        if a.corrupt:
            bundle_hash = ("0" if bundle_hash[0] != "0" else "1") + bundle_hash[1:]
        with open(os.path.join(d, "SHA256SUMS"), "w") as f:
            f.write("%s  understudy.elf\n%s  bundle.bin\n" % (sha256(a.kernel), bundle_hash))
        r = subprocess.run(["grub-mkrescue", "-o", a.output, "--install-modules=" + MODULES,
                            "--fonts=", "--locales=", "--themes=", d],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("mkgrubiso: grub-mkrescue failed:\n" + r.stderr, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
