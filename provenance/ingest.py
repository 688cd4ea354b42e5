"""From files and standard input to stored versions, and from files or stored
versions to the `Side`s a comparison takes.  The CLI is a thin layer over
these functions; they are the Python API for the same jobs.
"""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Sequence

from .diff import Side
from .errors import ProvenanceError
from .extract import decode

if TYPE_CHECKING:  # the store pulls in GitPython; import it only when used
    from .store import IngestResult, Store, Version

_META_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_time(value: str) -> datetime:
    """ISO-8601 date or date-time; a time without an offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ProvenanceError(f"not an ISO-8601 date or time: {value!r} (e.g. 2024-01-28T09:30:00+01:00)") from None
        parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def parse_meta(pairs: Iterable[str]) -> dict[str, str]:
    """KEY=VALUE strings to a dict, with a clear error for malformed ones."""
    meta: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _META_KEY.fullmatch(key):
            raise ProvenanceError(f"--meta takes KEY=VALUE with a key of letters, digits, '_', '.', '-': got {pair!r}")
        meta[key] = value
    return meta


def read_input(path: str, stdin: BinaryIO | None = None) -> bytes:
    """Bytes of a file, or of standard input for "-"."""
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read()
    p = Path(path)
    if p.is_dir():
        raise ProvenanceError(f"{path}: is a directory, not a file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise ProvenanceError(f"{path}: no such file") from None
    except OSError as exc:
        raise ProvenanceError(f"{path}: cannot read ({exc.strerror})") from None


def ingest_paths(
    store: "Store",
    doc_id: str,
    paths: Sequence[str],
    *,
    source: str | None = None,
    captured_at: datetime | None = None,
    note: str | None = None,
    meta: dict[str, str] | None = None,
    ingested_by: str | None = None,
    encoding: str | None = None,
    stdin: BinaryIO | None = None,
    progress: Callable[[int], None] | None = None,
) -> list["IngestResult"]:
    """Ingest files (or "-" for standard input) in order as successive versions.

    Everything is read and decoded before anything is written, so bad input
    leaves the store untouched; all versions go in through one store write.
    """
    from .diff import word_change_counts
    from .store import Incoming, validate_doc_id

    validate_doc_id(doc_id)
    items = []
    for path in paths:
        raw = read_input(path, stdin)
        extracted = decode(raw, name=path, encoding=encoding)
        items.append(Incoming(
            document=doc_id,
            raw=raw,
            extracted=extracted,
            source=source or ("stdin" if path == "-" else f"file:{path}"),
            captured_at=captured_at,
            note=note,
            meta=dict(meta or {}),
            ingested_by=ingested_by,
        ))
    return store.add(items, change_stats=word_change_counts, progress=progress)


def side_for_file(path: str, stdin: BinaryIO | None = None, encoding: str | None = None) -> Side:
    raw = read_input(path, stdin)
    text = decode(raw, name=path, encoding=encoding).text
    return Side(
        text=text,
        label=path,
        content_sha256=sha256(raw),
        text_sha256=sha256(text.encode("utf-8")),
        path=path,
    )


def side_for_version(store: "Store", version: "Version") -> Side:
    return Side(
        text=store.text(version),
        label=f"{version.document}@{version.number}",
        document=version.document,
        version=version.number,
        content_sha256=version.content_sha256,
        text_sha256=version.text_sha256,
        captured_at=version.captured_at,
        source=version.source,
    )


def parse_ref(ref: str) -> tuple[str, int | None]:
    """"ID", "ID@N" or "ID@-K" (K before the latest) to (id, spec)."""
    doc_id, sep, spec = ref.rpartition("@")
    if not sep:
        return ref, None
    try:
        number = int(spec)
    except ValueError:
        raise ProvenanceError(f"bad version in {ref!r}: expected ID@N (N >= 1) or ID@-K") from None
    if number == 0:
        raise ProvenanceError(f"bad version in {ref!r}: versions count from 1; ID@-1 is the one before the latest")
    return doc_id, number
