# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The x86_64 kernel's own faults are reported, not a silent triple fault, and its final map
is enforced (docs/x86_64.md): a debug build takes the fault named on its command line (QEMU
-append) once it runs on that map, and its IDT must name the exception, where it happened and,
for a page fault, the error code and the address. "pf" reads page 0, which the map leaves out;
"wx" writes to the kernel's text (present, write: error 0x3); "nx" calls into its data
(present, instruction fetch: error 0x11)."""
import os

import usqemu

PF = r"kernel\| PANIC: trap: #PF page fault \(vector 14\), error {}, at rip (0x[0-9a-f]+), cr2 ({}): stopping"
WANT = {
    "ud2": r"kernel\| PANIC: trap: #UD invalid opcode \(vector 6\), error 0x0, at rip (0x[0-9a-f]+), "
           r"cr2 (0x0): stopping",
    "pf": PF.format("0x0", "0x0"),
    "wx": PF.format("0x3", "0x[0-9a-f]+"),
    "nx": PF.format("0x11", "0x[0-9a-f]+"),
}


def setup(parser):
    parser.add_argument("--fault", choices=sorted(WANT), required=True)


def test(t):
    m = t.machine(arch="x86_64", kernel=os.path.join(t.args.image, "selftest.elf"),
                  extra_args=["-append", "fault=" + t.args.fault])
    m.expect(r"kernel\| Understudy hypervisor \(ABI \d+\) on QEMU q35 \(x86_64\)")
    m.expect(r"kernel\| kernel map: RAM ")
    m.expect(r"kernel\| debug: taking fault=" + t.args.fault)
    got = m.expect(WANT[t.args.fault])
    rip, cr2 = int(got.group(1), 16), int(got.group(2), 16)
    assert 0x100000 <= rip < 0x40000000, hex(rip)  # in the kernel's image, loaded at 1 MiB
    if t.args.fault == "wx":
        assert 0x100000 <= cr2 < rip + 0x10000 and cr2 != rip, (hex(cr2), hex(rip))
    if t.args.fault == "nx":
        assert cr2 == rip and rip > 0x100000, (hex(cr2), hex(rip))  # the fetch itself faulted
    assert "SVM:" not in m.output, m.output  # it stopped there: no guest ran


usqemu.run_test(test, setup_args=setup)
