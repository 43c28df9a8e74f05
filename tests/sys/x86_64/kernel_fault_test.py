# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The x86_64 kernel's own faults are reported, not a silent triple fault (docs/x86_64.md):
a debug build takes the fault named on its command line (QEMU -append) right after boot, and
its IDT must name the exception, where it happened and, for a page fault, the address."""
import usqemu

WANT = {
    "ud2": r"kernel\| trap: #UD invalid opcode \(vector 6\), error 0x0, at rip (0x[0-9a-f]+), "
           r"cr2 0x0: stopping",
    "pf": r"kernel\| trap: #PF page fault \(vector 14\), error 0x0, at rip (0x[0-9a-f]+), "
          r"cr2 0x40000000: stopping",
}


def setup(parser):
    parser.add_argument("--fault", choices=sorted(WANT), required=True)


def test(t):
    m = t.machine(arch="x86_64", extra_args=["-append", "fault=" + t.args.fault])
    m.expect(r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\)")
    rip = int(m.expect(WANT[t.args.fault]).group(1), 16)
    assert 0x100000 <= rip < 0x40000000, hex(rip)  # in the kernel's image, loaded at 1 MiB
    assert "SVM:" not in m.output, m.output  # it stopped there: no guest ran


usqemu.run_test(test, setup_args=setup)
