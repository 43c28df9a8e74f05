# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""U-Boot refuses a FIT whose hypervisor image does not match its hash."""
import os

import usqemu


def test(t):
    fit = open(os.path.join(t.image, "understudy.fit"), "rb").read()
    kernel = open(os.path.join(t.image, "understudy.bin"), "rb").read()
    at = fit.find(kernel)
    assert at > 0, "kernel bytes not found in the FIT"
    bad = bytearray(fit)
    bad[at + len(kernel) // 2] ^= 0xff
    path = os.path.abspath("bad-hash.fit")
    with open(path, "wb") as f:
        f.write(bad)
    m = t.machine(boot="uboot", fit=path, uboot_bootm=False)
    m.sendline(usqemu.UBOOT_BOOTM)
    m.expect(r"sha256 error!|Bad hash value|Bad Data Hash", timeout=60)
    m.expect(r"(?m)^=> ", timeout=60)
    assert "Starting kernel" not in m.output, "the corrupt image was started"
    assert "entered at EL2" not in m.output, "the corrupt image was started"


usqemu.run_test(test)
