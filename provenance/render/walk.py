"""The shared walk of a Comparison in reading order, and the display rules the text and HTML
renderers share: whitespace as displayed, labels, the stats line.

Owns: turning segments into display events.  Never: formats output itself
(that is text.py and html.py), never imports the diff engine (only diff.model).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
from typing import Iterator, NamedTuple

from .. import tokens as tk
from ..diff import CONTENT, Comparison, Segment



GLUED, SPACE, PARAGRAPH = tk.GLUED, tk.SPACE, tk.PARAGRAPH

_KINDS = ("replace", "insert", "delete", "move")

_WS_RE = re.compile(r"\s+")

_RUN_RE = re.compile(r"(\s+)|\S+")

# A whitespace run that holds a line break (and everything around it).
_BREAK_WS_RE = re.compile(r"[^\S\r\n\u2029]*(?:\r\n|\r|\n|\u2029)\s*")

_HSPACE_RE = re.compile(r"[^\S\n]+")

_NEWLINE_RE = re.compile(r"\r\n|\r|\n")


@functools.cache
def _no_space_char_re() -> re.Pattern:
    """A character of a script written without spaces (compiled when first
    needed: 3 ms, a twentieth of the start-up of every command)."""
    return re.compile(f"[{tk.NO_SPACE_SCRIPTS}]")


def _ws_kind(ws: str) -> int:
    return PARAGRAPH if tk.gap_kind(ws) == PARAGRAPH else SPACE


def _normalize(text: str, paragraph: str) -> str:
    """Whitespace runs as one space, or `paragraph` for a paragraph break."""
    if "\n" in text or "\r" in text or "\u2029" in text:
        text = _BREAK_WS_RE.sub(lambda m: paragraph if _ws_kind(m.group()) == PARAGRAPH else " ", text)
        return _HSPACE_RE.sub(" ", text)
    return _WS_RE.sub(" ", text)


def _visible(text: str) -> str:
    """Old side of a formatting change: line breaks made visible."""

    def mark(m: re.Match) -> str:
        ws = m.group()
        if _ws_kind(ws) == PARAGRAPH:
            return "¶"
        if _NEWLINE_RE.search(ws) or "\u2029" in ws:
            return "↵"
        return " "

    return _WS_RE.sub(mark, text)


def _trailing_ws(text: str, end: int) -> str:
    start = end
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _leading_ws(text: str, start: int) -> str:
    m = _WS_RE.match(text, start)
    return m.group() if m else ""


# Reading order as display events, shared by the text and HTML renderers.
#
#   ("text", seg, a, b, lead)  new.text[a:b] of an equal segment; `lead`, if
#                              not None, replaces its leading whitespace
#                              (GLUED: drop it, SPACE, PARAGRAPH)
#   ("ws", kind)               whitespace the display rules add
#   ("change", seg)            a change segment (index into cmp.segments)


def _is_deletion(seg: Segment) -> bool:
    return seg.kind in ("delete", "move-from")


def _walk(cmp: Comparison) -> Iterator[tuple]:
    old, new = cmp.old.text, cmp.new.text
    segments = cmp.segments
    started = False  # something visible is out
    ends_ws = True  # the output so far ends in whitespace
    override = None
    after = None  # whitespace the old text has after the deletion just shown
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg.kind == "equal":
            a, b = seg.new_start, seg.new_end
            lead, override = override, None
            if after is not None and a < b and not new[a].isspace() and lead is None:
                # "[-Deleted first sentence.-] Next": the new text has no
                # whitespace there (the deletion was at its start), the old did.
                yield ("ws", after)
                ends_ws = True
            after = None
            if i == last:
                b -= len(_trailing_ws(new, b)) if b > a else 0
                b = max(a, b)
            if not started:
                a += len(_leading_ws(new, a))
                lead = None
            if a >= b:
                continue
            head = _leading_ws(new, a)
            if lead is not None and head:
                if len(head) == b - a:  # only whitespace
                    if lead != GLUED:
                        yield ("ws", lead)
                        ends_ws = True
                    continue
                yield ("text", i, a, b, lead)
            else:
                yield ("text", i, a, b, None)
            started = True
            ends_ws = new[b - 1].isspace()
            continue
        if started and not ends_ws:
            source, start = (old, seg.old_start) if _is_deletion(seg) else (new, seg.new_start)
            before = _trailing_ws(source, start)
            if before:
                kind = SPACE
                if _is_deletion(seg) and _ws_kind(before) == PARAGRAPH and i < last and segments[i + 1].kind == "equal":
                    nxt = segments[i + 1]
                    if _ws_kind(_leading_ws(new, nxt.new_start)[: nxt.new_end - nxt.new_start] or " ") == PARAGRAPH:
                        kind = PARAGRAPH
                        after = _leading_ws(old, seg.old_end)
                        override = _ws_kind(after) if after else GLUED
                yield ("ws", kind)
        yield ("change", i)
        started, ends_ws = True, False
        after = None
        if _is_deletion(seg):
            ws = _leading_ws(old, seg.old_end)
            after = _ws_kind(ws) if ws else None


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _label(side, default: str) -> str:
    return side.label or side.document or side.path or default


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _kind_counts(cmp: Comparison) -> dict[str, int]:
    counts = dict.fromkeys(_KINDS, 0)
    for c in cmp.changes:
        if c.cls == CONTENT:
            counts[c.kind] += 1
    return counts


def _stats_line(cmp: Comparison) -> str:
    s = cmp.stats
    kinds = ", ".join(f"{n} {k}" for k, n in _kind_counts(cmp).items() if n)
    line = _plural(s["content_changes"], "content change")
    if kinds:
        line += f" ({kinds})"
    line += f", {_plural(s['formatting_changes'], 'formatting change')}; +{s['words_inserted']:,} -{s['words_deleted']:,} words"
    if s["words_moved"]:
        line += f", {s['words_moved']:,} moved"
    return line


def _move_pieces(cmp: Comparison, ch) -> Iterator[tuple[str, str]]:
    """The arrival of a move as ("text"|"ws"|"del"|"ins", text) pieces, with
    its inner edits marked."""
    old, new = cmp.old.text, cmp.new.text
    pos = ch.new_start
    ends_ws = True
    for e in sorted(ch.edits, key=lambda e: (e.new_start, e.old_start)):
        if e.new_start > pos:
            text = new[pos:e.new_start]
            yield ("text", text)
            ends_ws = text[-1].isspace()
        if e.old_text:
            if not ends_ws and _trailing_ws(old, e.old_start):
                yield ("ws", " ")
            yield ("del", e.old_text)
            ends_ws = False
        if e.new_text:
            if not ends_ws and not e.old_text and _trailing_ws(new, e.new_start):
                yield ("ws", " ")
            yield ("ins", e.new_text)
            ends_ws = False
        pos = max(pos, e.new_end)
    if ch.new_end > pos:
        yield ("text", new[pos:ch.new_end])


# Side by side: the two texts cut into paragraphs and aligned row by row.
#
# Each side is shown as its own text (the old text with what left it marked,
# the new text with what arrived), cut at its own paragraph breaks (a
# whitespace run holding a blank line, as the inline view shows them).
# Paragraphs are linked through what the two texts share in place: equal
# segments and changes that replace something (content or formatting).  A
# row holds linked paragraphs; paragraphs nothing links (inserted or deleted
# whole, or moved) get rows of their own between them, old and new paired in
# order.  Insertions, deletions and moves never link, so a new paragraph
# never sits beside an unrelated old one when a related one exists.


class Row(NamedTuple):
    """Paragraph indices [old_lo, old_hi) and [new_lo, new_hi) shown side by side."""

    old_lo: int
    old_hi: int
    new_lo: int
    new_hi: int


_NON_SPACE_RE = re.compile(r"\S")


# A paragraph break as tokens.gap_kind sees one (two line breaks, \r\n, \r
# or \n, with only horizontal space between; or U+2029) and the whitespace
# after it.  It opens on a line break, so the search skips ahead fast; the
# atomic group keeps a lone "\r\n" from matching as "\r" then "\n".
_PARAGRAPH_BREAK_RE = re.compile(r"(?>\r\n|\r|\n)[^\S\r\n\u2029]*(?>\r\n|\r|\n)\s*|\u2029\s*")
_LF_PARAGRAPH_BREAK_RE = re.compile(r"\n[^\S\n]*\n\s*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: the text between paragraph breaks,
    leading and trailing whitespace left out, empty ones skipped."""
    out = []
    pos = 0
    # Text with only \n line breaks (nearly all) takes a pattern five times quicker.
    pattern = _PARAGRAPH_BREAK_RE if "\r" in text or "\u2029" in text else _LF_PARAGRAPH_BREAK_RE
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    trimmed = []
    for a, b in out:
        first = _NON_SPACE_RE.search(text, a, b)
        if first is None:
            continue
        trimmed.append((first.start(), first.start() + len(text[first.start():b].rstrip())))
    return trimmed


def _touched(text: str, starts: list[int], a: int, b: int) -> tuple[int, int] | None:
    """Paragraph indices [lo, hi] holding the non-whitespace of text[a:b]."""
    first = _NON_SPACE_RE.search(text, a, b)
    if first is None:
        return None
    last = first.start() + len(text[first.start():b].rstrip()) - 1
    return bisect.bisect_right(starts, first.start()) - 1, bisect.bisect_right(starts, last) - 1


def align(cmp: Comparison, old_paras: list[tuple[int, int]], new_paras: list[tuple[int, int]]) -> list[Row]:
    """The rows of the side-by-side view, in order on both sides, covering every paragraph once."""
    old, new = cmp.old.text, cmp.new.text
    old_starts = [p[0] for p in old_paras]
    new_starts = [p[0] for p in new_paras]
    links: list[tuple[int, int, int, int]] = []
    for seg in cmp.segments:
        if seg.kind not in ("equal", "replace"):
            continue  # insertions, deletions and moves link nothing
        o = _touched(old, old_starts, seg.old_start, seg.old_end)
        n = _touched(new, new_starts, seg.new_start, seg.new_end)
        if o is None or n is None:
            continue
        if seg.kind == "equal" and o[1] - o[0] == n[1] - n[0]:
            # The same words: the k-th paragraph of one side is the k-th of the other.
            links.extend((o[0] + k, o[0] + k + 1, n[0] + k, n[0] + k + 1) for k in range(o[1] - o[0] + 1))
        else:
            links.append((o[0], o[1] + 1, n[0], n[1] + 1))
    # Merge crossing or overlapping links, so rows stay in order on both sides.
    blocks: list[list[int]] = []
    for lo_o, hi_o, lo_n, hi_n in links:
        if blocks and (lo_o < blocks[-1][1] or lo_n < blocks[-1][3]):
            b = blocks[-1]
            b[0], b[1], b[2], b[3] = min(b[0], lo_o), max(b[1], hi_o), min(b[2], lo_n), max(b[3], hi_n)
            while len(blocks) > 1 and (blocks[-1][0] < blocks[-2][1] or blocks[-1][2] < blocks[-2][3]):
                last = blocks.pop()
                b = blocks[-1]
                b[0], b[1], b[2], b[3] = min(b[0], last[0]), max(b[1], last[1]), min(b[2], last[2]), max(b[3], last[3])
        else:
            blocks.append([lo_o, hi_o, lo_n, hi_n])
    rows: list[Row] = []
    o = n = 0
    for lo_o, hi_o, lo_n, hi_n in blocks + [[len(old_paras), len(old_paras), len(new_paras), len(new_paras)]]:
        # Paragraphs no link holds, before this block: paired in order.
        while o < lo_o or n < lo_n:
            rows.append(Row(o, o + 1 if o < lo_o else o, n, n + 1 if n < lo_n else n))
            o, n = min(o + 1, max(o, lo_o)), min(n + 1, max(n, lo_n))
        if hi_o > lo_o or hi_n > lo_n:
            rows.append(Row(lo_o, hi_o, lo_n, hi_n))
        o, n = max(o, hi_o), max(n, hi_n)
    return rows
