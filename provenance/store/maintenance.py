"""Maintenance: geometric repacking and the commit-graph (with changed-path Bloom
filters), started in the background when loose objects or packs pile up.

The part `Maintenance(objects, locks)`; the writer starts it after every add.

Owns: `git maintenance`-like work, its lock, and removing what killed
writers left (incoming refs, temporary packs).  Never: changes what any
ref points to.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Callable

from ..locks import describe, log_repair, me, owner_gone, read_owner

from .objects import Objects
from .reflocks import RefLocks, lock_age



# Maintenance after each add (see Store.maintain): repack when this many
# loose objects or packs have gathered.  Not `git gc`: a full repack costs
# time in proportion to the whole store, in the middle of someone's ingest.
LOOSE_LIMIT = 100

PACK_LIMIT = 12

MAINTENANCE_LOCK_STALE = 3600.0  # seconds after which a maintenance lock is taken over


class Maintenance:
    """Maintenance: geometric repacking and the commit-graph, in the background;
    leftovers of killed processes.

    Given the store's `Objects` (its git processes) and `RefLocks` (which
    ref locks count as leftovers); owns the maintenance lock.
    """

    def __init__(self, objects: Objects, locks: RefLocks):
        self.objects = objects
        self.locks = locks
        self.path = objects.path

    def maintain(self) -> None:
        """Keep the store compact and quick to read; cheap unless a threshold is passed.

        Runs after every add (see store/README.md, "Maintenance"):

        - the first time, a commit-graph with changed-path Bloom filters
          (`git log -- <document folder>` then skips commits without reading
          their trees); `git maintenance run --auto --task=commit-graph`
          extends it once 100 commits are outside it, keeping the filters;
        - once there are LOOSE_LIMIT loose objects (small adds leave theirs
          loose) or PACK_LIMIT packs (a bulk add leaves one), a geometric
          repack: loose objects and the smallest packs are rolled into one
          pack, with deltas between versions, so that every pack holds at
          least twice the objects of the next smaller one.  The work is in
          proportion to what is new, not to the store, and the packs stay
          few (logarithmic in the store's size).

        Failures are ignored: maintenance never fails an ingest, and the next
        add tries again.  One process at a time maintains a store (the others
        skip it).
        """
        maintained = self.start()
        if maintained is not None:
            maintained()

    def start(self) -> Callable[[], None] | None:
        """`maintain` in two halves: start the commit-graph update (a git
        process), and return the function that waits for it, repacks if due
        and lets go of the maintenance lock; None if there is nothing to wait
        for (another process is maintaining the store, or it is read-only)."""
        objects = self.path / "objects"
        info = objects / "info"
        lock = objects / "provenance-maintenance.lock"
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            # The owner is written inside (as git's gc.pid): a lock whose owner
            # is provably gone is taken over at once, and the repair logged;
            # one without a readable owner only after MAINTENANCE_LOCK_STALE.
            owner, age = read_owner(lock), lock_age(lock)
            if age is None or not (owner_gone(owner) or (owner is None and age >= MAINTENANCE_LOCK_STALE)):
                return  # someone else is maintaining the store
            try:
                fd = os.open(lock, os.O_WRONLY | os.O_TRUNC)
            except OSError:
                return
            log_repair(self.path, f"took over {lock.name} from {describe(owner)}, which is gone")
        except OSError:
            return  # a read-only store
        graph: subprocess.Popen | None = None
        try:
            os.write(fd, json.dumps(me()).encode())
            os.close(fd)
            self._clean_leftovers()
            if not (info / "commit-graph").exists() and not (info / "commit-graphs" / "commit-graph-chain").exists():
                # Later writes (by git maintenance) keep the Bloom filters of the existing graph.
                args = ["commit-graph", "write", "--reachable", "--split", "--changed-paths", "--no-progress"]
            else:
                args = ["maintenance", "run", "--auto", "--quiet", "--task=commit-graph"]
            try:
                graph = subprocess.Popen(["git", *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, env=self.objects.env)
            except OSError:
                pass  # (no git: the add itself would have failed; nothing to maintain)
        except BaseException:
            self._end_maintenance(lock, graph)
            raise

        def finish() -> None:
            self._end_maintenance(lock, graph, objects)

        return finish

    def leftovers(self) -> list[str]:
        """What killed processes may have left: ref locks, the maintenance
        lock, incoming refs, temporary packs (paths inside the store)."""
        found = [p for p in self.locks.paths() if p.exists()]
        lock = self.path / "objects" / "provenance-maintenance.lock"
        if lock.exists():
            found.append(lock)
        found += [p for p in (self.path / "refs" / "provenance" / "incoming").glob("*") if p.is_file()]
        found += list((self.path / "objects" / "pack").glob("tmp_*"))
        return [str(p.relative_to(self.path)) for p in sorted(found)]

    def repair(self) -> None:
        """What `Store.doctor` fixes itself: ref locks no live writer holds, a
        maintenance lock whose owner is gone, leftovers older than
        LEFTOVER_SECONDS.  Never touches a version, a commit or main."""
        self.locks.clear_orphaned()
        maintained = self.start()  # takes over a dead owner's lock, cleans leftovers
        if maintained is not None:
            maintained()

    def _clean_leftovers(self) -> None:
        """Incoming refs (refs/provenance/incoming/*) and temporary packs
        (objects/pack/tmp_pack_*) that killed writers left, once older than
        LEFTOVER_SECONDS; each removal logged.  Run holding the maintenance lock."""
        now = time.time()
        for folder, pattern in ((self.path / "refs" / "provenance" / "incoming", "*"),
                                (self.path / "objects" / "pack", "tmp_*")):
            try:
                found = list(folder.glob(pattern))
            except OSError:
                continue
            for leftover in found:
                try:
                    if not leftover.is_file() or now - leftover.stat().st_mtime < LEFTOVER_SECONDS:
                        continue
                    leftover.unlink()
                except OSError:
                    continue
                log_repair(self.path, f"removed {leftover.relative_to(self.path)}, left by a killed writer")

    def _end_maintenance(self, lock: Path, graph: subprocess.Popen | None, objects: Path | None = None) -> None:
        try:
            if graph is not None:
                try:
                    graph.wait()
                except BaseException:  # (Ctrl-C: as subprocess.run, do not leave git running)
                    graph.kill()
                    graph.wait()
                    raise
            if objects is not None and (_count_loose(objects, LOOSE_LIMIT) >= LOOSE_LIMIT
                                        or _count_packs(objects) >= PACK_LIMIT):
                self.objects.git("-c", "repack.writeBitmaps=false", "repack", "-d", "-l", "-q", "--geometric=2",
                          "--write-midx", check=False)
        finally:
            try:
                lock.unlink()
            except OSError:
                pass


# Leftovers of killed writers older than this are removed by maintenance:
# a live writer deletes its incoming ref within seconds of making it.
LEFTOVER_SECONDS = 3600.0


def _count_loose(objects: Path, limit: int) -> int:
    """Loose objects in objects/<xx>/, counted up to `limit` (then it stops)."""
    count = 0
    try:
        folders = [e for e in os.scandir(objects) if len(e.name) == 2 and e.is_dir()]
    except OSError:
        return 0
    for folder in folders:
        try:
            count += len(os.listdir(folder.path))
        except OSError:
            continue
        if count >= limit:
            break
    return count


def _count_packs(objects: Path) -> int:
    try:
        return sum(1 for name in os.listdir(objects / "pack") if name.endswith(".pack"))
    except OSError:
        return 0
