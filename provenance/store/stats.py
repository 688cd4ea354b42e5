"""Word statistics of a batch (words added and removed per version), computed in
worker processes when the texts are long enough to pay for them.

Owns: the worker pool.  Never: writes to the store; it returns numbers.
"""

from __future__ import annotations

import collections
import os
import sys
from typing import Any, Callable, Iterable, Iterator

from ..errors import ProvenanceError



# Change statistics of a large batch run in worker processes: they cost
# milliseconds per version (a word diff), much more than storing a version.
# Workers are forked, so they inherit the function and the batch's pairs of
# texts: only indices and counts travel through pipes.  (Sending the texts
# cost the parent ~50 ms of pickling per 1,000 versions of 3 KB, in the
# threads of the pool, on the cores the workers and git need.)
PARALLEL_MIN_CHARS = 256 * 1024  # below this many characters of text to compare, one process is quicker

# id of a _ChangeStats -> (function, the pairs it had when it forked its workers);
# set in the parent before forking
_STATS_JOBS: dict[int, tuple[Callable[[str, str], tuple[int, int]], list[tuple[str, str]]]] = {}


def _stats_job(job: tuple[int, int | tuple[str, str]]) -> tuple[int, int]:
    """In a worker: (which _ChangeStats, index of an inherited pair or a pair) -> counts."""
    key, pair = job
    fn, pairs = _STATS_JOBS[key]
    if type(pair) is int:
        pair = pairs[pair]
    added, removed = fn(*pair)
    return int(added), int(removed)


def _ignore_sigint() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it ends the pool)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stat_workers() -> int:
    """Worker processes for change statistics: $PROVENANCE_JOBS, else the usable CPUs."""
    raw = os.environ.get("PROVENANCE_JOBS", "").strip()
    if raw:
        try:
            jobs = int(raw)
        except ValueError:
            raise ProvenanceError(f"PROVENANCE_JOBS must be a whole number of processes, not {raw!r}") from None
        if jobs < 1:
            raise ProvenanceError("PROVENANCE_JOBS must be at least 1")
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _ChangeStats:
    """`change_stats` with a memo, computed ahead in worker processes when a
    batch is large (Linux: forked workers; results come back in order)."""

    def __init__(self, fn: Callable[[str, str], tuple[int, int]]):
        self.fn = fn
        self.memo: dict[tuple[str, str], tuple[int, int]] = {}
        self.pool: Any = None
        self.pending: collections.deque[tuple[str, str]] = collections.deque()
        self.pending_keys: set[tuple[str, str]] = set()
        self.results: Iterator[tuple[int, int]] | None = None

    def start(self, pairs: list[tuple[str, str]]) -> None:
        """Begin computing `pairs` (in this order) in the background, if worth it."""
        self._drain()
        todo = [pair for pair in dict.fromkeys(pairs) if pair not in self.memo]
        if not todo or sum(len(a) + len(b) for a, b in todo) < PARALLEL_MIN_CHARS:
            return
        if self.pool is None:
            workers = min(_stat_workers(), len(todo))
            if workers < 2 or not sys.platform.startswith("linux"):
                return
            import multiprocessing

            _STATS_JOBS[id(self)] = (self.fn, todo)  # before the fork: the workers have them
            self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_sigint)
            self.workers = workers
            jobs: Iterable = ((id(self), i) for i in range(len(todo)))
        else:  # a later batch (a retry on a new tip): workers forked before it get the texts
            jobs = ((id(self), pair) for pair in todo)
        self.pending = collections.deque(todo)
        self.pending_keys = set(todo)
        chunk = max(1, min(16, len(todo) // (8 * self.workers)))
        self.results = self.pool.imap(_stats_job, jobs, chunksize=chunk)

    def _drain(self, until: tuple[str, str] | None = None) -> None:
        """Collect results in order: all of them, or up to the pair `until`."""
        while self.pending:
            pair = self.pending.popleft()
            self.pending_keys.discard(pair)
            self.memo[pair] = next(self.results)
            if pair == until:
                break
        if not self.pending:
            self.results = None

    def __call__(self, prev: str, new: str) -> tuple[int, int]:
        key = (prev, new)
        if key not in self.memo and key in self.pending_keys:
            self._drain(key)
        found = self.memo.get(key)
        if found is None:
            added, removed = self.fn(prev, new)
            found = self.memo[key] = (int(added), int(removed))
        return found

    def close(self) -> None:
        pool, self.pool, self.results = self.pool, None, None
        self.pending.clear()
        self.pending_keys.clear()
        if pool is not None:
            pool.terminate()
            pool.join()
        _STATS_JOBS.pop(id(self), None)
