"""What an extractor hands the store: the text and how it was obtained.

Owns the `Extracted` record only.  It never reads bytes or runs an
extractor; every field is something the store records so the text can be
traced back to its raw bytes and redone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXTRACTOR = "provenance-decode"
EXTRACTOR_VERSION = "1"


@dataclass(frozen=True)
class Extracted:
    """Text read from raw bytes, with how it was read."""

    text: str
    encoding: str  # e.g. "utf-8", "windows-1252"; "binary" for PDF and DOCX
    media_type: str  # e.g. "text/plain; charset=utf-8", "application/pdf"
    extractor: str = EXTRACTOR
    extractor_version: str = EXTRACTOR_VERSION
    # The options the extractor ran with (what `reextract` must repeat or change).
    settings: dict = field(default_factory=dict)
    # What the document or its capture states about itself: title, canonical
    # URL, language, published date, page count, HTTP evidence.
    properties: dict = field(default_factory=dict)
    pages: int | None = None  # paged formats: the text holds pages - 1 form feeds
