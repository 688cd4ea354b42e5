"""Everyday comforts around reports: where `open` and `diff --open` write a
report, handing it to the default browser, and shell completion of document
ids and versions.

Owns: the choice of the pair `provenance open ID` shows, the report's file
when none is named, the browser call (Python's webbrowser, so $BROWSER is
honoured), and the completion candidates.  Never: changes the store
(completion only reads it, and must never fail or be slow: it returns
nothing rather than an error).
"""

from __future__ import annotations

import os
import re
import tempfile
import webbrowser
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ProvenanceError

if TYPE_CHECKING:
    from .store import Store


def default_pair(store: "Store", ref: str) -> tuple[str, str]:
    """`open ID[@N]` with nothing to compare it with: version N (default the
    latest) against the one before it."""
    from .ingest import parse_ref

    doc_id, spec = parse_ref(ref)
    version = store.resolve(doc_id, spec)
    if version.number == 1:
        raise ProvenanceError(f"{doc_id}@1 is the first version: nothing before it to compare with "
                              f"(give the other side: provenance open {doc_id}@1 OTHER)")
    return f"{doc_id}@{version.number - 1}", f"{doc_id}@{version.number}"


def report_file(old: str, new: str) -> Path:
    """A report's file when none is named: in a folder of the temporary
    directory (kept: the browser reads it after we exit), named after the pair."""
    folder = Path(tempfile.gettempdir()) / f"provenance-reports-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._@-]+", "_", f"{old}..{new}")
    return folder / f"{name[-120:].lstrip('._') or 'report'}.html"


def open_in_browser(path: Path) -> bool:
    """Hand the file to the default browser ($BROWSER if set); False when no browser could be started."""
    try:
        return bool(webbrowser.open(Path(path).resolve().as_uri()))
    except webbrowser.Error:
        return False


# Shell completion -------------------------------------------------------------


def _store(path: Path):
    from .store import Store

    if not (path / "HEAD").is_file():
        return None
    return Store(path)


def document_ids(store: "Store") -> list[str]:
    """Every document id (the store's cheap listing, no metadata read)."""
    return store.document_ids()


def _latest_number(store: "Store", doc_id: str) -> int:
    # (the latest version's public number: after a sync it may differ from
    # the highest folder number, see docs/sync.md)
    try:
        return store.resolve(doc_id).number
    except ProvenanceError:
        return 0


def complete_refs(store_path: Path, incomplete: str, limit: int = 500) -> list[str]:
    """Document ids starting with `incomplete`; after "ID@", that document's
    versions (ID@N, newest first, and ID@-1).  Empty when there is no store."""
    store = _store(store_path)
    if store is None:
        return []
    with store:
        if "@" in incomplete:
            doc_id, _, spec = incomplete.rpartition("@")
            n = _latest_number(store, doc_id)
            if not n:
                return []
            refs = [f"{doc_id}@{k}" for k in range(n, 0, -1)] + ([f"{doc_id}@-1"] if n > 1 else [])
            return [r for r in refs if r.startswith(incomplete)][:limit]
        return [d for d in document_ids(store) if d.startswith(incomplete)][:limit]
