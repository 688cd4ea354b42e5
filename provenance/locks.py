"""Locks whose owner is known, so that a crash never blocks a store.

Owns `OwnedLock`: a lock file held with flock(2), which the kernel lets go
of when its holder dies however it dies (SIGKILL included), with the
holder's pid, host, process start time and boot id written inside (as
git's gc.pid) so that waiting writers can say who holds it, and a lock left
on another host can be told apart.  Owns `owner_gone`, the test that a
recorded owner is provably gone, and the log of every lock cleared.

Owns as well the other ways a leftover names its owner: `owned_name` (a
temporary ref's name carrying its writer's boot, pid and start time) and
`in_use` (whether any process has a file open, from /proc).

It must never remove a lock whose owner may be alive, and never decide
what the lock protects (the store's writer and maintenance do).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

REPAIR_LOG = "provenance-repairs.log"  # in the store: one line per lock or leftover cleared


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of
    /proc/PID/stat), or None if there is no such process.  A pid reused by a
    later process has another start time."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return ""
        return ""  # alive, start time unknown (no /proc)
    return stat.rpartition(")")[2].split()[19]


def me() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "start": process_start(os.getpid()) or "",
            "boot": _boot_id(), "since": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}


def read_owner(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def owner_gone(owner: dict | None) -> bool:
    """True only when the recorded owner is provably not running: on this
    host, and either its pid is free, or held by a process started at
    another time, or the machine has rebooted since."""
    if not owner or owner.get("host") != socket.gethostname():
        return False
    if owner.get("boot") and _boot_id() and owner["boot"] != _boot_id():
        return True
    start = process_start(owner["pid"])
    if start is None:
        return True
    return bool(start and owner.get("start") and start != owner["start"])


def create_owned(path: Path) -> bool:
    """Create the lock file `path` with our identity already inside, or
    return False if it exists.  Written aside and linked into place, so a
    lock file never exists without its owner (a kill between creating and
    writing it would leave a lock nobody could prove dead)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    tmp.write_text(json.dumps(me()))
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass


def owned_name(prefix: str = "") -> str:
    """A unique name that says who made it: boot id, pid, process start,
    random (`boot-pid-start-random`), for leftovers of a process that may be
    killed (see `name_owner_gone`)."""
    return f"{prefix}{_boot_id()[:8] or 'noboot'}-{os.getpid()}-{process_start(os.getpid()) or 0}-{os.urandom(6).hex()}"


def name_owner_gone(name: str) -> bool:
    """True when the process that made `name` (by owned_name, its last part
    alone or after one word and a dash, as "fetch-...") is provably gone:
    same boot of this machine, and its pid is free or reused.  False for
    names in another form, from another boot or machine, or alive."""
    parts = name.rsplit("/", 1)[-1].split("-")
    if len(parts) == 5 and parts[0].isalpha():
        parts = parts[1:]  # a prefix that names the kind of leftover ("fetch-": sync's)
    if len(parts) != 4 or not parts[1].isdigit() or not _boot_id() or parts[0] != _boot_id()[:8]:
        return False
    start = process_start(int(parts[1]))
    return start is None or bool(start and start != parts[2])


def in_use(paths: list[Path]) -> set[Path]:
    """Those of `paths` that some process may have open: found in
    /proc/*/fd, or not ours to judge.  A file another user created may be
    held by that user's processes, whose files we cannot see, so it counts
    as in use; so does everything when there is no /proc."""
    mine = os.getuid()
    wanted, unknown = {}, set()
    for p in paths:
        try:
            owner = os.stat(p).st_uid
        except OSError:
            continue  # gone
        if owner == mine or mine == 0:
            wanted[os.path.realpath(p)] = p
        else:
            unknown.add(p)
    if not wanted:
        return unknown
    try:
        pids = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return unknown | set(wanted.values())
    found = set(unknown)
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # ended meanwhile, or another user's: our files are held by our processes
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target in wanted:
                found.add(wanted[target])
    return found


def describe(owner: dict | None) -> str:
    if not owner:
        return "an unknown process"
    return f"pid {owner.get('pid')} on {owner.get('host')} since {owner.get('since')}"


def log_repair(store: Path, message: str) -> None:
    """Append one line to the store's repair log (best effort: never fail a command for it)."""
    try:
        with open(store / REPAIR_LOG, "a", encoding="utf-8") as f:
            f.write(f"{datetime.now(timezone.utc).replace(microsecond=0).isoformat()} pid {os.getpid()}: {message}\n")
    except OSError:
        pass


@dataclass
class OwnedLock:
    """flock(2) on `path`, exclusive or shared.  The exclusive holder writes
    its identity into the file; the file itself stays (removing a lock file
    others may have open would let two holders in)."""

    path: Path
    shared: bool = False
    _fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        if not self.shared:
            data = json.dumps(me()).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        return True

    def acquire(self, timeout: float, on_wait=None, poll: float = 0.05) -> bool:
        """Wait up to `timeout` seconds; `on_wait(owner)` is called once,
        when the lock is found held (to tell the user who holds it)."""
        deadline = time.monotonic() + timeout
        told = False
        while not self.try_acquire():
            if not told and on_wait is not None:
                on_wait(read_owner(self.path))
                told = True
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                if not self.shared:
                    os.ftruncate(self._fd, 0)
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def held_by_someone(self) -> bool:
        """True when another process holds it (probing takes it for an instant)."""
        if self._fd is not None:
            return False
        if not self.path.exists():
            return False
        probe = OwnedLock(self.path, shared=False)
        if probe.try_acquire():
            # (an exclusive probe would record us: undo that)
            os.ftruncate(probe._fd, 0)
            fcntl.flock(probe._fd, fcntl.LOCK_UN)
            os.close(probe._fd)
            probe._fd = None
            return False
        return True

    def __enter__(self) -> "OwnedLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()
