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

The package, one module per concept (each opens with what it owns and what
it must never do).  `Store` is a short facade: it opens the store, builds
the parts, each given the parts it uses (built before it, so calls go one
way and none reaches back to `Store`), and delegates the public API:

    objects.py      Objects(path, env): git processes, the persistent cat-file,
                    tree caches; calls no other part
    index.py        Index(objects, bucket_size): the local, rebuildable index
                    of which commit added what, and the bucket cache
    history.py      History(objects, index, bucket_size): documents, versions,
                    resolve, text, raw
    reflocks.py     RefLocks(path, stale_lock_seconds): git's ref locks
    maintenance.py  Maintenance(objects, locks): repacking, the commit-graph,
                    leftovers of killed writers
    verify.py       Verifier(objects, index, maintenance, bucket_size): fsck,
                    history, hashes and trailers
    writer.py       Writer(objects, index, history, locks, maintenance, ...):
                    planning, fast-import, compare-and-swap; the only code
                    that moves a ref
    sync.py         Sync(objects, index, history, verifier, writer, ...):
                    remotes, pull, push (docs/sync.md); asks the writer to
                    move main
    model.py, layout.py, records.py, stream.py, stats.py, numbering.py:
                    data types, names and paths, meta.json and trailer bytes,
                    the fast-import stream (big inputs in chunks), word
                    statistics, version numbers across machines (no state)

Outside the package, code calls Store's public methods, or a part by name
(`store.objects.git(...)`, `store.history.extraction_number(...)`).

"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Sequence

from .. import __version__
from ..errors import ProvenanceError
from ..extract import Extracted
from .history import History
from .index import Index
from .layout import BUCKET_SIZES, STORE_CONFIG, _INIT_ALLOWED
from .maintenance import LEFTOVER_SECONDS, Maintenance
from .objects import Objects, _base_env, store_env
from .records import _env_float
from .sync import Sync, SyncResult, check_url
from .reflocks import DEFAULT_STALE_LOCK_SECONDS, RefLocks
from .verify import Verifier
from .writer import Writer

# The public API, re-exported.
from .layout import document_folder, snapshot_name, validate_doc_id, version_folder  # noqa: F401
from .model import DocumentSummary, Extraction, Incoming, IngestResult, RawFile, Version, VerifyReport  # noqa: F401

__all__ = ["Store", "Incoming", "RawFile", "Version", "IngestResult", "DocumentSummary", "VerifyReport",
           "validate_doc_id", "document_folder", "version_folder", "snapshot_name"]


class Store:
    """A provenance store: a bare git repository written only through `add`.

    A facade: it opens the store, builds the parts (each given what it
    depends on, lowest first) and hands every call to the part that owns it.
    """

    DEFAULT_PATH = "store"

    def __init__(self, path: str | os.PathLike, *, stale_lock_seconds: float | None = None):
        self.path = Path(os.path.abspath(os.fspath(path)))
        stale = (float(stale_lock_seconds) if stale_lock_seconds is not None
                 else _env_float("PROVENANCE_STALE_LOCK_SECONDS", DEFAULT_STALE_LOCK_SECONDS))
        layout = self._store_layout(self.path)
        if layout is None:
            raise ProvenanceError(f"no provenance store at {path} (run `provenance init`)")
        if layout not in BUCKET_SIZES:
            raise ProvenanceError(f"the store at {path} has layout {layout}, which this provenance ({__version__}) "
                                  "does not know: upgrade provenance")
        self.layout = layout
        self.bucket_size = size = BUCKET_SIZES[layout]
        self.objects = Objects(self.path, store_env(self.path))
        self.index = Index(self.objects, size)
        self.history = History(self.objects, self.index, size)
        self.locks = RefLocks(self.path, stale)
        self.maintenance = Maintenance(self.objects, self.locks)
        self.verifier = Verifier(self.objects, self.index, self.maintenance, size)
        self.writer = Writer(self.objects, self.index, self.history, self.locks, self.maintenance, bucket_size=size)
        self.sync = Sync(self.objects, self.index, self.history, self.verifier, self.writer, size)

    # -- reading (History)

    def documents(self) -> list[DocumentSummary]:
        """Every document, sorted by id."""
        return self.history.documents()

    def document_ids(self) -> list[str]:
        """Every document id, sorted, without reading any metadata (quick: completion uses it)."""
        return self.history.document_ids()

    def versions(self, doc_id: str) -> list[Version]:
        """Every version of a document, oldest first."""
        return self.history.versions(doc_id)

    def all_versions(self) -> list[Version]:
        """Every version of every document, by document id, oldest first."""
        return self.history.all_versions()

    def resolve(self, doc_id: str, spec: int | str | None = None) -> Version:
        """None: latest; N >= 1: version N; -K: K versions before the latest;
        a uid (12 hex digits): that version on every machine, for ever."""
        return self.history.resolve(doc_id, spec)

    def text(self, version: Version, extraction: int | None = None) -> str:
        """The version's text: its latest extraction (None), or extraction N (1: the text stored at ingest)."""
        return self.history.text(version, extraction)

    def latest_extraction(self, version: Version) -> int:
        """The number of the version's latest extraction (1 if never re-extracted)."""
        return self.history.latest_extraction(version)

    def extractions(self, version: Version) -> list[Extraction]:
        """Every extraction of the version's raw bytes, the first (the text stored at ingest) first."""
        return self.history.extractions(version)

    def raw(self, version: Version) -> bytes:
        """The version's bytes exactly as received."""
        return self.history.raw(version)

    # -- writing (Writer)

    def identity(self) -> str:
        """Default ingester: $PROVENANCE_USER, else git's user.name/user.email, else user@host."""
        return self.writer.identity()

    def add(self, items: Sequence[Incoming],
            change_stats: Callable[[str, str], tuple[int, int]] | None = None,
            progress: Callable[[int], None] | None = None) -> list[IngestResult]:
        """Ingest `items` in order, as successive versions, in one fast-import (see Writer.add)."""
        return self.writer.add(items, change_stats, progress)

    def reextract(self, version: Version, extracted: Extracted, *, ingested_by: str | None = None,
                  note: str | None = None) -> tuple[Extraction, bool]:
        """Record `extracted` as the next extraction of `version` (see Writer.reextract)."""
        return self.writer.reextract(version, extracted, ingested_by=ingested_by, note=note)

    # The writer's retry policy, readable and settable here as before.
    max_attempts = property(lambda self: self.writer.max_attempts,
                            lambda self, value: setattr(self.writer, "max_attempts", value),
                            doc="compare-and-swap attempts per add")
    busy_timeout = property(lambda self: self.writer.busy_timeout,
                            lambda self, value: setattr(self.writer, "busy_timeout", value),
                            doc="seconds an add may spend retrying before giving up")
    last_attempts = property(lambda self: self.writer.last_attempts,
                             doc="how many attempts the last successful add needed (1 = no race)")
    stale_lock_seconds = property(lambda self: self.locks.stale_lock_seconds,
                                  doc="age after which a ref lock held by a live writer is an error")
    sign = property(lambda self: self.writer.sign, lambda self, value: setattr(self.writer, "sign", value),
                    doc="sign every commit with the user's git signing key (None: the store's provenance.sign)")
    on_busy = property(lambda self: self.writer.on_busy, lambda self, value: setattr(self.writer, "on_busy", value),
                       doc="called with a message when an add waits on a live writer's lock")

    # -- checking and upkeep (Verifier, Maintenance)

    def verify(self, doc_id: str | None = None) -> VerifyReport:
        """Re-check every stored version (or one document's) against meta.json,
        the commit that added it, and the history; then `git fsck`."""
        return self.verifier.verify(doc_id)

    def maintain(self) -> None:
        """Keep the store compact and quick to read (see Maintenance.maintain)."""
        self.maintenance.maintain()

    def leftovers(self) -> list[str]:
        """What killed processes may have left (paths inside the store)."""
        return self.maintenance.leftovers()

    def doctor(self) -> dict:
        """Fix what is safe to fix after a crash, and say what is left and why:
        ref locks no live writer holds, a maintenance lock whose owner is
        gone, leftovers older than LEFTOVER_SECONDS, stale caches (rebuilt
        by verify).  Never touches a version, a commit or main."""
        before = set(self.maintenance.leftovers())
        self.maintenance.repair()
        report = self.verifier.verify()
        left = self.maintenance.leftovers()
        return {"fixed": sorted(before - set(left)), "left": left,
                "why_left": "held by a live process, or not provably a dead one's "
                            f"(those go after {LEFTOVER_SECONDS / 60:.0f} minutes)" if left else "",
                "caches_rebuilt": list(report.notes), "verify_ok": report.ok, "problems": list(report.problems)}

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
    def clone(cls, url: str, path: str | os.PathLike, *, lazy: bool = False,
              name: str = "origin") -> tuple["Store", SyncResult]:
        """A new store at `path` (absent or an empty folder) holding a
        remote's history (`lazy`: a partial clone, see Sync.start_from).  If
        anything fails, what was made is removed."""
        import shutil

        url = check_url(url)
        target = Path(os.path.abspath(os.fspath(path)))
        created = not target.exists()
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise ProvenanceError(f"cannot clone into {path}: it exists and is not an empty directory")
        store = None
        try:
            store = cls.init(target)
            return store, store.sync.start_from(url, lazy=lazy, name=name)
        except BaseException:
            if store is not None:
                store.close()
            if created:
                shutil.rmtree(target, ignore_errors=True)
            else:
                for child in target.iterdir():
                    shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()
            raise

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False, **kwargs: Any) -> "Store":
        return cls.init(path, **kwargs) if create else cls(path, **kwargs)

    def close(self) -> None:
        objects = self.__dict__.get("objects")  # (absent if __init__ raised)
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
