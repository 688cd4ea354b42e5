"""DOCX: paragraphs, headings, lists and tables of the body in document order.

Owns reading word-processing documents with python-docx.  The text is the
document as it reads with every tracked change accepted (insertions kept,
deletions left out); comments, headers, footers, footnotes and the
alternative renderings of drawings are left out of the text, and the number
of tracked insertions, deletions and comments is recorded as properties so
a reader knows the file held them.  It never changes the file and never
renders numbering (list items are lines of their own, without markers).
"""

from __future__ import annotations

import io

from ..errors import ProvenanceError
from .result import Extracted

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTRACTOR_VERSION = "1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def extract_docx(data: bytes, name: str = "input") -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise ProvenanceError(f"{name}: not a readable DOCX document ({exc})") from None
    except Exception as exc:  # lxml and zipfile errors from a damaged part
        raise ProvenanceError(f"{name}: a damaged DOCX document ({type(exc).__name__}: {exc})") from None
    blocks: list[tuple[str, str]] = []

    def walk(container) -> None:
        for item in container.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = []
                    for cell in _unique(row.cells):
                        inner: list[tuple[str, str]] = []
                        blocks_before = len(blocks)
                        walk(cell)
                        inner = blocks[blocks_before:]
                        del blocks[blocks_before:]
                        cells.append(" ".join(" ".join(t.split()) for _, t in inner))
                    blocks.append(("row", "\t".join(cells).rstrip()))
            else:
                text = _paragraph_text(item._p)
                if text.strip():
                    style = (item.style.name if item.style is not None else "") or ""
                    listed = item._p.find(f"{_W}pPr/{_W}numPr") is not None or style.startswith("List")
                    kind = "item" if listed else "para"
                    blocks.append((kind, text))

    walk(document)
    body = document.element.body
    counts = {
        "tracked_insertions": sum(1 for _ in body.iter(f"{_W}ins")),
        "tracked_deletions": sum(1 for _ in body.iter(f"{_W}del")),
        "comments": sum(1 for _ in body.iter(f"{_W}commentReference")),
    }
    out = []
    for i, (kind, text) in enumerate(blocks):
        if i:
            out.append("\n" if kind in ("item", "row") and blocks[i - 1][0] == kind else "\n\n")
        out.append(text)
    core = document.core_properties
    properties = {k: v for k, v in counts.items() if v}
    for key in ("title", "author"):
        if getattr(core, key):
            properties[key] = getattr(core, key)
    for key in ("created", "modified"):
        if getattr(core, key):
            properties[key] = getattr(core, key).isoformat()
    return Extracted(
        text="".join(out) + ("\n" if out else ""),
        encoding="binary",
        media_type=MEDIA_TYPE,
        extractor="provenance-docx",
        extractor_version=f"{EXTRACTOR_VERSION} (python-docx {docx.__version__})",
        settings={"tracked_changes": "accepted", "comments": "excluded", "headers_footers": "excluded",
                  "footnotes": "excluded", "list_markers": "none"},
        properties=properties,
    )


def _unique(cells):
    # A merged cell is returned once per grid column it spans.
    seen = set()
    for cell in cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            yield cell


def _paragraph_text(p) -> str:
    """The paragraph as it reads with tracked changes accepted: w:t inside
    w:ins counts, w:delText (inside w:del) does not; tabs and breaks kept."""
    parts = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}noBreakHyphen"):
        if any(a.tag == _MC_FALLBACK for a in el.iterancestors()):
            continue
        if el.tag == f"{_W}t":
            parts.append(el.text or "")
        elif el.tag == f"{_W}tab":
            parts.append("\t")
        elif el.tag == f"{_W}noBreakHyphen":
            parts.append("\u2011")
        else:
            parts.append("\n")
    return "".join(parts)
