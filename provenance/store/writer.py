"""Writing: a batch is planned against the current tip (version numbers,
"seen again" and "repeats"), its chain of commits written by one `git
fast-import` onto a private incoming ref, and main moved by compare-and-swap
(`git update-ref refs/heads/main NEW OLD`); if another writer won, the plan
is made again.  The part `Writer(objects, index, history, locks,
maintenance, bucket_size=...)`, the top of the store: it may call every
other part, and none calls it.

Owns: the only code that creates commits or moves a ref (main and the
incoming refs).  Never: rewrites or deletes anything already in main's
history.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ProvenanceError
from ..extract import Extracted
from ..locks import owned_name
from .model import Extraction, Incoming, IngestResult, RawFile, Version
from .layout import INCOMING, MAIN, TOOL, ZERO_SHA, _version_number, document_folder, snapshot_name, validate_doc_id, version_folder
from .records import _extraction_record, _extraction_trailers, _dump_json, _first_line, _git_blob_id, _git_date, _hostname, _iso, _login, _message, _parse_ident, _parse_ident_cached, _version_from_meta
from .history import History
from .index import Index
from .maintenance import Maintenance
from .objects import Objects
from .reflocks import ORPHAN_AFTER_SECONDS, WRITERS_LOCK, RefLocks, lock_age, stale_message  # noqa: F401
from .stats import _ChangeStats
from .stream import _CHUNK, _STREAM_BLOBS_OVER, _fi_commit, _file_hashes, _text_chunks, _text_hashes, _write_raw



_LOCK_RE = re.compile(r"Unable to create '([^']+\.lock)': File exists")


@dataclass
class _Prepared:
    """Everything about an Incoming that does not depend on the store's tip."""

    item: Incoming
    folder: str
    raw: bytes | RawFile  # a RawFile is read in chunks when written (_write_raw)
    size: int
    blob_id: str
    content_sha256: str
    text: str
    text_bytes: bytes | None  # None for a large text: encoded in chunks when written
    text_size: int
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
    top_n: int = 0  # the highest number a folder has (a new version's is one more)
    merged: bool = False  # two stores' concurrent versions met: numbers are derived (numbering.py)
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
    merged: bool = False  # its document's numbers are derived (numbering.py): read the result back


class _Busy(Exception):
    def __init__(self, lock: Path | None = None, age: float | None = None):
        super().__init__()
        self.lock = lock
        self.age = age


class Writer:
    """Writing: planning a batch, fast-import, compare-and-swap of main.

    Given the store's `Objects` (reads, git processes), `Index` (kept
    current with what it adds), `History` (a version's extractions),
    `RefLocks` and `Maintenance` (started after main moved); owns the
    retry policy, the default identity and the texts of one add.
    """

    max_attempts = 200  # compare-and-swap attempts per add
    busy_timeout = 60.0  # seconds an add may spend retrying before giving up
    # Sign every commit with the user's git signing key (see provenance.signing);
    # None: as the store's `provenance.sign` setting says.
    sign: bool | None = None
    # Told (once per add) when the add waits on a live writer's lock; the CLI prints it.
    on_busy: Callable[[str], None] | None = None
    _key_checked = False

    def __init__(self, objects: Objects, index: Index, history: History, locks: RefLocks,
                 maintenance: Maintenance, *, bucket_size: int):
        self.objects = objects
        self.index = index
        self.history = history
        self.locks = locks
        self.maintenance = maintenance
        self.bucket_size = bucket_size
        self.path = objects.path
        self.last_attempts = 0  # how many attempts the last successful add needed (1 = no race)
        self._identity: str | None = None
        self._text_cache: dict[str, str] = {}  # version folder -> text, for one add

    def _signs(self) -> bool:
        if self.sign is None:
            from ..signing import wanted

            self.sign = wanted(self.objects.env)
        if self.sign and not self._key_checked:
            from ..signing import check_key

            check_key(self.objects.env)  # (before anything is written)
            self._key_checked = True
        return self.sign

    def signs(self) -> bool:
        """Whether this writer signs its commits (sync signs its merges by it);
        a signing setting without a key fails here, before anything is written."""
        return self._signs()

    def _ident(self, value: str) -> tuple[str, str]:
        """(name, email) of an identity; when signing, as git itself writes
        them (see signing.git_ident), so the signed commit says what meta.json says."""
        name, email = _parse_ident_cached(value)
        if self.sign:
            from ..signing import git_ident

            name, email = git_ident(name, email)
        return name, email

    def identity(self) -> str:
        """Default ingester: $PROVENANCE_USER, else git's user.name/user.email, else user@host."""
        if self._identity is None:
            env_user = os.environ.get("PROVENANCE_USER", "").strip()
            if env_user:
                name, email = _parse_ident(env_user)
            else:
                proc = self.objects.git("config", "--get-regexp", r"^user\.(name|email)$", check=False)
                values = {}
                for line in proc.stdout.decode("utf-8", "replace").splitlines():
                    key, _, val = line.partition(" ")
                    values[key.lower()] = val.strip()
                name = values.get("user.name") or _login()
                email = values.get("user.email") or f"{_login()}@{_hostname()}"
                name, email = _parse_ident(f"{name} <{email}>")
            self._identity = f"{name} <{email}>"
        return self._identity

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
        self._signs()  # (a signing setting without a key fails here, before anything is written)
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
        told = False
        while True:
            attempts += 1
            self.locks.check_stale()
            old = self.objects.tip()
            temp = owned_name(INCOMING)  # (maintenance removes it at once if we are killed)
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
                                f"gave up after {elapsed:.0f} s (it counts as stale after {self.locks.stale_lock_seconds:.0f} s)") from None
                        raise ProvenanceError(
                            f"store {self.path} is too busy: other writers kept moving main; gave up after {attempts} attempts in {elapsed:.0f} s, try again") from None
                    if busy.lock is not None:
                        if not told and self.on_busy is not None and elapsed >= 1.0:
                            told = True  # (once: a live writer's lock, so we wait, and say so)
                            self.on_busy(f"waiting for another writer: {busy.lock.name} in {self.path} has been "
                                         f"held for {busy.age:.0f} s (it counts as stale after {self.locks.stale_lock_seconds:.0f} s)")
                        time.sleep(random.uniform(0.05, 0.25))
                    else:
                        time.sleep(random.uniform(0, min(0.5, 0.002 * 2 ** min(attempts, 8))))
            finally:
                self._delete_ref(temp)
        # Maintenance runs while the rest of the add is done (and the caller
        # closes its worker processes): it is git's work, on another core.
        maintained = self.maintenance.start()
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
        self.index.record_add(old, new, added)
        missing = {op.path for op in ops if op.mark is None and op.commit is None}
        found = self.index.commits_for(new, missing) if missing else {}
        results = []
        for op in ops:
            commit = by_mark[op.mark] if op.mark is not None else (op.commit or found.get(op.path, ""))
            if op.merged:  # the number and observations every machine shows (numbering.py)
                version = next(v for v in self.history.versions(op.doc, new) if v.path == op.path)
            else:
                version = _version_from_meta(op.meta, op.path, commit, op.seen)
            results.append(IngestResult(version, op.status))
        self.index.fill_bucket_cache(new, [(op.path, int(op.meta["version"])) for op in ops if op.status != "seen-again"])
        return results

    def _prepare(self, item: Incoming) -> _Prepared:
        if not isinstance(item, Incoming):
            raise ProvenanceError(f"expected an Incoming, got {type(item).__name__}")
        doc = validate_doc_id(item.document)
        if not isinstance(item.raw, (bytes, bytearray, memoryview, RawFile)):
            raise ProvenanceError(f"{doc}: raw content must be bytes or a RawFile")
        if not isinstance(item.extracted, Extracted):
            raise ProvenanceError(f"{doc}: extracted must come from provenance.extract.decode")
        for label, value in (("source", item.source), ("note", item.note)):
            if value is not None and not isinstance(value, str):
                raise ProvenanceError(f"{doc}: {label} must be text")
        raw = item.raw if isinstance(item.raw, RawFile) else bytes(item.raw)
        ex = item.extracted
        text = ex.text[1:] if ex.text.startswith("\ufeff") else ex.text
        try:
            # A large text is hashed (and later written) in chunks: never a
            # whole second copy of it as UTF-8 beside the text itself.
            text_bytes = text.encode("utf-8") if len(text) <= _CHUNK else None
            text_size, text_sha256 = _text_hashes(text) if text_bytes is None else (
                len(text_bytes), hashlib.sha256(text_bytes).hexdigest())
        except UnicodeEncodeError as exc:
            raise ProvenanceError(f"{doc}: extracted text is not valid Unicode ({exc.reason})") from None
        captured = item.captured_at or datetime.now(timezone.utc)
        if captured.tzinfo is None or captured.utcoffset() is None:
            raise ProvenanceError(f"{doc}: capture time {captured.isoformat()} has no timezone")
        captured = captured.replace(microsecond=0)
        author_date = _git_date(captured)  # (rejects dates git cannot store)
        name, email = self._ident(item.ingested_by or self.identity())
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
        if isinstance(raw, RawFile):
            blob_id, content_sha256 = _file_hashes(raw)
            size = raw.size
        else:
            blob_id, content_sha256, size = _git_blob_id(raw), hashlib.sha256(raw).hexdigest(), len(raw)
        # (UTF-8 text without a BOM: one set of hashes for both; equal SHA-256, equal bytes)
        same = text_size == size and text_sha256 == content_sha256
        if same:
            text_blob_id = blob_id
        elif text_bytes is not None:
            text_blob_id = _git_blob_id(text_bytes)
        else:
            h = hashlib.sha1(b"blob %d\0" % text_size)
            for chunk in _text_chunks(text):
                h.update(chunk)
            text_blob_id = h.hexdigest()
        return _Prepared(
            item=item, folder=document_folder(doc), raw=raw, size=size, blob_id=blob_id,
            content_sha256=content_sha256, text=text, text_bytes=text_bytes, text_size=text_size,
            text_blob_id=text_blob_id, text_sha256=text_sha256,
            snapshot=snapshot_name(ex.media_type), captured=captured, captured_at=_iso(captured),
            author_date=author_date, ident=f"{name} <{email}>", name=name, email=email, note=note, meta=meta,
        )

    def _doc_state(self, tip: str | None, p: _Prepared) -> _DocState:
        doc = p.item.document
        state = _DocState(doc=doc, folder=p.folder)
        if tip is None:
            return state
        versions = self.objects.tree_at(tip, f"{p.folder}/versions")
        if versions is None:
            return state
        latest = self.objects.latest_entry(versions)
        if latest is None:
            return state
        bucket, name, sha, n = latest
        state.latest_n = state.top_n = n
        state.latest_path = f"{p.folder}/versions/{bucket}/{name}"
        if self.history.merged_numbers(versions):
            # Concurrent versions from two stores met here (sync): the latest
            # is the latest by capture, which need not hold the highest number.
            derived = self.history.versions(doc, tip)[-1]
            state.merged = True
            state.latest_path = derived.path
            state.latest_n = derived.stored_number
            sha = self.objects.entry(tip, derived.path)[1]
        for entry_name, (mode, oid) in self.objects.tree(sha).items():
            if entry_name.startswith("snapshot.") and not mode.startswith("40"):
                state.latest_blob = oid
        return state

    def _load_text(self, tip: str, path: str) -> str:
        if path not in self._text_cache:
            data = self.objects.blob_at(tip, f"{path}/text.txt") or b""
            self._text_cache[path] = data.decode("utf-8", "replace")
        return self._text_cache[path]

    def _tip_snapshots(self, tip: str, state: _DocState) -> dict[str, list[tuple[int, str]]]:
        """Snapshot blob id -> [(version, folder)] for every version in the tip (one ls-tree)."""
        if state.tip_snapshots is None:
            state.tip_snapshots = {}
            if tip is not None and state.latest_path is not None:
                out = self.objects.git("ls-tree", "-r", "-z", f"{tip}:{state.folder}/versions", check=False).stdout
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
        self.objects.prefetch(tip, (p.folder for p in prepared), texts=self._text_cache if stats is not None else None)
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
                        blob_id = p.blob_id if kind == "raw" else p.text_blob_id
                        if blob_id in sent:
                            continue
                        sent.add(blob_id)
                        write(b"blob\ndata %d\n" % (p.size if kind == "raw" else p.text_size))
                        if kind == "raw" and isinstance(p.raw, RawFile):
                            _write_raw(write, p.raw)  # (in chunks, checked again as it goes)
                        elif kind == "raw":
                            write(p.raw)
                        elif p.text_bytes is not None:
                            write(p.text_bytes)
                        else:
                            for chunk in _text_chunks(p.text):
                                write(chunk)
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
        if self._signs():  # the same commits, signed (fast-import cannot sign)
            from ..signing import sign_chain

            shas = sign_chain(self.objects.env, shas)
        return ops, marks, shas

    def _start_fast_import(self) -> subprocess.Popen:
        try:
            # Its own session: Ctrl-C on a terminal interrupts us, and we end the stream
            # cleanly, instead of killing git half-way through a pack.
            return subprocess.Popen(["git", "-c", f"core.bigFileThreshold={_STREAM_BLOBS_OVER}", "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.objects.env,
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
        known = self.objects.catfile.info_many(sorted({p.blob_id for p in prepared})) if tip is not None else {}
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
                    state.latest_meta = self.objects.meta_at(tip, state.latest_path)
                if state.latest_meta.get("content_sha256") == p.content_sha256:
                    if state.latest_seen is None:  # the latest version is in the tip
                        state.latest_seen = self.objects.seen_at(tip, state.latest_path)
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
                                   tuple(c for _, c in state.latest_seen), state.merged))
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
                meta = meta if meta is not None else self.objects.meta_at(tip, path)
                if meta.get("content_sha256") == p.content_sha256:
                    repeats = n
                    break
            number = state.top_n + 1
            words_added = words_removed = None
            if change_stats is not None and state.latest_path is not None:
                prev_text = self._text_cache.get(state.latest_path)
                if prev_text is None:
                    prev_text = self._load_text(tip, state.latest_path)
                words_added, words_removed = (int(x) for x in change_stats(prev_text, p.text))
            ex = p.item.extracted
            meta = {
                "document": doc, "version": number, "content_sha256": p.content_sha256,
                "text_sha256": p.text_sha256, "bytes": p.size, "text_chars": len(p.text),
                "media_type": ex.media_type, "encoding": ex.encoding, "source": p.item.source,
                "captured_at": p.captured_at, "ingested_at": ingested_at, "ingested_by": p.ident,
                "tool": TOOL, "extractor": f"{ex.extractor} {ex.extractor_version}", "note": p.note,
                "meta": dict(p.meta), "repeats": repeats, "words_added": words_added,
                "words_removed": words_removed, "snapshot": p.snapshot,
            }
            extraction = _extraction_record(ex)
            if extraction:  # plain text has none: its meta.json stays as it always was
                meta["extraction"] = extraction
            if p.item.capture:
                meta["capture"] = dict(p.item.capture)
            meta_bytes = _dump_json(meta)
            path = version_folder(doc, number, hashlib.sha256(meta_bytes).hexdigest()[:12], self.bucket_size, p.folder)
            trailers = [
                ("Document", doc), ("Version", number), ("Path", path),
                ("Content-SHA256", p.content_sha256), ("Text-SHA256", p.text_sha256),
                ("Bytes", p.size), ("Media-Type", ex.media_type), ("Encoding", ex.encoding),
                ("Source", p.item.source), ("Captured-At", p.captured_at),
                ("Ingested-At", ingested_at), ("Ingested-By", p.ident), ("Tool", TOOL),
                ("Extractor", meta["extractor"]), ("Repeats", repeats),
                ("Words-Added", words_added), ("Words-Removed", words_removed),
            ] + _extraction_trailers(meta) + [("Meta", f"{k}={v}") for k, v in p.meta.items()]
            message = _message(f"Ingest {doc} v{number}", p.note, trailers)
            files = [(f"{path}/{p.snapshot}", p.blob_id), (f"{path}/text.txt", p.text_blob_id), (f"{path}/meta.json", meta_bytes)]
            write(_fi_commit(ref, mark, p, committer_date, message, tip if first else None, files))
            first = False
            marks.append(mark)
            ops.append(_Op("repeat" if repeats else "new", doc, path, meta, mark, None, (), state.merged))
            state.latest_n, state.latest_path, state.latest_blob = number, path, p.blob_id
            state.top_n = number
            state.latest_meta, state.latest_commit, state.latest_seen = meta, f":{mark}", []
            state.batch_snapshots.setdefault(p.blob_id, []).append((number, path, meta))
            self._text_cache[path] = p.text
            if progress:
                progress(1)
        return ops, marks

    def reextract(self, version: Version, extracted: Extracted, *, ingested_by: str | None = None,
                  note: str | None = None) -> tuple[Extraction, bool]:
        """Record `extracted` (the same raw bytes read again, by a newer or
        different extractor) as the next extraction of `version`: one commit
        adding `extractions/N/text.txt` and `meta.json` to the version folder,
        nothing else touched.  Returns (the extraction, True), or (the latest
        extraction, False) when it already holds this text from this
        extractor with these settings (nothing is written)."""
        if not isinstance(extracted, Extracted):
            raise ProvenanceError("extracted must come from provenance.extract.extract")
        text = extracted.text[1:] if extracted.text.startswith("\ufeff") else extracted.text
        text_bytes = text.encode("utf-8")
        text_sha = hashlib.sha256(text_bytes).hexdigest()
        self._signs()  # (a signing setting without a key fails here, before anything is written)
        name, email = self._ident(ingested_by or self.identity())
        record = _extraction_record(extracted)
        label = f"{extracted.extractor} {extracted.extractor_version}"
        for _ in range(self.max_attempts):
            self.locks.check_stale()
            old = self.objects.tip()
            latest = self.history.extractions(version)[-1]
            if latest.text_sha256 == text_sha and latest.extractor == label and latest.extraction == record:
                return latest, False
            n = latest.number + 1
            now = datetime.now(timezone.utc).replace(microsecond=0)
            meta = {"document": version.document, "version": version.number, "number": n,
                    "content_sha256": version.content_sha256, "text_sha256": text_sha,
                    "text_chars": len(text), "media_type": extracted.media_type, "encoding": extracted.encoding,
                    "extractor": label, "extracted_at": _iso(now), "extracted_by": f"{name} <{email}>",
                    "tool": TOOL, "note": note}
            if record:
                meta["extraction"] = record
            folder = f"{version.path}/extractions/{n}"
            meta_bytes = _dump_json(meta)
            trailers = [("Document", version.document), ("Version", version.number), ("Extraction", n),
                        ("Path", folder), ("Content-SHA256", version.content_sha256), ("Text-SHA256", text_sha),
                        ("Extracted-At", meta["extracted_at"]), ("Extracted-By", meta["extracted_by"]),
                        ("Tool", TOOL), ("Extractor", label)] + _extraction_trailers(meta)
            message = _message(f"Re-extract {version.document} v{version.number} (extraction {n})", note, trailers)
            ident = f"{name} <{email}>".encode("utf-8")
            date = _git_date(now).encode()
            temp = owned_name(INCOMING)  # (maintenance removes it at once if we are killed)
            stream = b"".join([
                b"commit %s\n" % temp.encode(), b"mark :1\n",
                b"author %s %s\ncommitter %s %s\n" % (ident, date, ident, date),
                b"data %d\n" % len(message), message, b"\n", b"from %s\n" % old.encode(),
                b"M 100644 inline %s\ndata %d\n" % (f"{folder}/text.txt".encode("utf-8"), len(text_bytes)),
                text_bytes, b"\n",
                b"M 100644 inline %s\ndata %d\n" % (f"{folder}/meta.json".encode("utf-8"), len(meta_bytes)),
                meta_bytes, b"\n\nget-mark :1\ndone\n",
            ])
            try:
                proc = self._start_fast_import()
                out, err = proc.communicate(stream)
                if proc.returncode != 0:
                    self._remove_crash_report(proc.pid)
                    raise ProvenanceError(f"git fast-import failed in {self.path}: {_first_line(err)}")
                new = out.decode().split()[-1]
                if self._signs():
                    from ..signing import sign_chain

                    new = sign_chain(self.objects.env, [new])[0]
                try:
                    self._compare_and_swap(new, old)
                except _Busy:
                    time.sleep(random.uniform(0.02, 0.2))
                    continue
            finally:
                self._delete_ref(temp)
            return self.history.extractions(version)[n - 1], True
        raise ProvenanceError(f"store {self.path} is too busy: other writers kept moving main; try again")

    def advance(self, new: str, old: str | None, reason: str) -> bool:
        """Move main from `old` to `new`, a history that holds `old` (a
        fetched one, or a merge commit: sync.py), by the compare-and-swap
        every add uses; False when another writer moved main first.  Never
        moves main to a history that lacks what it had."""
        if old is not None and old != new:
            proc = self.objects.git("merge-base", "--is-ancestor", old, new, check=False)
            if proc.returncode != 0:
                raise ProvenanceError(f"refusing to move main from {old[:12]} to {new[:12]}, "
                                      "whose history lacks it (main only grows)")
        try:
            self._compare_and_swap(new, old, reason)
            return True
        except _Busy:
            return False

    def set_remote_ref(self, ref: str, new: str, reason: str) -> None:
        """Record what a remote's main was (refs/remotes/NAME/main), for sync."""
        if not ref.startswith("refs/remotes/"):
            raise ProvenanceError(f"not a remote-tracking ref: {ref}")
        self.objects.git("update-ref", "-m", reason, ref, new)

    def delete_incoming(self, ref: str) -> None:
        """Drop a private incoming ref (an add's, or a fetch's)."""
        if not ref.startswith(INCOMING):
            raise ProvenanceError(f"not an incoming ref: {ref}")
        self._delete_ref(ref)

    def _compare_and_swap(self, new: str, old: str | None, reason: str = "provenance: ingest") -> None:
        """Move main from `old` to `new`, or raise _Busy if someone else got there first."""
        env = dict(self.objects.env)
        env["GIT_COMMITTER_NAME"] = "provenance"
        env["GIT_COMMITTER_EMAIL"] = "provenance@localhost"
        # Held shared while git holds main.lock: a writer that finds main.lock
        # with nobody holding this knows the lock's owner died (see RefLocks.clear_orphaned).
        inside = self.locks.writers_lock(shared=True)
        inside.acquire(timeout=self.busy_timeout)
        try:
            proc = self.objects.git("update-ref", "-m", reason, MAIN, new, old or ZERO_SHA,
                                    check=False, env=env)
        finally:
            inside.release()
        if proc.returncode == 0:
            return
        if self.objects.tip() != old:
            raise _Busy()  # lost the race: recompute on the fresh tip
        stderr = proc.stderr.decode("utf-8", "replace")
        m = _LOCK_RE.search(stderr)
        locks = [Path(m.group(1))] if m else []
        locks += self.locks.paths()
        for lock in locks:
            age = lock_age(lock)
            if age is None:
                continue
            if age >= ORPHAN_AFTER_SECONDS and self.locks.clear_orphaned():
                raise _Busy()  # cleared: try again at once
            if age >= self.locks.stale_lock_seconds:
                raise ProvenanceError(stale_message(lock, age, self.locks.stale_lock_seconds, self.path))
            raise _Busy(lock, age)
        if m:  # the lock went away meanwhile
            raise _Busy()
        raise ProvenanceError(f"cannot update main in {self.path}: {_first_line(proc.stderr)}")

    def _delete_ref(self, ref: str) -> None:
        """Delete a temporary ref.  git takes packed-refs.lock to delete any
        ref: one a killed git left behind is cleared (see
        RefLocks.clear_orphaned) instead of waited on, so it neither slows this
        add nor outlives it.  Inside the writers' lock, like every ref update."""
        deadline = time.monotonic() + 5.0
        while True:
            inside = self.locks.writers_lock(shared=True)
            inside.acquire(timeout=self.busy_timeout)
            try:
                proc = self.objects.git("-c", "core.packedRefsTimeout=0", "update-ref", "-d", ref, check=False)
            finally:
                inside.release()
            if proc.returncode == 0 or time.monotonic() > deadline:
                return  # a leftover temporary ref only keeps garbage alive; never fail an ingest for it
            if _LOCK_RE.search(proc.stderr.decode("utf-8", "replace")):
                self.locks.clear_orphaned()
            time.sleep(random.uniform(0.01, 0.1))
