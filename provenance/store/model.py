"""The store's public data types: what goes in (Incoming, RawFile) and what
comes out (Version, IngestResult, DocumentSummary, VerifyReport).

Owns only these plain values and their to_dict() forms (the JSON contract).
Must never touch git, the disk or the store's caches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..extract import Extracted


@dataclass(frozen=True)
class RawFile:
    """An Incoming's raw bytes left in their file: the writer hashes them and
    feeds them to git in chunks, never whole in memory, and refuses the file
    if it no longer holds the `size` bytes hashing to `sha256` that were
    extracted (provenance.ingest makes these for files it read)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Incoming:
    """One version to ingest."""

    document: str
    raw: "bytes | RawFile"
    extracted: Extracted
    source: str | None = None
    captured_at: datetime | None = None  # aware; default: now (UTC)
    note: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    ingested_by: str | None = None  # "Name <email>"; default: see Store.identity
    # A URL capture's evidence: final URL, HTTP status and headers, fetch time
    # (provenance.extract.capture.evidence_properties).
    capture: dict | None = None


@dataclass(frozen=True)
class Version:
    """One stored version, as read back."""

    document: str
    number: int
    path: str  # the version folder inside the repository
    commit: str  # hex sha of the commit that added it
    content_sha256: str
    text_sha256: str
    bytes: int
    text_chars: int
    media_type: str
    encoding: str
    source: str | None
    captured_at: str
    ingested_at: str
    ingested_by: str
    tool: str
    extractor: str
    note: str | None
    meta: dict
    repeats: int | None
    words_added: int | None
    words_removed: int | None
    snapshot: str
    seen: tuple[str, ...] = ()  # captured_at of later observations, oldest first
    # How the text was extracted beyond the extractor's name: its settings,
    # what the document states about itself, its page count (empty for text).
    extraction: dict = field(default_factory=dict)
    capture: dict = field(default_factory=dict)  # a URL capture's HTTP evidence
    # Uids of version folders with these same bytes, captured independently in
    # another store, that count as observations of this version (store/numbering.py).
    merged_uids: tuple[str, ...] = ()

    @property
    def stored_number(self) -> int:
        """The number the folder was given at ingest (`NNNNNN`), before any merge."""
        return int(self.path.rsplit("/", 1)[-1].partition("-")[0])

    @property
    def uid(self) -> str:
        """The folder's uid: names this version on every machine (`ID@uid`), for ever."""
        return self.path.rsplit("/", 1)[-1].partition("-")[2]

    def to_dict(self) -> dict:
        return {
            "document": self.document,
            "version": self.number,  # the public number (store/numbering.py); meta.json keeps the one given at ingest
            "uid": self.uid,
            "path": self.path,
            "commit": self.commit,
            "content_sha256": self.content_sha256,
            "text_sha256": self.text_sha256,
            "bytes": self.bytes,
            "text_chars": self.text_chars,
            "media_type": self.media_type,
            "encoding": self.encoding,
            "source": self.source,
            "captured_at": self.captured_at,
            "ingested_at": self.ingested_at,
            "ingested_by": self.ingested_by,
            "tool": self.tool,
            "extractor": self.extractor,
            "note": self.note,
            "meta": dict(self.meta),
            "repeats": self.repeats,
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "snapshot": self.snapshot,
            "seen": list(self.seen),
            "extraction": dict(self.extraction),
            "capture": dict(self.capture),
            "merged_uids": list(self.merged_uids),
        }


@dataclass(frozen=True)
class Extraction:
    """One extraction of a version's raw bytes.  Extraction 1 is the text
    stored at ingest (text.txt); later ones come from `Store.reextract`, a
    newer or different extractor run on the same stored bytes.  They are
    extractions of the same capture, never new versions."""

    number: int
    path: str  # the text's path in the tree (".../text.txt", ".../extractions/2/text.txt")
    text_sha256: str
    text_chars: int
    extractor: str
    extracted_at: str  # for extraction 1, the ingest time
    extracted_by: str
    extraction: dict = field(default_factory=dict)  # settings, properties, pages
    note: str | None = None

    def to_dict(self) -> dict:
        return {"extraction": self.number, "path": self.path, "text_sha256": self.text_sha256,
                "text_chars": self.text_chars, "extractor": self.extractor, "extracted_at": self.extracted_at,
                "extracted_by": self.extracted_by, **self.extraction, "note": self.note}


@dataclass(frozen=True)
class IngestResult:
    version: Version
    status: str  # "new" | "repeat" | "seen-again"


@dataclass(frozen=True)
class DocumentSummary:
    document: str
    versions: int
    last_captured_at: str  # latest capture: of the latest version or a later "seen again"
    last_version: int

    def to_dict(self) -> dict:
        return {
            "document": self.document,
            "versions": self.versions,
            "last_captured_at": self.last_captured_at,
            "last_version": self.last_version,
        }


@dataclass
class VerifyReport:
    versions_checked: int = 0
    commits_checked: int = 0
    fsck_ok: bool = True
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # caches found stale and rebuilt: not evidence, not problems

    @property
    def ok(self) -> bool:
        return self.fsck_ok and not self.problems

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "versions_checked": self.versions_checked,
            "commits_checked": self.commits_checked,
            "fsck_ok": self.fsck_ok,
            "problems": list(self.problems),
            "notes": list(self.notes),
        }
