"""The store: a bare git repository used as an append-only database.

One commit per ingest on ``refs/heads/main``; metadata lives both in the
version folder (``meta.json``) and in git trailers of the commit, so that a
plain ``git -C store log`` is the audit trail.  Nothing is ever rewritten:
every version folder is written once, and ``main`` only moves forward.

Writing never goes through a git index (shared mutable state that loses
commits under concurrency).  Each ``Store.add`` builds its chain of commits
from the current tip with one ``git fast-import`` process onto a private
temporary ref, then moves ``main`` by compare-and-swap (``git update-ref
refs/heads/main NEW OLD``).  If another writer moved ``main`` in between,
everything that depends on the tip (version numbers, "seen again" and
"repeats" decisions, change statistics) is recomputed and the chain rebuilt.

See store/README.md for the layout and the reasons behind it.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .. import __version__
from ..errors import ProvenanceError
from ..extract import Extracted

TOOL = f"provenance {__version__}"
LAYOUT = "2"  # value of the `provenance.layout` config key that marks our stores
# Versions per bucket folder, by layout.  Layout 1 (provenance 0.1) used
# 1,000; git fast-import rewrites the bucket's tree with every commit, and a
# 1,000-entry tree made that 60% of its work (1,000 versions: 0.5 vs 0.2 s).
BUCKET_SIZES = {"1": 1000, "2": 100}
MAIN = "refs/heads/main"
INCOMING = "refs/provenance/incoming/"
ZERO_SHA = "0" * 40
MAX_DOC_ID = 200
DEFAULT_STALE_LOCK_SECONDS = 600.0
# Maintenance after each add (see Store.maintain): repack when this many
# loose objects or packs have gathered.  Not `git gc`: a full repack costs
# time in proportion to the whole store, in the middle of someone's ingest.
LOOSE_LIMIT = 100
PACK_LIMIT = 12
MAINTENANCE_LOCK_STALE = 3600.0  # seconds after which a maintenance lock is taken over
TREE_CACHE_ENTRIES = 500_000  # parsed tree entries a Store keeps (trees are immutable; ~100 MB at most)

# Config of a new store (see store/README.md for why).
STORE_CONFIG = (
    # committed = objects in git 2.39; refs too, or a crash could roll main back.
    ("core.fsync", "committed,reference"),
    ("core.logAllRefUpdates", "true"),
    ("receive.denyNonFastForwards", "true"),
    ("receive.denyDeletes", "true"),
    # The reflog is part of the audit trail: keep it.
    ("gc.reflogExpire", "never"),
    ("gc.reflogExpireUnreachable", "never"),
    ("provenance.layout", LAYOUT),  # written last: marks a complete store
)

# Entries a directory may already hold for `init` to turn it into a store
# (the project ships store/README.md in the default location).
_INIT_ALLOWED = {"README.md", "README", ".gitignore", ".gitkeep"}

# Environment variables that would point git at another repository, index or
# identity; our git processes get an explicit GIT_DIR instead.
_GIT_ENV_DROP = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH", "GIT_PREFIX", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE", "GIT_REFLOG_ACTION",
)

_SNAPSHOT_EXT = {"text/plain": "txt", "text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}
_LOCK_RE = re.compile(r"Unable to create '([^']+\.lock)': File exists")
_VERSION_DIR_RE = re.compile(r"^(\d{6,})-([0-9a-f]{12})$")

# Public data types live in model.py; re-exported here.
from .model import DocumentSummary, Incoming, IngestResult, Version, VerifyReport  # noqa: E402,F401


# --------------------------------------------------------------------------
# Document ids and paths


def validate_doc_id(doc_id: str) -> str:
    """Return `doc_id` unchanged, or raise ProvenanceError saying what is wrong."""
    if not isinstance(doc_id, str):
        raise ProvenanceError(f"document id must be a string, not {type(doc_id).__name__}")
    if not doc_id:
        raise ProvenanceError("document id is empty")
    shown = repr(doc_id) if len(doc_id) <= 60 else repr(doc_id[:57] + "...")
    if len(doc_id) > MAX_DOC_ID:
        raise ProvenanceError(f"document id {shown} is too long ({len(doc_id)} characters, at most {MAX_DOC_ID})")
    if not doc_id.isprintable():  # printable characters (str.isprintable) are none of Cc, Cf, Cs, Zl, Zp
        for i, ch in enumerate(doc_id):
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
                raise ProvenanceError(f"document id {shown} contains a control or invisible character (U+{ord(ch):04X} at position {i + 1})")
    if "@" in doc_id:
        raise ProvenanceError(f"document id {shown} contains '@', which is reserved for ID@VERSION")
    if "\\" in doc_id:
        raise ProvenanceError(f"document id {shown} contains a backslash; use '/' to group documents")
    if doc_id[0].isspace() or doc_id[-1].isspace():
        raise ProvenanceError(f"document id {shown} starts or ends with whitespace")
    if doc_id.startswith("/") or doc_id.endswith("/"):
        raise ProvenanceError(f"document id {shown} starts or ends with '/'")
    for segment in doc_id.split("/"):
        if segment == "":
            raise ProvenanceError(f"document id {shown} contains an empty segment ('//')")
        if segment in (".", ".."):
            raise ProvenanceError(f"document id {shown} contains a '{segment}' segment")
    return doc_id


def document_folder(doc_id: str) -> str:
    """documents/<xx>/<quoted-id>: sharded by the first byte of sha256(id)."""
    prefix = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:2]
    return f"documents/{prefix}/{urllib.parse.quote(doc_id, safe='')}"


def version_folder(doc_id: str, number: int, uid: str, bucket_size: int = BUCKET_SIZES[LAYOUT],
                   doc_folder: str | None = None) -> str:
    """The folder of version `number` (`doc_folder`: document_folder(doc_id), when known)."""
    return f"{doc_folder or document_folder(doc_id)}/versions/{number // bucket_size:03d}/{number:06d}-{uid}"


def snapshot_name(media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    return f"snapshot.{_SNAPSHOT_EXT.get(base, 'bin')}"


def _version_number(folder_name: str) -> int | None:
    m = _VERSION_DIR_RE.match(folder_name)
    return int(m.group(1)) if m else None


_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for strings (C)
_JSON_LITERALS = {True: "true", False: "false", None: "null"}


class _NotPlain(Exception):
    """A value `_json_lines` leaves to json.dumps."""


def _json_lines(obj: Any, indent: str, out: list[str]) -> None:
    """Append to `out` the text json.dumps(obj, sort_keys=True, indent=2,
    ensure_ascii=False) gives for `obj` at nesting `indent`, for the plain
    values meta.json holds (dicts with string keys, lists, strings, ints,
    finite floats, booleans, None; exact types); _NotPlain for anything else."""
    kind = type(obj)
    if kind is str:
        out.append(_encode_str(obj))
    elif obj is None or kind is bool:
        out.append(_JSON_LITERALS[obj])
    elif kind is int:
        out.append(int.__repr__(obj))
    elif kind is float and obj - obj == 0.0:  # finite (NaN and infinities: json.dumps)
        out.append(float.__repr__(obj))
    elif kind is dict or kind is list:
        if not obj:
            out.append("{}" if kind is dict else "[]")
            return
        if len(indent) > 100:
            raise _NotPlain  # deep, or circular: json.dumps says what is wrong
        inner = indent + "  "
        sep = ",\n" + inner
        if kind is dict:
            out.append("{\n" + inner)
            first = True
            for key in sorted(obj):  # (a TypeError for keys of mixed types, as json.dumps)
                if type(key) is not str:
                    raise _NotPlain
                if not first:
                    out.append(sep)
                first = False
                out.append(_encode_str(key))
                out.append(": ")
                _json_lines(obj[key], inner, out)
            out.append("\n" + indent + "}")
        else:
            out.append("[\n" + inner)
            first = True
            for value in obj:
                if not first:
                    out.append(sep)
                first = False
                _json_lines(value, inner, out)
            out.append("\n" + indent + "]")
    else:
        raise _NotPlain


def _dump_json(obj: Any) -> bytes:
    """json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) plus a
    newline, in UTF-8: the bytes of meta.json, whose sha256 names the version
    folder, so they must never change.  indent=2 sends json.dumps through its
    pure-Python encoder (12 us for a meta.json); `_json_lines` lays out the
    same text in 7 us, and leaves anything else to json.dumps."""
    out: list[str] = []
    try:
        _json_lines(obj, "", out)
        text = "".join(out)
    except _NotPlain:
        text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _git_blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes (SHA-1 object format)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def _git_date(dt: datetime) -> str:
    """`<epoch> <+hhmm>` for fast-import's raw date format."""
    dt = dt.replace(microsecond=0)
    epoch = int(dt.timestamp())
    if epoch < 0:
        raise ProvenanceError(f"time {_iso(dt)} is before 1970 and cannot be stored as a git date")
    minutes = round(dt.utcoffset().total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{epoch} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def _one_line(value: Any) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    return text


def _parse_ident(value: str) -> tuple[str, str]:
    """Split "Name <email>" (or a bare name or email) into (name, email)."""
    text = value.strip()
    if any(ch in text for ch in "\r\n\0"):
        raise ProvenanceError(f"identity {value!r} must be a single line like 'Name <email>'")
    m = re.fullmatch(r"([^<>]*?)\s*<([^<>]*)>", text)
    if m:
        name, email = m.group(1).strip(), m.group(2).strip()
        if not name:
            name = email.split("@", 1)[0] or "unknown"
        return name, email
    if "<" in text or ">" in text:
        raise ProvenanceError(f"identity {value!r} is not of the form 'Name <email>'")
    if not text:
        raise ProvenanceError("identity is empty; use 'Name <email>'")
    if "@" in text and " " not in text:
        return text.split("@", 1)[0] or text, text
    return text, f"{_login()}@{_hostname()}"


@functools.lru_cache(maxsize=64)
def _parse_ident_cached(value: str) -> tuple[str, str]:
    """_parse_ident, once per identity of a batch (errors are not cached: they are raised again)."""
    return _parse_ident(value)


def _login() -> str:
    import getpass  # (here, like socket below: only a store with no identity set needs them)

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _hostname() -> str:
    import socket

    return socket.gethostname() or "localhost"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ProvenanceError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ProvenanceError(f"{name} must not be negative")
    return value


def _parse_trailers(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def _parse_tree_object(data: bytes) -> list[tuple[str, str, str]]:
    """Entries (mode, name, hex sha) of a raw git tree object."""
    entries = []
    i = 0
    while i < len(data):
        space = data.index(b" ", i)
        nul = data.index(b"\0", space)
        mode = data[i:space].decode()
        name = data[space + 1:nul].decode("utf-8", "surrogateescape")
        sha = data[nul + 1:nul + 21].hex()
        entries.append((mode, name, sha))
        i = nul + 21
    return entries


# --------------------------------------------------------------------------
# Internal planning types


@dataclass
class _Prepared:
    """Everything about an Incoming that does not depend on the store's tip."""

    item: Incoming
    folder: str
    raw: bytes
    blob_id: str
    content_sha256: str
    text: str
    text_bytes: bytes
    text_blob_id: str
    text_sha256: str
    snapshot: str
    captured: datetime
    captured_at: str
    author_date: str  # captured, as fast-import's "<epoch> <+hhmm>"
    ident: str
    name: str
    email: str
    note: str | None
    meta: dict[str, str]


@dataclass
class _DocState:
    """What one attempt knows about a document: the tip plus this batch."""

    doc: str
    folder: str
    latest_n: int = 0
    latest_path: str | None = None
    latest_blob: str | None = None  # git blob id of the latest snapshot
    latest_meta: dict | None = None
    latest_commit: str | None = None  # sha, or ":mark" for a commit of this batch
    latest_seen: list[tuple[str, str]] | None = None  # (file name, captured_at), loaded lazily
    tip_snapshots: dict[str, list[tuple[int, str]]] | None = None  # blob -> [(n, path)] in the tip, lazily
    batch_snapshots: dict[str, list[tuple[int, str, dict]]] = field(default_factory=dict)


@dataclass
class _Op:
    status: str
    doc: str
    path: str  # version folder
    meta: dict
    mark: int | None  # mark of the commit that added the version, if it is in this batch
    commit: str | None  # sha of that commit if it was already in the tip
    seen: tuple[str, ...]


class _Busy(Exception):
    def __init__(self, lock: Path | None = None, age: float | None = None):
        super().__init__()
        self.lock = lock
        self.age = age


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


class _CatFile:
    """One persistent `git cat-file --batch-command --buffer` (git >= 2.36): objects by name.

    Started on first use and killed by `close`; a store reads every small
    object (trees, meta.json, texts) through it instead of a process each.
    Buffered: git answers a round of requests when it gets `flush`, in a few
    large writes instead of one per object (5,000 trees: 32 -> 12 ms, and a
    quarter of the Python time reading them).
    """

    def __init__(self, path: Path, env: dict[str, str]):
        self.path = path
        try:
            self.proc = subprocess.Popen(["git", "cat-file", "--batch-command", "--buffer"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        except FileNotFoundError:
            raise ProvenanceError("git is not installed (provenance needs git >= 2.36)") from None

    def _ask(self, command: str, name: str) -> tuple[str, int] | None:
        if "\n" in name:
            raise ProvenanceError(f"bad object name {name!r}")
        try:
            self.proc.stdin.write(f"{command} {name}\nflush\n".encode("utf-8", "surrogateescape"))
            self.proc.stdin.flush()
            header = self.proc.stdout.readline()
        except (BrokenPipeError, ValueError, OSError):
            header = b""
        if not header:
            raise ProvenanceError(f"git cat-file stopped answering in {self.path} (needs git >= 2.36)")
        parts = header.rstrip(b"\n").split(b" ")
        if len(parts) != 3 or parts[-1] in (b"missing", b"ambiguous"):
            return None
        return parts[1].decode(), int(parts[2])

    def _send(self, command: str, names: Sequence[str]) -> None:
        """Ask about many objects in one write (answers are read after)."""
        if any("\n" in name for name in names):
            raise ProvenanceError("bad object name with a line break")
        try:
            self.proc.stdin.write("".join([*(f"{command} {name}\n" for name in names), "flush\n"]).encode("utf-8", "surrogateescape"))
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise ProvenanceError(f"git cat-file stopped answering in {self.path} (needs git >= 2.36)") from None

    def info(self, name: str) -> tuple[str, int] | None:
        """(type, size), or None if there is no such object."""
        return self._ask("info", name)

    def info_many(self, names: Sequence[str]) -> dict[str, tuple[str, int] | None]:
        """`info` of many objects, asked in rounds of 256 (one pipe's worth)."""
        out: dict[str, tuple[str, int] | None] = {}
        for i in range(0, len(names), 256):
            part = names[i:i + 256]
            self._send("info", part)
            try:
                headers = [self.proc.stdout.readline() for _ in part]
            except (ValueError, OSError):
                headers = [b""]
            if not all(headers):
                raise ProvenanceError(f"git cat-file stopped answering in {self.path} (needs git >= 2.36)")
            for name, header in zip(part, headers):
                fields = header.rstrip(b"\n").split(b" ")
                ok = len(fields) == 3 and fields[-1] not in (b"missing", b"ambiguous")
                out[name] = (fields[1].decode(), int(fields[2])) if ok else None
        return out

    def contents(self, name: str) -> tuple[str, bytes] | None:
        """(type, bytes), or None if there is no such object."""
        found = self._ask("contents", name)
        if found is None:
            return None
        kind, size = found
        data = self.proc.stdout.read(size + 1)  # the contents and a LF
        if len(data) != size + 1:
            raise ProvenanceError(f"git cat-file ended early in {self.path}")
        return kind, data[:-1]

    def contents_many(self, names: Sequence[str]) -> dict[str, tuple[str, bytes] | None]:
        """`contents` of many objects, asked in rounds of 256 requests."""
        out: dict[str, tuple[str, bytes] | None] = {}
        for i in range(0, len(names), 256):
            part = names[i:i + 256]
            self._send("contents", part)
            for name in part:
                header = self.proc.stdout.readline()
                if not header:
                    raise ProvenanceError(f"git cat-file stopped answering in {self.path} (needs git >= 2.36)")
                fields = header.rstrip(b"\n").split(b" ")
                if len(fields) != 3 or fields[-1] in (b"missing", b"ambiguous"):
                    out[name] = None
                    continue
                size = int(fields[2])
                data = self.proc.stdout.read(size + 1)
                if len(data) != size + 1:
                    raise ProvenanceError(f"git cat-file ended early in {self.path}")
                out[name] = (fields[1].decode(), data[:-1])
        return out

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            proc.kill()  # not just EOF: a forked helper may hold the other end of stdin
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        proc.wait()


# --------------------------------------------------------------------------
# The store


class Store:
    """A provenance store: a bare git repository written only through `add`."""

    DEFAULT_PATH = "store"
    max_attempts = 200  # compare-and-swap attempts per add
    busy_timeout = 60.0  # seconds an add may spend retrying before giving up
    last_attempts = 0  # how many attempts the last successful add needed (1 = no race)

    def __init__(self, path: str | os.PathLike, *, stale_lock_seconds: float | None = None):
        self.path = Path(os.path.abspath(os.fspath(path)))
        self.stale_lock_seconds = (
            float(stale_lock_seconds) if stale_lock_seconds is not None
            else _env_float("PROVENANCE_STALE_LOCK_SECONDS", DEFAULT_STALE_LOCK_SECONDS)
        )
        self._objects: _CatFile | None = None
        self._closed = False
        self._identity: str | None = None
        self._env = self._make_env()
        layout = self._store_layout(self.path)
        if layout is None:
            raise ProvenanceError(f"no provenance store at {path} (run `provenance init`)")
        if layout not in BUCKET_SIZES:
            raise ProvenanceError(f"the store at {path} has layout {layout}, which this provenance ({__version__}) "
                                  "does not know: upgrade provenance")
        self.layout = layout
        self.bucket_size = BUCKET_SIZES[layout]
        self._text_cache: dict[str, str] = {}
        self._trees: dict[str, dict[str, tuple[str, str]]] = {}  # tree sha -> entries
        self._tree_entries = 0  # entries in self._trees, bounded by TREE_CACHE_ENTRIES
        self._roots: dict[str, str] = {}  # commit sha -> tree sha
        self._index_tip: str | None = None  # main as of the last index catch-up
        self._index_mem: dict[str, str] = {}  # entries walked here but not written (read-only store)

    # -- opening and creating

    @staticmethod
    def _store_layout(path: Path) -> str | None:
        """The store's layout (the `provenance.layout` config value), or None if path is no store."""
        config = path / "config"
        if not ((path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir() and config.is_file()):
            return None
        try:
            out = subprocess.run(
                ["git", "config", "--file", str(config), "--type=bool-or-int", "-z", "--get-regexp",
                 r"^(provenance\.layout|core\.bare)$"],
                capture_output=True, env=_base_env(),
            )
        except FileNotFoundError:
            raise ProvenanceError("git is not installed (provenance needs git >= 2.36)") from None
        values = dict(entry.split(b"\n", 1) for entry in out.stdout.split(b"\0") if b"\n" in entry)
        if values.get(b"core.bare") != b"true" or not values.get(b"provenance.layout"):
            return None
        return values[b"provenance.layout"].decode("utf-8", "replace")

    @classmethod
    def init(cls, path: str | os.PathLike, **kwargs: Any) -> "Store":
        """Create a store at `path` (mkdir -p); fine if one is there already."""
        target = Path(os.path.abspath(os.fspath(path)))
        if cls._store_layout(target) is not None:
            return cls(path, **kwargs)
        if target.exists() and not target.is_dir():
            raise ProvenanceError(f"cannot create a store at {path}: it exists and is not a directory")
        if target.is_dir():
            if (target / "HEAD").exists() or (target / ".git").exists() or (target / "objects").exists():
                raise ProvenanceError(f"{path} is already a git repository but not a provenance store; choose another directory")
            extra = sorted(p.name for p in target.iterdir() if p.name not in _INIT_ALLOWED)
            if extra:
                raise ProvenanceError(f"cannot create a store at {path}: the directory is not empty (it holds {extra[0]!r}{' and more' if len(extra) > 1 else ''})")
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProvenanceError(f"cannot create {path}: {exc.strerror}") from None
        # GitPython creates and configures the repository: a one-off, so its
        # import time (~0.2 s) stays out of every other command.
        try:
            import git
        except ImportError as exc:  # GitPython refuses to load without a git executable
            raise ProvenanceError(f"cannot create a store at {path}: {exc}".splitlines()[0]
                                  + " (provenance needs git >= 2.36)") from None

        try:
            with git.Repo.init(target, bare=True, initial_branch="main") as repo:
                with repo.config_writer() as config:
                    for key, value in STORE_CONFIG:
                        section, option = key.rsplit(".", 1)
                        config.set_value(section, option, value)
        except (git.GitCommandError, OSError) as exc:
            raise ProvenanceError(f"cannot create a store at {path}: {str(exc).strip().splitlines()[-1]}") from None
        (target / "description").write_text("provenance store: one commit per ingested document version\n")
        return cls(path, **kwargs)

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False, **kwargs: Any) -> "Store":
        return cls.init(path, **kwargs) if create else cls(path, **kwargs)

    def close(self) -> None:
        self._closed = True
        objects, self._objects = self._objects, None
        if objects is not None:
            objects.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:  # last resort; use close() or `with`
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- git plumbing

    def _make_env(self) -> dict[str, str]:
        env = _base_env()
        env["GIT_DIR"] = str(self.path)
        return env

    @property
    def objects(self) -> "_CatFile":
        """The store's persistent `git cat-file` (started on first use)."""
        if self._closed:
            raise ProvenanceError(f"the store at {self.path} is closed")
        if self._objects is None:
            self._objects = _CatFile(self.path, self._env)
        return self._objects

    def _git(self, *args: str, input: bytes | None = None, check: bool = True,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        cmd = ["git", *args]
        try:
            proc = subprocess.run(cmd, input=input, capture_output=True, env=env or self._env)
        except FileNotFoundError:
            raise ProvenanceError("git is not installed (provenance needs git >= 2.36)") from None
        if check and proc.returncode != 0:
            raise ProvenanceError(f"git {args[0]} failed in {self.path}: {_first_line(proc.stderr)}")
        return proc

    def _tip(self) -> str | None:
        """The commit main points at, or None for an empty store (read fresh).

        Read from the files git keeps it in, without a process: the loose ref
        (git replaces it atomically by rename), else `packed-refs` (which git
        writes before it removes a loose ref).
        """
        if self._closed:
            raise ProvenanceError(f"the store at {self.path} is closed")
        try:
            value = (self.path / MAIN).read_bytes().strip()
        except FileNotFoundError:
            value = b""
        except OSError as exc:
            raise ProvenanceError(f"cannot read {MAIN} in {self.path}: {exc.strerror}") from None
        if value.startswith(b"ref:"):
            raise ProvenanceError(f"{MAIN} in {self.path} is a symbolic ref; provenance does not write those")
        if not value:
            try:
                packed = (self.path / "packed-refs").read_bytes()
            except FileNotFoundError:
                return None
            for line in packed.split(b"\n"):
                sha, _, name = line.partition(b" ")
                if name.strip() == MAIN.encode():
                    value = sha
                    break
            else:
                return None
        sha = value.decode("ascii", "replace")
        if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
            raise ProvenanceError(f"{MAIN} in {self.path} holds {sha[:80]!r}, not a commit id (run `provenance verify`)")
        return sha

    # Reading objects goes through one persistent `git cat-file
    # --batch-command` per Store; trees are parsed here and cached by sha
    # (they are immutable), which is what keeps bulk ingests from re-reading
    # the `documents/` and `documents/<xx>/` trees for every item.

    def _object(self, sha: str) -> bytes:
        found = self.objects.contents(sha)
        if found is None:
            raise ProvenanceError(f"object {sha} is missing from {self.path} (run `provenance verify`)")
        return found[1]

    def _tree(self, sha: str) -> dict[str, tuple[str, str]]:
        """name -> (mode, sha) of a tree object."""
        entries = self._trees.get(sha)
        if entries is None:
            entries = self._cache_tree(sha, self._object(sha))
        return entries

    def _cache_tree(self, sha: str, data: bytes) -> dict[str, tuple[str, str]]:
        entries = {name: (mode, oid) for mode, name, oid in _parse_tree_object(data)}
        self._tree_entries += len(entries) + 1
        if self._tree_entries > TREE_CACHE_ENTRIES:
            self._trees.clear()
            self._tree_entries = len(entries) + 1
        self._trees[sha] = entries
        return entries

    def _load_trees(self, shas: Iterable[str]) -> None:
        """Cache many trees with one pipelined round of cat-file requests."""
        missing = sorted({sha for sha in shas if sha not in self._trees})
        for sha, found in self.objects.contents_many(missing).items():
            if found is not None and found[0] == "tree":
                self._cache_tree(sha, found[1])

    def _prefetch(self, tip: str | None, folders: Iterable[str], texts: bool) -> None:
        """Warm the caches that `_doc_state` and `_load_text` read, for many
        documents at once: the trees on the way to each document's latest
        version, depth by depth, each depth in one pipelined round of requests
        (instead of a round trip per tree), then the latest texts."""
        folders = sorted(set(folders))
        if tip is None or len(folders) < 8:
            return
        at = {f: self._root(tip) for f in folders}  # the tree reached so far
        todo = {f: [*f.split("/"), "versions"] for f in folders}
        while todo:
            self._load_trees(at[f] for f in todo)
            for f in list(todo):
                entry = self._trees.get(at[f], {}).get(todo[f].pop(0))
                if entry is None or not entry[0].startswith("40"):
                    del todo[f], at[f]
                    continue
                at[f] = entry[1]
                if not todo[f]:
                    del todo[f]
        # at: folder -> its versions tree; then the last bucket, then the latest version folder.
        self._load_trees(at.values())
        buckets = {}
        for f, sha in at.items():
            numbered = [(int(name), name, oid) for name, (mode, oid) in self._trees.get(sha, {}).items()
                        if name.isdigit() and mode.startswith("40")]
            if numbered:
                buckets[f] = max(numbered)[1:]
        self._load_trees(oid for _, oid in buckets.values())
        latest = {}
        for f, (bucket, sha) in buckets.items():
            entries = [(_version_number(name), name, oid) for name, (mode, oid) in self._trees.get(sha, {}).items()
                       if mode.startswith("40")]
            entries = [e for e in entries if e[0] is not None]
            if entries:
                _, name, oid = max(entries)
                latest[f"{f}/versions/{bucket}/{name}"] = oid
        self._load_trees(latest.values())
        if texts:
            wanted = {}
            for path, sha in latest.items():
                entry = self._trees.get(sha, {}).get("text.txt")
                if entry is not None and path not in self._text_cache:
                    wanted[entry[1]] = path
            for oid, found in self.objects.contents_many(sorted(wanted)).items():
                if found is not None:
                    self._text_cache[wanted[oid]] = found[1].decode("utf-8", "replace")

    def _root(self, commit: str) -> str:
        tree = self._roots.get(commit)
        if tree is None:
            header = self._object(commit)[:100]
            if not header.startswith(b"tree "):
                raise ProvenanceError(f"{commit} is not a commit in {self.path}")
            tree = header[5:header.index(b"\n")].decode()
            self._roots[commit] = tree
        return tree

    def _entry(self, tip: str | None, path: str) -> tuple[str, str] | None:
        """(mode, sha) of `path` in the tree of commit `tip`, or None."""
        if tip is None:
            return None
        entry = ("40000", self._root(tip))
        for name in path.split("/"):
            if not entry[0].startswith("40"):
                return None
            entry = self._tree(entry[1]).get(name)
            if entry is None:
                return None
        return entry

    def _tree_at(self, tip: str | None, path: str) -> dict[str, tuple[str, str]] | None:
        entry = self._entry(tip, path)
        return self._tree(entry[1]) if entry is not None and entry[0].startswith("40") else None

    def _blob_at(self, tip: str | None, path: str) -> bytes | None:
        entry = self._entry(tip, path)
        return self._object(entry[1]) if entry is not None and not entry[0].startswith("40") else None

    def _latest_entry(self, versions: dict[str, tuple[str, str]]) -> tuple[str, str, str, int] | None:
        """The last bucket's last version folder: (bucket name, folder name, folder tree sha, number)."""
        buckets = sorted((int(name), name, sha) for name, (mode, sha) in versions.items()
                         if name.isdigit() and mode.startswith("40"))
        for _, bucket, sha in reversed(buckets):
            entries = [(_version_number(name), name, oid) for name, (mode, oid) in self._tree(sha).items()
                       if mode.startswith("40")]
            entries = [e for e in entries if e[0] is not None]
            if entries:
                n, name, oid = max(entries)
                return bucket, name, oid, n
        return None

    def _cat(self, names: Iterable[str]) -> Iterator[tuple[str, str | None, bytes | None]]:
        """Stream objects through ONE `git cat-file --batch`: (name, type, data)."""
        names = list(names)
        if not names:
            return
        proc = subprocess.Popen(["git", "cat-file", "--batch", "--buffer"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self._env)

        def feed() -> None:
            try:
                for i in range(0, len(names), 512):
                    proc.stdin.write(("\n".join(names[i:i + 512]) + "\n").encode("utf-8"))
                proc.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        out = proc.stdout
        try:
            for name in names:
                header = out.readline()
                if not header:
                    raise ProvenanceError(f"git cat-file ended early in {self.path}")
                parts = header.rstrip(b"\n").split(b" ")
                if parts[-1] == b"missing" or parts[-1] == b"ambiguous" or len(parts) != 3:
                    yield name, None, None
                    continue
                size = int(parts[2])
                data = out.read(size)
                out.read(1)  # the LF after the contents
                yield name, parts[1].decode(), data
        finally:
            if proc.poll() is None:
                proc.kill()
            writer.join()
            for pipe in (proc.stdin, out):
                try:
                    pipe.close()
                except OSError:
                    pass
            proc.wait()

    def _cat_all(self, names: Iterable[str]) -> dict[str, bytes | None]:
        """Small objects (meta.json, seen files) through ONE `git cat-file --batch`, in memory."""
        names = list(dict.fromkeys(names))
        if not names:
            return {}
        proc = subprocess.run(["git", "cat-file", "--batch", "--buffer"], input=("\n".join(names) + "\n").encode("utf-8"),
                              capture_output=True, env=self._env)
        out, pos, result = proc.stdout, 0, {}
        for name in names:
            eol = out.find(b"\n", pos)
            if eol < 0:
                raise ProvenanceError(f"git cat-file ended early in {self.path}: {_first_line(proc.stderr)}")
            parts = out[pos:eol].split(b" ")
            if len(parts) != 3 or parts[-1] in (b"missing", b"ambiguous"):
                result[name] = None
                pos = eol + 1
                continue
            size = int(parts[2])
            result[name] = out[eol + 1:eol + 1 + size]
            pos = eol + 2 + size
        return result

    def _adding_commits(self, tip: str, pathspecs: Sequence[str], wanted: set[str]) -> dict[str, str]:
        """Map each version folder in `wanted` to the commit that added its meta.json.

        One path-limited `git log` (newest first), stopped as soon as every
        wanted folder is found, so recent versions cost little.
        """
        found: dict[str, str] = {}
        if not wanted:
            return found
        proc = subprocess.Popen(
            ["git", "log", "-z", "--name-only", "--no-renames", "--diff-filter=A", "--format=%x01%H",
             tip, "--", *pathspecs],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self._env,
        )
        try:
            commit = None
            for token in _nul_tokens(proc.stdout):
                if token.startswith(b"\x01"):
                    commit = token[1:].decode()
                    continue
                path = token.lstrip(b"\n").decode("utf-8", "surrogateescape")
                if commit and path.endswith("/meta.json"):
                    folder = path[: -len("/meta.json")]
                    if folder in wanted and folder not in found:
                        found[folder] = commit
                        if len(found) == len(wanted):
                            break
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.wait()
        return found

    # -- which commit added a version: a local, rebuildable index
    #
    # `provenance-index/` inside the bare repository (next to objects/, not in
    # any commit, never synced) maps version folders to the commits that added
    # them, one file per <xx> shard, so that `versions()` need not walk
    # history.  It is append-only and only ever caught up: `tips` lists
    # commits whose whole history is indexed; a reader walks main's new
    # commits since then (`git log main --not TIPS`, commit messages only,
    # reading the Path trailers of ingest commits) and appends.  Delete the
    # folder at any time: it is rebuilt by one walk.  `verify` cross-checks it
    # against the history.

    def _index_dir(self) -> Path:
        return self.path / "provenance-index"

    def _index_tips(self) -> list[str]:
        """The most recent `tips` lines (the file's tail: it only grows)."""
        try:
            with open(self._index_dir() / "tips", "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - 8192))
                lines = f.read().decode("ascii", "replace").split("\n")
        except OSError:
            return []
        if size > 8192:
            lines = lines[1:]  # the first may be cut
        return [line for line in lines[:-1] if re.fullmatch(r"[0-9a-f]{40}", line)]  # complete lines only

    def _index_catch_up(self, tip: str) -> None:
        if tip == self._index_tip:
            return
        tips = self._index_tips()
        if tip in tips:
            self._index_tip = tip
            return
        fmt = "--format=%H%x01%s%x01%(trailers:key=Path,valueonly,separator=%x01)"
        known = tips[-16:]
        proc = self._git("log", "-z", fmt, tip, *(["--not", *known] if known else []), check=False)
        if proc.returncode != 0 and known:  # a tip line we cannot use: walk everything
            proc = self._git("log", "-z", fmt, tip, check=False)
        if proc.returncode != 0:
            return
        entries: dict[str, str] = {}
        for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
            sha, _, rest = record.strip("\n").partition("\x01")
            subject, _, paths = rest.partition("\x01")
            path = paths.split("\x01", 1)[0].strip()
            if subject.startswith("Ingest ") and path.startswith("documents/"):
                entries[path] = sha
        self._index_record(entries, tip)
        self._index_tip = tip

    def _index_record(self, entries: dict[str, str], tip: str | None = None) -> None:
        shards: dict[str, list[str]] = {}
        for path, sha in entries.items():
            parts = path.split("/")
            if len(parts) > 2:
                shards.setdefault(parts[1], []).append(f"{sha} {path}\n")
        try:
            folder = self._index_dir()
            folder.mkdir(exist_ok=True)
            for shard, lines in shards.items():
                with open(folder / shard, "ab") as f:  # one O_APPEND write: concurrent appenders do not interleave
                    f.write("".join(lines).encode("utf-8"))
            if tip is not None:
                with open(folder / "tips", "ab") as f:
                    f.write(f"{tip}\n".encode())
        except OSError:  # a read-only store: keep what we learnt in memory
            self._index_mem.update(entries)

    def _index_shard(self, shard: str) -> dict[str, str]:
        out: dict[str, str] = {}
        try:
            data = (self._index_dir() / shard).read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            data = ""
        for line in data.split("\n")[:-1]:
            sha, _, path = line.partition(" ")
            if len(sha) == 40 and path:
                out.setdefault(path, sha)
        return out

    def _commits_for(self, tip: str, folders: set[str], pathspecs: Sequence[str] | None = None) -> dict[str, str]:
        """Version folder -> the commit that added it (index first, then a path-limited walk)."""
        if not folders:
            return {}
        self._index_catch_up(tip)
        found: dict[str, str] = {}
        by_shard: dict[str, list[str]] = {}
        for f in folders:
            by_shard.setdefault(f.split("/")[1], []).append(f)
        for shard, wanted in sorted(by_shard.items()):
            entries = self._index_shard(shard)
            found.update((f, entries[f]) for f in wanted if f in entries)
        found.update((f, self._index_mem[f]) for f in folders if f not in found and f in self._index_mem)
        missing = folders - found.keys()
        if missing:
            walked = self._adding_commits(tip, pathspecs or [f"{f}/meta.json" for f in sorted(missing)], missing)
            self._index_record(walked)
            found.update(walked)
        return found

    # -- identity

    def identity(self) -> str:
        """Default ingester: $PROVENANCE_USER, else git's user.name/user.email, else user@host."""
        if self._identity is None:
            env_user = os.environ.get("PROVENANCE_USER", "").strip()
            if env_user:
                name, email = _parse_ident(env_user)
            else:
                proc = self._git("config", "--get-regexp", r"^user\.(name|email)$", check=False)
                values = {}
                for line in proc.stdout.decode("utf-8", "replace").splitlines():
                    key, _, val = line.partition(" ")
                    values[key.lower()] = val.strip()
                name = values.get("user.name") or _login()
                email = values.get("user.email") or f"{_login()}@{_hostname()}"
                name, email = _parse_ident(f"{name} <{email}>")
            self._identity = f"{name} <{email}>"
        return self._identity

    # -- writing

    def add(self, items: Sequence[Incoming],
            change_stats: Callable[[str, str], tuple[int, int]] | None = None,
            progress: Callable[[int], None] | None = None) -> list[IngestResult]:
        """Ingest `items` in order, as successive versions, in one fast-import.

        `change_stats(prev_text, new_text)` gives (words_added, words_removed)
        against the previous version of the same document; for a large batch
        it runs in worker processes (see `_ChangeStats`), so it must be a pure
        function.  `progress(k)` is called with increments (k items done),
        summing to len(items).
        """
        items = list(items)
        if not items:
            return []
        prepared = [self._prepare(item) for item in items]
        stats = _ChangeStats(change_stats) if change_stats is not None else None
        maintained: Callable[[], None] | None = None
        try:
            results, maintained = self._add(prepared, stats, progress)
            return results
        finally:
            try:
                if stats is not None:
                    stats.close()
                self._text_cache.clear()
            finally:
                if maintained is not None:
                    maintained()  # (the maintenance git started while the above ran)

    def _add(self, prepared: list[_Prepared], stats: "_ChangeStats | None",
             progress: Callable[[int], None] | None) -> tuple[list[IngestResult], Callable[[], None] | None]:
        """The add, and the function that waits for the maintenance it started
        (see `maintain`): the caller must call it."""
        started = time.monotonic()
        attempts = 0
        report = progress
        while True:
            attempts += 1
            self._check_stale_locks()
            old = self._tip()
            temp = f"{INCOMING}{os.urandom(16).hex()}"
            try:
                ops, marks, shas = self._write(prepared, old, temp, stats, report)
                report = None  # progress is reported once, on the first attempt
                new = shas[-1]
                try:
                    self._compare_and_swap(new, old)
                    self.last_attempts = attempts
                    break
                except _Busy as busy:
                    elapsed = time.monotonic() - started
                    if elapsed >= self.busy_timeout or (busy.lock is None and attempts >= self.max_attempts):
                        if busy.lock is not None:
                            raise ProvenanceError(
                                f"store {self.path} is busy: {busy.lock} has been held for {busy.age:.0f} s by another writer; "
                                f"gave up after {elapsed:.0f} s (it counts as stale after {self.stale_lock_seconds:.0f} s)") from None
                        raise ProvenanceError(
                            f"store {self.path} is too busy: other writers kept moving main; gave up after {attempts} attempts in {elapsed:.0f} s, try again") from None
                    if busy.lock is not None:
                        time.sleep(random.uniform(0.05, 0.25))
                    else:
                        time.sleep(random.uniform(0, min(0.5, 0.002 * 2 ** min(attempts, 8))))
            finally:
                self._delete_ref(temp)
        # Maintenance runs while the rest of the add is done (and the caller
        # closes its worker processes): it is git's work, on another core.
        maintained = self._start_maintenance()
        try:
            return self._results(ops, marks, shas, old, new), maintained
        except BaseException:
            if maintained is not None:
                maintained()
            raise

    def _results(self, ops: list[_Op], marks: list[int], shas: list[str], old: str | None,
                 new: str) -> list[IngestResult]:
        by_mark = dict(zip(marks, shas))
        # Keep the local commit index current: if it covered `old`, it now covers `new`.
        added = {op.path: by_mark[op.mark] for op in ops if op.status != "seen-again"}
        covered = old is None or old == self._index_tip or old in self._index_tips()
        self._index_record(added, new if covered else None)
        if covered:
            self._index_tip = new
        missing = {op.path for op in ops if op.mark is None and op.commit is None}
        found = self._commits_for(new, missing) if missing else {}
        results = []
        for op in ops:
            commit = by_mark[op.mark] if op.mark is not None else (op.commit or found.get(op.path, ""))
            results.append(IngestResult(_version_from_meta(op.meta, op.path, commit, op.seen), op.status))
        self._fill_bucket_cache(new, ops)
        return results

    def _fill_bucket_cache(self, tip: str, ops: list[_Op]) -> None:
        """Buckets this add filled (a document passed the last version of one)
        go into the local bucket cache now, so that the next `versions()`
        need not read their meta.json files again."""
        span: dict[str, tuple[int, int]] = {}  # document folder -> (first, last) new version number
        for op in ops:
            if op.status != "seen-again":
                folder = op.path.split("/versions/", 1)[0]
                n = int(op.meta["version"])
                first, last = span.get(folder, (n, n))
                span[folder] = (min(first, n), max(last, n))
        for folder, (first, last) in span.items():
            for bucket in range((first - 1) // self.bucket_size, last // self.bucket_size):
                entry = self._entry(tip, f"{folder}/versions/{bucket:03d}")
                if entry is not None and self._bucket_cache_read(entry[1]) is None:
                    self._bucket_cache_write(entry[1], self._read_bucket(entry[1]))

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
        maintained = self._start_maintenance()
        if maintained is not None:
            maintained()

    def _start_maintenance(self) -> Callable[[], None] | None:
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
            age = _lock_age(lock)
            if age is None or age < MAINTENANCE_LOCK_STALE:
                return  # someone else is maintaining the store
            try:  # left by a crashed process: take it over
                os.utime(lock)
                fd = os.open(lock, os.O_WRONLY)
            except OSError:
                return
        except OSError:
            return  # a read-only store
        graph: subprocess.Popen | None = None
        try:
            os.close(fd)
            if not (info / "commit-graph").exists() and not (info / "commit-graphs" / "commit-graph-chain").exists():
                # Later writes (by git maintenance) keep the Bloom filters of the existing graph.
                args = ["commit-graph", "write", "--reachable", "--split", "--changed-paths", "--no-progress"]
            else:
                args = ["maintenance", "run", "--auto", "--quiet", "--task=commit-graph"]
            try:
                graph = subprocess.Popen(["git", *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, env=self._env)
            except OSError:
                pass  # (no git: the add itself would have failed; nothing to maintain)
        except BaseException:
            self._end_maintenance(lock, graph)
            raise

        def finish() -> None:
            self._end_maintenance(lock, graph, objects)

        return finish

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
                self._git("-c", "repack.writeBitmaps=false", "repack", "-d", "-l", "-q", "--geometric=2",
                          "--write-midx", check=False)
        finally:
            try:
                lock.unlink()
            except OSError:
                pass

    def _prepare(self, item: Incoming) -> _Prepared:
        if not isinstance(item, Incoming):
            raise ProvenanceError(f"expected an Incoming, got {type(item).__name__}")
        doc = validate_doc_id(item.document)
        if not isinstance(item.raw, (bytes, bytearray, memoryview)):
            raise ProvenanceError(f"{doc}: raw content must be bytes")
        if not isinstance(item.extracted, Extracted):
            raise ProvenanceError(f"{doc}: extracted must come from provenance.extract.decode")
        for label, value in (("source", item.source), ("note", item.note)):
            if value is not None and not isinstance(value, str):
                raise ProvenanceError(f"{doc}: {label} must be text")
        raw = bytes(item.raw)
        ex = item.extracted
        text = ex.text[1:] if ex.text.startswith("\ufeff") else ex.text
        try:
            text_bytes = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ProvenanceError(f"{doc}: extracted text is not valid Unicode ({exc.reason})") from None
        captured = item.captured_at or datetime.now(timezone.utc)
        if captured.tzinfo is None or captured.utcoffset() is None:
            raise ProvenanceError(f"{doc}: capture time {captured.isoformat()} has no timezone")
        captured = captured.replace(microsecond=0)
        author_date = _git_date(captured)  # (rejects dates git cannot store)
        name, email = _parse_ident_cached(item.ingested_by or self.identity())
        meta = dict(item.meta or {})
        for key, value in meta.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ProvenanceError(f"{doc}: --meta keys and values must be strings")
            if not key or "=" in key or key != key.strip() or any(unicodedata.category(c) == "Cc" for c in key):
                raise ProvenanceError(f"{doc}: invalid --meta key {key!r} (non-empty, no '=', no control characters)")
        note = item.note
        if note is not None:
            note = note.replace("\r\n", "\n").replace("\r", "\n").rstrip()
            note = note.strip("\n") or None
        blob_id = _git_blob_id(raw)
        content_sha256 = hashlib.sha256(raw).hexdigest()
        same = text_bytes == raw  # (UTF-8 text without a BOM: one set of hashes for both)
        return _Prepared(
            item=item, folder=document_folder(doc), raw=raw, blob_id=blob_id,
            content_sha256=content_sha256, text=text, text_bytes=text_bytes,
            text_blob_id=blob_id if same else _git_blob_id(text_bytes),
            text_sha256=content_sha256 if same else hashlib.sha256(text_bytes).hexdigest(),
            snapshot=snapshot_name(ex.media_type), captured=captured, captured_at=_iso(captured),
            author_date=author_date, ident=f"{name} <{email}>", name=name, email=email, note=note, meta=meta,
        )

    def _doc_state(self, tip: str | None, p: _Prepared) -> _DocState:
        doc = p.item.document
        state = _DocState(doc=doc, folder=p.folder)
        if tip is None:
            return state
        versions = self._tree_at(tip, f"{p.folder}/versions")
        if versions is None:
            return state
        latest = self._latest_entry(versions)
        if latest is None:
            return state
        bucket, name, sha, n = latest
        state.latest_n = n
        state.latest_path = f"{p.folder}/versions/{bucket}/{name}"
        for entry_name, (mode, oid) in self._tree(sha).items():
            if entry_name.startswith("snapshot.") and not mode.startswith("40"):
                state.latest_blob = oid
        return state

    def _load_meta(self, tip: str, path: str) -> dict:
        data = self._blob_at(tip, f"{path}/meta.json")
        try:
            if data is None:
                raise ValueError("missing")
            meta = json.loads(data)
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
            return meta
        except ValueError as exc:
            raise ProvenanceError(f"unreadable {path}/meta.json in {self.path} (run `provenance verify`): {exc}") from None

    def _load_seen(self, tip: str, path: str) -> list[tuple[str, str]]:
        seen_tree = self._tree_at(tip, f"{path}/seen")
        if seen_tree is None:
            return []
        out = []
        for name, (mode, sha) in seen_tree.items():
            try:
                out.append((name, str(json.loads(self._object(sha)).get("captured_at", ""))))
            except (ValueError, AttributeError):
                out.append((name, ""))
        out.sort()
        return out

    def _load_text(self, tip: str, path: str) -> str:
        if path not in self._text_cache:
            data = self._blob_at(tip, f"{path}/text.txt") or b""
            self._text_cache[path] = data.decode("utf-8", "replace")
        return self._text_cache[path]

    def _tip_snapshots(self, tip: str, state: _DocState) -> dict[str, list[tuple[int, str]]]:
        """Snapshot blob id -> [(version, folder)] for every version in the tip (one ls-tree)."""
        if state.tip_snapshots is None:
            state.tip_snapshots = {}
            if tip is not None and state.latest_path is not None:
                out = self._git("ls-tree", "-r", "-z", f"{tip}:{state.folder}/versions", check=False).stdout
                for line in out.split(b"\0"):
                    if not line:
                        continue
                    info, _, rel = line.partition(b"\t")
                    parts = rel.decode("utf-8", "surrogateescape").split("/")
                    if len(parts) == 3 and parts[2].startswith("snapshot."):
                        n = _version_number(parts[1])
                        if n is not None:
                            sha = info.split()[2].decode()
                            state.tip_snapshots.setdefault(sha, []).append(
                                (n, f"{state.folder}/versions/{parts[0]}/{parts[1]}"))
        return state.tip_snapshots

    def _write(self, prepared: list[_Prepared], tip: str | None, ref: str,
               stats: "_ChangeStats | None",
               progress: Callable[[int], None] | None) -> tuple[list[_Op], list[int], list[str]]:
        """One attempt against `tip`: all commits through ONE `git fast-import`
        onto the temporary `ref`.  Returns (ops, commit marks, commit shas).

        The stream is written while it is planned, so git works while Python
        does.  It starts with the blobs of snapshots and texts, grouped by
        document in version order: fast-import stores each blob as a delta
        against the blob before it, so successive versions of a document cost
        about the size of their changes.  The commits follow, each naming its
        blobs by id; meta.json is inline.
        """
        states: dict[str, _DocState] = {}
        self._prefetch(tip, (p.folder for p in prepared), texts=stats is not None)
        if stats is not None:
            stats.start(self._stat_pairs(prepared, tip, states))
        proc = self._start_fast_import()
        write = proc.stdin.write
        try:
            try:
                order = sorted(range(len(prepared)), key=lambda i: (prepared[i].item.document, i))
                sent: set[str] = set()
                for kind in ("raw", "text"):
                    for i in order:
                        p = prepared[i]
                        blob_id, data = (p.blob_id, p.raw) if kind == "raw" else (p.text_blob_id, p.text_bytes)
                        if blob_id not in sent:
                            sent.add(blob_id)
                            write(b"blob\ndata %d\n" % len(data))
                            write(data)
                            write(b"\n")
                ops, marks = self._plan(prepared, tip, ref, stats, progress, write, states)
            except BrokenPipeError:
                ops, marks = [], []  # fast-import died: its message says why
            tail = b"".join(b"get-mark :%d\n" % m for m in marks) + b"done\n"
        except BaseException:
            self._abort_fast_import(proc)
            raise
        try:
            out, err = proc.communicate(tail)
        except BrokenPipeError:
            out, err = proc.stdout.read(), proc.stderr.read()
            proc.wait()
        if proc.returncode != 0:
            self._remove_crash_report(proc.pid)
            raise ProvenanceError(f"git fast-import failed in {self.path}: {_first_line(err)}")
        shas = out.decode().split()
        if len(shas) != len(marks) or not marks or not all(re.fullmatch(r"[0-9a-f]{40,64}", sha) for sha in shas):
            raise ProvenanceError(f"git fast-import gave unexpected output in {self.path}")
        return ops, marks, shas

    def _start_fast_import(self) -> subprocess.Popen:
        try:
            # Its own session: Ctrl-C on a terminal interrupts us, and we end the stream
            # cleanly, instead of killing git half-way through a pack.
            return subprocess.Popen(["git", "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._env,
                                    start_new_session=True)
        except FileNotFoundError:
            raise ProvenanceError("git is not installed (provenance needs git >= 2.36)") from None

    def _abort_fast_import(self, proc: subprocess.Popen) -> None:
        """End a fast-import whose stream we cannot finish: without `done` it
        stops, and what it wrote is unreachable garbage like a lost race's."""
        try:
            proc.stdin.close()
        except OSError:
            pass
        proc.stdin = None  # (communicate would flush it)
        try:
            proc.communicate(timeout=60)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            proc.kill()
            proc.wait()
        self._remove_crash_report(proc.pid)

    def _remove_crash_report(self, pid: int) -> None:
        try:
            (self.path / f"fast_import_crash_{pid}").unlink()
        except OSError:
            pass

    def _stat_pairs(self, prepared: list[_Prepared], tip: str | None,
                    states: dict[str, _DocState]) -> list[tuple[str, str]]:
        """The (previous text, new text) pairs `_plan` will ask change statistics
        for, worked out ahead so that they can be computed in parallel: each new
        version against the latest one before it.  (`_plan` decides again; any
        pair missed here is simply computed when asked for.)"""
        pairs = []
        latest: dict[str, tuple[str | None, str | None]] = {}  # doc -> (snapshot blob, text)
        for p in prepared:
            doc = p.item.document
            if doc not in latest:
                state = states[doc] = self._doc_state(tip, p)
                text = self._load_text(tip, state.latest_path) if state.latest_path is not None else None
                latest[doc] = (state.latest_blob, text)
            blob, text = latest[doc]
            if blob == p.blob_id:
                continue  # seen again
            if text is not None:
                pairs.append((text, p.text))
            latest[doc] = (p.blob_id, p.text)
        return pairs

    def _plan(self, prepared: list[_Prepared], tip: str | None, ref: str,
              change_stats: Callable[[str, str], tuple[int, int]] | None,
              progress: Callable[[int], None] | None, write: Callable[[bytes], Any],
              states: dict[str, _DocState]) -> tuple[list[_Op], list[int]]:
        """Decide every item against `tip` and write its commit to the stream."""
        ops: list[_Op] = []
        marks: list[int] = []
        first = True
        now = datetime.now(timezone.utc).replace(microsecond=0)
        ingested_at = _iso(now)
        committer_date = _git_date(now)
        known = self.objects.info_many(sorted({p.blob_id for p in prepared})) if tip is not None else {}
        for p in prepared:
            doc = p.item.document
            state = states.get(doc)
            if state is None:
                state = states[doc] = self._doc_state(tip, p)
            mark = len(marks) + 1
            common = {
                "captured_at": p.captured_at, "ingested_at": ingested_at, "ingested_by": p.ident,
                "source": p.item.source, "note": p.note, "meta": dict(p.meta),
            }
            # Seen again: same bytes as the latest version.
            if state.latest_path is not None and state.latest_blob == p.blob_id:
                if state.latest_meta is None:
                    state.latest_meta = self._load_meta(tip, state.latest_path)
                if state.latest_meta.get("content_sha256") == p.content_sha256:
                    if state.latest_seen is None:  # the latest version is in the tip
                        state.latest_seen = self._load_seen(tip, state.latest_path)
                    seen_bytes = _dump_json(common)
                    stamp = p.captured.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                    fname = f"{stamp}-{hashlib.sha256(seen_bytes).hexdigest()[:12]}.json"
                    seen_path = f"{state.latest_path}/seen/{fname}"
                    if all(f != fname for f, _ in state.latest_seen):
                        state.latest_seen.append((fname, p.captured_at))
                        state.latest_seen.sort()
                    trailers = [
                        ("Document", doc), ("Version", state.latest_n), ("Observation", "seen-again"),
                        ("Path", seen_path), ("Content-SHA256", p.content_sha256),
                        ("Captured-At", p.captured_at), ("Ingested-At", ingested_at),
                        ("Ingested-By", p.ident), ("Source", p.item.source), ("Tool", TOOL),
                    ]
                    message = _message(f"Observe {doc} v{state.latest_n} again", p.note, trailers)
                    write(_fi_commit(ref, mark, p, committer_date, message, tip if first else None,
                                     [(seen_path, seen_bytes)]))
                    first = False
                    marks.append(mark)
                    lm = state.latest_commit
                    ops.append(_Op("seen-again", doc, state.latest_path, state.latest_meta,
                                   int(lm[1:]) if lm and lm.startswith(":") else None,
                                   lm if lm and not lm.startswith(":") else None,
                                   tuple(c for _, c in state.latest_seen)))
                    if progress:
                        progress(1)
                    continue
            # A new version; maybe the same bytes as an older one.
            repeats = None
            candidates = [(n, path, meta) for n, path, meta in state.batch_snapshots.get(p.blob_id, [])]
            if state.latest_path is not None and known.get(p.blob_id):
                for n, path in self._tip_snapshots(tip, state).get(p.blob_id, []):
                    candidates.append((n, path, None))
            for n, path, meta in sorted(candidates, key=lambda c: -c[0]):
                meta = meta if meta is not None else self._load_meta(tip, path)
                if meta.get("content_sha256") == p.content_sha256:
                    repeats = n
                    break
            number = state.latest_n + 1
            words_added = words_removed = None
            if change_stats is not None and state.latest_path is not None:
                prev_text = self._text_cache.get(state.latest_path)
                if prev_text is None:
                    prev_text = self._load_text(tip, state.latest_path)
                words_added, words_removed = (int(x) for x in change_stats(prev_text, p.text))
            ex = p.item.extracted
            meta = {
                "document": doc, "version": number, "content_sha256": p.content_sha256,
                "text_sha256": p.text_sha256, "bytes": len(p.raw), "text_chars": len(p.text),
                "media_type": ex.media_type, "encoding": ex.encoding, "source": p.item.source,
                "captured_at": p.captured_at, "ingested_at": ingested_at, "ingested_by": p.ident,
                "tool": TOOL, "extractor": f"{ex.extractor} {ex.extractor_version}", "note": p.note,
                "meta": dict(p.meta), "repeats": repeats, "words_added": words_added,
                "words_removed": words_removed, "snapshot": p.snapshot,
            }
            meta_bytes = _dump_json(meta)
            path = version_folder(doc, number, hashlib.sha256(meta_bytes).hexdigest()[:12], self.bucket_size, p.folder)
            trailers = [
                ("Document", doc), ("Version", number), ("Path", path),
                ("Content-SHA256", p.content_sha256), ("Text-SHA256", p.text_sha256),
                ("Bytes", len(p.raw)), ("Media-Type", ex.media_type), ("Encoding", ex.encoding),
                ("Source", p.item.source), ("Captured-At", p.captured_at),
                ("Ingested-At", ingested_at), ("Ingested-By", p.ident), ("Tool", TOOL),
                ("Extractor", meta["extractor"]), ("Repeats", repeats),
                ("Words-Added", words_added), ("Words-Removed", words_removed),
            ] + [("Meta", f"{k}={v}") for k, v in p.meta.items()]
            message = _message(f"Ingest {doc} v{number}", p.note, trailers)
            files = [(f"{path}/{p.snapshot}", p.blob_id), (f"{path}/text.txt", p.text_blob_id), (f"{path}/meta.json", meta_bytes)]
            write(_fi_commit(ref, mark, p, committer_date, message, tip if first else None, files))
            first = False
            marks.append(mark)
            ops.append(_Op("repeat" if repeats else "new", doc, path, meta, mark, None, ()))
            state.latest_n, state.latest_path, state.latest_blob = number, path, p.blob_id
            state.latest_meta, state.latest_commit, state.latest_seen = meta, f":{mark}", []
            state.batch_snapshots.setdefault(p.blob_id, []).append((number, path, meta))
            self._text_cache[path] = p.text
            if progress:
                progress(1)
        return ops, marks

    def _compare_and_swap(self, new: str, old: str | None) -> None:
        """Move main from `old` to `new`, or raise _Busy if someone else got there first."""
        env = dict(self._env)
        env["GIT_COMMITTER_NAME"] = "provenance"
        env["GIT_COMMITTER_EMAIL"] = "provenance@localhost"
        proc = self._git("update-ref", "-m", "provenance: ingest", MAIN, new, old or ZERO_SHA,
                         check=False, env=env)
        if proc.returncode == 0:
            return
        if self._tip() != old:
            raise _Busy()  # lost the race: recompute on the fresh tip
        stderr = proc.stderr.decode("utf-8", "replace")
        m = _LOCK_RE.search(stderr)
        locks = [Path(m.group(1))] if m else []
        locks += self._lock_paths()
        for lock in locks:
            age = _lock_age(lock)
            if age is None:
                continue
            if age >= self.stale_lock_seconds:
                raise ProvenanceError(_stale_message(lock, age, self.stale_lock_seconds, self.path))
            raise _Busy(lock, age)
        if m:  # the lock went away meanwhile
            raise _Busy()
        raise ProvenanceError(f"cannot update main in {self.path}: {_first_line(proc.stderr)}")

    def _delete_ref(self, ref: str) -> None:
        deadline = time.monotonic() + 5.0
        while True:
            proc = self._git("update-ref", "-d", ref, check=False)
            if proc.returncode == 0 or time.monotonic() > deadline:
                return  # a leftover temporary ref only keeps garbage alive; never fail an ingest for it
            time.sleep(random.uniform(0.01, 0.1))

    def _lock_paths(self) -> list[Path]:
        return [self.path / "refs" / "heads" / "main.lock", self.path / "packed-refs.lock", self.path / "HEAD.lock"]

    def _check_stale_locks(self) -> None:
        for lock in self._lock_paths():
            age = _lock_age(lock)
            if age is not None and age >= self.stale_lock_seconds:
                raise ProvenanceError(_stale_message(lock, age, self.stale_lock_seconds, self.path))

    # -- reading

    def documents(self) -> list[DocumentSummary]:
        """Every document, sorted by id (one ls-tree, one cat-file)."""
        tip = self._tip()
        if tip is None:
            return []
        proc = self._git("ls-tree", "-r", "-d", "-z", f"{tip}:documents", check=False)
        if proc.returncode != 0:
            return []
        docs: dict[str, dict] = {}
        for line in proc.stdout.split(b"\0"):
            if not line:
                continue
            info, _, rel = line.partition(b"\t")
            parts = rel.decode("utf-8", "surrogateescape").split("/")
            if len(parts) == 5 and parts[2] == "versions":
                n = _version_number(parts[4])
                if n is None:
                    continue
                d = docs.setdefault(f"{parts[0]}/{parts[1]}", {"count": 0, "latest": (0, ""), "seen": {}})
                d["count"] += 1
                d["latest"] = max(d["latest"], (n, rel.decode("utf-8", "surrogateescape")))
            elif len(parts) == 6 and parts[2] == "versions" and parts[5] == "seen":
                d = docs.setdefault(f"{parts[0]}/{parts[1]}", {"count": 0, "latest": (0, ""), "seen": {}})
                d["seen"]["/".join(parts[:5])] = info.split()[2].decode()
        keys = [k for k, d in docs.items() if d["count"]]
        names = [f"{tip}:documents/{docs[k]['latest'][1]}/meta.json" for k in keys]
        seen_trees = {k: docs[k]["seen"].get(docs[k]["latest"][1]) for k in keys}
        names += [sha for sha in seen_trees.values() if sha]
        objects = self._cat_all(names)
        latest_seen: dict[str, str] = {}
        for k, sha in seen_trees.items():
            if sha and objects.get(sha):
                entries = sorted(e[1] for e in _parse_tree_object(objects[sha]))
                if entries:
                    latest_seen[k] = f"{tip}:documents/{docs[k]['latest'][1]}/seen/{entries[-1]}"
        seen_objects = self._cat_all(latest_seen.values())
        out = []
        for k in keys:
            d = docs[k]
            try:
                meta = json.loads(objects.get(f"{tip}:documents/{d['latest'][1]}/meta.json") or b"{}")
            except ValueError:
                meta = {}
            captured = str(meta.get("captured_at", ""))
            if k in latest_seen:
                try:
                    seen_at = str(json.loads(seen_objects.get(latest_seen[k]) or b"{}").get("captured_at", ""))
                except ValueError:
                    seen_at = ""
                if seen_at and (not captured or _later(seen_at, captured)):
                    captured = seen_at
            doc = urllib.parse.unquote(k.split("/", 1)[1])
            out.append(DocumentSummary(doc, d["count"], captured, d["latest"][0]))
        out.sort(key=lambda s: s.document)
        return out

    def versions(self, doc_id: str) -> list[Version]:
        """Every version of a document, oldest first.

        Bucket by bucket (`<bucket>/` holds 100 versions), each read with
        pipelined requests to the persistent cat-file (no process per
        document); a full bucket never changes, so what was read from it is
        kept in the local index under the bucket's tree id and read back
        with one JSON parse.  The commits come from the local index (see
        `_commits_for`).
        """
        doc = validate_doc_id(doc_id)
        tip = self._tip()
        folder = document_folder(doc)
        versions_tree = self._tree_at(tip, f"{folder}/versions") if tip is not None else None
        buckets = sorted((int(name), name, sha) for name, (mode, sha) in (versions_tree or {}).items()
                         if name.isdigit() and mode.startswith("40"))
        rows: list[tuple[str, Any, tuple[str, ...]]] = []  # (version folder, meta, seen)
        for i, (_, name, sha) in enumerate(buckets):
            full = i < len(buckets) - 1  # only the last bucket still grows or gets seen/ files
            entries = self._bucket_cache_read(sha) if full else None
            if entries is None:
                entries = self._read_bucket(sha)
                if full:
                    self._bucket_cache_write(sha, entries)
            rows.extend((f"{folder}/versions/{name}/{entry[0]}", entry[1], tuple(entry[2])) for entry in entries)
        if not rows:
            raise ProvenanceError(f"unknown document: {doc}")
        commits = self._commits_for(tip, {path for path, _, _ in rows}, [folder])
        out = []
        for path, meta, seen in rows:
            if not isinstance(meta, dict):
                raise ProvenanceError(f"unreadable {path}/meta.json in {self.path} (run `provenance verify`)")
            out.append(_version_from_meta(meta, path, commits.get(path, ""), seen))
        out.sort(key=lambda v: (v.number, v.path))
        return out

    def all_versions(self) -> list[Version]:
        """Every version of every document, by document id, oldest first: what
        versions() gives for each document, read in one go for a whole
        store.  One `ls-tree` of the tip, the meta.json and seen files in one
        `cat-file`, the commits from the local index: 10,000 documents took
        8.8 s document by document."""
        tip = self._tip()
        if tip is None:
            return []
        proc = self._git("ls-tree", "-r", "-z", f"{tip}:documents", check=False)
        if proc.returncode != 0:
            return []
        metas: dict[str, str] = {}  # version folder -> its meta.json's blob
        seen: dict[str, list[tuple[str, str]]] = {}  # version folder -> [(seen file name, blob)]
        for line in proc.stdout.split(b"\0"):
            info, _, rel = line.partition(b"\t")
            # <shard>/<document>/versions/<bucket>/<version>/meta.json, or .../<version>/seen/<file>
            parts = rel.decode("utf-8", "surrogateescape").split("/")
            if len(parts) < 6 or parts[2] != "versions" or _version_number(parts[4]) is None:
                continue
            folder = "documents/" + "/".join(parts[:5])
            if len(parts) == 6 and parts[5] == "meta.json":
                metas[folder] = info.split()[2].decode()
            elif len(parts) == 7 and parts[5] == "seen":
                seen.setdefault(folder, []).append((parts[6], info.split()[2].decode()))
        for files in seen.values():
            files.sort()
        data = self._cat_all([*metas.values(), *(blob for files in seen.values() for _, blob in files)])
        folders = sorted(metas)
        commits = self._commits_for(tip, set(folders), ["documents"])
        out = []
        for folder, meta in zip(folders, _parse_json_many([data.get(metas[f]) for f in folders])):
            if not isinstance(meta, dict):
                raise ProvenanceError(f"unreadable {folder}/meta.json in {self.path} (run `provenance verify`)")
            observed = tuple(str(obs.get("captured_at", "")) if isinstance(obs, dict) else ""
                             for obs in _parse_json_many([data.get(blob) for _, blob in seen.get(folder, [])]))
            out.append(_version_from_meta(meta, folder, commits.get(folder, ""), observed))
        out.sort(key=lambda v: (v.document, v.number, v.path))
        return out

    def _read_bucket(self, sha: str) -> list[list]:
        """[version folder name, meta (None if unreadable), [captured_at of each seen file]] per
        version folder of a bucket tree, in three pipelined rounds: folder trees, seen trees, files."""
        folders = sorted((name, oid) for name, (mode, oid) in self._tree(sha).items()
                         if mode.startswith("40") and _version_number(name) is not None)
        trees = self.objects.contents_many([oid for _, oid in folders])
        listing = []
        for name, oid in folders:
            found = trees.get(oid)
            entries = {n: (m, o) for m, n, o in _parse_tree_object(found[1])} if found else {}
            listing.append((name, entries.get("meta.json", ("", None))[1], entries.get("seen", ("", None))[1]))
        seen_trees = self.objects.contents_many([seen for _, _, seen in listing if seen])
        seen_blobs: dict[str, list[str]] = {}
        for _, _, seen in listing:
            if seen and seen_trees.get(seen):
                seen_blobs[seen] = [o for _, _, o in sorted(_parse_tree_object(seen_trees[seen][1]), key=lambda e: e[1])]
        blobs = self.objects.contents_many([meta for _, meta, _ in listing if meta]
                                           + [o for oids in seen_blobs.values() for o in oids])
        data = {oid: found[1] for oid, found in blobs.items() if found is not None}
        metas = _parse_json_many([data.get(meta) if meta else None for _, meta, _ in listing])
        out = []
        for (name, _, seen), meta in zip(listing, metas):
            observed = []
            for obs in _parse_json_many([data.get(o) for o in seen_blobs.get(seen, [])]) if seen else []:
                observed.append(str(obs.get("captured_at", "")) if isinstance(obs, dict) else "")
            out.append([name, meta, observed])
        return out

    def _bucket_cache_read(self, sha: str) -> list[list] | None:
        try:
            entries = json.loads((self._index_dir() / "buckets" / f"{sha}.json").read_bytes())
        except (OSError, ValueError):
            return None
        ok = isinstance(entries, list) and all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], str)
                                               and isinstance(e[2], list) for e in entries)
        return entries if ok else None

    def _bucket_cache_write(self, sha: str, entries: list[list]) -> None:
        if any(not isinstance(meta, dict) for _, meta, _ in entries):
            return  # keep nothing that verify would complain about
        folder = self._index_dir() / "buckets"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".{sha}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
            temp.write_bytes(json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            os.replace(temp, folder / f"{sha}.json")
        except OSError:
            pass  # a read-only store: read the bucket again next time

    def resolve(self, doc_id: str, spec: int | None = None) -> Version:
        """None: latest; N >= 1: version N; -K: K versions before the latest."""
        doc = validate_doc_id(doc_id)
        tip = self._tip()
        folder = document_folder(doc)
        versions_tree = self._tree_at(tip, f"{folder}/versions")
        latest = self._latest_entry(versions_tree) if versions_tree is not None else None
        if latest is None:
            raise ProvenanceError(f"unknown document: {doc}")
        latest_n = latest[3]
        if spec is not None and (isinstance(spec, bool) or not isinstance(spec, int)):
            raise ProvenanceError(f"version must be a whole number, not {spec!r}")
        if spec is None:
            n = latest_n
        elif spec > 0:
            n = spec
        elif spec < 0:
            n = latest_n + spec
        else:
            n = 0
        plural = "version" if latest_n == 1 else "versions"
        if n < 1 or n > latest_n:
            raise ProvenanceError(f"{doc} has {latest_n} {plural}; there is no version {spec}")
        if n == latest_n:
            path = f"{folder}/versions/{latest[0]}/{latest[1]}"
        else:
            bucket = self._tree_at(tip, f"{folder}/versions/{n // self.bucket_size:03d}")
            names = [name for name in bucket if _version_number(name) == n] if bucket is not None else []
            if not names:
                raise ProvenanceError(f"{doc} version {n} is missing from the store (run `provenance verify`)")
            path = f"{folder}/versions/{n // self.bucket_size:03d}/{sorted(names)[-1]}"
        meta = self._load_meta(tip, path)
        seen = tuple(c for _, c in self._load_seen(tip, path))
        commit = self._commits_for(tip, {path}).get(path, "")
        return _version_from_meta(meta, path, commit, seen)

    def _blob(self, version: Version, name: str, what: str) -> bytes:
        data = self._blob_at(self._tip(), f"{version.path}/{name}")
        if data is None:
            raise ProvenanceError(f"{what} of {version.document} v{version.number} is missing from {self.path} (run `provenance verify`)")
        return data

    def text(self, version: Version) -> str:
        return self._blob(version, "text.txt", "the text").decode("utf-8")

    def raw(self, version: Version) -> bytes:
        return self._blob(version, version.snapshot, "the snapshot")

    # -- auditing

    def verify(self, doc_id: str | None = None) -> VerifyReport:
        """Re-check every stored version (or one document's) against meta.json,
        the commit that added it, and the history (nothing rewritten or lost);
        then `git fsck`."""
        report = VerifyReport()
        tip = self._tip()
        scope = document_folder(validate_doc_id(doc_id)) if doc_id is not None else None
        if tip is not None:
            try:
                self._verify_history(tip, scope, report)
            except ProvenanceError as exc:  # a corrupt object stops git log: report it, fsck says more
                report.problems.append(f"the history cannot be read: {exc}")
        if doc_id is not None and report.versions_checked == 0 and report.commits_checked == 0:
            raise ProvenanceError(f"unknown document: {doc_id}")
        report.fsck_ok, lines = self._fsck()
        if not report.fsck_ok:
            report.problems.extend(f"git fsck: {line}" for line in lines[:20] if line.strip())
            if not any(line.strip() for line in lines):
                report.problems.append("git fsck failed")
        return report

    def _fsck(self) -> tuple[bool, list[str]]:
        """`git fsck` through GitPython (verify is slow anyway, so its import
        time does not matter here).  Objects left over by writers that lost
        a compare-and-swap race are normal, hence --no-dangling."""
        import git

        with git.Repo(self.path) as repo:
            try:
                out = repo.git.fsck("--no-progress", "--no-dangling", env=self._env)
            except git.GitCommandError as exc:
                # GitPython quotes the streams as "  stdout: '...'"; unwrap them.
                text = "\n".join(re.sub(r"^\s*std(?:out|err): '|'\s*$", "", str(part or "")) for part in (exc.stdout, exc.stderr))
                return False, [line.strip() for line in text.splitlines() if line.strip()]
        return True, out.splitlines()

    def _verify_history(self, tip: str, scope: str | None, report: VerifyReport) -> None:
        problems = report.problems
        pathspec = [scope] if scope else []
        # 1. History, oldest first: every file is added once and never changed.
        # (Merges show no diff: what they bring in was checked in the commits that added it.)
        log = self._git("log", "--reverse", "-z", "--raw", "--no-abbrev", "--no-renames",
                        "--format=%x01%H%x02%P%x02%s%x02%(trailers:only,unfold)%x02", tip, "--", *pathspec).stdout
        added: dict[str, tuple[str, str]] = {}  # path -> (blob, commit)
        ingests: dict[str, tuple[str, dict[str, list[str]]]] = {}  # version folder -> (commit, trailers)
        for record in log.split(b"\x01")[1:]:
            head, _, changes = record.rpartition(b"\x02")
            sha, parents, subject, trailer_text = head.decode("utf-8", "replace").split("\x02")[:4]
            report.commits_checked += 1
            short = sha[:12]
            trailers = _parse_trailers(trailer_text)
            tokens = changes.split(b"\0")
            i = 0
            while i < len(tokens):
                tok = tokens[i].lstrip(b"\n")
                if tok.startswith(b":") and i + 1 < len(tokens):
                    fields = tok[1:].decode().split()
                    path = tokens[i + 1].decode("utf-8", "surrogateescape")
                    status = fields[4][:1]
                    i += 2
                    if status == "A" and path not in added:
                        added[path] = (fields[3], sha)
                    elif status == "A":
                        problems.append(f"commit {short} added {path} again (it was stored by commit {added[path][1][:12]})")
                    elif status == "D":
                        problems.append(f"commit {short} deleted {path}: stored files must never be removed")
                    else:
                        problems.append(f"commit {short} modified {path}: stored files must never change")
                else:
                    i += 1
            if subject.startswith("Ingest ") and "Observation" not in trailers:
                paths = trailers.get("Path", [])
                if len(paths) != 1:
                    problems.append(f"commit {short} ({subject}) has no single Path trailer")
                    continue
                if paths[0] in ingests:
                    problems.append(f"commit {short} ingests {paths[0]} again (already ingested by {ingests[paths[0]][0][:12]})")
                    continue
                ingests[paths[0]] = (sha, trailers)
        # 2. The current tree: what is there must be exactly what was added.
        listing = self._git("ls-tree", "-r", "-z", "--full-tree", tip, "--", *pathspec).stdout
        current: dict[str, str] = {}
        for line in listing.split(b"\0"):
            if line:
                info, _, rel = line.partition(b"\t")
                current[rel.decode("utf-8", "surrogateescape")] = info.split()[2].decode()
        folders: dict[str, dict[str, str]] = {}
        for path, blob in sorted(current.items()):
            if not path.startswith("documents/"):
                problems.append(f"unexpected file outside documents/: {path}")
                continue
            origin = added.get(path)
            if origin is None:
                problems.append(f"{path} is in main but no commit in its history added it")
            elif origin[0] != blob:
                problems.append(f"{path} differs from what commit {origin[1][:12]} stored (rewritten)")
            parts = path.split("/")
            if len(parts) >= 7 and parts[3] == "versions":
                folders.setdefault("/".join(parts[:6]), {})["/".join(parts[6:])] = blob
            else:
                problems.append(f"unexpected file in the layout: {path}")
        for path, (_, commit) in sorted(added.items()):
            if path not in current:
                problems.append(f"{path} (added by commit {commit[:12]}) is missing from main (lost)")
        for folder, (commit, trailers) in sorted(ingests.items()):
            if folder not in folders:
                doc = (trailers.get("Document") or ["?"])[0]
                ver = (trailers.get("Version") or ["?"])[0]
                problems.append(f"{doc} v{ver}: version folder {folder} (ingested by commit {commit[:12]}) is missing from main")
        # The local commit index (a cache) must agree with the history.
        index: dict[str, str] = {}
        for shard in sorted({f.split("/")[1] for f in folders}):
            index.update(self._index_shard(shard))
        for folder in sorted(folders):
            if folder in index and folder in ingests and index[folder] != ingests[folder][0]:
                problems.append(f"local index {self._index_dir()} says {folder} was added by {index[folder][:12]}, "
                                f"history says {ingests[folder][0][:12]}; delete the index folder to rebuild it")
        # So must the bucket cache: what it holds for a bucket tree is what that tree holds.
        for cached in sorted((self._index_dir() / "buckets").glob("*.json")):
            sha = cached.stem
            if not re.fullmatch(r"[0-9a-f]{40,64}", sha) or (self.objects.info(sha) or ("",))[0] != "tree":
                continue  # not one of this store's trees: never read
            entries = self._bucket_cache_read(sha)
            if entries is not None and entries != self._read_bucket(sha):
                problems.append(f"local bucket cache {cached} does not match bucket tree {sha[:12]}; "
                                f"delete the index folder to rebuild it")
        # 3. Every version folder: hashes against meta.json and the commit's trailers.
        numbers: dict[str, list[int]] = {}
        order = sorted(folders)
        names = []
        for folder in order:
            files = folders[folder]
            snap = next((f for f in files if f.startswith("snapshot.")), None)
            for f in ("meta.json", snap, "text.txt"):
                names.append(files.get(f, "0" * 40) if f else "0" * 40)
        stream = self._cat(names)
        try:
            for folder in order:
                objs = [next(stream)[2] for _ in range(3)]
                report.versions_checked += 1
                problems.extend(self._check_version(folder, folders[folder], objs, ingests.get(folder), numbers))
        finally:
            stream.close()
        for key, ns in sorted(numbers.items()):
            ns.sort()
            if ns != list(range(1, len(ns) + 1)):
                problems.append(f"{urllib.parse.unquote(key.split('/')[-1])}: version numbers are not 1..{len(ns)} without gaps: {_ranges(ns)}")

    def _check_version(self, folder: str, files: dict[str, str], objs: list[bytes | None],
                       ingest: tuple[str, dict[str, list[str]]] | None,
                       numbers: dict[str, list[int]]) -> list[str]:
        problems: list[str] = []
        parts = folder.split("/")
        doc_key = "/".join(parts[:3])
        label_doc = urllib.parse.unquote(parts[2])
        n = _version_number(parts[5])
        label = f"{label_doc} v{n if n is not None else parts[5]}"
        if n is None:
            return [f"{label}: malformed version folder name {folder}"]
        numbers.setdefault(doc_key, []).append(n)
        if parts[4] != f"{n // self.bucket_size:03d}":
            problems.append(f"{label}: in bucket {parts[4]}, expected {n // self.bucket_size:03d}")
        meta_bytes, raw, text_bytes = objs
        for f in files:
            if f not in ("meta.json", "text.txt") and not f.startswith("snapshot.") and not (f.startswith("seen/") and f.count("/") == 1):
                problems.append(f"{label}: unexpected file {folder}/{f}")
        if meta_bytes is None:
            return problems + [f"{label}: meta.json is missing"]
        try:
            meta = json.loads(meta_bytes)
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return problems + [f"{label}: meta.json is not valid JSON ({exc})"]
        if hashlib.sha256(meta_bytes).hexdigest()[:12] != parts[5].split("-", 1)[1]:
            problems.append(f"{label}: meta.json does not match the folder's uid (rewritten?)")
        if meta.get("document") != label_doc or meta.get("version") != n:
            problems.append(f"{label}: meta.json says {meta.get('document')!r} v{meta.get('version')}, the folder says otherwise")
        if document_folder(label_doc) != doc_key:
            problems.append(f"{label}: folder {doc_key} is not where this id belongs ({document_folder(label_doc)})")
        snap = meta.get("snapshot")
        if not isinstance(snap, str) or snap not in files:
            problems.append(f"{label}: snapshot {snap!r} named in meta.json is missing")
        if raw is None:
            problems.append(f"{label}: the snapshot is missing")
            content = None
        else:
            content = hashlib.sha256(raw).hexdigest()
            if content != meta.get("content_sha256"):
                problems.append(f"{label}: snapshot sha256 {content} does not match meta.json content_sha256 {meta.get('content_sha256')}")
            if len(raw) != meta.get("bytes"):
                problems.append(f"{label}: snapshot has {len(raw)} bytes, meta.json says {meta.get('bytes')}")
        if text_bytes is None:
            problems.append(f"{label}: text.txt is missing")
            text_sha = None
        else:
            text_sha = hashlib.sha256(text_bytes).hexdigest()
            if text_sha != meta.get("text_sha256"):
                problems.append(f"{label}: text.txt sha256 {text_sha} does not match meta.json text_sha256 {meta.get('text_sha256')}")
            try:
                if len(text_bytes.decode("utf-8")) != meta.get("text_chars"):
                    problems.append(f"{label}: text.txt has a different length than meta.json text_chars")
            except UnicodeDecodeError:
                problems.append(f"{label}: text.txt is not valid UTF-8")
        if ingest is None:
            problems.append(f"{label}: no ingest commit in main's history added {folder}")
            return problems
        commit, trailers = ingest
        expected = {
            "Document": label_doc, "Version": str(n), "Path": folder,
            "Content-SHA256": content, "Text-SHA256": text_sha,
            "Bytes": str(len(raw)) if raw is not None else None,
            "Captured-At": meta.get("captured_at"), "Ingested-At": meta.get("ingested_at"),
        }
        for key, value in expected.items():
            got = trailers.get(key)
            if value is None:
                continue
            if not got or got[0] != _one_line(value).strip():
                problems.append(f"{label}: trailer {key} of commit {commit[:12]} is {got[0] if got else 'missing'!r}, expected {value!r}")
        return problems


# --------------------------------------------------------------------------
# Helpers


_MALLOC_TRIM = "glibc.malloc.trim_threshold=67108864"


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    env["LC_ALL"] = "C"
    env["LANGUAGE"] = "C"
    env["GIT_LITERAL_PATHSPECS"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    # glibc gives freed memory back to the kernel whenever the top of the heap
    # passes 128 KB free, which git does for every object it (de)compresses:
    # fast-import spent as much time in brk() as in its own work (1,000
    # versions: 0.97 s, 0.49 s with this).  Harmless where glibc is not used.
    tunables = env.get("GLIBC_TUNABLES", "")
    if "glibc.malloc.trim_threshold" not in tunables:
        env["GLIBC_TUNABLES"] = f"{tunables}:{_MALLOC_TRIM}" if tunables else _MALLOC_TRIM
    return env


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return "unknown error"


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


def _lock_age(lock: Path) -> float | None:
    try:
        return max(0.0, time.time() - os.stat(lock).st_mtime)
    except FileNotFoundError:
        return None


def _stale_message(lock: Path, age: float, limit: float, store: Path) -> str:
    return (f"stale lock file {lock} is {age:.0f} s old (limit {limit:.0f} s): a git or provenance process "
            f"probably crashed while writing; if no other provenance/git process is writing to {store}, "
            f"remove it by hand (rm '{lock}') and try again")


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return a > b


def _ranges(ns: list[int]) -> str:
    shown = ", ".join(map(str, ns[:20]))
    return shown + (" ..." if len(ns) > 20 else "")


def _nul_tokens(stream) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        *tokens, pending = pending.split(b"\0")
        yield from tokens
    if pending:
        yield pending


def _parse_json_many(datas: list[bytes | None]) -> list[Any]:
    """JSON documents, parsed as one array when they all are there (one call
    into the C parser instead of one per document); None for missing or
    unreadable ones."""
    if datas and all(d is not None for d in datas):
        try:
            parsed = json.loads(b"[" + b",".join(datas) + b"]")
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and len(parsed) == len(datas):
            return parsed
    out = []
    for data in datas:
        try:
            out.append(json.loads(data) if data is not None else None)
        except ValueError:
            out.append(None)
    return out


def _message(subject: str, note: str | None, trailers: list[tuple[str, Any]]) -> bytes:
    lines = [subject, ""]
    if note:
        lines += [note, ""]
    lines += [f"{key}: {_one_line(value)}" for key, value in trailers if value is not None]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _fi_commit(ref: str, mark: int, p: _Prepared, committer_date: str, message: bytes, parent: str | None,
               files: list[tuple[str, bytes | str]]) -> bytes:
    ident = f"{p.name} <{p.email}>".encode("utf-8")
    out = [
        b"commit %s\n" % ref.encode(),
        b"mark :%d\n" % mark,
        b"author %s %s\n" % (ident, p.author_date.encode()),
        b"committer %s %s\n" % (ident, committer_date.encode()),
        b"data %d\n" % len(message), message, b"\n",
    ]
    if parent:
        out.append(b"from %s\n" % parent.encode())
    for path, data in files:
        if isinstance(data, str):  # the id of a blob sent earlier in the stream
            out.append(b"M 100644 %s %s\n" % (data.encode(), path.encode("utf-8")))
        else:
            out += [b"M 100644 inline %s\n" % path.encode("utf-8"), b"data %d\n" % len(data), data, b"\n"]
    out.append(b"\n")
    return b"".join(out)


def _version_from_meta(meta: dict, path: str, commit: str, seen: tuple[str, ...]) -> Version:
    # Filled in through __dict__ rather than the frozen dataclass's __init__
    # (which sets each of the 23 fields through object.__setattr__): 3x
    # faster, and listing a document with 10,000 versions builds 10,000.
    # The result is an ordinary, equal, frozen Version.
    try:
        version = object.__new__(Version)
        version.__dict__.update(
            document=meta["document"], number=int(meta["version"]), path=path, commit=commit,
            content_sha256=meta["content_sha256"], text_sha256=meta["text_sha256"],
            bytes=int(meta["bytes"]), text_chars=int(meta["text_chars"]),
            media_type=meta["media_type"], encoding=meta["encoding"], source=meta.get("source"),
            captured_at=meta["captured_at"], ingested_at=meta["ingested_at"],
            ingested_by=meta["ingested_by"], tool=meta["tool"], extractor=meta["extractor"],
            note=meta.get("note"), meta=dict(meta.get("meta") or {}), repeats=meta.get("repeats"),
            words_added=meta.get("words_added"), words_removed=meta.get("words_removed"),
            snapshot=meta["snapshot"], seen=seen,
        )
        return version
    except (KeyError, TypeError, ValueError) as exc:
        raise ProvenanceError(f"{path}/meta.json lacks or garbles {exc} (run `provenance verify`)") from None
