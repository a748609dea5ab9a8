#!/usr/bin/env python3
"""Fault injection over a real `kcert renew`: fail (ENOSPC, EIO) or SIGKILL each write, fsync,
rename, unlink, create, chmod, chown, truncate, symlink, mkdir and link call that one renewal
makes, then judge the tree all-or-nothing against a snapshot.

    testing/fault-injection/run.py                      # CI: --sample 40 on a kubeadm tree
    testing/fault-injection/run.py --full               # every point of every kind
    testing/fault-injection/run.py --point fsync#12:EIO # one point, verbosely
    testing/fault-injection/run.py --list-points        # the enumerated calls, in order

Python 3 standard library only. Linux x86_64, run as root (the fixture trees are root-owned and
the tracer uses ptrace). `strace` enumerates the calls (testing/install-deps.sh installs it);
injection uses the small ptrace tracer below, because strace's `when=N` counts per thread (see
README.md). Exit 0 when every point passed, 1 on any failure, 2 when the suite itself could not
run.
"""

from __future__ import annotations

import argparse
import base64
import collections
import concurrent.futures
import ctypes
import dataclasses
import hashlib
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_KCERT = REPO / "target" / "release" / "kcert"

STATE_DIR = "var/lib/kcert"
JOURNAL = STATE_DIR + "/journal.json"
# Hidden temporaries of kcertlib: `.apiserver.crt.kcert-stage-<pid>-<n>` (fsx::temp_sibling).
TEMP_RE = re.compile(r"\.kcert-[a-z]+-\d+-\d+$")
# Dated names (kubelet-client-2026-12-06-18-46-35.pem) differ between two renewals.
STAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}")

KINDS = ("ENOSPC", "EIO", "SIGKILL")
ERRNO = {"ENOSPC": 28, "EIO": 5}
# `kcert renew` exits 0, or 1 when it renewed but left entries unrenewed (e.g. kubelet's
# self-signed serving certificate); 2 is an error, 101 a Rust panic.
RENEW_OK = (0, 1)

# The syscalls that change the filesystem (or make a change durable), x86_64 numbers. Which of
# them a renewal really uses is discovered at run time; this is only the candidate set.
# fmt: off
X86_64 = {
    "write": 1, "open": 2, "pwrite64": 18, "writev": 20, "sendfile": 40, "fsync": 74,
    "fdatasync": 75, "truncate": 76, "ftruncate": 77, "rename": 82, "mkdir": 83, "rmdir": 84,
    "creat": 85, "link": 86, "unlink": 87, "symlink": 88, "chmod": 90, "fchmod": 91,
    "chown": 92, "fchown": 93, "lchown": 94, "sync": 162, "openat": 257, "mkdirat": 258,
    "fchownat": 260, "unlinkat": 263, "renameat": 264, "linkat": 265, "symlinkat": 266,
    "fchmodat": 268, "sync_file_range": 277, "fallocate": 285, "pwritev": 296, "syncfs": 306,
    "renameat2": 316, "copy_file_range": 326, "pwritev2": 328, "openat2": 437,
    "fchmodat2": 452,
}
# How to show each argument of an injected call: fd, dirfd (AT_FDCWD or fd), path, str.
ARG_ROLES = {
    "write": ["fd"], "pwrite64": ["fd"], "writev": ["fd"], "pwritev": ["fd"],
    "pwritev2": ["fd"], "sendfile": ["fd"], "fsync": ["fd"], "fdatasync": ["fd"],
    "sync_file_range": ["fd"], "syncfs": ["fd"], "fallocate": ["fd"], "ftruncate": ["fd"],
    "fchmod": ["fd"], "fchown": ["fd"], "copy_file_range": [None, None, "fd"],
    "truncate": ["path"], "rename": ["path", "path"], "mkdir": ["path"], "rmdir": ["path"],
    "creat": ["path"], "link": ["path", "path"], "unlink": ["path"], "symlink": ["str", "path"],
    "chmod": ["path"], "chown": ["path"], "lchown": ["path"], "open": ["path"], "sync": [],
    "openat": ["dirfd", "path"], "openat2": ["dirfd", "path"], "mkdirat": ["dirfd", "path"],
    "fchownat": ["dirfd", "path"], "unlinkat": ["dirfd", "path"],
    "renameat": ["dirfd", "path", "dirfd", "path"], "renameat2": ["dirfd", "path", "dirfd", "path"],
    "linkat": ["dirfd", "path", "dirfd", "path"], "symlinkat": ["str", "dirfd", "path"],
    "fchmodat": ["dirfd", "path"], "fchmodat2": ["dirfd", "path"],
}
# fmt: on
O_CREAT = 0o100
O_TMPFILE = 0o20200000
AT_FDCWD = -100


def call_label(name: str, flags: int | None) -> str | None:
    """The injection label of a call: its name, or `openat(O_CREAT)` for an open that creates;
    None for an open that only opens (reading is not a write)."""
    if name in ("open", "openat", "openat2"):
        if flags is None or not (flags & O_CREAT or flags & O_TMPFILE == O_TMPFILE):
            return None
        return f"{name}(O_CREAT)"
    return name


# --------------------------------------------------------------------------------------------
# The tracer: ptrace through ctypes, one global count over every thread.
# --------------------------------------------------------------------------------------------

PTRACE_TRACEME = 0
PTRACE_POKEUSER = 6
PTRACE_SYSCALL = 24
PTRACE_SETOPTIONS = 0x4200
PTRACE_GETEVENTMSG = 0x4201
PTRACE_GET_SYSCALL_INFO = 0x420E
PTRACE_O_TRACESYSGOOD = 0x1
PTRACE_O_TRACEFORK = 0x2
PTRACE_O_TRACEVFORK = 0x4
PTRACE_O_TRACECLONE = 0x8
PTRACE_O_TRACEEXEC = 0x10
PTRACE_O_EXITKILL = 0x100000
SYSCALL_INFO_ENTRY = 1
SYSCALL_INFO_EXIT = 2
WALL = 0x40000000
# struct user_regs_struct on x86_64: rax is word 10, orig_rax word 15.
RAX_OFFSET = 10 * 8
ORIG_RAX_OFFSET = 15 * 8
U64 = (1 << 64) - 1


class _Entry(ctypes.Structure):
    _fields_ = [("nr", ctypes.c_uint64), ("args", ctypes.c_uint64 * 6)]


class _Exit(ctypes.Structure):
    _fields_ = [("rval", ctypes.c_int64), ("is_error", ctypes.c_uint8)]


class _Seccomp(ctypes.Structure):
    _fields_ = [("nr", ctypes.c_uint64), ("args", ctypes.c_uint64 * 6), ("ret_data", ctypes.c_uint32)]


class _Union(ctypes.Union):
    _fields_ = [("entry", _Entry), ("exit", _Exit), ("seccomp", _Seccomp)]


class _SyscallInfo(ctypes.Structure):
    _fields_ = [
        ("op", ctypes.c_uint8),
        ("pad", ctypes.c_uint8 * 3),
        ("arch", ctypes.c_uint32),
        ("ip", ctypes.c_uint64),
        ("sp", ctypes.c_uint64),
        ("u", _Union),
    ]


@dataclasses.dataclass
class Fault:
    label: str
    n: int
    kind: str  # ENOSPC, EIO or SIGKILL

    @property
    def id(self) -> str:
        return f"{self.label}#{self.n}:{self.kind}"

    @staticmethod
    def parse(text: str) -> Fault:
        m = re.fullmatch(r"(.+)#(\d+):(ENOSPC|EIO|SIGKILL)", text)
        if not m:
            raise ValueError(f"not a point: {text!r} (expected LABEL#N:KIND, e.g. fsync#3:EIO)")
        return Fault(m.group(1), int(m.group(2)), m.group(3))


@dataclasses.dataclass
class Traced:
    returncode: int | None  # exit status, None when killed by a signal
    signal: int | None
    stdout: str
    stderr: str
    counts: dict
    calls: list  # (label, description) in global order, when asked for
    injected: str | None  # the call faulted, described
    timed_out: bool
    seconds: float

    def status(self) -> str:
        if self.timed_out:
            return "timeout"
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name}"
        return f"exit {self.returncode}"


class Tracer:
    """Runs a command under ptrace and counts, in one sequence over all its threads (and
    children), the calls that change the filesystem; optionally faults the Nth call of one
    label: on entry the syscall number is replaced by -1 (the kernel skips it) and on exit the
    return value becomes -errno, or the process is SIGKILLed at the entry, before the call runs
    (what strace's `error=` and `signal=SIGKILL` do)."""

    def __init__(self) -> None:
        if platform.machine() != "x86_64":
            raise SystemExit("fault-injection: the tracer supports x86_64 only")
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.restype = ctypes.c_long
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
        self.names = {nr: name for name, nr in X86_64.items()}

    def _ptrace(self, request: int, tid: int, addr: int = 0, data=0) -> int:
        ctypes.set_errno(0)
        if not isinstance(data, ctypes._SimpleCData) and not isinstance(data, ctypes._Pointer):
            data = ctypes.c_void_p(data & U64)
        result = self.libc.ptrace(request, tid, ctypes.c_void_p(addr & U64), data)
        if result == -1:
            err = ctypes.get_errno()
            if err:
                raise OSError(err, os.strerror(err))
        return result

    def _resume(self, tid: int, sig: int = 0) -> None:
        try:
            self._ptrace(PTRACE_SYSCALL, tid, 0, sig)
        except OSError:
            pass  # the thread is gone (killed, exited)

    def _info(self, tid: int) -> _SyscallInfo | None:
        info = _SyscallInfo()
        try:
            self._ptrace(PTRACE_GET_SYSCALL_INFO, tid, ctypes.sizeof(info), ctypes.pointer(info))
        except OSError:
            return None
        return info

    @staticmethod
    def _string(tid: int, addr: int, limit: int = 4096) -> str:
        try:
            with open(f"/proc/{tid}/mem", "rb", buffering=0) as mem:
                mem.seek(addr)
                raw = mem.read(limit)
        except (OSError, ValueError, OverflowError):
            return f"<0x{addr:x}>"
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")

    @staticmethod
    def _tgid(tid: int) -> int:
        try:
            with open(f"/proc/{tid}/status") as f:
                for line in f:
                    if line.startswith("Tgid:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return tid

    @staticmethod
    def _fd(tid: int, fd: int) -> str:
        try:
            return f"{fd}<{os.readlink(f'/proc/{tid}/fd/{fd}')}>"
        except OSError:
            return str(fd)

    def _flags(self, tid: int, name: str, args) -> int | None:
        if name == "open":
            return args[1]
        if name == "openat":
            return args[2]
        if name == "openat2":  # struct open_how { u64 flags; ... }
            try:
                with open(f"/proc/{tid}/mem", "rb", buffering=0) as mem:
                    mem.seek(args[2])
                    return int.from_bytes(mem.read(8), "little")
            except (OSError, ValueError, OverflowError):
                return None
        return None

    def describe(self, tid: int, name: str, args) -> str:
        shown = []
        for role, raw in zip(ARG_ROLES.get(name, []), args, strict=False):
            # fds are C ints: AT_FDCWD arrives as 0xffffff9c in a 64-bit register.
            signed = ctypes.c_int32(raw & 0xFFFFFFFF).value
            if role == "fd":
                shown.append(self._fd(tid, signed))
            elif role == "dirfd":
                shown.append("AT_FDCWD" if signed == AT_FDCWD else self._fd(tid, signed))
            elif role in ("path", "str"):
                shown.append(json.dumps(self._string(tid, raw)))
            else:
                shown.append("…")
        return f"{name}({', '.join(shown)})"

    def run(
        self,
        argv: list[str],
        fault: Fault | None = None,
        timeout: float = 60.0,
        record_calls: bool = False,
    ) -> Traced:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            return self._run(argv, fault, timeout, record_calls, out, err)

    def _run(self, argv, fault, timeout, record_calls, out, err) -> Traced:
        started = time.monotonic()
        libc = self.libc

        def traceme() -> None:
            libc.ptrace(PTRACE_TRACEME, 0, None, None)

        # preexec_fn: PTRACE_TRACEME must run in the child between fork and exec. The suite's
        # only other thread is the timeout timer, which holds no lock a child could need.
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=traceme,  # noqa: PLW1509
        )
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except OSError:
                pass

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        counts: collections.Counter = collections.Counter()
        calls: list = []
        seen: set[int] = set()
        pending_errno: dict[int, int] = {}
        injected = None
        killing = False
        returncode = None
        killsig = None
        options = (
            PTRACE_O_TRACESYSGOOD
            | PTRACE_O_TRACECLONE
            | PTRACE_O_TRACEFORK
            | PTRACE_O_TRACEVFORK
            | PTRACE_O_TRACEEXEC  # an exec stops with an event, not a SIGTRAP to deliver
            | PTRACE_O_EXITKILL
        )
        try:
            while True:
                try:
                    tid, status = os.waitpid(-1, WALL)
                except ChildProcessError:
                    break
                except InterruptedError:
                    continue
                if os.WIFEXITED(status) or os.WIFSIGNALED(status):
                    if tid == proc.pid:
                        if os.WIFEXITED(status):
                            returncode = os.WEXITSTATUS(status)
                        else:
                            killsig = os.WTERMSIG(status)
                    continue
                if not os.WIFSTOPPED(status):
                    continue
                sig = os.WSTOPSIG(status)
                first = tid not in seen
                seen.add(tid)
                if first and tid == proc.pid and sig == signal.SIGTRAP:
                    # The stop after execve (PTRACE_TRACEME): trace syscalls from here on.
                    self._ptrace(PTRACE_SETOPTIONS, tid, 0, options)
                    self._resume(tid)
                    continue
                if first and sig == signal.SIGSTOP:
                    self._resume(tid)  # a new thread or child starts with SIGSTOP
                    continue
                if sig == signal.SIGTRAP | 0x80:
                    if killing:
                        self._resume(tid)
                        continue
                    info = self._info(tid)
                    if info is None:
                        self._resume(tid)
                        continue
                    if info.op == SYSCALL_INFO_EXIT and tid in pending_errno:
                        errno = pending_errno.pop(tid)
                        self._ptrace(PTRACE_POKEUSER, tid, RAX_OFFSET, -errno)
                    elif info.op == SYSCALL_INFO_ENTRY:
                        name = self.names.get(info.u.entry.nr)
                        args = list(info.u.entry.args)
                        label = name and call_label(name, self._flags(tid, name, args))
                        if label:
                            counts[label] += 1
                            hit = fault and label == fault.label and counts[label] == fault.n
                            if record_calls or hit:
                                what = self.describe(tid, name, args)
                                if record_calls:
                                    calls.append((f"{label}#{counts[label]}", what))
                                if hit:
                                    injected = f"{what} in thread {tid}"
                                    if fault.kind == "SIGKILL":
                                        # The process that made the call (the command itself,
                                        # or a child of a wrapper), all of its threads.
                                        killing = True
                                        os.kill(self._tgid(tid), signal.SIGKILL)
                                        continue  # stays stopped until the kill lands
                                    self._ptrace(PTRACE_POKEUSER, tid, ORIG_RAX_OFFSET, -1)
                                    pending_errno[tid] = ERRNO[fault.kind]
                    self._resume(tid)
                    continue
                if sig == signal.SIGTRAP and status >> 16:
                    self._resume(tid)  # clone/fork/vfork/exec event; a new tracee reports itself
                    continue
                self._resume(tid, sig)  # a real signal: deliver it
        finally:
            timer.cancel()
            proc.returncode = returncode if returncode is not None else -(killsig or 9)
        out.seek(0)
        err.seek(0)
        traced = Traced(
            returncode=returncode,
            signal=killsig,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            counts=dict(counts),
            calls=calls,
            injected=injected,
            timed_out=timed_out.is_set(),
            seconds=time.monotonic() - started,
        )
        return traced


# --------------------------------------------------------------------------------------------
# Enumeration with strace.
# --------------------------------------------------------------------------------------------

STRACE_LINE = re.compile(r"^(\d+)\s+([a-z_0-9]+)\((.*)$")


def strace_counts(argv: list[str], trace_file: Path) -> dict:
    """Runs argv under `strace -f` and counts its calls per label. Each call is one line,
    either complete or `<unfinished ...>` (its `<... resumed>` line is not counted again)."""
    # Every syscall is traced and filtered here: `-e trace=` refuses names this strace does not
    # know (strace 6.1 has no fchmodat2).
    cmd = ["strace", "-f", "-qq", "-e", "signal=none", "-o", str(trace_file), "--", *argv]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    if proc.returncode not in RENEW_OK or not trace_file.exists():
        raise SystemExit(
            f"fault-injection: the renewal under strace failed ({proc.returncode}):\n{proc.stderr}"
        )
    counts: collections.Counter = collections.Counter()
    for line in trace_file.read_text(errors="replace").splitlines():
        m = STRACE_LINE.match(line)
        if not m or m.group(2) not in X86_64:
            continue
        name, rest = m.group(2), m.group(3)
        flags = None
        if name in ("open", "openat", "openat2"):
            flags = (O_CREAT if "O_CREAT" in rest else 0) | (O_TMPFILE if "O_TMPFILE" in rest else 0)
        label = call_label(name, flags)
        if label:
            counts[label] += 1
    return dict(counts)


# --------------------------------------------------------------------------------------------
# Trees: snapshot, diff, verdicts.
# --------------------------------------------------------------------------------------------


def in_state_dir(rel: str) -> bool:
    return rel == STATE_DIR or rel.startswith(STATE_DIR + "/")


def state_parent(rel: str, entry: tuple) -> bool:
    """A directory kcert creates to hold its state directory (`var`, `var/lib` on a tree
    without them, e.g. an RKE1 node): it belongs with the state the verdicts leave out."""
    return entry[0] == "dir" and STATE_DIR.startswith(rel + "/")


def snapshot(root: Path, skip_state: bool = True) -> dict:
    """Every path under root: (type, sha256 or link target, mode, uid, gid)."""
    out = {}

    def walk(directory: Path, prefix: str) -> None:
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = prefix + entry.name
                if skip_state and in_state_dir(rel):
                    continue
                st = entry.stat(follow_symlinks=False)
                meta = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
                if stat.S_ISLNK(st.st_mode):
                    out[rel] = ("link", os.readlink(entry.path), *meta)
                elif stat.S_ISREG(st.st_mode):
                    with open(entry.path, "rb") as f:
                        out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(), *meta)
                elif stat.S_ISDIR(st.st_mode):
                    out[rel] = ("dir", "", *meta)
                    walk(Path(entry.path), rel + "/")
                else:
                    out[rel] = ("other", "", *meta)

    walk(root, "")
    return out


def normalize(rel: str) -> str:
    return STAMP_RE.sub("<stamp>", rel)


def same_meta(a: tuple, b: tuple) -> bool:
    """Mode, owner and group equal (a symlink's mode means nothing)."""
    if a[0] == "link" and b[0] == "link":
        return a[3:] == b[3:]
    return a[2:] == b[2:]


@dataclasses.dataclass
class Reference:
    """What a complete renewal of the snapshot changes."""

    snap: dict
    changed: set  # existing paths whose content changes
    added: dict  # normalized new path -> its (type, "", mode, uid, gid) in the reference
    renewed: list  # inventory names `kcert check` must show ok and verifying
    exit_code: int


@dataclasses.dataclass
class Verdict:
    state: str  # UNTOUCHED, RENEWED or PARTIAL
    reasons: list
    summary: str


def fmt_paths(paths, limit: int = 6) -> str:
    paths = sorted(paths)
    shown = ", ".join(paths[:limit])
    return shown + (f", … (+{len(paths) - limit})" if len(paths) > limit else "")


def judge_tree(ctx: Context, root: Path, check: bool = True) -> Verdict:
    """UNTOUCHED: equal to the snapshot outside var/lib/kcert. RENEWED: exactly the reference's
    paths changed or appeared, with the originals' modes and owners, and `kcert check` shows every
    renewed leaf ok with its key matching and its chain verifying. Anything else is PARTIAL.
    Hidden `.kcert-*` temporaries are left out of the verdict (the summary names them):
    `leftovers` reports them, so that "untouched but littered" reads as such."""
    ref = ctx.ref
    now = snapshot(root)
    temps = [p for p in now if p not in ref.snap and TEMP_RE.search(p)]
    for p in temps:
        del now[p]
    litter = f"; temporary files left: {fmt_paths(temps)}" if temps else ""
    old = ref.snap
    removed = [p for p in old if p not in now]
    added = [p for p in now if p not in old and not state_parent(p, now[p])]
    content = [p for p in old if p in now and old[p][:2] != now[p][:2]]
    meta = [p for p in old if p in now and old[p][:2] == now[p][:2] and not same_meta(old[p], now[p])]
    if not (removed or added or content or meta):
        return Verdict("UNTOUCHED", [], "equal to the snapshot" + litter)
    reasons = []
    if removed:
        reasons.append(f"removed: {fmt_paths(removed)}")
    if meta:
        reasons.append(f"mode/owner changed: {fmt_paths(meta)}")
    new = [p for p in ref.changed if p in content]
    still_old = [p for p in ref.changed if p not in content]
    extra = [p for p in content if p not in ref.changed]
    if still_old and new:
        reasons.append(
            f"half renewed: {len(new)} of {len(ref.changed)} files replaced, "
            f"still old: {fmt_paths(still_old)}"
        )
    elif still_old:
        reasons.append(f"not replaced: {fmt_paths(still_old)}")
    if extra:
        reasons.append(f"changed outside the renewal: {fmt_paths(extra)}")
    wrong_meta = [
        p for p in content if p in ref.changed and (old[p][0] != now[p][0] or not same_meta(old[p], now[p]))
    ]
    if wrong_meta:
        reasons.append(f"replaced with another type, mode or owner: {fmt_paths(wrong_meta)}")
    added_norm = {normalize(p): p for p in added}
    missing_new = [p for p in ref.added if p not in added_norm]
    extra_new = [p for n, p in added_norm.items() if n not in ref.added]
    if missing_new:
        reasons.append(f"not created: {fmt_paths(missing_new)}")
    if extra_new:
        reasons.append(f"unexpected new paths: {fmt_paths(extra_new)}")
    for n, p in added_norm.items():
        if n in ref.added and (now[p][0] != ref.added[n][0] or not same_meta(now[p], ref.added[n])):
            reasons.append(f"created with another type, mode or owner than the reference: {p}")
    if not reasons and check:
        reasons.extend(check_renewed(ctx, root))
    if reasons:
        return Verdict("PARTIAL", reasons, "; ".join(reasons) + litter)
    return Verdict("RENEWED", [], f"{len(content)} replaced, {len(added)} created, check ok" + litter)


def check_renewed(ctx: Context, root: Path) -> list:
    """`kcert check --output json`: every leaf the reference renewed is ok, its key matches and
    its chain verifies. (`check` exits 1 for any expired entry, e.g. an unrenewable one, so only
    its JSON is judged.)"""
    proc = run_kcert(ctx, ["check", "--root", str(root), "--output", "json"])
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"kcert check gave no JSON (exit {proc.returncode}): {proc.stderr.strip()[:300]}"]
    by_name = {c.get("name"): c for c in report.get("certificates", [])}
    problems = []
    for name in ctx.ref.renewed:
        c = by_name.get(name)
        if c is None and RKE_STATE_COPY.match(name):
            problems.extend(check_rke_state_copy(root, name))
        elif c is None and RKE_ADMIN_KUBECONFIG.match(name):
            problems.extend(check_rke_admin_kubeconfig(root, name))
        elif c is None:
            problems.append(f"check: {name} missing from the inventory")
        elif not (
            c.get("status") == "ok"
            and c.get("keyMatches")
            and c.get("chainVerifies")
            and not c.get("missing")
        ):
            problems.append(
                f"check: {name} status={c.get('status')} keyMatches={c.get('keyMatches')} "
                f"chainVerifies={c.get('chainVerifies')} problems={c.get('problems')}"
            )
    return problems


# A copy of an RKE1 node certificate in the cluster state, as the renewal reports it:
# `<state path under the root>.rkestate:<bundle name>` (not an inventory entry of `check`).
RKE_STATE_COPY = re.compile(r"^(?P<state>.+\.rkestate):(?P<bundle>[^:/]+)$")


def check_rke_state_copy(root: Path, name: str) -> list:
    """The state's bundle entry holds, in both desired and current state, exactly the node's
    renewed certificate file (`etc/kubernetes/ssl/<bundle>.pem`). A bundle entry with no node
    file (kube-admin, whose home is the state) is judged on its own: `check_rke_state_only`."""
    m = RKE_STATE_COPY.match(name)
    assert m
    node_file = root / "etc/kubernetes/ssl" / f"{m['bundle']}.pem"
    try:
        state = json.loads((root / m["state"]).read_text())
        if not node_file.exists():
            return check_rke_state_only(root, name, state, m["bundle"])
        node = node_file.read_text()
    except (OSError, ValueError) as e:
        return [f"check: {name}: {e}"]
    problems = []
    for which in ("desiredState", "currentState"):
        entry = state.get(which, {}).get("certificatesBundle", {}).get(m["bundle"])
        if entry is not None and entry.get("certificatePEM") != node:
            problems.append(f"check: {name}: {which} does not hold the node's certificate")
    return problems


def bundle_entries(state: dict, bundle: str) -> list:
    """The bundle entry `bundle` of each of the state's two states that has one."""
    found = (state.get(w, {}).get("certificatesBundle", {}).get(bundle) for w in ("desiredState", "currentState"))
    return [e for e in found if e is not None]


def openssl_ok(args: list, stdin: str) -> bool:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True).returncode == 0


def public_key(args: list, pem: str) -> str:
    return subprocess.run(["openssl", *args], input=pem, capture_output=True, text=True).stdout


def check_rke_state_only(root: Path, name: str, state: dict, bundle: str) -> list:
    """A certificate that lives only in the state (kube-admin), judged by openssl: both states
    hold the same certificate, valid now, signed by the node's kube-ca, of the state's key, and
    the kubeconfig kept in the entry (`config`) embeds that certificate."""
    entries = bundle_entries(state, bundle)
    pems = {e.get("certificatePEM") for e in entries}
    if len(pems) != 1:
        return [f"check: {name}: the states hold {len(pems)} different certificates"]
    pem = pems.pop() or ""
    problems = []
    ca = root / "etc/kubernetes/ssl/kube-ca.pem"
    if not openssl_ok(["verify", "-CAfile", str(ca)], pem):
        problems.append(f"check: {name}: does not verify against {ca.name} (openssl verify)")
    if not openssl_ok(["x509", "-noout", "-checkend", "0"], pem):
        problems.append(f"check: {name}: expired (openssl x509 -checkend 0)")
    cert_key = public_key(["x509", "-noout", "-pubkey"], pem)
    for entry in entries:
        # Two unreadable inputs both give empty output: an empty key never matches.
        if not cert_key or public_key(["pkey", "-pubout"], entry.get("keyPEM") or "") != cert_key:
            problems.append(f"check: {name}: keyPEM is not the certificate's key")
        if embedded_certificate(entry.get("config") or "") != pem:
            problems.append(f"check: {name}: its config does not embed the renewed certificate")
    return problems


def embedded_certificate(kubeconfig: str) -> str | None:
    """The PEM of a kubeconfig's (first) `client-certificate-data`, or None when there is none
    or it is not base64 of text."""
    data = re.search(r"client-certificate-data:\s*(\S+)", kubeconfig)
    try:
        return base64.b64decode(data.group(1), validate=True).decode() if data else None
    except (ValueError, UnicodeDecodeError):
        return None


# rke's local kubeconfig of the cluster `<cluster>.rkestate` (rancher/rke pki.GetLocalKubeConfig):
# kube-admin's `config` from the state, written beside it.
RKE_ADMIN_KUBECONFIG = re.compile(r"^(?P<dir>(?:.*/)?)kube_config_(?P<cluster>[^/]+)\.ya?ml$")


def check_rke_admin_kubeconfig(root: Path, name: str) -> list:
    """`kube_config_<cluster>.yml` is, byte for byte, the state's kube-admin `config` (in each
    state that holds one), as rke writes it."""
    m = RKE_ADMIN_KUBECONFIG.match(name)
    assert m
    try:
        text = (root / name).read_text()
        state = json.loads((root / f"{m['dir']}{m['cluster']}.rkestate").read_text())
    except (OSError, ValueError) as e:
        return [f"check: {name}: {e}"]
    if not any(e.get("config") == text for e in bundle_entries(state, "kube-admin")):
        return [f"check: {name}: is not the state's kube-admin config"]
    return []


def leftovers(root: Path) -> list:
    """A journal or hidden temporaries anywhere in the tree."""
    problems = []
    if os.path.lexists(root / JOURNAL):
        problems.append(f"journal left: {JOURNAL}")
    temps = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            if TEMP_RE.search(name):
                temps.append(os.path.relpath(os.path.join(dirpath, name), root))
    if temps:
        problems.append(f"temporary files left: {fmt_paths(temps)}")
    return problems


def backup_problems(root: Path, snap: dict, strict: bool) -> list:
    """Backups hold private keys: every backup file 0600 in 0700 directories (strict). The
    per-point rule also accepts a backup with exactly its original's mode (kcertlib keeps it), so
    that the one known policy gap is reported once, on the reference run, not at every point."""
    state = root / STATE_DIR
    problems = []
    if not state.is_dir():
        return problems
    if stat.S_IMODE(state.stat().st_mode) != 0o700:
        problems.append(f"{STATE_DIR} is {stat.S_IMODE(state.stat().st_mode):04o}, not 0700")
    backups = state / "backups"
    if not backups.is_dir():
        return problems
    mode = stat.S_IMODE(backups.stat().st_mode)
    if strict and mode != 0o700:
        problems.append(f"{STATE_DIR}/backups is {mode:04o}, not 0700")
    for dirpath, dirnames, filenames in os.walk(backups):
        for name in dirnames:
            full = os.path.join(dirpath, name)
            mode = stat.S_IMODE(os.lstat(full).st_mode)
            if mode != 0o700:
                problems.append(f"backup directory {os.path.relpath(full, root)} is {mode:04o}, not 0700")
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            mode = stat.S_IMODE(os.lstat(full).st_mode)
            if mode == 0o600:
                continue
            parts = Path(os.path.relpath(full, backups)).parts
            original = "/".join(parts[2:]) if len(parts) > 2 and parts[1] == "files" else None
            if not strict and original in snap and snap[original][2] == mode:
                continue
            problems.append(f"backup {rel} is {mode:04o}, not 0600")
    return problems


def manifest_states(root: Path) -> dict:
    out = {}
    for m in sorted((root / STATE_DIR / "backups").glob("*/manifest.json")):
        try:
            out[str(m)] = json.loads(m.read_text()).get("state")
        except (OSError, ValueError):
            out[str(m)] = "unreadable"
    return out


# --------------------------------------------------------------------------------------------
# The run.
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Context:
    kcert: Path
    work: Path
    pristine: Path
    ref: Reference
    timeout: float
    keep: Path | None
    verbose: bool
    # What is faulted: `renew` on a fresh copy of the snapshot, or `recover` on a tree whose
    # renewal was killed at `prestate` (half the files renamed).
    target: str = "renew"
    prestate: Fault | None = None


def make_prestate(ctx: Context, tracer: Tracer, root: Path) -> None:
    """A renewal of a fresh copy at `root`, killed at ctx.prestate: the interrupted transaction
    that `kcert recover` has to roll back."""
    copy_tree(ctx.pristine, root)
    traced = tracer.run(
        [str(ctx.kcert), "renew", "--root", str(root)], fault=ctx.prestate, timeout=ctx.timeout
    )
    if traced.signal != signal.SIGKILL or not traced.injected or not (root / JOURNAL).exists():
        raise RuntimeError(
            f"could not make the interrupted state at {ctx.prestate.id}: {traced.status()}, "
            f"injected {traced.injected}, journal {(root / JOURNAL).exists()}"
        )


def run_kcert(ctx: Context, args: list, timeout: float | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [str(ctx.kcert), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout or ctx.timeout,
        )
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(e.cmd, -9, e.stdout or "", f"timed out after {e.timeout}s")


def copy_tree(src: Path, dst: Path) -> None:
    """A faithful copy (modes, owners, symlinks as they are)."""
    if dst.exists():
        shutil.rmtree(dst)
    subprocess.run(["cp", "-a", "--", str(src), str(dst)], check=True)


def tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class PointRun:
    """Runs one injection point and collects its violations."""

    def __init__(self, ctx: Context, tracer: Tracer, fault: Fault) -> None:
        self.ctx = ctx
        self.tracer = tracer
        self.fault = fault
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", fault.id)
        self.base = ctx.work / f"pt-{slug}-{os.getpid()}"
        self.root = self.base / "root"
        self.violations: list = []
        self.notes: list = []

    def violation(self, stage: str, rule: str, status: str = "", stderr: str = "", diff: str = "") -> None:
        self.violations.append(
            {"stage": stage, "rule": rule, "status": status, "stderr": tail(stderr), "diff": diff}
        )
        if self.ctx.keep:
            dest = self.ctx.keep / f"{self.fault.id.replace('/', '_')}" / stage
            dest.parent.mkdir(parents=True, exist_ok=True)
            if not dest.exists():
                copy_tree(self.root, dest)

    def run(self) -> dict:
        self.base.mkdir(parents=True)
        try:
            return self._run()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _run(self) -> dict:
        ctx, fault = self.ctx, self.fault
        if ctx.target == "recover":
            make_prestate(ctx, self.tracer, self.root)
        else:
            copy_tree(ctx.pristine, self.root)
        traced = self.tracer.run(
            [str(ctx.kcert), ctx.target, "--root", str(self.root)], fault=fault, timeout=ctx.timeout
        )
        status = traced.status()
        result = {
            "point": fault.id,
            "label": fault.label,
            "kind": fault.kind,
            "n": fault.n,
            "injected": traced.injected,
            "status": status,
            "stderr": tail(traced.stderr),
        }
        if traced.timed_out:
            self.violation("fault", f"the faulted {ctx.target} hung (timeout)", status, traced.stderr)
        # Killed at the point (by us; a wrapper around kcert may outlive its killed child).
        killed = fault.kind == "SIGKILL" and traced.injected is not None
        verdict = judge_tree(ctx, self.root)
        result["after_fault"] = verdict.state
        if traced.injected is None:
            result["reached"] = False
            self.notes.append("the point was not reached (fewer calls than enumerated)")
        else:
            result["reached"] = True
        if traced.timed_out:
            pass
        elif killed:
            self._after_kill(status)
        elif ctx.target == "recover":
            self._after_recover_failure(traced, verdict, status)
        else:
            self._after_failure(traced, verdict, status)
        result["violations"] = self.violations
        result["notes"] = self.notes
        result["ok"] = not self.violations
        return result

    def _after_failure(self, traced: Traced, verdict: Verdict, status: str) -> None:
        """A run that exited (or panicked): success means RENEWED, failure UNTOUCHED or RENEWED,
        no temporaries; the journal may stay only behind a committed manifest."""
        ok = traced.returncode in RENEW_OK
        allowed = ("RENEWED",) if ok else ("UNTOUCHED", "RENEWED")
        if verdict.state not in allowed:
            what = "exited successfully" if ok else "failed"
            self.violation(
                "fault",
                f"the faulted renewal {what} but left the tree {verdict.state} "
                f"(allowed: {'/'.join(allowed)})",
                status,
                traced.stderr,
                verdict.summary,
            )
        left = leftovers(self.root)
        if left and any(p.startswith("journal left") for p in left):
            states = manifest_states(self.root)
            if verdict.state == "RENEWED" and ok and list(states.values()) == ["committed"]:
                self.notes.append("journal left behind a committed manifest (the next run removes it)")
                left = [p for p in left if not p.startswith("journal left")]
        if left:
            self.violation(
                "fault", "leftovers after the faulted renewal: " + "; ".join(left), status, traced.stderr
            )
        self._backups("fault")
        self._health("fault")

    def _after_recover_failure(self, traced: Traced, verdict: Verdict, status: str) -> None:
        """A recovery that exited: success means UNTOUCHED without leftovers; a failure must keep
        the journal (so the next run retries) unless nothing is left to do, and the next recover
        must then finish the job."""
        if traced.returncode == 0:
            if verdict.state != "UNTOUCHED":
                self.violation(
                    "fault",
                    f"the faulted recover exited 0 but left the tree {verdict.state}",
                    status,
                    traced.stderr,
                    verdict.summary,
                )
            left = leftovers(self.root)
            if left:
                self.violation(
                    "fault", "leftovers after the faulted recover: " + "; ".join(left), status, traced.stderr
                )
        else:
            journal = (self.root / JOURNAL).exists()
            if not journal and (verdict.state != "UNTOUCHED" or leftovers(self.root)):
                self.violation(
                    "fault",
                    "the faulted recover failed and dropped the journal with work left: "
                    "no later run can finish it",
                    status,
                    traced.stderr,
                    verdict.summary,
                )
            proc = run_kcert(self.ctx, ["recover", "--root", str(self.root)])
            vstatus = f"{status}; kcert recover again: exit {proc.returncode}"
            if proc.returncode != 0:
                self.violation("after-failure+recover", "kcert recover failed", vstatus, proc.stderr)
            again = judge_tree(self.ctx, self.root)
            if again.state != "UNTOUCHED":
                self.violation(
                    "after-failure+recover",
                    f"after kcert recover the tree is {again.state} (allowed: UNTOUCHED)",
                    vstatus,
                    proc.stderr,
                    again.summary,
                )
            left = leftovers(self.root)
            if left:
                self.violation(
                    "after-failure+recover",
                    "leftovers after kcert recover: " + "; ".join(left),
                    vstatus,
                    proc.stderr,
                )
        self._backups("fault")
        self._health("fault")

    def _after_kill(self, status: str) -> None:
        """Killed: whatever it left, each of recover, renew and rollback must finish the job."""
        killed = self.base / "killed"
        os.rename(self.root, killed)
        for variant in ("recover", "renew", "rollback"):
            copy_tree(killed, self.root)  # the journal names this path: recover in place
            stage = f"after-kill+{variant}"
            if variant == "recover":
                args, expect, codes = ["recover", "--root", str(self.root)], ("UNTOUCHED", "RENEWED"), (0,)
            elif variant == "renew":
                args, expect, codes = ["renew", "--root", str(self.root)], ("RENEWED",), RENEW_OK
            else:
                manifests = sorted((self.root / STATE_DIR / "backups").glob("*/manifest.json"))
                if not manifests:
                    shutil.rmtree(self.root)
                    continue
                args, expect, codes = ["rollback", str(manifests[-1])], ("UNTOUCHED",), (0,)
            proc = run_kcert(self.ctx, args)
            vstatus = f"kcert {variant}: exit {proc.returncode}"
            if proc.returncode not in codes:
                self.violation(stage, f"kcert {variant} failed", f"{status}; {vstatus}", proc.stderr)
            verdict = judge_tree(self.ctx, self.root)
            if verdict.state not in expect:
                self.violation(
                    stage,
                    f"after kcert {variant} the tree is {verdict.state} (allowed: {'/'.join(expect)})",
                    f"{status}; {vstatus}",
                    proc.stderr,
                    verdict.summary,
                )
            left = leftovers(self.root)
            if left:
                self.violation(
                    stage,
                    f"leftovers after kcert {variant}: " + "; ".join(left),
                    f"{status}; {vstatus}",
                    proc.stderr,
                )
            self._backups(stage)
            self._health(stage)
            shutil.rmtree(self.root)

    def _backups(self, stage: str) -> None:
        problems = backup_problems(self.root, self.ctx.ref.snap, strict=False)
        if problems:
            self.violation(stage, "backup permissions: " + "; ".join(problems[:6]))
        backups = self.root / STATE_DIR / "backups"
        if backups.is_dir() and not (self.root / JOURNAL).exists():
            orphans = [d.name for d in backups.iterdir() if d.is_dir() and not (d / "manifest.json").exists()]
            if orphans:
                self.notes.append(f"[{stage}] backup directory without a manifest left: {', '.join(orphans)}")

    def _health(self, stage: str) -> None:
        """A clean renewal afterwards succeeds and leaves a healthy, fully renewed tree."""
        proc = run_kcert(self.ctx, ["renew", "--root", str(self.root)])
        if proc.returncode not in RENEW_OK:
            self.violation(
                stage, "the clean renewal afterwards failed", f"exit {proc.returncode}", proc.stderr
            )
            return
        verdict = judge_tree(self.ctx, self.root)
        if verdict.state != "RENEWED":
            self.violation(
                stage,
                f"after a clean renewal the tree is {verdict.state}",
                f"exit {proc.returncode}",
                proc.stderr,
                verdict.summary,
            )
        left = leftovers(self.root)
        if left:
            self.violation(stage, "leftovers after the clean renewal: " + "; ".join(left))


_WORKER: dict = {}


def _run_point(ctx: Context, fault: Fault) -> dict:
    tracer = _WORKER.get("tracer")
    if tracer is None:
        tracer = _WORKER["tracer"] = Tracer()
    started = time.monotonic()
    try:
        result = PointRun(ctx, tracer, fault).run()
    except Exception as e:  # noqa: BLE001 -- a bug of the suite, not of kcert: report, go on
        result = {
            "point": fault.id,
            "label": fault.label,
            "kind": fault.kind,
            "n": fault.n,
            "reached": False,
            "ok": False,
            "status": "suite error",
            "injected": None,
            "violations": [
                {
                    "stage": "suite",
                    "rule": f"the suite itself failed: {type(e).__name__}: {e}",
                    "status": "",
                    "stderr": "",
                    "diff": "",
                }
            ],
            "notes": [],
        }
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def middle_rename(calls: list) -> Fault:
    """The renewal's rename of a node file (not the journal or a manifest) half-way through: a
    kill there leaves some files replaced and some not."""
    renames = [
        label
        for label, what in calls
        if label.split("#")[0] in ("rename", "renameat", "renameat2") and "/" + STATE_DIR not in what
    ]
    if not renames:
        raise SystemExit("fault-injection: no rename of a node file found in the renewal; pass --prestate")
    label, n = renames[len(renames) // 2].split("#")
    return Fault(label, int(n), "SIGKILL")


def make_fixture(kcert: Path, layout: str, etcd_hosts: int | None, dest: Path) -> None:
    args = [str(kcert), "fixture", layout, str(dest)]
    if etcd_hosts:
        args += ["--etcd-hosts", str(etcd_hosts)]
    proc = subprocess.run(args, check=False, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"fault-injection: kcert fixture failed: {proc.stderr.strip()}")


def learn_reference(kcert: Path, pristine: Path, work: Path, timeout: float) -> tuple:
    snap = snapshot(pristine)
    ref_root = work / "reference"
    copy_tree(pristine, ref_root)
    proc = subprocess.run(
        [str(kcert), "renew", "--root", str(ref_root), "--json"],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode not in RENEW_OK:
        raise SystemExit(
            f"fault-injection: the reference renewal failed ({proc.returncode}): {proc.stderr.strip()}"
        )
    report = json.loads(proc.stdout)
    now = snapshot(ref_root)
    removed = [p for p in snap if p not in now]
    changed = {p for p in snap if p in now and snap[p][:2] != now[p][:2]}
    meta = [p for p in snap if p in now and snap[p][:2] == now[p][:2] and not same_meta(snap[p], now[p])]
    if removed or meta:
        raise SystemExit(
            f"fault-injection: the reference renewal removed {removed} or changed modes of {meta}"
        )
    added = {
        normalize(p): (now[p][0], "", *now[p][2:]) for p in now if p not in snap and not state_parent(p, now[p])
    }
    if not changed:
        raise SystemExit("fault-injection: the reference renewal changed nothing; is the fixture expired?")
    renewed = [r["name"] for r in report["renewed"]]
    ref = Reference(snap=snap, changed=changed, added=added, renewed=renewed, exit_code=proc.returncode)
    return ref, ref_root


def self_test(ctx: Context, ref_root: Path) -> list:
    """The judge must be able to say no: known-bad trees must come out PARTIAL or flagged."""
    failures = []
    scratch = ctx.work / "selftest"

    def expect(name: str, root: Path, state: str) -> None:
        got = judge_tree(ctx, root)
        if got.state != state:
            failures.append(f"{name}: judged {got.state} ({got.summary}), expected {state}")

    def fresh(src: Path) -> Path:
        copy_tree(src, scratch)
        return scratch

    expect("pristine copy", fresh(ctx.pristine), "UNTOUCHED")
    expect("reference renewal", fresh(ref_root), "RENEWED")
    changed = sorted(ctx.ref.changed)
    # Half renewed: one renewed file put back to its original.
    t = fresh(ref_root)
    victim = next(p for p in changed if ctx.ref.snap[p][0] == "file")
    shutil.copy2(ctx.pristine / victim, t / victim)
    expect("one renewed file reverted", t, "PARTIAL")
    # One byte of an untouched certificate flipped.
    t = fresh(ctx.pristine)
    p = t / victim
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 1
    p.write_bytes(bytes(data))
    expect("one byte flipped", t, "PARTIAL")
    # A mode changed.
    t = fresh(ctx.pristine)
    os.chmod(t / victim, 0o666)
    expect("mode changed", t, "PARTIAL")
    # Two renewed certificates swapped: the same paths changed, but check must object.
    t = fresh(ref_root)
    crts = [p for p in changed if p.endswith(".crt")]
    if len(crts) >= 2:
        a, b = t / crts[0], t / crts[1]
        da, db = a.read_bytes(), b.read_bytes()
        a.write_bytes(db)
        b.write_bytes(da)
        expect("two renewed certificates swapped", t, "PARTIAL")
    # A leftover temporary, a leftover journal, a world-readable backup.
    t = fresh(ref_root)
    tmp = (t / victim).with_name(f".{Path(victim).name}.kcert-stage-1-1")
    tmp.write_bytes(b"x")
    if not any("temporary" in p for p in leftovers(t)):
        failures.append("leftover temporary: not reported by leftovers()")
    t = fresh(ref_root)
    (t / JOURNAL).write_text("{}")
    if not any("journal" in p for p in leftovers(t)):
        failures.append("leftover journal: not reported by leftovers()")
    t = fresh(ref_root)
    backup = next((t / STATE_DIR / "backups").glob("*/files/**/*.conf"), None)
    if backup is not None:
        os.chmod(backup, 0o644)
        if not backup_problems(t, ctx.ref.snap, strict=False):
            failures.append("world-readable backup of a kubeconfig: not reported")
    shutil.rmtree(scratch, ignore_errors=True)
    return failures


def pick_sample(points: list, n: int, seed: int) -> list:
    """n points spread evenly over every (syscall, kind) group, deterministic for a seed."""
    groups: dict = collections.defaultdict(list)
    for p in points:
        groups[(p.label, p.kind)].append(p)
    keys = sorted(groups)
    rng = random.Random(seed)
    order = keys[:]
    rng.shuffle(order)
    alloc = dict.fromkeys(keys, 0)
    left = min(n, len(points))
    while left:
        for k in order:
            if left and alloc[k] < len(groups[k]):
                alloc[k] += 1
                left -= 1
    chosen = []
    for k in keys:
        members, count = groups[k], alloc[k]
        if not count:
            continue
        offset = rng.random()
        idx = sorted({min(len(members) - 1, int((i + offset) * len(members) / count)) for i in range(count)})
        chosen.extend(members[i] for i in idx)
    return chosen


def cause(v: dict) -> str:
    """A violation without what varies between points (step, pid, stamp, counts), to group by."""
    text = v["rule"]
    if v.get("diff"):
        text += " — " + v["diff"].split(";")[0].split(":")[0]
    text = re.sub(
        r"after (kcert (recover|renew|rollback)|the clean renewal|the faulted renewal)", "after <run>", text
    )
    text = re.sub(r"\d{8}T\d{6}Z(-\d+)?", "<stamp>", text)

    def temp(m: re.Match) -> str:
        directory, name = os.path.split(m.group(0))
        tag = TEMP_RE.search(name).group(0).split("-")[1]
        if in_state_dir(directory):  # journal.json, manifest.json: keep the name
            return f"{directory}/{name[: TEMP_RE.search(name).start()]}.kcert-{tag}-*"
        return f"<node dir>/.<file>.kcert-{tag}-*"

    text = re.sub(r"[^\s,;:]*\.kcert-[a-z]+-\d+-\d+", temp, text)
    text = re.sub(r"(<node dir>/\.<file>\.kcert-\w+-\*)(, \1)+", r"\1", text)
    text = re.sub(r", … \(\+\d+\)", "", text)
    return re.sub(r"\b\d+\b", "N", text)


def summary_table(results: list, labels: list) -> str:
    cells = collections.defaultdict(lambda: [0, 0, 0])  # run, passed, failed
    for r in results:
        if not r.get("reached"):
            continue
        c = cells[(r["label"], r["kind"])]
        c[0] += 1
        c[1 if r["ok"] else 2] += 1
    width = max([len("syscall")] + [len(x) for x in labels])
    head = f"{'syscall':<{width}}  " + "  ".join(f"{k + ' run/pass/fail':>22}" for k in KINDS)
    lines = [head, "-" * len(head)]
    for label in labels:
        row = []
        for k in KINDS:
            run_, ok, bad = cells.get((label, k), (0, 0, 0))
            row.append(f"{f'{run_}/{ok}/{bad}':>22}" if run_ else f"{'-':>22}")
        lines.append(f"{label:<{width}}  " + "  ".join(row))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--full", action="store_true", help="every point of every kind")
    mode.add_argument(
        "--sample", type=int, metavar="N", help="N points spread over syscalls and kinds (default 40)"
    )
    mode.add_argument(
        "--point", action="append", metavar="LABEL#N:KIND", help="only these points (repeatable)"
    )
    mode.add_argument(
        "--list-points", action="store_true", help="print the enumerated calls in order and exit"
    )
    ap.add_argument(
        "--target",
        choices=("renew", "recover"),
        default="renew",
        help="fault `kcert renew` (default), or `kcert recover` of a renewal killed half-way",
    )
    ap.add_argument(
        "--prestate",
        metavar="LABEL#N:SIGKILL",
        help="with --target recover: where the renewal is killed first (default: its middle rename)",
    )
    ap.add_argument(
        "--kcert", type=Path, default=DEFAULT_KCERT, help=f"the kcert binary (default {DEFAULT_KCERT})"
    )
    ap.add_argument("--layout", default="kubeadm", help="fixture layout: kubeadm, kubespray, rke1, rke2, k3s")
    ap.add_argument(
        "--etcd-hosts", type=int, default=None, help="etcd hosts of the fixture (kubespray, rke1, ...)"
    )
    ap.add_argument("--seed", type=int, default=1, help="seed of --sample (default 1)")
    ap.add_argument(
        "--kinds", default=",".join(KINDS), help="fault kinds to run (default all: ENOSPC,EIO,SIGKILL)"
    )
    ap.add_argument(
        "--only", default="", help="only these syscall labels, comma-separated (e.g. fsync,rename)"
    )
    ap.add_argument("--jobs", type=int, default=1, help="points run in parallel (default 1)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per kcert run (default 60)")
    ap.add_argument("--keep-failures", type=Path, metavar="DIR", help="copy each failing tree here")
    ap.add_argument("--report", type=Path, metavar="FILE", help="write every result as JSON")
    ap.add_argument("--workdir", type=Path, help="scratch directory (default: a new one in $TMPDIR, removed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per point, not only per failure")
    args = ap.parse_args()

    if os.geteuid() != 0:
        print(
            "fault-injection: run as root (the fixture trees are root's; the tracer uses ptrace)",
            file=sys.stderr,
        )
        return 2
    kcert = args.kcert.resolve()
    if not os.access(kcert, os.X_OK):
        print(
            f"fault-injection: no kcert binary at {kcert}; build it with "
            "`cargo build --release -p kcert` or pass --kcert",
            file=sys.stderr,
        )
        return 2
    if shutil.which("strace") is None:
        print("fault-injection: strace is missing; run testing/install-deps.sh", file=sys.stderr)
        return 2
    kinds = [k for k in args.kinds.split(",") if k]
    if any(k not in KINDS for k in kinds):
        print(f"fault-injection: --kinds takes {','.join(KINDS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    made_work = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="kcert-faults-")) if made_work else args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    try:
        return sweep(args, kcert, work, kinds, started)
    finally:
        if made_work:
            shutil.rmtree(work, ignore_errors=True)


def sweep(args, kcert: Path, work: Path, kinds: list, started: float) -> int:
    pristine = work / "pristine"
    make_fixture(kcert, args.layout, args.etcd_hosts, pristine)
    ref, ref_root = learn_reference(kcert, pristine, work, args.timeout)
    ctx = Context(
        kcert=kcert,
        work=work,
        pristine=pristine,
        ref=ref,
        timeout=args.timeout,
        keep=args.keep_failures.resolve() if args.keep_failures else None,
        verbose=args.verbose,
    )
    unhealthy = check_renewed(ctx, ref_root) + leftovers(ref_root)
    if unhealthy:
        print(
            "fault-injection: the reference renewal itself is not healthy, nothing to compare against:\n  "
            + "\n  ".join(unhealthy),
            file=sys.stderr,
        )
        return 1
    if ctx.keep:
        ctx.keep.mkdir(parents=True, exist_ok=True)
    print(
        f"fault-injection: {args.layout} tree, {len(ref.snap)} paths; a renewal replaces {len(ref.changed)} "
        f"and creates {len(ref.added)} (exit {ref.exit_code}); renewed: {len(ref.renewed)} entries"
    )

    failures_global = []
    judge_failures = self_test(ctx, ref_root)
    if judge_failures:
        print(
            "fault-injection: the judge itself is broken:\n  " + "\n  ".join(judge_failures), file=sys.stderr
        )
        return 2
    print(
        "fault-injection: judge self-test passed (half-renewed, flipped byte, mode, swapped certs, "
        "temporaries, journal, backup mode are all caught)"
    )
    strict = backup_problems(ref_root, ref.snap, strict=True)
    if strict:
        files = [p for p in strict if p.startswith("backup ")]
        dirs = [p for p in strict if not p.startswith("backup ")]
        shown = dirs + ([f"{len(files)} backup files are not 0600, e.g. {files[0]}"] if files else [])
        failures_global.append(
            {
                "point": "reference",
                "stage": "reference",
                "rule": "backup permissions (every backup 0600 in 0700 directories): " + "; ".join(shown),
                "all": strict,
            }
        )

    # Enumerate: strace -f on one run, the tracer on another; they must agree.
    tracer = Tracer()
    enum_root = work / "enumerate"
    renew_argv = [str(kcert), "renew", "--root", str(enum_root)]
    if args.target == "recover":
        copy_tree(pristine, enum_root)
        renewal = tracer.run(renew_argv, timeout=args.timeout, record_calls=True)
        ctx.target = "recover"
        ctx.prestate = Fault.parse(args.prestate) if args.prestate else middle_rename(renewal.calls)
        print(f"fault-injection: target recover: each point recovers a renewal killed at {ctx.prestate.id}")
        make_prestate(ctx, tracer, enum_root)
    else:
        copy_tree(pristine, enum_root)
    argv = [str(kcert), args.target, "--root", str(enum_root)]
    by_strace = strace_counts(argv, work / "strace.txt")
    if args.target == "recover":
        make_prestate(ctx, tracer, enum_root)
    else:
        copy_tree(pristine, enum_root)
    counted = tracer.run(argv, timeout=args.timeout, record_calls=True)
    if counted.returncode not in RENEW_OK:
        print(
            f"fault-injection: kcert {args.target} under the tracer failed "
            f"({counted.status()}): {counted.stderr}",
            file=sys.stderr,
        )
        return 2
    counts = counted.counts
    if by_strace != counts:
        print(
            f"fault-injection: warning: strace counted {by_strace}, the tracer {counts}; using the tracer's"
        )
    labels = sorted(counts)
    print(
        f"fault-injection: calls per {args.target} (strace -f): "
        + ", ".join(f"{k} {by_strace.get(k, 0)}" for k in sorted(set(by_strace) | set(counts)))
    )
    if args.list_points:
        for label, what in counted.calls:
            print(f"  {label:<24} {what.replace(str(enum_root), '<root>')}")
        return 0
    shutil.rmtree(enum_root, ignore_errors=True)

    only = {x for x in args.only.split(",") if x}
    points = [
        Fault(label, n, kind)
        for label in labels
        for kind in kinds
        for n in range(1, counts[label] + 1)
        if not only or label in only
    ]
    enumerated = sum(counts.values()) * len(KINDS)
    if args.point:
        chosen = [Fault.parse(p) for p in args.point]
    elif args.full:
        chosen = points
    else:
        chosen = pick_sample(points, args.sample or 40, args.seed)
    print(
        f"fault-injection: {len(chosen)} of {len(points)} points "
        f"({'full' if args.full else 'chosen' if args.point else f'sample, seed {args.seed}'}), "
        f"{args.jobs} job(s)"
    )

    results = []
    total = len(chosen)

    def report(i: int, r: dict) -> None:
        results.append(r)
        mark = "ok  " if r["ok"] else "FAIL"
        if not r.get("reached") and r["ok"]:
            mark = "skip"
        if args.verbose or not r["ok"] or args.point:
            print(
                f"[{i:>4}/{total}] {mark} {r['point']:<28} {r['status']:<20} after fault: "
                f"{r.get('after_fault', '?'):<9} {r['seconds']:>5.1f}s  {r.get('injected') or 'not reached'}"
            )
            for v in r["violations"]:
                print(f"         - [{v['stage']}] {v['rule']}")
                if v.get("status"):
                    print(f"           status: {v['status']}")
                if v.get("diff"):
                    print(f"           diff: {v['diff']}")
                if v.get("stderr"):
                    print("           stderr: " + v["stderr"].replace("\n", "\n                   "))
            if args.point:
                for note in r["notes"]:
                    print(f"         note: {note}")
                if r.get("stderr"):
                    print(
                        "         faulted run stderr: " + r["stderr"].replace("\n", "\n                   ")
                    )
        elif i % 25 == 0:
            print(
                f"[{i:>4}/{total}] … {sum(1 for x in results if not x['ok'])} failing so far "
                f"({time.monotonic() - started:.0f}s)"
            )
        sys.stdout.flush()

    if args.jobs > 1:
        _WORKER.clear()
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=args.jobs, mp_context=multiprocessing.get_context("fork")
        )
        with pool:
            futures = [pool.submit(_run_point, ctx, f) for f in chosen]
            for i, fut in enumerate(futures, 1):
                report(i, fut.result())
    else:
        _WORKER["tracer"] = tracer
        for i, f in enumerate(chosen, 1):
            report(i, _run_point(ctx, f))

    covered = sum(1 for r in results if r.get("reached"))
    point_failures = [r for r in results if not r["ok"]]
    failures = len(point_failures) + len(failures_global)
    print()
    print(summary_table(results, labels))
    not_reached = [r["point"] for r in results if not r.get("reached")]
    if not_reached:
        print(f"not reached (the run made fewer calls than enumerated): {fmt_paths(not_reached, 10)}")
    kills = [r for r in results if r["kind"] == "SIGKILL" and r.get("reached")]
    if kills:
        states = collections.Counter(r.get("after_fault") for r in kills)
        print("state right after a kill: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    groups: dict = collections.defaultdict(lambda: (set(), set()))
    for r in point_failures:
        for v in r["violations"]:
            pts, stages = groups[cause(v)]
            pts.add(r["point"])
            stages.add(v["stage"])
    notes = collections.defaultdict(set)
    for r in results:
        for n in r["notes"]:
            notes[cause({"rule": n})].add(r["point"])
    if notes:
        print("notes (allowed, but worth knowing):")
        for text, pts in sorted(notes.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(pts):>4} points: {text}\n              e.g. {fmt_paths(pts, 6)}")
    for g in failures_global:
        print(f"FAIL {g['point']}: {g['rule']}")
    if groups:
        print("failures by cause (a point can show several):")
        for text, (pts, stages) in sorted(groups.items(), key=lambda kv: (-len(kv[1][0]), kv[0])):
            print(
                f"  {len(pts):>4} points: {text}\n              stages: {', '.join(sorted(stages))}"
                f"\n              e.g. {fmt_paths(pts, 6)}"
            )
    if args.report:
        args.report.write_text(
            json.dumps(
                {
                    "layout": args.layout,
                    "kcert": str(kcert),
                    "counts": counts,
                    "strace_counts": by_strace,
                    "enumerated": enumerated,
                    "covered": covered,
                    "failures": failures,
                    "global_failures": failures_global,
                    "results": results,
                },
                indent=2,
            )
            + "\n"
        )
    print(f"took {time.monotonic() - started:.0f}s")
    print(f"covered {covered} injection points (of {enumerated} enumerated), {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
