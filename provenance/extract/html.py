"""HTML: a page's main content (or all its visible text) in reading order.

Owns decoding an HTML page (BOM, then the HTTP header's charset, then the
page's <meta charset>, then strict UTF-8, then a detector), parsing it with
selectolax's lexbor engine (a browser-grade HTML5 parser) into blocks
(paragraphs, headings, list items, table rows) in document order, without
script, style, hidden elements, navigation, banners, cookie notices and
footers, and reading title, canonical URL, language and published date from
the markup.  Which blocks are main content is trafilatura's judgement (a
block stays when trafilatura's main text holds 80% of its words; a heading
stays with the block after it, a line of up to 4 words with the blocks
around it); the page's own landmarks (<main>,
role=main, <article>) decide only when trafilatura finds nothing.
`whole_page` keeps every visible block.  It never fetches anything a page
refers to.

Why both: measured on 80 pages of trafilatura's evaluation set (see
benchmarks/README.md), trafilatura alone keeps hidden elements and drops
some headings (35 of 42); the walk alone lets boilerplate inside <main> and
<article> through (104 of 239 "without" snippets); together 94.5% of the
wanted snippets, 5.0% of the unwanted, 38 of 42 headings.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter

from ..errors import ProvenanceError
from .result import Extracted

EXTRACTOR_VERSION = "1"

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
# What HTML's encoding standard reads these labels as (browsers do the same).
_WHATWG = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
           "us-ascii": "cp1252", "iso8859-1": "cp1252", "x-sjis": "shift_jis", "gb2312": "gbk"}

# Never text: code, styles, embedded documents, form controls' internals.
_NEVER = {"script", "style", "template", "noscript", "head", "iframe", "object", "embed", "svg", "math",
          "canvas", "select", "option", "textarea", "button", "input", "audio", "video", "map", "dialog"}
# Page furniture outside the main content (kept with --whole-page).
_FURNITURE = {"nav", "header", "footer", "aside", "form"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
_NOTICE = re.compile(r"cookie|consent|gdpr|newsletter-signup|skip-link", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "h1", "h2", "h3",
           "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr",
           "blockquote", "pre", "figure", "figcaption", "address", "hr", "form", "fieldset", "legend",
           "caption", "details", "summary", "body", "html", "center"}
_LINES = {"li", "dt", "dd", "tr"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}  # one line each, no blank line between them


def charset_of(content_type: str | None) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def decode_html(data: bytes, name: str, encoding: str | None = None,
                content_type: str | None = None) -> tuple[str, str, str]:
    """(text, codec, where the codec came from) for an HTML page's bytes."""
    from .text import _BOMS, _detect

    for bom, codec in _BOMS:
        if data.startswith(bom) and not encoding:
            return _strict(data[len(bom):], codec, name, "byte-order mark"), codec, "byte-order mark"
    declared = [(encoding, "--encoding"), (charset_of(content_type), "the HTTP Content-Type header")]
    m = _META_CHARSET.search(data[:4096])
    declared.append((m.group(1).decode("ascii") if m else None, "the page's <meta charset>"))
    for label, where in declared:
        if label:
            codec = _codec(label, name, where)
            return _strict(data, codec, name, where), codec, where
    try:
        return data.decode("utf-8"), "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        codec = _detect(data)
        if codec is None:
            raise ProvenanceError(f"{name}: cannot tell this page's encoding (give --encoding)") from None
        return data.decode(codec), codec, "detected"


def _codec(label: str, name: str, where: str) -> str:
    label = label.strip().lower()
    try:
        return codecs.lookup(_WHATWG.get(label, label)).name
    except LookupError:
        raise ProvenanceError(f"{name}: unknown charset {label!r} in {where} (give --encoding)") from None


def _strict(data: bytes, codec: str, name: str, where: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ProvenanceError(f"{name}: {where} says {codec}, but byte 0x{data[exc.start]:02x} at offset "
                              f"{exc.start} is not valid {codec}; the page declares the wrong charset "
                              f"(give --encoding)") from None


def extract_html(data: bytes, name: str = "input", whole_page: bool = False, encoding: str | None = None,
                 content_type: str | None = None) -> Extracted:
    from selectolax import __version__ as selectolax_version
    from selectolax.lexbor import LexborHTMLParser

    source, codec, where = decode_html(data, name, encoding, content_type)
    tree = LexborHTMLParser(source)
    properties = _properties(tree)
    body = tree.body or tree.root
    blocks: list[tuple[str, str]] = []
    if body is not None:
        _walk(body, blocks, [], drop_furniture=not whole_page, pre=False)
    settings = {"whole_page": whole_page, "charset_from": where}
    version = f"{EXTRACTOR_VERSION} (selectolax {selectolax_version} lexbor"
    if not whole_page:
        import trafilatura

        version += f", trafilatura {trafilatura.__version__}"
        kept, settings["main_content"] = _main_content(blocks, source)
        if kept == [] and body is not None:  # its text is in what the walk left out as furniture
            everything: list[tuple[str, str]] = []
            _walk(body, everything, [], drop_furniture=False, pre=False)
            kept, settings["main_content"] = _main_content(everything, source)
        if not kept:  # trafilatura found nothing: the page's own landmarks decide
            root, scope = _main(tree, body)
            kept = []
            if root is not None:
                _walk(root, kept, [], drop_furniture=True, pre=False)
            settings["main_content"] = f"{scope} (trafilatura found no main text)"
        blocks = kept
    return Extracted(
        text=_join(blocks),
        encoding=codec,
        media_type=f"text/html; charset={codec}",
        extractor="provenance-html",
        extractor_version=version + ")",
        settings=settings,
        properties=properties,
    )


# A block stays when trafilatura's main text holds this share of its words.
_KEEP_SHARE = 0.8
_SHORT_WORDS = 4


def _main_content(blocks: list[tuple[str, str]], source: str) -> tuple[list[tuple[str, str]] | None, str]:
    """The blocks trafilatura counts as main content, in the page's order and
    structure.  trafilatura (favor_recall) judges what is boilerplate (tag
    lists, teasers, share boxes inside <main> or <article>); the blocks, their
    headings, lists and tables and what is hidden come from the walk above,
    because trafilatura's own text keeps hidden elements and drops many
    headings.  A heading stays when the block after it does.  None when
    trafilatura finds no main text."""
    import trafilatura

    found = trafilatura.extract(source, output_format="txt", favor_recall=True, include_tables=True,
                                include_comments=False, include_images=False, deduplicate=False)
    if not found or not found.strip():
        return None, ""
    pool = Counter(found.split())
    keep = []
    for tag, text in blocks:
        words = text.split()
        taken = Counter(words) & pool
        keep.append(sum(taken.values()) >= _KEEP_SHARE * len(words))
        if keep[-1]:
            pool -= taken
    for i in range(1, len(blocks) - 1):  # a short line between two kept blocks is theirs (a glossary's terms)
        if not keep[i] and keep[i - 1] and keep[i + 1] and len(blocks[i][1].split()) <= _SHORT_WORDS:
            keep[i] = True
    for i in range(len(blocks) - 2, -1, -1):  # a heading stays when the block after it does
        if blocks[i][0] in _HEADINGS and not keep[i] and keep[i + 1]:
            keep[i] = True
    return [b for b, k in zip(blocks, keep) if k], "trafilatura (favor_recall) chose the blocks"


def _main(tree, body):
    """The page's main-content element and how it was found."""
    for selector in ("main", "[role=main]"):
        node = tree.css_first(selector)
        if node is not None and not _hidden(node):
            return node, f"<{selector}>" if selector == "main" else "role=main"
    articles = [a for a in tree.css("article") if not _hidden(a)]
    if len(articles) == 1:
        return articles[0], "<article>"
    return body, "body without navigation, header, footer and asides"


def _hidden(node) -> bool:
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _furniture(node) -> bool:
    attrs = node.attributes
    if node.tag in _FURNITURE or attrs.get("role") in _FURNITURE_ROLES:
        return True
    marks = f"{attrs.get('id') or ''} {attrs.get('class') or ''}"
    return bool(marks.strip() and _NOTICE.search(marks))


def _walk(node, blocks, line, drop_furniture, pre):
    """Append (tag, text) blocks in document order; `line` collects inline text."""
    child = node.child
    while child is not None:
        tag = child.tag
        if tag == "-text":
            t = child.text_content
            line.append(t if pre else re.sub(r"\s+", " ", t))
        elif tag == "br":
            line.append("\n")
        elif tag in _NEVER or tag.startswith("-") or _hidden(child) or (drop_furniture and _furniture(child)):
            pass
        elif tag in _BLOCKS:
            _flush(blocks, line, node.tag)  # inline text before the block is a block of its own
            if tag == "tr":
                cells = []
                for cell in child.iter():
                    if cell.tag in ("td", "th") and not _hidden(cell):
                        inner: list[tuple[str, str]] = []
                        cell_line: list[str] = []
                        _walk(cell, inner, cell_line, drop_furniture, pre)
                        _flush(inner, cell_line, "td")
                        cells.append(" ".join(" ".join(t.split()) for _, t in inner))
                blocks.append(("tr", "\t".join(cells).rstrip()))
            else:
                inner_line: list[str] = []
                _walk(child, blocks, inner_line, drop_furniture, pre or tag == "pre")
                _flush(blocks, inner_line, tag, pre or tag == "pre")
        else:
            _walk(child, blocks, line, drop_furniture, pre)
        child = child.next


def _flush(blocks, line, tag, pre=False):
    if line:
        text = "".join(line)
        if pre:  # preformatted text keeps its spaces and lines
            text = text.strip("\n").rstrip()
        else:
            text = "\n".join(" ".join(part.split()) for part in text.split("\n")).strip("\n ")
        if text:
            blocks.append((tag, text))
        line.clear()


def _join(blocks) -> str:
    out = []
    for i, (tag, text) in enumerate(blocks):
        if i:
            out.append("\n" if tag in _LINES and blocks[i - 1][0] == tag else "\n\n")
        out.append(text)
    return "".join(out) + ("\n" if out else "")


def _properties(tree) -> dict:
    def meta(*keys):
        for key in keys:
            for attr in ("property", "name", "itemprop"):
                node = tree.css_first(f'meta[{attr}="{key}"]')
                if node is not None and (node.attributes.get("content") or "").strip():
                    return node.attributes["content"].strip()
        return None

    props = {}
    title = tree.css_first("title")
    props["title"] = meta("og:title") or (" ".join(title.text().split()) if title is not None else None)
    canonical = tree.css_first('link[rel="canonical"]')
    props["canonical_url"] = canonical.attributes.get("href") if canonical is not None else meta("og:url")
    html = tree.css_first("html")
    props["lang"] = html.attributes.get("lang") if html is not None else None
    published = meta("article:published_time", "datePublished", "date", "dc.date", "DC.date.issued")
    if published is None:
        node = tree.css_first("article time[datetime]") or tree.css_first("time[pubdate]")
        published = node.attributes.get("datetime") if node is not None else None
    props["published"] = published
    return {k: v for k, v in props.items() if v}
