"""Plain text: decoding received bytes (today's `decode`).

Owns the choice of a text encoding (BOM, strict UTF-8, a detector, or what the
user forces) and the shared `_detect` other formats fall back on.  It never
parses markup or binary formats (see sniff, html, pdf, docx) and never
changes the characters it decodes.
"""

from __future__ import annotations

import codecs

from ..errors import ProvenanceError
from .result import Extracted

EXTRACTOR = "provenance-decode"
EXTRACTOR_VERSION = "1"

# Byte-order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of common binary formats, for a precise error message.
_BINARY_SIGNATURES = (
    (b"%PDF-", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or DOCX/ODT/EPUB)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\xd0\xcf\x11\xe0", "an MS Office document"),
    (b"\x7fELF", "an executable"),
)


def _media_type(text: str, encoding: str) -> str:
    head = text[:512].lstrip().lower()
    kind = "text/html" if head.startswith(("<!doctype html", "<html")) else "text/plain"
    return f"{kind}; charset={encoding}"


def decode(data: bytes, name: str = "input", encoding: str | None = None) -> Extracted:
    """Decode bytes as text: BOM first, then strict UTF-8, then a detector.

    `encoding` forces a codec (the user knows best).  Raises ProvenanceError
    for bytes that are not text (binary formats, NUL bytes without a UTF-16/32
    mark, or nothing a detector can read).
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ProvenanceError(f"unknown encoding: {encoding}") from None
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise ProvenanceError(f"{name}: not valid {codec} ({exc.reason} at byte {exc.start})") from None
        if codec == "utf-8" and text.startswith("\ufeff"):
            text, codec = text[1:], "utf-8-sig"
        return Extracted(text, codec, _media_type(text, codec))
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = str(memoryview(data)[len(bom):], encoding)  # (a view: no copy of the bytes)
            except UnicodeDecodeError as exc:
                raise ProvenanceError(f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding} ({exc.reason} at byte {exc.start + len(bom)})") from None
            label = "utf-8-sig" if encoding == "utf-8" else encoding
            return Extracted(text, label, _media_type(text, label))
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ProvenanceError(f"{name}: looks like {what}, not text (give --format pdf|html|docx if it is one of those)")
    # Looked for in the bytes (memchr; a scan of the decoded text took 2 ms
    # at 4 MB): in UTF-8 a NUL byte is always a NUL character.
    nul = b"\x00" in data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if nul:
            raise ProvenanceError(f"{name}: contains NUL bytes; it is binary data, not text")
        return Extracted(text, "utf-8", _media_type(text, "utf-8"))
    if nul:
        raise ProvenanceError(f"{name}: contains NUL bytes and no UTF-16/32 byte-order mark; it is binary data, not text")
    encoding = _detect(data)
    if encoding is None:
        raise ProvenanceError(f"{name}: cannot be decoded as text in any known encoding (give --encoding if you know it)")
    text = data.decode(encoding)
    return Extracted(text, encoding, _media_type(text, encoding))


# Legacy Mac and Baltic code pages score well on short Western texts and
# mislead more often than they help; a user with such a file passes --encoding.
_EXCLUDED = ["mac_latin2", "mac_cyrillic", "mac_greek", "mac_iceland", "mac_roman", "mac_turkish", "cp775", "iso8859_10", "cp1257"]
# Among candidates the detector scores equally, the most widespread wins.
_PREFERRED = ["cp1252", "iso8859_1", "iso8859_15", "cp1251", "koi8_r", "cp1250", "iso8859_2", "cp932", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr", "cp949"]


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes  # only for non-UTF-8 input

    matches = list(from_bytes(data, cp_exclusion=_EXCLUDED))
    if not matches:
        return None
    best = min((m.chaos, -m.coherence) for m in matches)
    tied = [m.encoding for m in matches if (m.chaos, -m.coherence) == best]
    tied.sort(key=lambda e: _PREFERRED.index(e) if e in _PREFERRED else len(_PREFERRED))
    return codecs.lookup(tied[0]).name
