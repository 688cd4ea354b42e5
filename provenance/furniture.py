"""Page furniture of paged text: running headers, footers, page numbers.

Owns: finding, in a text whose pages are separated by form feeds ("\\f", as
pdftotext and the PDF extractor write them; page N is the text after the
(N-1)-th "\\f"; a final "\\f" ends the last page), the character spans that are page furniture rather than
content, and the page number of any offset.  The comparison gives those spans
no comparison key (they are formatting); the stored text keeps them.

Must never: change or drop text (it only reports spans), or call a line
furniture on a page structure it cannot see (a text without "\\f" has none).

How a line is recognised: the first and last two non-blank lines of each page
are its edge lines.  An edge line that is a bare page number (`3`, `- 3 -`,
`Page 3 of 12`, lower-case roman `iv`) is furniture; a bare arabic number
only when it counts with the pages (its value less the page's place is the
offset most such lines share).  Any other edge line, with its digit
runs folded to one mark and its case and spacing folded (so `Chapter 2: Data
3` and `Chapter 5: Models 41` stay different but `Report 2019 - page 3` and
`... page 4` agree), is furniture when the same folded line is on the same edge
of at least half of the pages, or of half of the odd or the even pages
(running heads that alternate), and of at least two pages.  `Chapter N: ...`
header lines, whose titles change with the chapter, are furniture at a page's
top when most pages start with such a line.  On the first page a top line
that repeats the running head is kept as content: there it is the title
(a headline set in large type that later pages repeat as their header).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from itertools import accumulate

FORM_FEED = "\f"
_EDGE_LINES = 2
# Roman page numbers only in lower case (front matter: "iv"): a bare "V" or
# "C" on a page's edge is more often a glossary's letter heading.
_PAGE_NUMBER_RE = re.compile(
    r"[-\u2013\u2014\s]*(?:(?:[Pp][Aa][Gg][Ee]\s+|[Pp]\.\s*)?\d+|(?:[Pp]age\s+)?[ivxlcdm]+)"
    r"(?:\s*(?:[Oo][Ff]|/)\s*\d+)?[-\u2013\u2014\s]*")
_CHAPTER_RE = re.compile(r"(?:chapter|part|section|appendix)\s+[\divxlcdm]+[a-z]?\b", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d+")
_SPELT_RE = re.compile(r"[Pp]|of|/")  # a page number spelt out: "Page 3", "3 of 12", "3/12"


def _fold(line: str) -> str:
    return " ".join(_DIGITS_RE.sub("#", line).casefold().split())


def _edges(text: str, start: int, end: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(top, bottom) edge lines of the page text[start:end] (which holds no
    form feed), as spans: its first and last _EDGE_LINES non-blank lines,
    read from either end rather than split whole."""
    top: list[tuple[int, int]] = []
    pos = start
    while len(top) < _EDGE_LINES and pos <= end:
        feed = text.find("\n", pos, end)
        line_end = end if feed < 0 else feed
        if not text[pos:line_end].isspace() and line_end > pos:
            top.append((pos, line_end))
        pos = line_end + 1
    last: list[tuple[int, int]] = []
    pos = end
    while len(last) < _EDGE_LINES:
        feed = text.rfind("\n", start, pos)
        line_start = feed + 1 if feed >= 0 else start
        if text[line_start:pos].strip():
            last.append((line_start, pos))
        if feed < 0:
            break
        pos = feed
    bottom = [span for span in reversed(last) if span not in top]
    return top, bottom


def pages(text: str, breaks: list[int] | None = None) -> list[tuple[int, int]]:
    """The (start, end) span of each page, form feeds excluded (given the
    text's page_breaks, from those)."""
    out, start = [], 0
    for feed in page_breaks(text) if breaks is None else breaks:
        out.append((start, feed))
        start = feed + 1
    if start < len(text) or not out:  # a final form feed ends the last page, it does not open one
        out.append((start, len(text)))
    return out


def page_of(text_or_feeds, offset: int) -> int:
    """Page number (1-based) of a character offset: 1 + the form feeds before it.
    Takes the text, or the sorted offsets of its form feeds (page_breaks)."""
    feeds = page_breaks(text_or_feeds) if isinstance(text_or_feeds, str) else text_or_feeds
    return bisect.bisect_right(feeds, offset - 1) + 1 if offset else 1


def page_breaks(text: str) -> list[int]:
    """The offsets of text's form feeds (str.find: 5x quicker than a
    pattern's search)."""
    out = []
    at = text.find(FORM_FEED)
    while at >= 0:
        out.append(at)
        at = text.find(FORM_FEED, at + 1)
    return out


# List bullets (a PDF's or a plain text's list; HTML and DOCX lists carry
# theirs in markup) wherever they stand, since re-wrapping moves them off a
# line's start; dashes, asterisks and numbers ("1.", "(a)") are never marks:
# dashes are punctuation, and renumbered clauses are content.  And a table of
# contents' dot leaders with the page number they point to.
_BULLETS = "\u2022\u25e6\u25aa\u25ab\u2023\u2043\u2219\u25cf\u25cb\u25a0\u25a1\u27a2\u25ba"
# Table rules an extractor writes between cells ("| a | b |"), standing alone.
_RULES = "|\u2502\u00a6"
# A back-of-book index's page references at a line's end ("Lavrov, 3, 17-19"),
# marks only in a run of at least three such lines: one prose line ending in
# ", 2019" is not an index.
_INDEX_LINE_RE = re.compile(r"(?m)^[^\n]*?[^\s,](,[^\S\n]*\d+(?:[-\u2013]\d+)?(?:,[^\S\n]*\d+(?:[-\u2013]\d+)?)*)[^\S\n]*$")
_INDEX_RUN = 3
_PAGE_REF = r"[^\S\n]*(?:\d+|[ivxlcdm]+)(?=\s|$)"
_LEADERS = {"....": re.compile(r"\.\.\.\.\.*" + _PAGE_REF), ". . . .": re.compile(r"\. \. \. \.(?: \.)*" + _PAGE_REF),
            "\u2026\u2026": re.compile("\u2026\u2026\u2026*" + _PAGE_REF)}


def layout_marks(text: str, ranges: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Sorted spans of list bullets and standalone table rules ("|") in any
    text, and in paged texts of table-of-contents leaders with their page
    numbers ("Methods ........ 7") and of index page references (the
    ", 3, 17-19" of three or more index lines in a row): marks of a layout,
    not words.  `ranges`: only those inside these sorted (start,
    end) stretches (the comparison's tokenised ones)."""
    spans: list[tuple[int, int]] = []  # (found inside the ranges already)
    for i in _mark_characters(text, ranges):
        if (i == 0 or text[i - 1].isspace()) and (i + 1 == len(text) or text[i + 1].isspace()):
            spans.append((i, i + 1))
    if FORM_FEED in text:  # contents and index pages belong to paged texts (a PDF's, an RFC's); the search costs
        paged = _paged_marks(text) if ranges is None else _paged_marks_in(text, ranges)
        if ranges is not None:
            starts = [r[0] for r in ranges]
            paged = [(s, e) for s, e in paged
                     if (k := bisect.bisect_right(starts, s) - 1) >= 0 and e <= ranges[k][1]]
        spans += paged
    spans.sort()
    return spans


def _paged_marks(text: str) -> list[tuple[int, int]]:
    """A paged text's contents leaders and index references (layout_marks)."""
    paged = [m.span() for hint, pattern in _LEADERS.items() if hint in text for m in pattern.finditer(text)]
    return paged + _index_references(text)


def _paged_marks_in(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """_paged_marks' marks on the lines the sorted ranges touch (a
    superset of those inside the ranges), searched in those lines alone:
    at 1% edits they are a seventh of a text, and the search of a 4 MB
    text costs some 40 ms.  The same marks: a leader never spans lines,
    and whether an index line is in a run of _INDEX_RUN is read off the
    lines either side of it."""
    lines = _line_windows(text, ranges)
    joined = "\n".join([text[a:b] for a, b in lines])  # whole lines, so each line matches as in the text
    starts = list(accumulate((b - a + 1 for a, b in lines[:-1]), initial=0))  # where each window is in joined

    def in_text(i: int) -> int:
        k = bisect.bisect_right(starts, i) - 1
        return lines[k][0] + i - starts[k]

    paged = []
    for hint, pattern in _LEADERS.items():
        if hint in joined:
            paged += [(in_text(m.start()), in_text(m.start()) + len(m.group())) for m in pattern.finditer(joined)]
    for line_start, line_end in _lines_ending_in_references(joined):
        end = in_text(line_end)
        start = text.rfind("\n", 0, in_text(line_start)) + 1  # (a window's line, whole in the text)
        m = _INDEX_LINE_RE.match(text, start, end)
        if m is not None and _index_run_reaches(text, start, end):
            paged.append(m.span(1))
    return paged


def _index_run_reaches(text: str, start: int, end: int) -> bool:
    """Whether the index line text[start:end] and the index lines right
    before and after it make a run of _INDEX_RUN (what _index_references
    counts, read off the _INDEX_RUN - 1 lines either side)."""
    run = 1
    at = start
    while run < _INDEX_RUN and at > 0:
        before = text.rfind("\n", 0, at - 1) + 1
        if _INDEX_LINE_RE.match(text, before, at - 1) is None:
            break
        run, at = run + 1, before
    at = end
    while run < _INDEX_RUN and at < len(text):
        after = text.find("\n", at + 1)
        after = len(text) if after < 0 else after
        if _INDEX_LINE_RE.match(text, at + 1, after) is None:
            break
        run, at = run + 1, after
    return run >= _INDEX_RUN


def _line_windows(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sorted ranges grown to whole lines (from a line's start to its
    line feed, or the text's end), merged."""
    windows: list[tuple[int, int]] = []
    rfind, find, length = text.rfind, text.find, len(text)  # (a paged text's thousands of ranges)
    last_start, last_end = -1, -1
    for a, b in ranges:
        start = rfind("\n", 0, a) + 1
        end = find("\n", b)
        end = length if end < 0 else end
        if start <= last_end:
            last_end = max(end, last_end)
        else:
            if last_start >= 0:
                windows.append((last_start, last_end))
            last_start, last_end = start, end
    if last_start >= 0:
        windows.append((last_start, last_end))
    return windows


JOIN_RANGES_UNDER = 0.25  # (share of the text; see _mark_characters)

# A bullet or rule with no other character either side: the class first, so
# that re looks for it as it would for a literal (a look-behind first made it
# try every character, 5x slower), and no match for each of the thousands of
# "|" of a help text's |links| (each found one cost a bisect in Python).
_MARK_RE = re.compile(f"[{re.escape(_BULLETS + _RULES)}](?<=(?<!\\S).)(?!\\S)")


def _mark_characters(text: str, ranges: list[tuple[int, int]] | None):
    """The offsets of the bullets and rules in text, or in the sorted ranges
    of it, that stand alone there (no other character either side, or the
    edge of a range: a superset of those that stand alone in the text).
    The ranges are searched joined (with a line feed between two), not
    the whole text (at 1% edits they are a tenth of it).  Where they
    cover more than JOIN_RANGES_UNDER of the text (a PDF's text against a
    clean one: nearly all of it), the whole text is searched and what lies
    outside them dropped: joined, they were two copies of the text at the
    peak of a long comparison (13 MB at 4 MB)."""
    if ranges is None:
        joined, starts, at = text, [0], [0]
    else:
        starts = list(accumulate((b - a + 1 for a, b in ranges[:-1]), initial=0))  # where each range is in joined
        if ranges and starts[-1] + ranges[-1][1] - ranges[-1][0] > JOIN_RANGES_UNDER * len(text):
            at = [a for a, _ in ranges]
            for i in _mark_characters(text, None):
                k = bisect.bisect_right(at, i) - 1
                if k >= 0 and i < ranges[k][1]:
                    yield i
            return
        joined = "\n".join([text[a:b] for a, b in ranges])
        at = [a for a, _ in ranges]
    for m in _MARK_RE.finditer(joined):
        i = m.start()
        k = bisect.bisect_right(starts, i) - 1
        yield at[k] + i - starts[k]


# How every index line ends: page references after a comma (", 3",
# ", 17-19"), then only spaces to the line's end.  Looked for from the
# comma (re finds a literal first character quickly), so that only the lines
# that end so are tried against _INDEX_LINE_RE, whose lazy start is slow on
# every line of a book: 3 ms at 4 MB, where finding the lines that end in a
# number (splitting the text at its line feeds) took 13.
_REFERENCES_AT_LINE_END_RE = re.compile(r",[^\S\n]*\d+(?:[-\u2013]\d+)?[^\S\n]*(?=\n|\Z)")


def _lines_ending_in_references(text: str):
    """(start, end) of each line of text (between line feeds) that ends in
    page references after a comma (_REFERENCES_AT_LINE_END_RE): every line
    _INDEX_LINE_RE matches does."""
    for m in _REFERENCES_AT_LINE_END_RE.finditer(text):
        yield text.rfind("\n", 0, m.start()) + 1, m.end()


def _index_lines(text: str):
    """The matches of _INDEX_LINE_RE.finditer(text), trying only the lines
    that end in page references (each match is one whole line)."""
    for line_start, line_end in _lines_ending_in_references(text):
        m = _INDEX_LINE_RE.match(text, line_start, line_end)
        if m is not None:
            yield m


def _index_references(text: str) -> list[tuple[int, int]]:
    """The ", 3, 17-19" of index lines, in runs of at least _INDEX_RUN
    consecutive index lines."""
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    last_end = -2
    for m in _index_lines(text):
        if text.count("\n", last_end, m.start()) > 1 or last_end < 0:  # not the next line: a new run
            if len(run) >= _INDEX_RUN:
                out += run
            run = []
        run.append(m.span(1))
        last_end = m.end()
    if len(run) >= _INDEX_RUN:
        out += run
    return out


def comparison_marks(text: str, ranges: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Everything the comparison gives no key: page furniture of a paged
    text and layout marks (inside `ranges`, see layout_marks), merged into
    sorted, non-overlapping spans."""
    spans = layout_marks(text, ranges)
    if FORM_FEED in text:
        spans = sorted(spans + furniture_spans(text))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def furniture_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans of page furniture, form feeds included."""
    breaks = page_breaks(text)
    if not breaks:
        return []
    spans = [(i, i + 1) for i in breaks]
    page_spans = pages(text, breaks)
    # Each edge line read once: (span, text, folded, a page-number shape,
    # its number, spelt out ("Page 3", "3 of 12", "3/12", roman)); a book
    # has thousands.
    edges = _edge_lines(text, page_spans)
    n = len(page_spans)
    seen: dict[str, list] = {"top": [], "bottom": []}  # each page's distinct folded lines on that edge
    seen_by_parity: dict[str, list] = {"top": [], "bottom": []}
    chapter_tops = 0
    for number, (top, bottom) in enumerate(edges):
        for name, lines in (("top", top), ("bottom", bottom)):
            folded = {line.folded for line in lines}
            seen[name] += folded
            seen_by_parity[name] += [(number % 2, f) for f in folded]
        if top and _CHAPTER_RE.match(top[0].text.strip()):
            chapter_tops += 1
    counts = {name: Counter(lines) for name, lines in seen.items()}
    parity = {name: Counter(lines) for name, lines in seen_by_parity.items()}
    halves = ((n + 1) // 2, n // 2)  # pages with an even / odd index
    decided: dict[tuple[str, str], bool] = {}  # (a running head is on most pages: asked once)

    def repeated(name: str, folded: str) -> bool:
        found = decided.get((name, folded))
        if found is None:
            found = decided[(name, folded)] = counts[name][folded] >= max(2, (n + 1) // 2) or any(
                parity[name][(p, folded)] >= max(2, (halves[p] + 1) // 2) for p in (0, 1))
        return found

    # A bare number on a page's edge is its page number only when it counts
    # with the pages: its value minus the page's place is the offset most
    # such lines share ("404" in a glossary's last line is not page 404).
    offsets = Counter(line.number - number for number, (top, bottom) in enumerate(edges) for line in top + bottom
                      if line.number is not None)
    usual = offsets.most_common(1)[0][0] if offsets else None
    # A page whose number is spelt out ("Page 3 of 12") has no bare one too.
    spelt = {number for number, (top, bottom) in enumerate(edges) for line in top + bottom
             if line.bare and line.spelt}

    def page_number(line: _EdgeLine, number: int) -> bool:
        if not line.bare:
            return False
        if line.number is None or line.spelt:  # roman, "Page 3", "3 of 12", "3/12"
            return True
        return number not in spelt and line.number - number == usual

    for number, (top, bottom) in enumerate(edges):
        for name, lines in (("top", top), ("bottom", bottom)):
            for line in lines:
                # The first page's top lines are its headline when they repeat
                # the running head (a title page): content, unless a page number.
                # (A bare line is decided by page_number alone.)
                if page_number(line, number) or (not line.bare and repeated(name, line.folded) and (number or name == "bottom")) or (
                        name == "top" and line is top[0] and chapter_tops >= max(2, (n + 1) // 2)
                        and _CHAPTER_RE.match(line.text.strip())):
                    spans.append(line.span)
    spans.sort()
    return spans



def _edge_lines(text: str, page_spans: list[tuple[int, int]]) -> list[tuple[list["_EdgeLine"], list["_EdgeLine"]]]:
    """Each page's (top, bottom) edge lines (_edges) as _EdgeLines, their
    digits and case folded for all pages at once (_fold of each line: no
    line holds a line feed, and neither a digit run nor case folding
    reaches across one)."""
    spans = [_edges(text, s, e) for s, e in page_spans]
    lines = [text[a:b] for top, bottom in spans for a, b in top + bottom]
    folded = iter(_DIGITS_RE.sub("#", "\n".join(lines)).casefold().split("\n"))
    return [tuple([_EdgeLine(text, a, b, " ".join(next(folded).split())) for a, b in side] for side in (top, bottom))
            for top, bottom in spans]


class _EdgeLine:
    """One edge line of a page, read once for furniture_spans."""

    __slots__ = ("span", "text", "folded", "bare", "number", "spelt")

    def __init__(self, text: str, start: int, end: int, folded: str):
        self.span = (start, end)
        self.text = line = text[start:end]
        self.folded = folded  # _fold(line)
        self.bare = _PAGE_NUMBER_RE.fullmatch(line) is not None  # a page number's shape
        digits = _DIGITS_RE.search(line) if self.bare else None
        self.number = int(digits.group()) if digits else None
        self.spelt = self.bare and _SPELT_RE.search(line) is not None
