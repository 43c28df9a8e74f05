# SPDX-License-Identifier: MIT
# Copyright (c) 2026 The Understudy authors
"""QEMU driver for Understudy's system tests and tools/boot.py (Python standard library only).

A Machine runs qemu-system-aarch64 -M virt with the PL011 on a Unix socket and QMP on another.
Tests wait for patterns on the serial stream, never for time:

    import usqemu

    def test(t):
        m = t.machine()                     # boots build/images/<image> the fast way
        m.expect(r"us> ")
        out = usqemu.console_cmd(m, "vm")
        assert "vm0" in out, out

    usqemu.run_test(test)

The serial text that expect() searches has every CR removed; the log files keep the raw bytes.
QEMU always dies with the test: on return, exception, SIGTERM/SIGINT/SIGHUP, interpreter exit,
the per-machine watchdog, or (via PR_SET_PDEATHSIG) the death of this process.
"""

import argparse
import atexit
import codecs
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

QEMU = "qemu-system-aarch64"
QEMU_X86_64 = "qemu-system-x86_64"
UBOOT_BIN = "/usr/lib/u-boot/qemu_arm64/u-boot.bin"
FIT_LOAD_ADDR = 0x50000000  # keep in sync with the FIT's load expectations in the image build
UBOOT_BOOTM = "bootm 0x50000000#conf-1 0x50000000#conf-1 ${fdtcontroladdr}"
CONSOLE_PROMPT = r"us> "  # keep in sync with CONSOLE_SHELL_PROMPT in servers/console
DEFAULT_TIMEOUT = 240.0  # whole test, seconds; CTest's own limit (usqemu.cmake) is longer
EXPECT_TIMEOUT = 30.0
TAIL_CHARS = 2000

_PR_SET_PDEATHSIG = 1


class UsQemuError(Exception):
    """Base of every failure this module reports."""


class ExpectTimeout(UsQemuError):
    """A pattern did not appear in time."""


class QemuExited(UsQemuError):
    """QEMU ended (or was killed) while something was still expected of it."""


class QmpError(UsQemuError):
    """A QMP command failed, or the QMP connection broke."""


class Interrupted(UsQemuError):
    """This process got SIGTERM, SIGINT or SIGHUP; every QEMU was killed first."""


# Machines whose QEMU may still be running; kill_all() ends them.
_live = set()
_live_lock = threading.RLock()
_handlers_installed = False


def kill_all():
    """Kill every QEMU this process started and has not reaped yet."""
    with _live_lock:
        machines = list(_live)
    for m in machines:
        m.kill()


def _on_signal(signum, _frame):
    kill_all()
    raise Interrupted("interrupted by %s" % signal.Signals(signum).name)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(kill_all)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
                signal.signal(sig, _on_signal)


def _pdeathsig_hook():
    """preexec_fn: QEMU gets SIGKILL if the forking thread (here: the main one) dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def hook():
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return hook


def _connect_unix(path, proc, deadline, what):
    """Connect to QEMU's listening socket at path; QEMU creates it shortly after starting."""
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
        if proc.poll() is not None:
            raise QemuExited("QEMU exited (status %s) before its %s socket accepted" %
                             (proc.returncode, what))
        if time.monotonic() > deadline:
            raise ExpectTimeout("QEMU's %s socket %s did not appear" % (what, path))
        # Nothing to wait on until QEMU has bound the socket: poll briefly.
        time.sleep(0.01)


class Qmp:
    """A QMP client: greeting, capabilities negotiation, commands; events are kept in .events."""

    def __init__(self, path, proc, timeout=EXPECT_TIMEOUT):
        self.path = path
        self.events = []
        self._proc = proc
        self._timeout = timeout
        self._sock = None
        self._buf = b""
        self._next_id = 1
        self._lock = threading.Lock()

    def connect(self):
        deadline = time.monotonic() + self._timeout
        self._sock = _connect_unix(self.path, self._proc, deadline, "QMP")
        greeting = self._read_msg(deadline)
        if "QMP" not in greeting:
            raise QmpError("unexpected QMP greeting: %r" % greeting)
        self.execute("qmp_capabilities")
        return self

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = None

    def _read_msg(self, deadline):
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QmpError("QMP: no reply in time")
            self._sock.settimeout(remaining)
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                raise QmpError("QMP: no reply in time") from None
            except OSError as e:
                raise QmpError("QMP connection failed: %s" % e) from None
            if not data:
                raise QmpError("QMP connection closed (QEMU exited?)")
            self._buf += data
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            return json.loads(line.decode("utf-8", "replace"))
        except ValueError:
            raise QmpError("QMP sent malformed JSON: %r" % line) from None

    def execute(self, cmd, args=None, timeout=EXPECT_TIMEOUT, **kwargs):
        """Run cmd with arguments args (a dict, for names with '-') and kwargs; return its
        "return" value, or raise QmpError with QEMU's error class and description."""
        arguments = dict(args or {})
        arguments.update(kwargs)
        with self._lock:
            if self._sock is None:
                raise QmpError("QMP is not connected")
            req_id = self._next_id
            self._next_id += 1
            req = {"execute": cmd, "id": req_id}
            if arguments:
                req["arguments"] = arguments
            try:
                self._sock.sendall(json.dumps(req).encode() + b"\r\n")
            except OSError as e:
                raise QmpError("QMP send failed: %s" % e) from None
            deadline = time.monotonic() + timeout
            while True:
                msg = self._read_msg(deadline)
                if "event" in msg:
                    self.events.append(msg)
                elif msg.get("id") == req_id:
                    if "error" in msg:
                        err = msg["error"]
                        raise QmpError("%s: %s: %s" % (cmd, err.get("class"), err.get("desc")))
                    return msg.get("return")

    def wait_event(self, name, timeout=EXPECT_TIMEOUT):
        """Return (and remove) the first event called name, waiting for it if need be."""
        with self._lock:
            deadline = time.monotonic() + timeout
            while True:
                for i, ev in enumerate(self.events):
                    if ev.get("event") == name:
                        return self.events.pop(i)
                msg = self._read_msg(deadline)
                if "event" in msg:
                    self.events.append(msg)


def nic_args(forwards, arch="aarch64"):
    """QEMU arguments for a NIC on user networking with TCP forwards (host_port, ip, port):
    on aarch64 virtio-mmio version 2 (force-legacy=false), on q35 a virtio 1.x PCI function at
    00:02.0, whose configuration page boot/manifest-x86_64.txt grants the vmm."""
    netdev = "user,id=n0" + "".join(",hostfwd=tcp:127.0.0.1:%d-%s:%d" % f for f in forwards)
    if arch == "x86_64":
        return ["-netdev", netdev, "-device",
                "virtio-net-pci,netdev=n0,addr=0x2,disable-legacy=on"]
    return ["-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
            "-global", "virtio-mmio.force-legacy=false"]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LineClient:
    """A line-protocol TCP client (kvd's): ask() sends one line and returns the reply line."""

    def __init__(self, port, timeout=30):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.f = self.s.makefile("rwb")

    def ask(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        reply = self.f.readline()
        assert reply.endswith(b"\n"), "no reply to %r: %r" % (line[:60], reply)
        return reply.decode().rstrip("\n")

    def close(self):
        self.f.close()
        self.s.close()


class Machine:
    """One QEMU aarch64 virt machine running an Understudy image.

    image_dir holds understudy.bin (kernel Image), bundle.bin (initrd) and understudy.fit.
    boot='fast' loads the first two with -kernel/-initrd; boot='uboot' runs U-Boot with the FIT
    preloaded at FIT_LOAD_ADDR and types the bootm command (uboot_bootm=False stops at U-Boot's
    prompt instead, with the FIT still preloaded). kernel/initrd/fit override the files of image_dir.
    nic: None (no NIC), or a list of (host_port, guest_ip, guest_port) forwards: the machine
    gets a virtio-net-device on QEMU user networking, the NIC Understudy's switch uses as its
    uplink, and each forward connects 127.0.0.1:host_port to guest_ip:guest_port.
    iommu: True gives the machine QEMU's SMMUv3 (-M virt,iommu=smmuv3) in front of its PCIe.
    arch='x86_64' runs qemu-system-x86_64 -M q35 instead, booting image_dir's understudy.elf
    (the x86_64 port's kernel, docs/x86_64.md; kernel= names another, such as its selftest.elf)
    with -kernel through QEMU's PVH loader, and -initrd only when initrd= is given; or with
    cdrom= a CD image SeaBIOS boots (GRUB's, tools/mkgrubiso.py).
    """

    def __init__(self, image_dir=None, boot="fast", cpu="cortex-a72", smp=1, mem="1G",
                 icount=False, extra_args=(), name=None, timeout=DEFAULT_TIMEOUT,
                 log_dir=".", echo=False, kernel=None, initrd=None, fit=None, bios=UBOOT_BIN,
                 uboot_bootm=True, qemu=None, nic=None, iommu=False, arch="aarch64",
                 cdrom=None):
        if boot not in ("fast", "uboot"):
            raise ValueError("boot must be 'fast' or 'uboot', not %r" % boot)
        if arch not in ("aarch64", "x86_64") or (arch == "x86_64" and boot != "fast"):
            raise ValueError("arch must be aarch64, or x86_64 with boot='fast', not %r" % arch)
        self.arch, self.image_dir, self.boot = arch, image_dir, boot
        self.cpu, self.smp, self.mem, self.icount = cpu, smp, mem, icount
        self.extra_args = list(extra_args)
        self.name = name or os.path.splitext(os.path.basename(sys.argv[0] or "usqemu"))[0]
        self.timeout, self.echo = timeout, echo
        self.kernel = kernel or (image_dir and os.path.join(
            image_dir, "understudy.elf" if arch == "x86_64" else "understudy.bin"))
        self.initrd = initrd or (image_dir and arch != "x86_64" and
                                 os.path.join(image_dir, "bundle.bin"))
        self.fit = fit or (image_dir and os.path.join(image_dir, "understudy.fit"))
        self.bios, self.uboot_bootm = bios, uboot_bootm
        self.qemu = qemu or (QEMU_X86_64 if arch == "x86_64" else QEMU)
        self.nic, self.iommu, self.cdrom = nic, iommu, cdrom
        self.serial_log = os.path.join(log_dir, self.name + ".serial.log") if log_dir else None
        self.qemu_log = os.path.join(log_dir, self.name + ".qemu.log") if log_dir else None
        self.proc = self._tmp = self._sock = self._qmp = self._log = None
        self.timed_out = False
        self._text = ""
        self._pos = 0
        self._eof = False
        self._cond = threading.Condition()
        self._reader = None
        self._watchdog = None
        self._eof_r = self._eof_w = None
        self._kill_lock = threading.RLock()

    # ---- command line -------------------------------------------------------------------

    def command(self, serial="socket"):
        """The QEMU argv. serial='socket' (tests) or 'mon:stdio' (a terminal, Ctrl-a x quits)."""
        machine = "virt,virtualization=on,gic-version=3" + (",iommu=smmuv3" if self.iommu else "")
        if self.arch == "x86_64":
            machine = "q35"
        argv = [self.qemu, "-M", machine, "-cpu", self.cpu,
                "-smp", str(self.smp), "-m", str(self.mem), "-nographic", "-nodefaults"]
        if serial == "socket":
            # QMP first: it is listening by the time the serial chardev waits for us.
            argv += ["-qmp", "unix:%s,server=on,wait=off" % self._path("qmp.sock"),
                     "-chardev", "socket,id=ser0,path=%s,server=on,wait=on" %
                     self._path("serial.sock"),
                     "-serial", "chardev:ser0"]
        else:
            argv += ["-serial", serial]
        if self.arch == "x86_64" and self.cdrom:
            argv += ["-cdrom", self._need(self.cdrom, "CD image"), "-no-reboot"]
        elif self.arch == "x86_64":
            argv += ["-kernel", self._need(self.kernel, "kernel"), "-no-reboot"]
            if self.initrd:
                argv += ["-initrd", self._need(self.initrd, "initrd")]
        elif self.boot == "fast":
            argv += ["-kernel", self._need(self.kernel, "kernel"),
                     "-initrd", self._need(self.initrd, "initrd")]
        else:
            argv += ["-bios", self._need(self.bios, "U-Boot")]
            if self.fit:
                argv += ["-device", "loader,file=%s,addr=0x%x,force-raw=on" %
                         (self._need(self.fit, "FIT"), FIT_LOAD_ADDR)]
        if self.icount:
            argv += ["-icount", "shift=0,sleep=off"]
        if self.nic is not None:
            argv += nic_args(self.nic, self.arch)
        return argv + self.extra_args

    def _path(self, leaf):
        if self._tmp is None:
            # Short on purpose: a Unix socket path must fit in 108 bytes.
            self._tmp = tempfile.mkdtemp(prefix="usq-")
        return os.path.join(self._tmp, leaf)

    @staticmethod
    def _need(path, what):
        if not path:
            raise ValueError("no %s file given (image_dir or %s=)" % (what, what.lower()))
        if not os.path.isfile(path):
            raise UsQemuError("%s file %s does not exist (was the image built?)" % (what, path))
        return path

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self):
        """Start QEMU, connect the serial port and, in U-Boot mode, boot through U-Boot."""
        if self.proc is not None:
            raise UsQemuError("machine %s already started" % self.name)
        argv = self.command("socket")
        _install_handlers()
        qlog = open(self.qemu_log, "wb") if self.qemu_log else None
        try:
            if qlog:
                qlog.write(("$ " + " ".join(argv) + "\n").encode())
                qlog.flush()
            hook = None
            if threading.current_thread() is threading.main_thread():
                hook = _pdeathsig_hook()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=qlog,
                                         stderr=subprocess.STDOUT if qlog else None,
                                         start_new_session=True, preexec_fn=hook)
        except OSError as e:
            self.kill()
            raise UsQemuError("cannot run %s: %s" % (argv[0], e)) from None
        finally:
            if qlog:
                qlog.close()
        with _live_lock:
            _live.add(self)
        if self.serial_log:
            self._log = open(self.serial_log, "wb")
        if self.timeout:
            self._watchdog = threading.Timer(self.timeout, self._watchdog_fire)
            self._watchdog.daemon = True
            self._watchdog.start()
        try:
            self._sock = _connect_unix(self._path("serial.sock"), self.proc,
                                       time.monotonic() + EXPECT_TIMEOUT, "serial")
        except UsQemuError as e:
            self.kill()
            raise UsQemuError("%s\n%s" % (e, self.qemu_log_tail())) from None
        self._eof_r, self._eof_w = os.pipe()
        self._reader = threading.Thread(target=self._read_loop, name="usqemu-serial-" + self.name,
                                        daemon=True)
        self._reader.start()
        if self.boot == "uboot":
            try:
                self._uboot()
            except BaseException:
                self.kill()  # the output stays readable for the failure report
                raise
        return self

    def _uboot(self):
        self.expect(r"Hit any key to stop autoboot", timeout=60)
        self.send(" ")
        self.expect(r"(?m)^=> ", timeout=30)
        if not self.uboot_bootm:
            return
        self.sendline(UBOOT_BOOTM)
        # bootm either hands over or prints its error and a fresh prompt.
        m = self.expect(r"(?m)Starting kernel \.\.\.|^=> ", timeout=60)
        if not m.group(0).startswith("Starting"):
            raise UsQemuError("U-Boot's bootm failed:\n" + self.tail())

    def _watchdog_fire(self):
        self.timed_out = True
        self.kill()

    def _read_loop(self):
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                data = self._sock.recv(65536)
            except OSError:
                data = b""
            if self._log:
                try:
                    self._log.write(data)
                    self._log.flush()
                except (OSError, ValueError):
                    pass
            if self.echo and data:
                try:
                    sys.stdout.buffer.write(data)
                    sys.stdout.buffer.flush()
                except (OSError, ValueError):
                    pass
            text = decoder.decode(data, final=not data).replace("\r", "")
            with self._cond:
                self._text += text
                if not data:
                    self._eof = True
                self._cond.notify_all()
            if not data:
                break
        try:
            os.write(self._eof_w, b"x")
        except OSError:
            pass

    def kill(self):
        """Stop QEMU (SIGTERM to its process group, SIGKILL after 5 s) and free everything.
        Safe to call any number of times, from any thread or a signal handler."""
        with self._kill_lock:
            proc = self.proc
            if proc is not None and proc.poll() is None:
                for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
                    try:
                        os.killpg(proc.pid, sig)
                    except (ProcessLookupError, PermissionError):
                        break
                    try:
                        proc.wait(grace)
                        break
                    except subprocess.TimeoutExpired:
                        continue
            if self._watchdog is not None and threading.current_thread() is not self._watchdog:
                self._watchdog.cancel()
            if self._sock is not None:
                try:
                    self._sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            if self._qmp is not None:
                self._qmp.close()
            with _live_lock:
                _live.discard(self)
        reader = self._reader
        if reader is not None and reader is not threading.current_thread():
            reader.join(5)
        with self._kill_lock:
            # Whatever the reader thread uses stays open until it has finished.
            if reader is None or not reader.is_alive():
                if self._sock is not None:
                    self._sock.close()
                    self._sock = None
                if self._log:
                    self._log.close()
                    self._log = None
                for fd in (self._eof_r, self._eof_w):
                    if fd is not None:
                        os.close(fd)
                self._eof_r = self._eof_w = None
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
                self._tmp = None

    def wait_exit(self, timeout=EXPECT_TIMEOUT):
        """Wait for QEMU to exit by itself (e.g. the guest powered off); return its status."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ExpectTimeout("QEMU still running after %s s\n%s" %
                                (timeout, self.tail())) from None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    # ---- serial -------------------------------------------------------------------------

    @property
    def output(self):
        """Everything received on the serial port so far (CRs removed)."""
        with self._cond:
            return self._text

    def mark(self):
        """The position up to which expect() has consumed output."""
        return self._pos

    def tail(self, n=TAIL_CHARS):
        return "----- last %d characters of serial output -----\n%s\n-----" % (
            n, self.output[-n:])

    def qemu_log_tail(self, n=TAIL_CHARS):
        if not self.qemu_log or not os.path.exists(self.qemu_log):
            return ""
        with open(self.qemu_log, "rb") as f:
            data = f.read()[-n:].decode("utf-8", "replace")
        return "----- %s -----\n%s" % (self.qemu_log, data)

    def _exit_reason(self):
        if self.timed_out:
            return "QEMU was killed: the overall timeout of %g s expired" % self.timeout
        rc = self.proc.poll() if self.proc else None
        if rc is None and self.proc is not None:
            try:
                rc = self.proc.wait(2)
            except subprocess.TimeoutExpired:
                rc = None
        return "QEMU exited (status %s)" % rc

    def expect(self, pattern, timeout=EXPECT_TIMEOUT):
        """Wait until pattern (a regex string or compiled) matches output not yet consumed;
        consume through the match and return it. Raises ExpectTimeout or QemuExited, with the
        last TAIL_CHARS characters of output."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                if self._eof:
                    raise QemuExited("%s while waiting for %r\n%s\n%s" % (
                        self._exit_reason(), rx.pattern, self.tail(), self.qemu_log_tail()))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ExpectTimeout("timed out after %g s waiting for %r\n%s" % (
                        timeout, rx.pattern, self.tail()))
                self._cond.wait(remaining)

    def expect_seen(self, pattern, timeout=EXPECT_TIMEOUT, since=0):
        """Like expect(), but @pattern may match anywhere in the output from offset @since
        (len(output) at some earlier moment), consumed or not, and nothing is consumed: for
        lines whose order against others is not fixed."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._text, since)
                if m:
                    return m
                if self._eof:
                    raise QemuExited("%s while waiting for %r\n%s" % (
                        self._exit_reason(), rx.pattern, self.tail()))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ExpectTimeout("timed out after %g s waiting for %r\n%s" % (
                        timeout, rx.pattern, self.tail()))
                self._cond.wait(remaining)

    def send(self, text):
        """Type text (str or bytes) on the serial port."""
        data = text.encode() if isinstance(text, str) else bytes(text)
        if self._sock is None:
            raise QemuExited("serial port not connected")
        try:
            self._sock.sendall(data)
        except OSError as e:
            raise QemuExited("%s: serial send failed: %s\n%s" % (
                self._exit_reason(), e, self.tail())) from None

    def sendline(self, text=""):
        """Type text and Enter (CR, what a terminal sends)."""
        self.send(text + "\r")

    # ---- QMP ----------------------------------------------------------------------------

    @property
    def qmp(self):
        """The QMP connection, opened on first use."""
        if self._qmp is None:
            if self.proc is None:
                raise UsQemuError("machine %s not started" % self.name)
            self._qmp = Qmp(self._path("qmp.sock"), self.proc).connect()
        return self._qmp

    # ---- interactive use (tools/boot.py) ------------------------------------------------

    def interact(self, escape=b"\x01"):
        """Relay this terminal to the serial port until QEMU exits. The machine must have been
        created with echo=True. Ctrl-a x quits, Ctrl-a Ctrl-a sends Ctrl-a, Ctrl-a h helps."""
        fd = sys.stdin.fileno()
        watch = [fd, self._eof_r]
        pending_escape = False
        with raw_terminal(fd):
            while True:
                ready, _, _ = select.select(watch, [], [])
                if self._eof_r in ready:
                    return
                data = os.read(fd, 1024)
                if not data:
                    watch = [self._eof_r]  # stdin closed: wait for QEMU alone
                    continue
                out = bytearray()
                for b in data:
                    c = bytes([b])
                    if pending_escape:
                        pending_escape = False
                        if c in (b"x", b"X"):
                            self.kill()
                            return
                        if c == b"h":
                            os.write(sys.stdout.fileno(),
                                     b"\r\nC-a x  quit QEMU\r\nC-a C-a  send C-a\r\n")
                        elif c == escape:
                            out += c
                        continue
                    if c == escape:
                        pending_escape = True
                    else:
                        out += c
                if out:
                    self.send(bytes(out))


class raw_terminal:  # noqa: N801 -- used like a function: with raw_terminal(): ...
    """Put the terminal on fd (stdin by default) in raw mode for the with-block, if it is one.
    Nests: the outermost block restores the original settings."""

    def __init__(self, fd=None):
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.saved = None

    def __enter__(self):
        import termios
        import tty

        if os.isatty(self.fd):
            self.saved = termios.tcgetattr(self.fd)
            # TCSANOW: keys typed before this point are kept, not flushed.
            tty.setraw(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc):
        import termios

        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
        return False


def console_cmd(machine, cmd, prompt=CONSOLE_PROMPT, timeout=EXPECT_TIMEOUT):
    """Run one console shell line and return what it printed before the next prompt, without
    the echoed command line. Log lines may redraw the prompt at any moment, so the reply is
    what follows the echo of the whole line (the shell redraws the half-typed line after a
    log line, so the echo is contiguous)."""
    machine.sendline(cmd)
    echo = machine.expect(re.escape(cmd) + r"\n", timeout=timeout)
    m = machine.expect(prompt, timeout=timeout)
    return machine.output[echo.end():m.start()].rstrip("\n")


def check_badipc(machine):
    """Run the console's malformed-IPC battery (`debug badipc`, debug builds) and require at
    least 15 checks, each ending in ok, and a total that says all passed. Returns the report."""
    report = console_cmd(machine, "debug badipc")
    lines = [l for l in report.splitlines() if l.startswith("badipc: ") and " want " in l]
    bad = [l for l in lines if not l.rstrip().endswith(" ok")]
    assert len(lines) >= 15 and not bad, "\n".join(bad) or report
    total = re.search(r"badipc: (\d+)/(\d+) ok", report)
    assert total and total.group(1) == total.group(2), report
    return report


class TestContext:
    """What run_test() hands the test function: parsed arguments and a Machine factory."""

    def __init__(self, args):
        self.args = args
        self.image = args.image
        self.machines = []
        self._deadline = time.monotonic() + args.timeout

    def machine(self, start=True, **overrides):
        """A Machine configured from the command line (overrides win), started by default.
        The first is named after the test, later ones get -1, -2... appended."""
        n = len(self.machines)
        kw = dict(image_dir=self.args.image, boot=self.args.boot, cpu=self.args.cpu,
                  smp=self.args.smp, mem=self.args.mem, icount=self.args.icount,
                  name=self.args.name if n == 0 else "%s-%d" % (self.args.name, n),
                  timeout=max(1.0, self._deadline - time.monotonic()))
        kw.update(overrides)
        m = Machine(**kw)
        self.machines.append(m)
        if start:
            m.start()
        return m

    def close(self):
        for m in self.machines:
            m.kill()


def _dump_logs(machines, limit=65536):
    for m in machines:
        text = m.output
        cut = len(text) > limit
        print("----- serial output of %s%s%s -----" % (
            m.name, " (last %d characters)" % limit if cut else "",
            ", full log in " + m.serial_log if m.serial_log else ""))
        print(text[-limit:] if cut else text)
        q = m.qemu_log_tail()
        if q:
            print(q)
    sys.stdout.flush()


def run_test(fn, argv=None, setup_args=None):
    """Run fn(TestContext) as a CTest test: print PASS, or the logs and FAIL: reason; exit 0/1.

    Options: --image DIR (required), --name (log file prefix), --boot fast|uboot, --cpu, --smp,
    --mem, --icount, --timeout SECONDS. setup_args(parser) may add the test's own options."""
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--image", required=True, help="image directory (build/images/NAME)")
    parser.add_argument("--name", default=os.path.splitext(os.path.basename(sys.argv[0]))[0])
    parser.add_argument("--boot", choices=("fast", "uboot"), default="fast")
    parser.add_argument("--cpu", default="cortex-a72")
    parser.add_argument("--smp", type=int, default=1)
    parser.add_argument("--mem", default="1G")
    parser.add_argument("--icount", action="store_true")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    if setup_args:
        setup_args(parser)
    args = parser.parse_args(argv)
    ctx = TestContext(args)
    try:
        fn(ctx)
    except (Exception, KeyboardInterrupt, SystemExit) as e:
        ctx.close()
        traceback.print_exc(file=sys.stdout)
        _dump_logs(ctx.machines)
        reason = str(e).split("\n", 1)[0] or type(e).__name__
        if isinstance(e, AssertionError) and not str(e):
            reason = "assertion failed"
        print("FAIL: %s: %s" % (type(e).__name__, reason))
        sys.stdout.flush()
        kill_all()
        sys.exit(1)
    ctx.close()
    print("PASS")
    sys.stdout.flush()
    sys.exit(0)
