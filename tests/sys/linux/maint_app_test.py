# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""`maint upgrade-app` (tests/sys/linux/README.md): while clients keep sending GET and SET, an
understudy boots whose agent fetches the application image `kvd-next` (kvd built as version
2) from the firmware bundle through the vmm, sha256-checked at both ends, and runs it; kvd's
state moves to it and the requests cut over. Before that, an image the bundle does not have
stops the flow with kvd0 serving. Zero failed requests; every acknowledged SET reads back;
afterwards VERSION answers 2."""
import json

import loadgen
import maintcheck
import usqemu


def test(t):
    m, port = maintcheck.serving(t)
    c = loadgen.Conn(port)
    assert c.ask("VERSION") == "VERSION 1"
    c.close()
    g = loadgen.LoadGen(port, keys=t.args.keys, persistent=0, per_request=2)
    g.seed()
    g.start(requests=10 ** 9, seconds=900)

    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-app kvd0 image=nope")
    assert out.startswith("upgrade-app of kvd0 started"), out
    m.expect_seen(r"migrate\| maint: kvd0: the understudy's application did not start; the "
                  r"first instance serves with all its data", timeout=300, since=since)

    since = len(m.output)
    out = usqemu.console_cmd(m, "maint upgrade-app kvd0 image=kvd-next --json")
    assert json.loads(out) == {"started": "upgrade-app", "vm": "kvd0"}, out
    m.expect_seen(r"vmm\| kvd0-b: carry: image 'kvd-next' \(\d+ bytes\) sent", timeout=300,
                  since=since)
    m.expect_seen(r"migrate\| maint: kvd0: done: kvd0-b serves", timeout=600, since=since)
    maintcheck.load_clean(g, "maint upgrade-app")
    c = loadgen.Conn(port)
    assert c.ask("VERSION") == "VERSION 2"
    assert c.ask("COUNT") == "COUNT %d" % t.args.keys
    c.close()
    vms = json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]
    assert [v["name"] for v in vms] == ["kvd0-b"], vms


def args(p):
    p.add_argument("--keys", type=int, default=10000)


usqemu.run_test(test, setup_args=args)
