# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint remove-memory` (docs/memory.md): kvd0's RAM, one physical run, is the range to take
out. `hw audit` shows it in use and mapped (by the vmm, and kvd0's stage 2). While clients
hammer kvd: refusals (a range holding the hypervisor's own memory, one that is not RAM), an
abort with kvd frozen (the range given back: the next flow can withhold it again), then the
flow: the range is withheld, kvd moves to an understudy whose RAM is elsewhere, kvd0 retires,
and the audit finds no page in use and nothing mapping the range. Zero failed requests, every
acknowledged SET reads back, every server runs."""
import json

import loadgen
import maintcheck
import usqemu


def audit(m, base, size):
    return json.loads(usqemu.console_cmd(m, "hw audit 0x%x 0x%x --json" % (base, size)))


def test(t):
    m, port = maintcheck.serving(t)
    kvd0 = maintcheck.vms(m)["kvd0"]
    base, size = kvd0["ram_pa"], kvd0["mem"]
    a = audit(m, base, size)
    assert a["pages_in_use"] == size // 4096, a
    assert [(h["base"], h["size"], h["holder"]) for h in a["holders"]] == [
        (base, size, "vmm")], a  # kvd0's RAM, mapped by the vmm and kvd0's stage 2
    assert a["holders"][0]["maps"] == 2, a
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    maintcheck.refused(m, "maint remove-memory 0x40000000 0x200000",
                       "pages there are the hypervisor's own, which cannot move yet")  # its image
    maintcheck.refused(m, "maint remove-memory 0x1000 0x1000", "not the RAM the kernel manages")
    maintcheck.refused(m, "maint remove-memory 0x%x 0x%x" % (base, 1 << 30), "more than 256 MiB")

    # Aborted with kvd frozen: kvd0 keeps its RAM and the range is in use again.
    since = len(m.output)
    usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x fault=stall" % (base, size))
    m.expect_seen(r"migrate\| maint: kvd0: kvd frozen on kvd0; stalled here", timeout=300,
                  since=since)
    assert usqemu.console_cmd(m, "maint abort") == "aborted: the first instance serves"
    m.expect_seen(r"migrate\| maint: kvd0: aborted by the operator", timeout=300, since=since)
    assert "the withheld memory is in use again" in m.output[since:]

    since = len(m.output)
    out = usqemu.console_cmd(m, "maint remove-memory 0x%x 0x%x --json" % (base, size))
    assert json.loads(out) == {"started": "remove-memory", "base": "0x%x" % base}, out
    m.expect_seen(r"migrate\| maint: kvd0: memory 0x%x\+0x%x: no page in use, no mapping into "
                  r"it: it may be removed" % (base, size), timeout=600, since=since)
    maintcheck.load_clean(g, "maint remove-memory")
    a = audit(m, base, size)
    assert a["pages_in_use"] == 0 and a["holders"] == [], a
    vms = maintcheck.vms(m)
    assert list(vms) == ["kvd0-b"], vms
    new = vms["kvd0-b"]["ram_pa"]
    assert new + size <= base or new >= base + size, (hex(new), hex(base))
    assert all(s["state"] == "running" and s["faults"] == 0 for s in maintcheck.servers(m))


def args(p):
    p.add_argument("--keys", type=int, default=5000)


usqemu.run_test(test, setup_args=args)
