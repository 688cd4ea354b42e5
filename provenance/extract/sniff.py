"""Recognising a document's format from its bytes.

Owns format detection: magic numbers, the parts list of a ZIP, markup at the
start of a text, then the file name's extension as a last hint.  It never
extracts text and never trusts the extension over the content.
"""

from __future__ import annotations

import os

from ..errors import ProvenanceError

FORMATS = ("pdf", "html", "docx", "text")

# Tags that only start an HTML document (after a BOM, blanks and comments),
# following the WHATWG sniffing rules' list of tags that mark HTML.
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta", b"<script",
                b"<style", b"<div", b"<p>", b"<p ", b"<h1", b"<table", b"<iframe", b"<a ", b"<br", b"<font")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)


def _markup_head(data: bytes) -> bytes:
    head = data[:2048]
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom):]
    head = head.lstrip().lower()
    while head.startswith(b"<!--"):  # comments may come before the doctype
        end = head.find(b"-->")
        if end < 0:
            break
        head = head[end + 3:].lstrip()
    if head.startswith(b"<?xml"):
        end = head.find(b"?>")
        head = head[end + 2:].lstrip() if end >= 0 else head
    return head


def sniff(data: bytes, name: str = "input", content_type: str | None = None) -> str:
    """"pdf", "html", "docx" or "text" for these bytes.

    A ZIP that is not a word-processing document, and formats known but not
    read (ODT, legacy .doc), are ProvenanceErrors here, before anything else
    reads them.  `content_type` (an HTTP header) counts only for text."""
    if data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ProvenanceError(f"{name}: a legacy MS Office file (.doc/.xls); save it as DOCX or PDF first")
    if _markup_head(data).startswith(_HTML_STARTS):
        return "html"
    base = (content_type or "").split(";", 1)[0].strip().lower()
    if base in _HTML_TYPES:
        return "html"
    if os.path.splitext(name)[1].lower() in (".html", ".htm", ".xhtml") and b"<" in data[:4096]:
        return "html"
    return "text"


def _zip_kind(data: bytes, name: str) -> str:
    import io
    import zipfile  # (with bz2 and lzma: 5 ms that text and PDF input need not pay)

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ProvenanceError(f"{name}: a damaged or truncated ZIP archive ({exc})") from None
    if "word/document.xml" in names:
        return "docx"
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise ProvenanceError(f"{name}: an OpenDocument file ({mimetype.decode('ascii', 'replace')}); "
                              f"ODT is not read yet: save it as DOCX or PDF first")
    raise ProvenanceError(f"{name}: a ZIP archive that is not a DOCX document (no word/document.xml inside)")
