"""PDF: the text of each page, each page ending with a form feed.

Owns reading PDFs with pypdfium2 (PDFium's text layer, page by page).  The
contract with the comparison: every page ends with "\\f", as pdftotext writes
it (so a one-page PDF is paged too), and page N is the text after the
(N-1)-th "\\f";
running headers, footers and page numbers stay in the text, and so do
ligatures, soft hyphens and words broken at line ends.  Only PDFium's
line-break hyphen hint becomes a plain "-" and a line break so the text reads as
printed.  It never runs OCR and never returns an empty text for a scan.
"""

from __future__ import annotations

import os
import re

from ..errors import ProvenanceError
from .result import Extracted

MEDIA_TYPE = "application/pdf"


def extract_pdf(data: "bytes | os.PathLike", name: str = "input") -> Extracted:
    """The text of a PDF: its bytes, or its file (a path: PDFium reads what
    it needs from the file, so a large PDF is never whole in memory)."""
    import pypdfium2 as pdfium
    import pypdfium2.version as pdfium_version

    # PDFium rebuilds a damaged cross-reference table without a word, so a
    # file cut short would give a silently shorter text: the end-of-file
    # marker must be where readers look for it (the last 1 KB).
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = os.fspath(data)
        with open(data, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 1024))
            tail = f.read()
    else:
        tail = data[-1024:]
    if b"%%EOF" not in tail:
        raise ProvenanceError(f"{name}: a truncated or damaged PDF (no %%EOF marker at its end)")
    try:
        pdf = pdfium.PdfDocument(data)  # an empty user password is tried by PDFium itself
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ProvenanceError(f"{name}: an encrypted PDF that needs a password; "
                                  f"decrypt it first (e.g. qpdf --decrypt --password=... in out.pdf)") from None
        raise ProvenanceError(f"{name}: not a readable PDF ({exc})") from None
    try:
        pages = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            pages.append(_clean(textpage.get_text_range()))
            textpage.close()
            page.close()
        info = {k.lower(): v for k, v in pdf.get_metadata_dict(skip_empty=True).items()}
    finally:
        pdf.close()
    if not pages:
        raise ProvenanceError(f"{name}: a PDF with no pages")
    if not any(p.strip() for p in pages):
        raise ProvenanceError(f"{name}: no extractable text in {len(pages)} page(s), probably a scan; "
                              f"run OCR first (e.g. ocrmypdf) and ingest its output")
    properties = {}
    for key in ("title", "author", "creationdate", "moddate", "producer"):
        if info.get(key):
            properties[key] = str(info[key])
    return Extracted(
        text="".join(page + "\f" for page in pages),
        encoding="binary",
        media_type=MEDIA_TYPE,
        extractor="pypdfium2",
        extractor_version=f"{pdfium_version.PYPDFIUM_INFO} (pdfium {pdfium_version.PDFIUM_INFO.build})",
        settings={"page_end": "\f", "hyphen_hint": "-", "text": "FPDFText_GetText, whole page"},
        properties=properties,
        pages=len(pages),
    )


# PDFium marks a hyphen it found at a line end with U+FFFE (\x02 in its
# bounded text) and drops that line's break: "man\ufffeagement".
_HYPHEN_HINT = re.compile("[\x02\ufffe](?:\r\n|\r|\n)?")


def _clean(text: str) -> str:
    # CRLF line ends as LF; a form feed inside a page would break the page contract.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _HYPHEN_HINT.sub("-\n", text)
