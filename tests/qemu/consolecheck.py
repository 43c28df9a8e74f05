# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Checks of what the operator's terminal shows."""

import re

# A hypervisor log line's start: "[    10.091] INFO vmm| ". A guest kernel's own lines carry
# six decimals and no level, so they do not match.
LOG_LINE = re.compile(r"\[ *\d+\.\d{3}\] (?:INFO|WARN|ERR |DBG ) *[\w-]+\| ")
ERASE_LINE = "\x1b[K"  # after "\r", which the driver's output drops


def log_lines_whole(m, since=0):
    """Every hypervisor log line printed from offset @since on starts a line of its own: after
    a line end, or after the console erased the line it interrupted (a half-typed command or
    an attached guest's unfinished line, which it draws again below the log). Call it over
    stretches where the console server is up: while it restarts, the kernel prints its own
    lines straight to the UART."""
    text = m.output
    broken = []
    for g in LOG_LINE.finditer(text, since):
        i = g.start()
        if i == 0 or text[i - 1] == "\n" or text.startswith(ERASE_LINE, i - len(ERASE_LINE)):
            continue
        broken.append(repr(text[max(0, i - 60):i + 40]))
    assert not broken, "log lines that break into another line:\n" + "\n".join(broken)
