"""Ref locks: the lock files git holds while it updates main (`main.lock`,
`packed-refs.lock`, `HEAD.lock`), their age, the stale-lock policy, and
clearing those a killed git left behind.  The part `RefLocks(path,
stale_lock_seconds)`; the writer and maintenance are given one.

Owns: the policy on git's ref locks and the writers' lock
(provenance-writers.lock, held shared by every writer inside a ref update).
Never: moves a ref, and never removes a lock a live writer may hold.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import ProvenanceError
from ..locks import OwnedLock, log_repair

DEFAULT_STALE_LOCK_SECONDS = 600.0

# A ref lock this old, with no provenance writer inside a ref update, was
# left by a killed git process (git holds one for milliseconds).
ORPHAN_AFTER_SECONDS = 2.0
WRITERS_LOCK = "provenance-writers.lock"


class RefLocks:
    """git's ref locks in the store at `path`; older than `stale_lock_seconds`
    (while a live writer holds them) they are an error, not a wait."""

    def __init__(self, path: Path, stale_lock_seconds: float):
        self.path = path
        self.stale_lock_seconds = stale_lock_seconds

    def paths(self) -> list[Path]:
        return [self.path / "refs" / "heads" / "main.lock", self.path / "packed-refs.lock", self.path / "HEAD.lock"]

    def writers_lock(self, shared: bool = False) -> OwnedLock:
        """The lock every writer holds shared around `git update-ref`."""
        return OwnedLock(self.path / WRITERS_LOCK, shared=shared)

    def check_stale(self) -> None:
        locks = [(lock, lock_age(lock)) for lock in self.paths()]
        if any(age is not None and age >= ORPHAN_AFTER_SECONDS for _, age in locks):
            self.clear_orphaned()
            locks = [(lock, lock_age(lock)) for lock in self.paths()]
        for lock, age in locks:
            if age is not None and age >= self.stale_lock_seconds:
                raise ProvenanceError(stale_message(lock, age, self.stale_lock_seconds, self.path))

    def clear_orphaned(self) -> bool:
        """Remove ref locks git left behind when its process was killed: a
        lock at least ORPHAN_AFTER_SECONDS old while no provenance writer is
        inside a ref update (the writers' lock is free: its holders die with
        their locks, flock(2)).  Done holding that lock exclusively, so no
        writer can start an update meanwhile; each removal is logged in the
        store's repair log.  True if one was removed."""
        guard = self.writers_lock()
        if not guard.try_acquire():
            return False  # a live writer is inside: its lock is not orphaned
        cleared = False
        try:
            for lock in self.paths():
                age = lock_age(lock)
                if age is not None and age >= ORPHAN_AFTER_SECONDS:
                    try:
                        lock.unlink()
                    except FileNotFoundError:
                        continue
                    cleared = True
                    log_repair(self.path, f"removed {lock.name} left {age:.0f} s ago by a killed git process "
                                          f"(no provenance writer was updating refs)")
        finally:
            guard.release()
        return cleared


def lock_age(lock: Path) -> float | None:
    try:
        return max(0.0, time.time() - os.stat(lock).st_mtime)
    except FileNotFoundError:
        return None


def stale_message(lock: Path, age: float, limit: float, store: Path) -> str:
    return (f"lock file {lock} has been held for {age:.0f} s (limit {limit:.0f} s) while a provenance writer "
            f"is updating {store}'s refs; it is not removed while that writer lives: try again when it is done")
