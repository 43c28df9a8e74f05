# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint remove-memory` (docs/memory.md). While clients hammer kvd:

- refusals: the kernel's image, a range that is not RAM, one too large;
- the servers' own pages below the kernel's image (their images, stacks, heaps, state regions,
  page tables, devmgr's and the console's memory objects) move out at once; the audit finds
  the range empty, every server runs on, and `hw online` gives the range back;
- kvd0's RAM and the 16 MiB after it, which hold the vmm's own objects for kvd0:
  - via=restart, aborted with kvd frozen: the vmm's objects have moved out, the range is given
    back (the next flow can withhold it again);
  - by default (via=copy) kvd0's RAM is copied under it while its vCPU is parked: the same
    kvd0 runs on, on pages outside the range, and the audit finds no page in use or mapped;
- kvd0's new RAM via=restart: kvd moves to an understudy whose RAM is elsewhere, kvd0 retires,
  and the audit finds the range empty again.

Zero failed requests, every acknowledged SET reads back, every server runs."""
import json
import re

import loadgen
import maintcheck
import usqemu


def audit(m, base, size):
    return json.loads(usqemu.console_cmd(m, "hw audit 0x%x 0x%x --json" % (base, size)))


RAM = 0x40000000  # QEMU virt's RAM
KERNEL = 0x40200000  # where the kernel's image is linked (kernel/arch/aarch64/kernel.ld)
EXTRA = 16 << 20


def test(t):
    m, port = maintcheck.serving(t)
    kvd0 = maintcheck.vms(m)["kvd0"]
    base, size = kvd0["ram_pa"], kvd0["mem"]
    a = audit(m, base, size)
    assert a["pages_in_use"] == size // 4096, a
    assert [(h["base"], h["size"], h["holder"]) for h in a["holders"]] == [
        (base, size, "vmm")], a  # kvd0's RAM, mapped by the vmm and kvd0's stage 2
    assert a["holders"][0]["maps"] == 2 and a["pages_mapped"] == 2 * size // 4096, a
    tail = audit(m, base + size, EXTRA)  # what the vmm made for kvd0 after its RAM
    assert tail["pages_in_use"] > 0 and "vmm" in [h["holder"] for h in tail["holders"]], tail
    low = audit(m, RAM, KERNEL - RAM)  # below the kernel's image: servers' memory
    lo = min(h["base"] for h in low["holders"])
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    maintcheck.refused(m, "maint remove-memory 0x%x 0x200000" % KERNEL,
                       "pages there cannot move: the kernel's image and tables")
    maintcheck.refused(m, "maint remove-memory 0x1000 0x1000", "not the RAM the kernel manages")
    maintcheck.refused(m, "maint remove-memory 0x%x 0x%x" % (base, 1 << 30), "more than 256 MiB")

    # The servers' own pages move out under them, at once.
    before = audit(m, lo, KERNEL - lo)
    assert before["pages_in_use"] > 100, before
    assert {"devmgr", "console"} <= {h["holder"] for h in before["holders"]}, before
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x" % (lo, KERNEL - lo))
    moved = re.match(r"remove-memory of 0x%x: (\d+) pages moved out, nothing else in use there: "
                     r"withheld; it may be removed$" % lo, out)
    assert moved and int(moved.group(1)) >= before["pages_in_use"], (out, before)
    # Servers' root tables were among them (which ones depends on the boot's allocations):
    # with VHE the kernel runs through them, and each CPU loads a moved root
    # (arch_space_root_moved()).
    line = r"memory 0x%x\+0x%x: \d+ pages moved out \((\d+) tables' roots\) in \d+ us, " % (
        lo, KERNEL - lo)
    m.expect_seen(line + "0 wait", since=since)
    roots = re.findall(line, m.output[since:])
    assert sum(int(r) for r in roots) >= 1, m.output[since:]
    after = audit(m, lo, KERNEL - lo)
    assert after["pages_in_use"] == after["pages_mapped"] == 0 and after["holders"] == [], after
    assert all(s["state"] == "running" and s["faults"] == 0 for s in maintcheck.servers(m))
    maintcheck.refused(m, "maint remove-memory 0x%x 0x%x" % (base, size),
                       "another range is being removed")
    assert usqemu.console_cmd(m, "hw online") == "the withheld memory range is in use again"
    maintcheck.refused(m, "hw online", "no memory range is withheld")
    size += EXTRA

    # via=restart, aborted with kvd frozen: kvd0 keeps its RAM and the range is in use again.
    since = len(m.output)
    usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x via=restart fault=stall" % (base, size))
    m.expect_seen(r"migrate\| maint: kvd0: kvd frozen on kvd0; stalled here", timeout=300,
                  since=since)
    assert re.search(r"memory 0x%x\+0x%x: [1-9]\d* pages moved out" % (base, size),
                     m.output[since:])  # the vmm's, before kvd moves
    assert usqemu.console_cmd(m, "maint abort") == "aborted: the first instance serves"
    m.expect_seen(r"migrate\| maint: kvd0: aborted by the operator", timeout=300, since=since)
    assert "the withheld memory is in use again" in m.output[since:]

    # By default kvd0's RAM is copied under it: kvd0 runs on, on its new pages.
    out = usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x" % (base, size))
    moved = re.match(r"remove-memory of 0x%x: (\d+) pages moved out, nothing else in use there: "
                     r"withheld; it may be removed$" % base, out)
    assert moved and int(moved.group(1)) >= kvd0["mem"] // 4096, out
    clean(m, base, size)
    vms = maintcheck.vms(m)
    assert list(vms) == ["kvd0"] and vms["kvd0"]["id"] == kvd0["id"], vms
    outside(vms["kvd0"], base, size)
    assert usqemu.console_cmd(m, "hw online") == "the withheld memory range is in use again"

    # via=restart, kvd0's new RAM: kvd moves to an understudy made elsewhere, kvd0 retires.
    base, size = vms["kvd0"]["ram_pa"], vms["kvd0"]["mem"]
    since = len(m.output)
    out = usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x via=restart --json" % (base, size))
    assert json.loads(out) == {"started": "remove-memory", "base": "0x%x" % base}, out
    m.expect_seen(r"migrate\| maint: kvd0: memory 0x%x\+0x%x: no page in use, no mapping into "
                  r"it: it may be removed" % (base, size), timeout=600, since=since)
    maintcheck.load_clean(g, "maint remove-memory")
    clean(m, base, size)
    vms = maintcheck.vms(m)
    assert list(vms) == ["kvd0-b"], vms
    outside(vms["kvd0-b"], base, size)


def clean(m, base, size):
    """The range is empty: no page in use, none mapped, no object; every server runs."""
    a = audit(m, base, size)
    assert a["pages_in_use"] == a["pages_mapped"] == 0 and a["holders"] == [], a
    assert all(s["state"] == "running" and s["faults"] == 0 for s in maintcheck.servers(m))


def outside(vm, base, size):
    """@vm's RAM is out of [base, base + size)."""
    new = vm["ram_pa"]
    assert new + vm["mem"] <= base or new >= base + size, (hex(new), hex(base))


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
