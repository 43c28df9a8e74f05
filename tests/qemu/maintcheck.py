# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""What the maintenance tests ask the console shell, in one place: VMs, free memory, a
flow's status, and refusals with their reason."""
import json

import usqemu


def vms(m):
    """The VMs `vm list --json` shows, by name."""
    return {v["name"]: v for v in json.loads(usqemu.console_cmd(m, "vm list --json"))["vms"]}


def free_mem(m):
    return json.loads(usqemu.console_cmd(m, "stats mem --json"))["mem"]["free"]


def status(m):
    return json.loads(usqemu.console_cmd(m, "maint status --json"))["maint"]


def refused(m, cmd, reason):
    """@cmd must print one error line containing @reason."""
    out = usqemu.console_cmd(m, cmd)
    assert out.startswith("error: ") and reason in out, (cmd, out)
