#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<name>/.

Each seed is an input in its target's own encoding (see the comment at the top of each
tests/fuzz/fuzz_<name>.c); they are small and committed, and this script is how they were made:
run it again after changing an encoding. The config target's seeds are .dts files compiled by
the build (tests/fuzz/CMakeLists.txt); this script does not touch them.

Usage: python3 tests/fuzz/make_seeds.py [--out DIR]
"""
import argparse
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

ABI_REVISION = 1
PAGE = 4096


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def name_field(name, size):
    raw = name.encode()
    return raw + b"\0" * (size - len(raw))


# --- bundle (understudy/bundle.h; flags of fuzz_bundle.c) -----------------------------------

B_FIX_TABLE, B_FIX_PARTS, B_VERIFY, B_GAP, B_FIX_TOTAL, B_LEN_TOTAL, B_ODD = (
    1 << i for i in range(7))
BUNDLE_SERVER, BUNDLE_MANIFEST, BUNDLE_CONFIG, BUNDLE_KERNEL, BUNDLE_INITRD, BUNDLE_BLOB = (
    range(1, 7))


def bundle(entries, parts, total, hashed=True):
    """Header and table for @entries (name, type, offset, size), then @parts: the bytes the
    harness places at US_BUNDLE_ALIGN in GAP mode (the components)."""
    image = bytearray(max(total, PAGE + len(parts)))
    image[PAGE:PAGE + len(parts)] = parts
    table = b""
    for name, typ, offset, size in entries:
        part = bytes(image[offset:offset + size])
        digest = hashlib.sha256(part).digest() if hashed else bytes(32)
        table += name_field(name, 32) + u32(typ) + u32(0) + u64(offset) + u64(size) + digest
        table += bytes(40)
    table_hash = hashlib.sha256(table).digest() if hashed else bytes(32)
    hdr = b"USBUNDL1" + u32(ABI_REVISION) + u32(len(entries)) + u64(total) + table_hash + bytes(8)
    return hdr + table + parts


def bundle_seeds():
    parts = bytes(range(100))
    three = [("manifest", BUNDLE_MANIFEST, PAGE, 100), ("console", BUNDLE_SERVER, PAGE, 0),
             ("config", BUNDLE_CONFIG, PAGE, 0)]
    total = PAGE + len(parts)
    every = [("t%u" % t, t, PAGE, 0) for t in range(1, 7)] + [("big", BUNDLE_BLOB, PAGE, 64)]
    return {
        # Repaired by the harness, checked with component hashes.
        "three-repaired": u8(B_FIX_TABLE | B_FIX_PARTS | B_VERIFY | B_GAP | B_FIX_TOTAL)
        + bundle(three, parts, total, hashed=False),
        # Correct as written: no repair.
        "three-hashed": u8(B_VERIFY | B_GAP) + bundle(three, parts, total),
        "one-entry": u8(B_GAP | B_VERIFY) + bundle([("guest", BUNDLE_KERNEL, PAGE, 1)], b"\x7f",
                                                   PAGE + 1),
        "every-type": u8(B_FIX_TABLE | B_GAP | B_FIX_TOTAL | B_LEN_TOTAL | B_ODD)
        + bundle(every, bytes(64), PAGE + 64, hashed=False),
        "no-gap": u8(B_FIX_TABLE) + bundle([("x", BUNDLE_BLOB, PAGE, 0)], b"", PAGE, hashed=False),
    }


# --- manifest (understudy/manifest.h; flags of fuzz_manifest.c) -----------------------------

M_EXACT_LEN, M_ODD = 1, 2
ENDPOINT, NOTIFICATION, MMIO, IRQ, VM_CONTROL, KLOG, SERVER_CTL, BUNDLE, PLATFORM_DTB, SHARED = (
    range(1, 11))
R, W, X, S, V = (1 << i for i in range(5))


def cap(slot, kind, rights, arg0=0, arg1=0):
    return u32(slot) + u32(kind) + u32(rights) + u32(0) + u64(arg0) + u64(arg1)


def server(name, image, priority, caps, state_pages=1, heap_pages=4):
    body = name_field(name, 16) + name_field(image, 32) + u32(priority) + u32(state_pages)
    body += u32(heap_pages) + u32(len(caps)) + b"".join(caps)
    return body + bytes(832 - len(body))


def manifest(servers):
    # With EXACT_LEN the harness zero-pads to the length server_count implies.
    return (b"USMANIF1" + u32(ABI_REVISION) + u32(len(servers)) + b"".join(servers)).rstrip(b"\0")


def manifest_seeds():
    console = server("console", "console", 20, [
        cap(0, ENDPOINT, V), cap(1, NOTIFICATION, S | V), cap(6, MMIO, R | W, 0x09000000, 0x1000),
        cap(7, IRQ, 0x1F, 33, 0), cap(8, KLOG, R), cap(9, SERVER_CTL, 0x1F)])
    vmm = server("vmm", "vmm", 10, [cap(3, ENDPOINT, S, 0, 0)])
    every = server("all", "all", 255, [
        cap(0, ENDPOINT, S, 1, 0x1234), cap(1, NOTIFICATION, S, 1),
        cap(2, MMIO, R, 0x8000000, 0x10000),
        cap(3, IRQ, 0, 1019, 63), cap(4, VM_CONTROL, 0x1F, 64 << 20), cap(5, KLOG, R),
        cap(6, SERVER_CTL, 0), cap(7, BUNDLE, R), cap(8, PLATFORM_DTB, R),
        cap(9, SHARED, R | W, 7, 1 << 20), cap(63, SHARED, R, 0, 1)])
    eight = [server("s%u" % i, "img%u" % i, 1 + i, [cap(i, NOTIFICATION, S, 7 - i)])
             for i in range(8)]
    return {
        "two-servers": u8(M_EXACT_LEN | M_ODD) + manifest([console, vmm]),
        "every-kind": u8(M_EXACT_LEN) + manifest([every, vmm]),
        "eight-servers": u8(M_EXACT_LEN) + manifest(eight),
    }


# --- virtio (script of fuzz_virtio.c) --------------------------------------------------------

V_BRING_UP, V_MMIO, V_DESC, V_AVAIL_PUSH, V_AVAIL_IDX, V_NOTIFY, V_RAM, V_CONSOLE_IN, \
    V_CONSOLE_RETRY, V_CONSOLE_ROOM, V_TOGGLE, V_UPLINK, V_BLK, V_NET_TX = range(14)
BLK, CON, NET = range(3)
RAM_IPA = 0x40000000
BUF = 0x8000


def vsel(vm, dev, q=0, raw=False):
    return vm | dev << 1 | q << 3 | (0x80 if raw else 0)


def v_bring_up(vm, dev, log2_num=3, steps=0):
    return u8(V_BRING_UP) + u8(vsel(vm, dev)) + u8(log2_num) + u8(steps)


def v_desc(vm, dev, q, i, off, length, flags, nxt):
    # mode 0: address = RAM + BUF + off (u16), length u16, flags u8.
    return (u8(V_DESC) + u8(vsel(vm, dev, q)) + u8(i) + u8(0) + u16(off) + u16(length) + u8(flags)
            + u8(nxt))


def v_desc_raw(vm, dev, q, i, addr, length, flags, nxt):
    return (u8(V_DESC) + u8(vsel(vm, dev, q)) + u8(i) + u8(1 | 2 | 4) + u64(addr) + u32(length)
            + u16(flags) + u8(nxt))


def v_push(vm, dev, q, head):
    return u8(V_AVAIL_PUSH) + u8(vsel(vm, dev, q)) + u8(head)


def v_notify(vm, dev, q):
    return u8(V_NOTIFY) + u8(vsel(vm, dev, q))


def v_ram(vm, off, data):
    return u8(V_RAM) + u8(vsel(vm, 0)) + u16(off) + u8(len(data)) + data


def v_mmio(vm, dev, off, value, write=True, size_sel=0):
    how = size_sel | (8 if write else 0)
    return u8(V_MMIO) + u8(vsel(vm, dev)) + u16(off) + u8(how) + u32(value)


def v_blk(vm, typ, sector, length, to_guest):
    mode = 2 if to_guest else 0
    return u8(V_BLK) + u8(vsel(vm, BLK)) + u8(mode) + u8(typ) + u16(sector) + u16(length)


def v_net_tx(vm, mode, length, split, payload=b""):
    body = payload + bytes(max(0, length - 12 - len(payload)))
    return (u8(V_NET_TX) + u8(vsel(vm, NET)) + u8(mode) + u16(length) + u16(split)
            + body[:max(0, length - 12)])


def virtio_seeds():
    blk = (u8(3) + v_bring_up(0, BLK) + v_blk(0, 1, 3, 1024, False) + v_blk(0, 0, 3, 512, True)
           + v_blk(0, 8, 0, 20, True) + v_blk(0, 4, 0, 0, False) + v_blk(0, 77, 0, 512, False)
           + v_blk(0, 0, 0x4000, 512, True) + v_mmio(0, BLK, 0x060, 0, write=False)
           + v_mmio(0, BLK, 0x064, 1) + v_mmio(0, BLK, 0x100, 0, write=False, size_sel=3))
    console = (u8(2) + v_bring_up(0, CON) + v_ram(0, BUF, b"hello, console")
               + v_desc(0, CON, 1, 0, 0, 7, 1, 1) + v_desc(0, CON, 1, 1, 7, 7, 0, 0)
               + v_push(0, CON, 1, 0) + v_notify(0, CON, 1)
               + v_desc(0, CON, 0, 0, 0x1000, 16, 2, 0) + v_push(0, CON, 0, 0)
               + u8(V_CONSOLE_IN) + u8(vsel(0, CON)) + u8(3) + b"ls\n"
               + u8(V_CONSOLE_ROOM) + u8(0) + u16(4) + v_push(0, CON, 1, 0) + v_notify(0, CON, 1)
               + u8(V_CONSOLE_ROOM) + u8(0) + u16(4080) + u8(V_CONSOLE_RETRY) + u8(0))
    net = (u8(3) + v_bring_up(0, NET) + v_bring_up(1, NET)
           + v_desc(1, NET, 0, 0, 0x1000, 1600, 2, 0) + v_push(1, NET, 0, 0)
           + v_desc(1, NET, 0, 1, 0x2000, 1600, 2, 0) + v_push(1, NET, 0, 1)
           + v_net_tx(0, 0, 60, 12, b"\x08\x00hello") + v_net_tx(0, 1, 42, 30)
           + v_net_tx(0, 4, 60, 12) + v_net_tx(0, 8, 60, 0)
           + u8(V_UPLINK) + u8(0) + u8(1 | 2) + u16(60) + bytes(6) + b"\x52\x54\x00\x12\x34\x56"
           + bytes(48))
    hostile = (u8(0) + v_bring_up(0, BLK)
               + v_desc(0, BLK, 0, 0, 0, 16, 1, 1) + v_desc(0, BLK, 0, 1, 0x100, 512, 1, 0)
               + v_push(0, BLK, 0, 0) + v_notify(0, BLK, 0)            # a looping chain
               + v_bring_up(0, BLK) + v_push(0, BLK, 0, 200)  # head out of range
               + v_notify(0, BLK, 0)
               + v_bring_up(0, BLK) + u8(V_AVAIL_IDX) + u8(0) + u16(100) + v_notify(0, BLK, 0)
               + v_bring_up(0, BLK) + v_mmio(0, BLK, 0x084, 0xFF) + v_blk(0, 0, 0, 512, True)
               + v_bring_up(0, BLK) + v_desc_raw(0, BLK, 0, 1, RAM_IPA + 0xFFF8, 512, 3, 2)
               + v_blk(0, 0, 0, 512, True) + v_mmio(0, BLK, 0x038, 3) + v_mmio(0, BLK, 0x030, 5)
               + u8(V_TOGGLE) + u8(0) + u8(0x3F))
    return {"blk": blk, "console": console, "net": net, "hostile": hostile}


# --- gic (script of fuzz_gic.c) --------------------------------------------------------------

G_GICD, G_GICR, G_RAW, G_SGI, G_DELIVERABLE, G_RESET = range(6)
WRITE = 0x40


def g_d(off, value=None, width_sel=0):
    how = width_sel | (WRITE if value is not None else 0)
    return u8(G_GICD) + u8(how) + u16(off) + (u64(value) if value is not None else b"")


def g_r(vcpu, off, value=None, sgi_frame=False, width_sel=0):
    how = width_sel | (WRITE if value is not None else 0) | (8 if sgi_frame else 0)
    return u8(G_GICR) + u8(how) + u8(vcpu) + u16(off) + (u64(value) if value is not None else b"")


def gic_seeds():
    linux = (u8(3) + u8(0x0F)                              # 4 vCPUs, all on
             + g_d(0xFFE8) + g_d(0x4) + g_d(0x0, 0) + g_d(0x8)
             + b"".join(g_d(0x80 + 4 * w, 0xFFFFFFFF) for w in range(1, 4))
             + b"".join(g_d(0x400 + 4 * i, 0xA0A0A0A0) for i in range(8, 32, 4))
             + g_d(0xC08, 0) + g_d(0x184, 0xFFFFFFFF) + g_d(0x104, 1 << 1)
             + g_d(0x6000 + 8 * 33, 0, width_sel=3) + g_d(0x6000 + 8 * 33, width_sel=3)
             + g_d(0x0, 0x12)
             + b"".join(g_r(v, 0x14, 0) + g_r(v, 0x14) + g_r(v, 0x8, width_sel=3) for v in range(4))
             + g_r(0, 0x80, 0xFFFFFFFF, True) + g_r(0, 0x100, 0xFFFF, True)
             + g_r(0, 0x400, 0x80808080, True) + g_r(0, 0xC04, 0, True)
             + u8(G_DELIVERABLE) + u8(0) + u16(33) + u8(G_DELIVERABLE) + u8(0) + u16(1)
             + u8(G_SGI) + u8(0) + u64(1 << 24 | 0b1110)
             + u8(G_SGI) + u8(1) + u64(1 << 40 | 5 << 24)
             + u8(G_SGI) + u8(0) + u64(1 << 16 | 1))
    edges = (u8(7) + u8(0xFF) + g_d(0x6100, 1, width_sel=3) + g_d(0x7FF8, width_sel=3)
             + g_d(0x47C, 7)
             + g_d(0x480, 7) + g_d(0xC1C, 5) + g_d(0x2, width_sel=4) + g_r(8, 0x8)
             + g_r(7, 0x8, width_sel=3) + g_r(7, 0xC) + g_r(0, 0x10000 - 4)
             + u8(G_RAW) + u8(1) + u32(0xFFFFFFFC) + u8(0) + u64(0)
             + u8(G_RAW) + u8(2) + u32(0x20000 * 8) + u8(0) + u64(0)
             + u8(G_RESET) + u8(0) + u8(G_DELIVERABLE) + u8(0) + u16(5000))
    return {"linux-init": linux, "edges": edges}


# --- exit (script of fuzz_exit.c) ------------------------------------------------------------

E_EXIT, E_REQUEST, E_FAST, E_DRAIN, E_RAM = range(5)
MMIO_EXIT, HVC, SMC, WFI, SYSREG, ABORT, UNKNOWN = range(1, 8)
UART, GICD, GICR, VBLK, VCON, VNET, RAMB, RAWB = range(8)
PSCI = {"smccc_version": 0, "version": 1, "cpu_off": 2, "cpu_on": 3, "affinity": 4, "off": 5,
        "reset": 6, "features": 7}
LABEL_PING, LABEL_NOTIFY, VM_COUNT, VM_INFO, GUEST_IN = range(5)


def e_mmio(base, off, write, size_log2, reg, value, slot=0, vcpu=0):
    how = base | write << 3 | size_log2 << 4 | (reg & 3) << 6
    return (u8(E_EXIT) + u8(slot) + u8(MMIO_EXIT) + u8(how) + u16(0x100) + u8(vcpu) + u32(off)
            + u8(reg & 0x1C) + u64(value))


def e_psci(fn, x1=0, x3=0, smc=False, vcpu=0, x2=None):
    how = PSCI[fn] | (0x20 if x2 is not None else 0)
    body = u8(E_EXIT) + u8(0) + u8(SMC if smc else HVC) + u8(how) + u16(0x200) + u8(vcpu) + u8(x1)
    return body + (u64(x2) if x2 is not None else b"") + u64(x3)


SYSREGS = {"sgi1r": 0, "mdscr": 1, "oslar": 2, "oslsr": 3, "dbgbvr0": 5}


def e_sysreg(value, reg="sgi1r", read=False, rt=1, vcpu=0, iss=None):
    """A trapped MSR/MRS: of a register in fuzz_exit.c's table, or of @iss."""
    how = (0 if iss is not None else 1) | (0x20 if read else 0)
    body = u8(E_EXIT) + u8(0) + u8(SYSREG) + u8(how) + u16(0x300) + u8(vcpu)
    body += u32(iss) if iss is not None else u8(SYSREGS[reg])
    return body + u8(rt) + u64(value)


def e_request(label, payload=b"", length=None, badge=None):
    sel = label | (0x40 if badge is not None else 0)
    length = len(payload) if length is None else length
    body = u8(E_REQUEST) + u8(sel) + (u8(badge) if badge is not None else b"")
    return body + u8(length) + u16(0) + u32(0) + u32(0xFFFFFFFF) + payload


def exit_seeds():
    uart = (u8(0x09) + u8(0)                                  # 2 vCPUs, UART fast page, all devices
            + e_mmio(UART, 0x0, 1, 2, 1, ord("A")) + e_mmio(UART, 0x18, 0, 2, 2, 0)
            + e_mmio(UART, 0x38, 1, 2, 3, 0x10) + e_request(GUEST_IN, u64(0) + u64(3) + b"ls\n", 19)
            + e_mmio(UART, 0x0, 0, 2, 4, 0) + e_mmio(UART, 0xFE0, 0, 2, 5, 0)
            + u8(E_FAST) + u8(5) + b"hello" + u8(1) + u8(E_DRAIN) + u8(0)
            + e_mmio(GICD, 0x4, 0, 2, 6, 0) + e_mmio(GICD, 0x104, 1, 2, 7, 2)
            + e_mmio(GICD, 0, 1, 2, 8, 0x12)
            + e_mmio(GICR, 0x8, 0, 3, 9, 0) + e_mmio(VBLK, 0x0, 0, 2, 10, 0)
            + e_mmio(VCON, 0x70, 1, 2, 11, 0) + e_mmio(VNET, 0x100, 0, 0, 12, 0)
            + e_mmio(RAMB, 0x10, 1, 3, 13, 0) + e_mmio(VBLK, 0x0, 0, 1, 14, 0))
    psci = (u8(0x03) + u8(0)                                  # 4 vCPUs
            + e_psci("version") + e_psci("smccc_version", smc=True) + e_psci("features", 0)
            + e_psci("cpu_on", 1, x2=0x40080000) + e_psci("cpu_on", 1, x2=0x40080000)
            + e_psci("affinity", 1, x2=0) + e_psci("cpu_on", 9) + e_psci("cpu_off", vcpu=1)
            + e_sysreg(1 << 24 | 0b10) + e_sysreg(1 << 40 | 3 << 24)
            + e_sysreg(0, iss=0x300000, read=True)
            + e_sysreg(0x8000, "mdscr", vcpu=1) + e_sysreg(0, "mdscr", read=True, vcpu=1)
            + e_sysreg(1, "oslar") + e_sysreg(0, "oslsr", read=True) + e_sysreg(5, "dbgbvr0")
            + e_psci("reset", vcpu=1) + e_psci("reset") + e_psci("off")
            + u8(E_EXIT) + u8(0) + u8(UNKNOWN) + u8(0) + u16(0) + u8(0) + u32(0x2000000))
    clients = (u8(0x40) + u8(0xF0)
               + e_request(LABEL_PING) + e_request(VM_COUNT) + e_request(VM_INFO, u64(0), 8)
               + e_request(VM_INFO, u64(1), 8) + e_request(VM_INFO, u64(7), 8)
               + e_request(VM_INFO, b"", 0)
               + e_request(GUEST_IN, u64(1) + u64(300) + b"x", 17)
               + e_request(GUEST_IN, bytes(240), 250)
               + e_request(LABEL_NOTIFY, badge=0x38) + e_request(5, b"", 0)
               + u8(E_EXIT) + u8(0x80) + u8(5) + u8(WFI) + u8(0) + u16(0) + u8(0) + u32(0)
               + u8(E_EXIT) + u8(0x40) + u8(WFI) + u8(0) + u16(0) + u8(0) + u32(0) + u32(2))
    return {"uart-gic-virtio": uart, "psci-sysreg": psci, "clients": clients}


# --- ipc (messages of fuzz_ipc.c) ------------------------------------------------------------

TO_NONE, TO_DEVMGR, TO_MIGRATE = range(3)
L_EXIT, L_PING, L_NOTIFY, L_DEV_COUNT, L_DEV_INFO, L_VIEW, L_HIDE, L_MIGRATE = range(8)


def ipc_msg(target, label, words=(), length=None, lo=0, hi=240, err=None, badge=0):
    sel = target | label << 2 | (0x20 if err is not None else 0)
    length = 8 * len(words) if length is None else length
    body = u8(sel) + u16(lo) + u16(hi) + u8(badge) + u8(len(words))
    body += u8(length // 8) + u16(0) + (u32(err) if err is not None else b"")
    for w in words:
        body += u8(w) if w < 0x80 else u8(0x80) + u64(w)
    return body


def ipc_seeds():
    devmgr = (u8(5)
              + ipc_msg(TO_DEVMGR, L_PING) + ipc_msg(TO_DEVMGR, L_DEV_COUNT)
              + ipc_msg(TO_DEVMGR, L_DEV_INFO, [0]) + ipc_msg(TO_DEVMGR, L_DEV_INFO, [4])
              + ipc_msg(TO_DEVMGR, L_DEV_INFO, [5]) + ipc_msg(TO_DEVMGR, L_DEV_INFO, [0, 0])
              + ipc_msg(TO_DEVMGR, L_VIEW, [0, 0xF]) + ipc_msg(TO_DEVMGR, L_HIDE, [0, 4, 1])
              + ipc_msg(TO_DEVMGR, L_VIEW, [0, 0xF]) + ipc_msg(TO_DEVMGR, L_HIDE, [0, 4, 0])
              + ipc_msg(TO_DEVMGR, L_HIDE, [8, 1, 1]) + ipc_msg(TO_DEVMGR, L_HIDE, [0, 0x10, 1])
              + ipc_msg(TO_DEVMGR, L_VIEW, [0]) + ipc_msg(TO_DEVMGR, L_NOTIFY)
              + ipc_msg(TO_DEVMGR, L_EXIT, [1, 2, 3]))
    migrate = (u8(0) + ipc_msg(TO_MIGRATE, L_PING) + ipc_msg(TO_MIGRATE, L_MIGRATE)
               + ipc_msg(TO_MIGRATE, L_NOTIFY) + ipc_msg(TO_MIGRATE, L_DEV_COUNT, err=3))
    resume = (u8(0)
              + ipc_msg(TO_NONE, L_EXIT, [1, 31, 5, 0, 0, 0, 0, 0], lo=64, hi=64)
              + ipc_msg(TO_NONE, L_EXIT, [2, 32, 0, 0, 0, 0, 0, 0])
              + ipc_msg(TO_NONE, L_EXIT, [8, 0, 0, 0, 0, 0, 0, 127])
              + ipc_msg(TO_NONE, L_EXIT, [8, 0, 0, 0, 0, 0, 0, 0x80])
              + ipc_msg(TO_NONE, L_EXIT, [0x80, 0, 0, 0, 0, 0, 0, 0])
              + ipc_msg(TO_NONE, L_EXIT, [0x40, 0, 0, 0, 0, 0, 0, 0], length=56)
              + ipc_msg(TO_NONE, L_PING, [1], lo=8, hi=8, err=13))
    return {"devmgr": devmgr, "migrate": migrate, "resume": resume}


# --- kvd (request lines) ---------------------------------------------------------------------

def kvd_seeds():
    return {
        "session": b"PING\nSET colour blue\nGET colour\nCOUNT\nDEL colour\nGET colour\nQUIT\n",
        "crlf-and-spaces": b"SET a hello world\r\nGET a\r\nSET e \nGET e\nPING \nCOUNT\n",
        "bad": b"\nping\nSET\nSET k\nGET a b\nDEL\nCOUNT x\nSETX a b\nGET \x01\nSET a \x7f\n",
        "limits": b"SET " + b"k" * 64 + b" " + b"v" * 256 + b"\nGET " + b"k" * 64 + b"\nSET "
        + b"k" * 65 + b" v\nSET a " + b"v" * 257 + b"\n" + b"x" * 520 + b"\n",
        "churn": b"".join(b"SET k%u %u\n" % (i, i) for i in range(40))
        + b"".join(b"DEL k%u\n" % i for i in range(0, 40, 3))
        + b"".join(b"GET k%u\n" % i for i in range(40)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = parser.parse_args()
    corpora = {"bundle": bundle_seeds(), "manifest": manifest_seeds(), "virtio": virtio_seeds(),
               "gic": gic_seeds(), "exit": exit_seeds(), "ipc": ipc_seeds(), "kvd": kvd_seeds()}
    for target, seeds in corpora.items():
        out = os.path.join(args.out, target)
        os.makedirs(out, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
    print("make_seeds: %d seeds in %s" % (sum(len(s) for s in corpora.values()), args.out))


if __name__ == "__main__":
    main()
