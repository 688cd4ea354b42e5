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

import bisect
from typing import NamedTuple

from ..diff import FORMATTING, Comparison
from ..visible import escape_html, escape_text
from .walk import _WS_RE, Row, _plural, _visible, align, paragraphs


class SbsRow(NamedTuple):
    old: str  # the cell's HTML
    new: str
    changed: bool  # holds a content change (formatting alone keeps a row quiet)


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
        self.changed: list[bool] = []  # per paragraph: holds a content change (find_changed)
        self.first_seen: set[int] = set()

    def _esc(self, text: str) -> str:
        return escape_html(_WS_RE.sub(" ", text), self.escape)

    def _plain(self, text: str, at_start: bool, at_end: bool) -> str:
        """Unchanged text; in a report without the full text, long runs keep
        only `elide` words at the ends that touch a change."""
        if self.elide is None or len(text) < 400:
            return self._esc(text)
        keep_head = 0 if at_start else self.elide
        keep_tail = 0 if at_end else self.elide
        # Split off only the words kept (str.split/rsplit with maxsplit stop early).
        split = text.split(maxsplit=keep_head) if keep_head else [text]
        head, rest = (split[:keep_head], split[keep_head:]) if keep_head else ([], split)
        if not rest:
            return self._esc(text)
        parts = rest[0].rsplit(maxsplit=keep_tail) if keep_tail else [rest[0]]
        middle, tail = (parts[0], parts[1:]) if keep_tail else (parts[0], [])
        hidden = len(middle.split())
        if hidden < 5 or len(tail) < keep_tail:
            return self._esc(text)
        note = f'<span class="elided">… {_plural(hidden, "unchanged word")} …</span>'
        return f"{self._esc(' '.join(head))} {note} {self._esc(' '.join(tail))}".strip()

    def _marked(self, i: int, seg, a: int, b: int) -> tuple[str, bool]:
        """text[a:b] of change segment `seg` (change i) as markup; and whether it is content."""
        ch = self.cmp.changes[i]
        old_side = self.side == "old"
        first = i not in self.first_seen
        self.first_seen.add(i)
        body = self._esc(self.text[a:b])
        if ch.cls == FORMATTING:
            other = ch.new_text if old_side else ch.old_text
            title = f'formatting: {"now" if old_side else "was"} “{self.escape(escape_text(_visible(other)))}”'
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

    def find_changed(self) -> None:
        """changed[k]: paragraph k holds (part of) a content change."""
        lo, hi = ("old_start", "old_end") if self.side == "old" else ("new_start", "new_end")
        starts = [p[0] for p in self.paras]
        self.changed = [False] * len(self.paras)
        changes = self.cmp.changes
        for seg in self.cmp.segments:
            if seg.kind == "equal" or changes[seg.change].cls == FORMATTING:
                continue
            a, b = getattr(seg, lo), getattr(seg, hi)
            if b <= a:
                continue
            first = max(0, bisect.bisect_right(starts, a) - 1)
            for k in range(first, bisect.bisect_left(starts, b)):
                if self.paras[k][1] > a:
                    self.changed[k] = True

    def render(self, wanted: list[bool] | None = None) -> None:
        """Fill html[k] for every paragraph k (only the wanted ones: the rest stay "")."""
        segs = self.cmp.segments
        lo, hi = ("old_start", "old_end") if self.side == "old" else ("new_start", "new_end")
        pieces = [(getattr(s, lo), getattr(s, hi), s) for s in segs if getattr(s, hi) > getattr(s, lo)]
        self.html = [""] * len(self.paras)
        k = 0
        for p, (p0, p1) in enumerate(self.paras):
            # Skip pieces that end before this paragraph.
            while k < len(pieces) and pieces[k][1] <= p0:
                k += 1
            if wanted is not None and not wanted[p]:
                continue
            parts: list[str] = []
            j = k
            while j < len(pieces) and pieces[j][0] < p1:
                a, b, seg = pieces[j]
                a, b = max(a, p0), min(b, p1)
                if seg.kind == "equal":
                    parts.append(self._plain(self.text[a:b], at_start=a == p0, at_end=b == p1))
                else:
                    parts.append(self._marked(seg.change, seg, a, b)[0])
                if pieces[j][1] > p1:
                    break  # the piece goes on into the next paragraph
                j += 1
            k = j
            self.html[p] = "".join(parts)


def side_by_side(cmp: Comparison, *, full: bool, context: int, escape) -> tuple[list, int, int]:
    """The rows of the side-by-side view, long unchanged runs folded.
    Returns (items, folds left out, rows); items are SbsRow or SbsFold."""
    elide = None if full else max(1, context)
    old, new = _Side(cmp, "old", escape, elide), _Side(cmp, "new", escape, elide)
    old.find_changed()
    new.find_changed()
    rows = align(cmp, old.paras, new.paras)
    changed = [any(old.changed[r.old_lo:r.old_hi]) or any(new.changed[r.new_lo:r.new_hi]) for r in rows]
    # Runs of unchanged rows fold, but for `keep` rows next to a change.
    plan: list = []  # row indices, and (start, end) of folds
    i = 0
    # Unchanged rows kept beside a change: one with the full text; none in a
    # changes-only report (a changed paragraph is its own context there).
    keep = 1 if full else 0
    while i < len(rows):
        if changed[i]:
            plan.append(i)
            i += 1
            continue
        j = i
        while j < len(rows) and not changed[j]:
            j += 1
        head = i + (keep if i > 0 else 0)
        tail = j - (keep if j < len(rows) else 0)
        if tail - head >= 3:
            plan += list(range(i, head)) + [(head, tail)] + list(range(tail, j))
        else:
            plan += list(range(i, j))
        i = j
    # Render only what the page shows: a changes-only report leaves folded rows out.
    wanted_old = wanted_new = None
    if not full:
        wanted_old, wanted_new = [False] * len(old.paras), [False] * len(new.paras)
        for step in plan:
            if isinstance(step, int):
                r = rows[step]
                wanted_old[r.old_lo:r.old_hi] = [True] * (r.old_hi - r.old_lo)
                wanted_new[r.new_lo:r.new_hi] = [True] * (r.new_hi - r.new_lo)
    old.render(wanted_old)
    new.render(wanted_new)

    def row(k: int) -> SbsRow:
        r = rows[k]
        return SbsRow(_cell(old, r.old_lo, r.old_hi), _cell(new, r.new_lo, r.new_hi), changed[k])

    items: list = []
    omitted = 0
    for step in plan:
        if isinstance(step, int):
            items.append(row(step))
        else:
            items.append(SbsFold([row(k) for k in range(*step)] if full else [], step[1] - step[0], not full))
            omitted += not full
    return items, omitted, len(rows)


def _cell(side: _Side, lo: int, hi: int):
    from markupsafe import Markup  # built from escaped pieces above

    return Markup("".join(f'<p data-para="{k + 1}">{side.html[k]}</p>' for k in range(lo, hi)))


__all__ = ["Row", "SbsFold", "SbsRow", "side_by_side"]
