"""From received bytes to text: the one entry point, `extract`.

Owns the choice of extractor for a document's format (sniffed from its
content unless the user says) and the import of each extractor only when
its format is met.  It never stores anything and never changes the raw
bytes: the store keeps them unchanged beside the text returned here.
"""

from __future__ import annotations

import os

from .result import EXTRACTOR, EXTRACTOR_VERSION, Extracted
from .sniff import FORMATS, sniff
from .text import decode

__all__ = ["EXTRACTOR", "EXTRACTOR_VERSION", "Extracted", "FORMATS", "decode", "extract", "sniff"]


def extract(data: bytes, name: str = "input", format: str | None = None, whole_page: bool = False,
            encoding: str | None = None, headers: dict | None = None) -> Extracted:
    """Text of `data` with how it was obtained.

    `format` ("pdf", "html", "docx", "text") overrides sniffing; `whole_page`
    keeps all visible text of an HTML page instead of its main content;
    `encoding` forces a text encoding; `headers` are HTTP response headers
    (their charset counts for HTML and text).  Bad input raises
    ProvenanceError with a one-line message naming `name`."""
    from ..errors import ProvenanceError

    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if format is not None and format not in FORMATS:
        raise ProvenanceError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
    kind = format or sniff(data, name, headers.get("content-type"))
    if not data:  # an empty text file stays what it was: an empty version
        named = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}.get(os.path.splitext(name)[1].lower())
        if kind != "text" or named:
            raise ProvenanceError(f"{name}: is empty (0 bytes), not a {(named or kind).upper()} file")
    if kind == "pdf":
        from .pdf import extract_pdf

        return extract_pdf(data, name)
    if kind == "docx":
        from .docx import extract_docx

        return extract_docx(data, name)
    if kind == "html":
        from .html import extract_html

        return extract_html(data, name, whole_page=whole_page, encoding=encoding,
                            content_type=headers.get("content-type"))
    return decode(data, name=name, encoding=encoding or _charset(headers.get("content-type")))


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    from .html import charset_of  # (only then: text input need not load the HTML extractor)

    return charset_of(content_type)
