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
it must never do); `Store` is the facade that composes them:

    model.py        the public data types (Incoming, Version, ...)
    layout.py       constants, ids, folder and snapshot names
    records.py      meta.json bytes, commit messages and trailers, dates
    objects.py      git processes, the persistent cat-file, tree caches
    index.py        the local, rebuildable index of which commit added what
    stats.py        word statistics of a batch in worker processes
    writer.py       planning, fast-import, compare-and-swap of main, locks
    history.py      documents, versions, resolve, text, raw
    verify.py       fsck, history, hashes and trailers
    maintenance.py  repacking and the commit-graph

"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ProvenanceError
from .history import _History
from .index import _Index
from .layout import BUCKET_SIZES, STORE_CONFIG, _INIT_ALLOWED
from .maintenance import _Maintenance
from .objects import _CatFile, _Objects, _base_env
from .records import _env_float
from .verify import _Verify
from .writer import DEFAULT_STALE_LOCK_SECONDS, _Writer

# The public API, re-exported.
from .layout import document_folder, snapshot_name, validate_doc_id, version_folder  # noqa: F401
from .model import DocumentSummary, Incoming, IngestResult, Version, VerifyReport  # noqa: F401

__all__ = ["Store", "Incoming", "Version", "IngestResult", "DocumentSummary", "VerifyReport",
           "validate_doc_id", "document_folder", "version_folder", "snapshot_name"]



class Store(_Objects, _Index, _Writer, _History, _Verify, _Maintenance):
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
