"""One text published three ways: as a PDF, as a web page, as a Word file.

The cross-format tests, the quality benchmark's cross-format cases and the
shipped samples (docs/samples/build.py) all need the same article as real
files in each format, with what each format really adds around the words:

- PDF (reportlab): justified lines, words hyphenated at line ends, a running
  header with the title on every page but the first, a page number footer
  ("Page 3 of 12" or a bare "3"), optionally the ligature glyphs "fi"/"fl".
- HTML: a page with navigation, a cookie banner, a sidebar, a footer, scripts
  and styles, a hidden element; the article in <article> with its title as
  <h1>, and title, canonical URL, language and date in the markup.
- DOCX (python-docx): a title heading and one paragraph per paragraph.

A document is a list of paragraphs, each a list of words (as `str.split`
gives them), the same model as transforms.py.  All randomness comes from the
`random.Random` passed in.
"""

from __future__ import annotations

import html
import io
import os
import random

Paragraphs = list[list[str]]

PAGE_W, PAGE_H = 595.27, 841.89  # A4 in points
MARGIN = 72
_FONT = "ProvenanceVera"


def _font() -> str:
    """Bitstream Vera, shipped inside reportlab: it has curly quotes, dashes
    and the fi/fl ligature glyphs the standard PDF fonts lack."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    import reportlab

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        path = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
        pdfmetrics.registerFont(TTFont(_FONT, path))
    return _FONT


def _hyphen_point(word: str) -> int | None:
    """Where a long plain word may break ("govern" + "ment"): after a vowel
    followed by a consonant, at least 3 letters in from either end."""
    if len(word) < 8 or not word.isalpha():
        return None
    vowels = "aeiouy"
    for k in range(len(word) // 2, 2, -1):
        if word[k - 1].lower() in vowels and word[k].lower() not in vowels and len(word) - k >= 3:
            return k
    return None


def _ligatures(word: str) -> str:
    # Vera has the fi and fl glyphs (not ffi, ffl: reportlab would drop those).
    return word.replace("fi", "\ufb01").replace("fl", "\ufb02")


def layout_lines(paragraphs: Paragraphs, width: float, size: float, rng: random.Random,
                 hyphenate: bool = True) -> list[list[tuple[list[str], bool]]]:
    """Paragraphs as lines of words that fit `width` (points): per paragraph,
    a list of (words, is_last_line).  A word that does not fit may be split
    with a hyphen at the line end."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = _font()
    space = stringWidth(" ", font, size)
    out = []
    for words in paragraphs:
        lines: list[tuple[list[str], bool]] = []
        line: list[str] = []
        used = 0.0
        queue = list(words)
        while queue:
            word = queue.pop(0)
            w = stringWidth(word, font, size)
            if not line or used + space + w <= width:
                used += (space if line else 0) + w
                line.append(word)
                continue
            k = _hyphen_point(word) if hyphenate and rng.random() < 0.7 else None
            if k is not None:
                head = word[:k] + "-"
                hw = stringWidth(head, font, size)
                if used + space + hw <= width:
                    line.append(head)
                    queue.insert(0, word[k:])
                    lines.append((line, False))
                    line, used = [], 0.0
                    continue
            lines.append((line, False))
            line, used = [word], w
        if line:
            lines.append((line, True))
        out.append(lines)
    return out


def to_pdf(paragraphs: Paragraphs, rng: random.Random, title: str = "", *, size: float = 10.5,
           header: bool = True, footer: str = "page-of", ligatures: bool = False, headline: bool = True,
           running_head: str | None = None) -> bytes:
    """The paragraphs typeset as a justified A4 PDF (see the module docstring).
    `footer`: "page-of" ("Page 3 of 12"), "number" ("3") or "none"; the
    headline (the title, wrapped) opens page 1, the running head (default:
    the title) tops the others."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    font = _font()
    width = PAGE_W - 2 * MARGIN
    leading = size * 1.35
    laid = layout_lines(paragraphs, width, size, rng)
    big = size * 1.6
    head_lines = [w for w, _ in layout_lines([title.split()], width, big, rng, hyphenate=False)[0]] \
        if headline and title else []
    running_head = title if running_head is None else running_head
    # Pages as lists of (y, words, justified) before drawing: the footer needs the page count.
    pages: list[list[tuple[float, list[str], bool, float]]] = [[]]
    y = PAGE_H - MARGIN
    for line in head_lines:
        pages[0].append((y, line, False, big))
        y -= big * 1.3
    y -= size if head_lines else 0
    for lines in laid:
        for words, last in lines:
            if y < MARGIN + leading:
                pages.append([])
                y = PAGE_H - MARGIN
            pages[-1].append((y, words, not last, size))
            y -= leading
        y -= leading * 0.6  # paragraph space
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(PAGE_W, PAGE_H), invariant=1)
    c.setTitle(title or "untitled")
    c.setAuthor("provenance test corpus")
    n = len(pages)
    for number, page in enumerate(pages, 1):
        if header and running_head and not (number == 1 and head_lines):
            c.setFont(font, size * 0.8)
            c.drawString(MARGIN, PAGE_H - MARGIN * 0.6, running_head)
        for y, words, justify, sz in page:
            shown = [_ligatures(w) if ligatures else w for w in words]
            t = c.beginText(MARGIN, y)
            t.setFont(font, sz)
            if justify and len(shown) > 1:
                natural = stringWidth(" ".join(shown), font, sz)
                t.setWordSpace((width - natural) / (len(shown) - 1))
            t.textLine(" ".join(shown))
            c.drawText(t)
        if footer != "none":
            label = f"Page {number} of {n}" if footer == "page-of" else str(number)
            c.setFont(font, size * 0.8)
            c.drawCentredString(PAGE_W / 2, MARGIN * 0.5, label)
        c.showPage()
    c.save()
    return buf.getvalue()


_NAV = ["Home", "World", "Politics", "Business", "Opinion", "Sign in"]


def to_html(paragraphs: Paragraphs, rng: random.Random, title: str = "", *, url: str = "https://news.example/article",
            published: str = "2019-02-04", charset: str = "utf-8", headline: bool = True) -> bytes:
    """The paragraphs as a news page (see the module docstring), encoded in `charset`."""
    esc = html.escape
    nav = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in _NAV)
    related = "".join(f"<li><a href='/r{k}'>Related story number {k}</a></li>" for k in range(rng.randint(2, 5)))
    body = "\n".join(f"      <p>{esc(' '.join(words))}</p>" for words in paragraphs)
    h1 = f"      <h1>{esc(title)}</h1>\n" if headline and title else ""
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="{charset}">
  <title>{esc(title)} | News Example</title>
  <link rel="canonical" href="{esc(url)}">
  <meta property="article:published_time" content="{published}">
  <style>body {{ font-family: serif; }} .promo {{ display: none; }}</style>
  <script>window.dataLayer = window.dataLayer || []; function track() {{ return "analytics"; }}</script>
</head>
<body>
  <div id="cookie-consent" class="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
  <header class="site-header"><a href="/">News Example</a><nav><ul>{nav}</ul></nav></header>
  <main>
    <article>
{h1}{body}
      <div class="promo" style="display:none">Subscribe now for one dollar a week</div>
    </article>
    <aside><h2>Most read</h2><ul>{related}</ul></aside>
  </main>
  <footer><p>&copy; 2019 News Example. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
  <script src="/static/app.js"></script>
</body>
</html>
"""
    return page.encode(charset, "xmlcharrefreplace")


def to_docx(paragraphs: Paragraphs, title: str = "") -> bytes:
    """The paragraphs as a Word file: a title heading, then one paragraph each."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    if title:
        document.add_heading(title, level=1)
    for words in paragraphs:
        document.add_paragraph(" ".join(words))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
