"""The side-by-side view of the HTML report: the old text beside the new, aligned paragraph by paragraph.

Owns: marking each side's own text with the changes that touch it, cut into
the paragraphs walk.align pairs into rows, and folding long runs of
unchanged rows.  Never: re-derives a change (it reads the Comparison's
segments and changes, as the inline view does), never writes text
unescaped (every document string goes through visible.escape_html).

Each side shows its own text: the old side has deletions, the old halves of
replacements, formatting changes in their old form and passages that moved
away; the new side insertions, new halves, new forms and arrivals.  Every
change element carries data-change (the index into Comparison.changes), so
the page links the two halves of a change, and a move's halves link to
each other by id (s12-from, s12-to).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..diff import FORMATTING, Comparison
from ..visible import escape_html
from .walk import _WS_RE, Row, _plural, _visible, align, paragraphs

_WORDS_RE = re.compile(r"\S+")


class SbsRow(NamedTuple):
    old: str  # the cell's HTML
    new: str
    changed: bool  # holds a content change (formatting alone keeps a row quiet)
    old_paras: tuple[int, int]  # paragraph indices, 1-based for people, as data attributes
    new_paras: tuple[int, int]


class SbsFold(NamedTuple):
    """A run of unchanged rows folded away; `rows` empty when left out of the report."""

    rows: list[SbsRow]
    count: int
    omitted: bool


class _Side:
    """One side's text marked up paragraph by paragraph."""

    def __init__(self, cmp: Comparison, side: str, escape, elide: int | None):
        self.cmp, self.side, self.escape = cmp, side, escape
        self.text = getattr(cmp, side).text
        self.paras = paragraphs(self.text)
        self.elide = elide  # words kept at each end of a long unchanged run (None: keep all)
        self.html: list[str] = []
        self.changed: list[bool] = []
        self.first_seen: set[int] = set()

    def _esc(self, text: str) -> str:
        return escape_html(_WS_RE.sub(" ", text), self.escape)

    def _plain(self, text: str, at_start: bool, at_end: bool) -> str:
        """Unchanged text; in a report without the full text, long runs keep
        only `elide` words at the ends that touch a change."""
        if self.elide is None or len(text) < 400:
            return self._esc(text)
        words = [m.span() for m in _WORDS_RE.finditer(text)]
        keep_head = 0 if at_start else self.elide
        keep_tail = 0 if at_end else self.elide
        if len(words) <= keep_head + keep_tail + 5:
            return self._esc(text)
        cut0 = words[keep_head - 1][1] if keep_head else 0
        cut1 = words[len(words) - keep_tail][0] if keep_tail else len(text)
        hidden = len(words) - keep_head - keep_tail
        note = f'<span class="elided">… {_plural(hidden, "unchanged word")} …</span>'
        return f"{self._esc(text[:cut0])} {note} {self._esc(text[cut1:])}".strip()

    def _marked(self, i: int, seg, a: int, b: int) -> tuple[str, bool]:
        """text[a:b] of change segment `seg` (change i) as markup; and whether it is content."""
        ch = self.cmp.changes[i]
        old_side = self.side == "old"
        first = i not in self.first_seen
        self.first_seen.add(i)
        body = self._esc(self.text[a:b])
        if ch.cls == FORMATTING:
            other = ch.new_text if old_side else ch.old_text
            title = f'formatting: {"now" if old_side else "was"} “{escape_html(_visible(other), self.escape)}”'
            ident = f' id="s{i}-{self.side}"' if first else ""
            return (f'<span class="chg fmt"{ident} data-change="{i}" data-class="formatting" data-kind="{ch.kind}"'
                    f' title="{title}">{body}</span>'), False
        tag = "del" if old_side else "ins"
        if ch.kind == "move":
            half = "from" if old_side else "to"
            other = "to" if old_side else "from"
            ident = f' id="s{i}-{half}"' if first else ""
            link = ""
            if first:
                what = "moved: see where it is now" if old_side else "moved here: see where it was"
                link = f'<a class="move-link" href="#s{i}-{other}" title="{what}">moved {"→" if old_side else "←"}</a>'
            # The edits inside a moved passage, on this side's text.
            inner = []
            pos = a
            for e in sorted(ch.edits, key=lambda e: (e.old_start, e.new_start) if old_side else (e.new_start, e.old_start)):
                e0, e1 = (e.old_start, e.old_end) if old_side else (e.new_start, e.new_end)
                e0, e1 = max(e0, a), min(e1, b)
                if e1 <= e0 or e0 < pos:
                    continue
                inner.append(self._esc(self.text[pos:e0]))
                inner.append(f'<{tag} class="edit">{self._esc(self.text[e0:e1])}</{tag}>')
                pos = e1
            inner.append(self._esc(self.text[pos:b]))
            return (f'<{tag} class="chg move move-{half}"{ident} data-change="{i}" data-class="content" '
                    f'data-kind="move">{link}{"".join(inner)}</{tag}>'), True
        ident = f' id="s{i}-{self.side}"' if first else ""
        pages = self.cmp.pages_of(ch)
        page = pages.get(f"{self.side}_page")
        title = f' title="p. {page}"' if page is not None else ""
        return (f'<{tag} class="chg"{ident} data-change="{i}" data-class="content" '
                f'data-kind="{ch.kind}"{title}>{body}</{tag}>'), True

    def render(self) -> None:
        """Fill html[k] and changed[k] for every paragraph k."""
        segs = self.cmp.segments
        lo, hi = ("old_start", "old_end") if self.side == "old" else ("new_start", "new_end")
        pieces = [(getattr(s, lo), getattr(s, hi), s) for s in segs if getattr(s, hi) > getattr(s, lo)]
        p = 0  # the paragraph being filled
        parts: list[str] = []
        changed = False
        n = len(self.paras)
        k = 0
        while p < n:
            p0, p1 = self.paras[p]
            # Skip pieces that end before this paragraph.
            while k < len(pieces) and pieces[k][1] <= p0:
                k += 1
            j = k
            while j < len(pieces) and pieces[j][0] < p1:
                a, b, seg = pieces[j]
                a, b = max(a, p0), min(b, p1)
                if seg.kind == "equal":
                    parts.append(self._plain(self.text[a:b], at_start=a == p0, at_end=b == p1))
                else:
                    markup, content = self._marked(seg.change, seg, a, b)
                    parts.append(markup)
                    changed = changed or content
                if pieces[j][1] > p1:
                    break  # the piece goes on into the next paragraph
                j += 1
            k = j
            self.html.append("".join(parts))
            self.changed.append(changed)
            parts, changed = [], False
            p += 1


def side_by_side(cmp: Comparison, *, full: bool, context: int, escape) -> tuple[list, int, int]:
    """The rows of the side-by-side view, long unchanged runs folded.
    Returns (items, folds left out, rows); items are SbsRow or SbsFold."""
    elide = None if full else max(1, context)
    old, new = _Side(cmp, "old", escape, elide), _Side(cmp, "new", escape, elide)
    old.render()
    new.render()
    rows = []
    for r in align(cmp, old.paras, new.paras):
        rows.append(SbsRow(_cell(old, r.old_lo, r.old_hi), _cell(new, r.new_lo, r.new_hi),
                           any(old.changed[r.old_lo:r.old_hi]) or any(new.changed[r.new_lo:r.new_hi]),
                           (r.old_lo + 1, r.old_hi), (r.new_lo + 1, r.new_hi)))
    items: list = []
    omitted = 0
    i = 0
    keep = 1  # unchanged rows kept next to a change
    while i < len(rows):
        if rows[i].changed:
            items.append(rows[i])
            i += 1
            continue
        j = i
        while j < len(rows) and not rows[j].changed:
            j += 1
        head = i + (keep if i > 0 else 0)
        tail = j - (keep if j < len(rows) else 0)
        if tail - head >= 3:
            items.extend(rows[i:head])
            items.append(SbsFold(rows[head:tail] if full else [], tail - head, not full))
            omitted += not full
            items.extend(rows[tail:j])
        else:
            items.extend(rows[i:j])
        i = j
    return items, omitted, len(rows)


def _cell(side: _Side, lo: int, hi: int):
    from markupsafe import Markup  # built from escaped pieces above

    return Markup("".join(f'<p data-para="{k + 1}">{side.html[k]}</p>' for k in range(lo, hi)))


__all__ = ["Row", "SbsFold", "SbsRow", "side_by_side"]
