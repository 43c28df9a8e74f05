# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Build an image with tools/mkfirmware.py and boot it (tests/sys/ownimage/README.md)."""
import json
import os
import re
import subprocess
import sys

import usqemu

HERE = os.path.dirname(os.path.abspath(__file__))
MKFIRMWARE = os.path.join(HERE, "..", "..", "..", "tools", "mkfirmware.py")

CONFIG = """/dts-v1/;
/ {
    compatible = "understudy,system-config";
    understudy,abi = <1>;
    vms {
        web {
            memory = <0x0 0x2000000>;
            kernel = "mine";
            bootargs = "packed by mkfirmware";
            devices = "uart";
        };
    };
};
"""


def mkfirmware(t, out, config, guest):
    return subprocess.run([sys.executable, MKFIRMWARE, "--build", t.args.build, "--config",
                           config, "--guest", "mine=" + guest, "-o", out],
                          capture_output=True, text=True)


def refused(t, config, guest, why):
    out = os.path.abspath("refused")
    r = mkfirmware(t, out, config, guest)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert re.search(why, r.stderr), r.stderr
    assert not os.path.exists(os.path.join(out, "understudy.fit")), "an image was written"


def test(t):
    config = os.path.abspath("web.dts")
    with open(config, "w") as f:
        f.write(CONFIG)
    out = os.path.abspath("web-image")  # not t.image: that is the build's default image
    r = mkfirmware(t, out, config, t.args.guest_image)
    assert r.returncode == 0, r.stdout + r.stderr

    m = t.machine(image_dir=out)
    m.expect(r"us> ")
    m.expect(r"vmm\| web: .*guest called|vmm\| up: 1 VM")
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [(v["name"], v["mem"]) for v in vms] == [("web", 32 << 20)], vms
    m.sendline("vm console 0")
    m.expect(r"attached to vm 0 \(web\)")
    m.expect(r"hello: bootargs=packed by mkfirmware")
    m.kill()

    u = t.machine(image_dir=out, boot="uboot")
    u.expect(r"kernel\| 4 servers up")
    u.kill()

    refused(t, config, config, r"not an arm64 Image")
    refused(t, t.args.guest_image, t.args.guest_image, r"dtc failed")
    # What the vmm would refuse at boot is refused at build time, with the reason.
    other = os.path.abspath("other.dts")
    with open(other, "w") as f:
        f.write(CONFIG.replace('kernel = "mine"', 'kernel = "theirs"'))
    refused(t, other, t.args.guest_image, r"VM 'web' boots kernel 'theirs', which is not packed")
    huge = os.path.abspath("huge.dts")
    with open(huge, "w") as f:
        f.write(CONFIG.replace("<0x0 0x2000000>", "<0x0 0x40000000>"))
    refused(t, huge, t.args.guest_image, r"VM 'web' needs 1024 MiB, more than the 768 MiB")
    typo = os.path.abspath("typo.dts")
    with open(typo, "w") as f:
        f.write(CONFIG.replace("bootargs", "bootarg"))
    refused(t, typo, t.args.guest_image, r"config: US_EINVAL at /vms/web/bootarg")


def args(p):
    p.add_argument("--build", required=True)
    p.add_argument("--guest-image", required=True)


usqemu.run_test(test, setup_args=args)
