#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Write the FIT source (.its) that mkimage turns into the Understudy firmware image.

The kernel image is the hypervisor (arm64 Image format), the ramdisk is the boot bundle.
There is no fdt node: U-Boot hands over its own control DTB.
"""
import argparse
import os
import sys

KERNEL_LOAD = 0x40200000  # keep in sync with the kernel's link address
BUNDLE_LOAD = 0x48000000  # keep in sync with the kernel's expected initrd window

ITS = """/dts-v1/;

/ {{
    description = "{description}";
    #address-cells = <1>;

    images {{
        kernel {{
            description = "Understudy hypervisor";
            data = /incbin/("{kernel}");
            type = "kernel";
            arch = "arm64";
            os = "linux";
            compression = "none";
            load = <{kernel_load:#010x}>;
            entry = <{kernel_load:#010x}>;
            hash-1 {{
                algo = "sha256";
            }};
        }};

        ramdisk {{
            description = "Understudy boot bundle";
            data = /incbin/("{bundle}");
            type = "ramdisk";
            arch = "arm64";
            os = "linux";
            compression = "none";
            load = <{bundle_load:#010x}>;
            hash-1 {{
                algo = "sha256";
            }};
        }};
    }};

    configurations {{
        default = "conf-1";

        conf-1 {{
            description = "Understudy";
            kernel = "kernel";
            ramdisk = "ramdisk";
        }};
    }};
}};
"""


def dts_string(s):
    """Quote a path for a dts string literal."""
    return s.replace("\\", "\\\\").replace('"', '\\"')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel", required=True, help="hypervisor raw Image")
    ap.add_argument("--bundle", required=True, help="boot bundle from uspack")
    ap.add_argument("--description", default="Understudy firmware image")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    for path in (a.kernel, a.bundle):
        if not os.path.isfile(path):
            print("mkits: %s: no such file" % path, file=sys.stderr)
            return 1
    text = ITS.format(description=dts_string(a.description),
                      kernel=dts_string(os.path.abspath(a.kernel)),
                      bundle=dts_string(os.path.abspath(a.bundle)),
                      kernel_load=KERNEL_LOAD, bundle_load=BUNDLE_LOAD)
    tmp = a.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
