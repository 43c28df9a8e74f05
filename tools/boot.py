#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Boot an Understudy image in QEMU with its console on this terminal (Ctrl-a x quits).

    python3 tools/boot.py --image build/images/default [--uboot] [--cpu C] [--smp N]
                          [--mem M] [--icount] [--port P] [--no-nic] [--arch A]
                          [--] [extra QEMU arguments]

The default is the fast path (-kernel/-initrd) with -serial mon:stdio. --uboot boots the FIT
through U-Boot like a vendor would: tests/qemu/usqemu.py types the bootm command on the serial
socket, then this terminal is relayed to the serial port until QEMU exits.

The machine has a NIC on QEMU user networking (the uplink of Understudy's switch), and the
host's 127.0.0.1:P (--port, default 7000) is forwarded to 10.0.2.15:7000, where the default
image's guest serves kvd: `nc 127.0.0.1 7000` from another terminal talks to it.

--arch x86_64 boots the x86_64 port (images/x86_64 beside --image; docs/x86_64.md) on
qemu-system-x86_64 -M q35 -cpu max, its NIC a virtio-net-pci function: the kernel
(understudy.elf) with the bundle --x86-image names (default linux2: the four servers, the
console shell on this terminal, and two of Debian's amd64 kernels as guests, linux0 serving
kvd at 10.0.2.15 as the aarch64 default image's guest does, with 512M; bundle, hello and hello2
(the bare-metal test guest), hostile and linux (one Linux guest) are the others), or with
--x86-image selftest the port's first stage (selftest.elf), or with --x86-image grub the
vendor's path: SeaBIOS, then GRUB from a CD image checking the hashes and loading the kernel
and hello.bin by Multiboot2.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "qemu"))
import usqemu  # noqa: E402  (needs the path above)


def main(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0], allow_abbrev=False,
        epilog="Arguments it does not know are passed to QEMU.")
    parser.add_argument("--image", required=True, help="image directory, e.g. build/images/default")
    parser.add_argument("--uboot", action="store_true", help="boot the FIT through U-Boot")
    parser.add_argument("--cpu", default="cortex-a72", help="QEMU -cpu (default cortex-a72)")
    parser.add_argument("--smp", type=int, default=2, help="number of CPUs (default 2)")
    parser.add_argument("--mem", default="1G", help="QEMU -m (default 1G)")
    parser.add_argument("--icount", action="store_true", help="deterministic -icount timing")
    parser.add_argument("--port", type=int, default=7000,
                        help="host port forwarded to the guest's kvd at 10.0.2.15:7000")
    parser.add_argument("--no-nic", action="store_true", help="no NIC (and no forward)")
    parser.add_argument("--arch", choices=("aarch64", "x86_64"), default="aarch64",
                        help="aarch64 (default), or the x86_64 port")
    parser.add_argument("--x86-image", default="linux2",
                        help="with --arch x86_64: the bundle images/x86_64/NAME.bin to boot "
                             "(default linux2), selftest for the first stage, or grub")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    if args.arch == "x86_64":
        if args.uboot:
            parser.error("--uboot is for aarch64 only")
        image = os.path.join(os.path.dirname(os.path.abspath(args.image)), "x86_64")
        cpu = "max" if args.cpu == parser.get_default("cpu") else args.cpu
        if args.x86_image == "selftest":
            boot = dict(kernel=os.path.join(image, "selftest.elf"))
        elif args.x86_image == "grub":
            boot = dict(cdrom=os.path.join(image, "grub.iso"))
        else:
            bundle = os.path.join(image, args.x86_image + ".bin")
            if not os.path.exists(bundle):
                parser.error("--x86-image: no %s" % bundle)
            boot = dict(initrd=bundle)
        mem = args.mem if args.mem != parser.get_default("mem") else (
            "512M" if args.x86_image == "linux2" else "256M")
        machine = usqemu.Machine(image_dir=image, arch="x86_64", cpu=cpu, smp=args.smp, mem=mem,
                                 extra_args=extra, name="boot", timeout=None, log_dir=None,
                                 nic=None if args.no_nic else [(args.port, "10.0.2.15", 7000)],
                                 **boot)
    else:
        machine = usqemu.Machine(image_dir=args.image, boot="uboot" if args.uboot else "fast",
                                 cpu=args.cpu, smp=args.smp, mem=args.mem, icount=args.icount,
                                 extra_args=extra, name="boot", timeout=None, log_dir=None,
                                 echo=True,
                                 nic=None if args.no_nic else [(args.port, "10.0.2.15", 7000)])
        if not args.no_nic:
            print("boot.py: 127.0.0.1:%d reaches the guest's kvd at 10.0.2.15:7000 "
                  "(try: nc 127.0.0.1 %d, then PING); Ctrl-a x quits" % (args.port, args.port),
                  flush=True)
    try:
        if not args.uboot:
            argv_qemu = machine.command(serial="mon:stdio")
            os.execvp(argv_qemu[0], argv_qemu)
        print("boot.py: booting through U-Boot; Ctrl-a x quits, Ctrl-a h helps", flush=True)
        # Raw from the start, so keys typed while U-Boot runs reach the kernel unechoed.
        with usqemu.raw_terminal():
            machine.start()
            machine.interact()
    except usqemu.UsQemuError as e:
        machine.kill()
        print("\nboot.py: %s" % e, file=sys.stderr)
        return 1
    finally:
        machine.kill()
    status = machine.proc.returncode if machine.proc else 1
    return status if status and status > 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
