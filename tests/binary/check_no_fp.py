#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""The servers leave the FP/SIMD registers alone (docs/exits.md, "Servers leave the FP/SIMD").

Servers are built with -mgeneral-regs-only, so a guest's FP state stays in the registers
across its exits to the vmm: a server that touched them would trap to the kernel, which would
move the guest's whole register file out and back at every exit (the bench row "the same with
the guest's FP registers live"). Only these may use them: the SHA-256 instructions'
compressor (sha256_ce_blocks, for state seals), the FP check's mark in v31 or %xmm15
(us_cpu_fp_mark(), us_cpu_fp_marked()), and Debian's libfdt.a (fdt_*), which this project does
not compile and which runs only when a device tree is built or edited, never on an exit. Any
other instruction naming an FP/SIMD register (aarch64: q, d, s, h, b, v; x86_64: %xmm, %ymm,
%zmm, %mm, %st) fails this check, with its function.

usage: check_no_fp.py OBJDUMP SERVER.elf...
"""
import re
import subprocess
import sys

FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
INSN = re.compile(r"^\s*[0-9a-f]+:\s+(\S+)\s*(.*)$")
FP_REG = re.compile(r"(?<![\w.#])[qdshbv]([0-9]|[12][0-9]|3[01])(?![\w])"
                    r"|%([xyz]?mm\d+|st)\b")
ALLOWED_FUNCS = {"sha256_ce_blocks"}
MARK = re.compile(r"^(fmov\s+(d31, x\d+|x\d+, d31)|movq\s+(%r\w+,%xmm15|%xmm15,%r\w+))$")


def offenders(objdump, elf):
    """(function, instruction) pairs of @elf that use an FP/SIMD register outside the allowed."""
    out = subprocess.run([objdump, "-d", "--no-show-raw-insn", elf], check=True,
                         capture_output=True, text=True).stdout
    func, bad = "?", []
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            func = m.group(1)
            continue
        m = INSN.match(line)
        if not m or func in ALLOWED_FUNCS or func.startswith("fdt_"):
            continue
        op, args = m.group(1), m.group(2).split("//")[0].split("<")[0].strip()
        if FP_REG.search(args) and not MARK.match(f"{op} {args}"):
            bad.append((func, f"{op} {args}"))
    return bad


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    failed = False
    for elf in sys.argv[2:]:
        bad = offenders(sys.argv[1], elf)
        for func, insn in bad[:20]:
            print(f"{elf}: {func}: {insn}")
        print(f"{elf}: {len(bad)} FP/SIMD instruction(s) outside the allowed places")
        failed = failed or bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
