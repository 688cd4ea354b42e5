"""The text rendering: hunks like `git diff --word-diff`, optionally coloured, for terminals.

Owns: hunks, line numbers, colours.  Never: re-derives changes; it reads the
walk (walk.py) of the one Comparison.
"""

from __future__ import annotations

import bisect
import re
from collections import deque
from dataclasses import dataclass
from typing import Iterator

from .. import tokens as tk
from ..diff import Comparison, FORMATTING, Segment
from ..visible import escape_text
from .walk import GLUED, PARAGRAPH, _NEWLINE_RE, _RUN_RE, _WS_RE, _label, _move_pieces, _normalize, _plural, _sha256_text, _stats_line, _visible, _walk, _ws_kind



class _Paint:
    RED, GREEN, DIM, CYAN, BOLD = "31", "32", "2", "36", "1"

    def __init__(self, on: bool):
        self.on = on

    def __call__(self, code: str, text: str) -> str:
        if not self.on or not text:
            return text
        # Re-open the colour after each line break so pagers keep it.
        return "\n".join(f"\x1b[{code}m{line}\x1b[0m" if line else line for line in text.split("\n"))


class _Lines:
    """1-based line numbers of offsets in a text ("\\n", "\\r\\n" and "\\r" end a line)."""

    def __init__(self, text: str):
        self.text = text
        self._ends: list[int] | None = None

    def at(self, offset: int) -> int:
        if self._ends is None:
            self._ends = [m.end() for m in _NEWLINE_RE.finditer(self.text)]
        return bisect.bisect_right(self._ends, offset) + 1


@dataclass
class _Chunk:
    sep: int | None  # whitespace before it: SPACE, PARAGRAPH, None at the start
    parts: list[str]
    active: bool
    locator: tuple  # ("eq", seg, new_offset) or ("chg", seg)


_GAP = object()  # an unchanged stretch too long to matter was skipped here


class _TextRenderer:
    def __init__(self, cmp: Comparison, color: bool, context: int, show_formatting: bool):
        self.cmp = cmp
        self.paint = _Paint(color)
        self.context = max(0, int(context))
        self.show_formatting = show_formatting
        self.old_lines = _Lines(cmp.old.text)
        self.new_lines = _Lines(cmp.new.text)

    # -- changes ------------------------------------------------------
    def _norm(self, text: str) -> str:
        return _normalize(text, "\n")

    def change(self, seg: Segment) -> tuple[str, bool]:
        """(display, active) of one change segment."""
        p = self.paint
        ch = self.cmp.changes[seg.change]
        if ch.cls == FORMATTING:
            if not self.show_formatting:
                return self._norm(ch.new_text), False
            return p(p.DIM, "{~" + _visible(ch.old_text) + "~>" + _visible(ch.new_text) + "~}"), True
        if seg.kind == "move-from":
            words = self._norm(ch.old_text).split()
            preview = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
            return p(p.CYAN, f"[-moved to line {self.new_lines.at(ch.new_start)}: {preview}-]"), True
        if seg.kind == "move-to":
            inner = []
            for kind, text in _move_pieces(self.cmp, ch):
                if kind == "text":
                    inner.append(p(p.CYAN, self._norm(text)))
                elif kind == "ws":
                    inner.append(" ")
                elif kind == "del":
                    inner.append(p(p.RED, "[-" + self._norm(text) + "-]"))
                else:
                    inner.append(p(p.GREEN, "{+" + self._norm(text) + "+}"))
            head = p(p.CYAN, f"{{+moved from line {self.old_lines.at(ch.old_start)}: ")
            return head + "".join(inner) + p(p.CYAN, "+}"), True
        out = ""
        if ch.old_text:
            out += p(p.RED, "[-" + self._norm(ch.old_text) + "-]")
        if ch.new_text:
            out += p(p.GREEN, "{+" + self._norm(ch.new_text) + "+}")
        return out, True

    # -- chunks: whitespace-separated display units ---------------------
    def _runs(self, seg: int, a: int, b: int, lead) -> Iterator:
        """("ws", kind) / ("nw", start, end) runs of new.text[a:b]; a long
        stretch yields its ends only, with _GAP between."""
        new = self.cmp.new.text
        if lead is not None:
            m = _WS_RE.match(new, a, b)
            if m:
                if lead != GLUED:
                    yield ("ws", lead)
                a = m.end()
        keep = self.context + 2
        limit = 2 * keep + 1
        items: list[tuple] = []
        words = 0
        runs = _RUN_RE.finditer(new, a, b)
        for m in runs:
            if m.group(1):
                items.append(("ws", _ws_kind(m.group())))
            else:
                items.append(("nw", m.start(), m.end()))
                words += 1
                if words > limit:
                    break
        else:
            yield from items
            return
        # Long: the first `keep` words, a gap, the last `keep` words.
        seen = 0
        for item in items:
            yield item
            if item[0] == "nw":
                seen += 1
                if seen == keep:
                    break
        yield _GAP
        width = 256 * (keep + 1)
        while True:
            start = max(a, b - width)
            tail = [m for m in _RUN_RE.finditer(new, start, b)]
            words_at = [k for k, m in enumerate(tail) if not m.group(1)]
            if len(words_at) > keep or start == a:
                break
            width *= 4
        first = words_at[-keep]
        for m in tail[first - 1:]:
            yield ("ws", _ws_kind(m.group())) if m.group(1) else ("nw", m.start(), m.end())

    def chunks(self) -> Iterator:
        new = self.cmp.new.text
        cur: _Chunk | None = None
        sep: int | None = None
        for event in _walk(self.cmp):
            if event[0] == "ws":
                if cur:
                    yield cur
                    cur = None
                sep = max(sep or 0, event[1])
            elif event[0] == "change":
                display, active = self.change(self.cmp.segments[event[1]])
                if cur is None:
                    cur, sep = _Chunk(sep, [], False, ("chg", event[1])), None
                cur.parts.append(display)
                cur.active = cur.active or active
            else:
                _, seg, a, b, lead = event
                for run in self._runs(seg, a, b, lead):
                    if run is _GAP:
                        if cur:
                            yield cur
                            cur = None
                        sep = None
                        yield _GAP
                    elif run[0] == "ws":
                        if cur:
                            yield cur
                            cur = None
                        sep = max(sep or 0, run[1])
                    else:
                        if cur is None:
                            cur, sep = _Chunk(sep, [], False, ("eq", seg, run[1])), None
                        cur.parts.append(new[run[1]:run[2]])
        if cur:
            yield cur

    # -- hunks ----------------------------------------------------------
    def hunks(self) -> Iterator[list[_Chunk]]:
        context = self.context
        before: deque[_Chunk] = deque(maxlen=context)
        hunk: list[_Chunk] | None = None
        pending: list[_Chunk] = []
        for chunk in self.chunks():
            if chunk is _GAP:
                if hunk is not None:
                    yield hunk + pending[:context]
                    hunk, pending = None, []
                before.clear()
            elif chunk.active:
                if hunk is None:
                    hunk = list(before)
                    before.clear()
                else:
                    hunk.extend(pending)
                    pending = []
                hunk.append(chunk)
            elif hunk is not None:
                pending.append(chunk)
                if len(pending) > 2 * context:
                    yield hunk + pending[:context]
                    before.extend(pending[context:])
                    hunk, pending = None, []
            else:
                before.append(chunk)
        if hunk is not None:
            yield hunk + pending[:context]

    def position(self, chunk: _Chunk) -> tuple[int, int]:
        """(old line, new line) where a chunk starts."""
        seg = self.cmp.segments[chunk.locator[1]]
        if chunk.locator[0] == "chg":
            return self.old_lines.at(seg.old_start), self.new_lines.at(seg.new_start)
        new_off = chunk.locator[2]
        return self.old_lines.at(_old_offset(self.cmp, seg, new_off)), self.new_lines.at(new_off)

    def pages(self, chunk: _Chunk) -> tuple[str, str]:
        """(" p. N" or "", likewise for new): the page where a chunk starts, in a paged text."""
        seg = self.cmp.segments[chunk.locator[1]]
        if chunk.locator[0] == "chg":
            old_off, new_off = seg.old_start, seg.new_start
        else:
            new_off = chunk.locator[2]
            old_off = _old_offset(self.cmp, seg, new_off)
        old_page, new_page = self.cmp.page("old", old_off), self.cmp.page("new", new_off)
        return (f" p. {old_page}" if old_page else "", f" p. {new_page}" if new_page else "")

    def render(self) -> str:
        cmp, p = self.cmp, self.paint
        lines = [p(p.BOLD, _side_line("---", cmp.old, "old")), p(p.BOLD, _side_line("+++", cmp.new, "new"))]
        if not cmp.changes:
            lines.append("no differences")
            return escape_text("\n".join(lines) + "\n")
        lines.append(_stats_line(cmp))
        count = 0
        for hunk in self.hunks():
            count += 1
            old_line, new_line = self.position(hunk[0])
            old_page, new_page = self.pages(hunk[0])
            lines.append(p(p.CYAN, f"@@ old line {old_line}{old_page}, new line {new_line}{new_page} @@"))
            body = []
            for k, chunk in enumerate(hunk):
                if k:
                    body.append("\n" if chunk.sep == PARAGRAPH else " ")
                body.append("".join(chunk.parts))
            lines.append("".join(body))
        if not count:
            hidden = cmp.stats["formatting_changes"]
            lines.append(f"no content differences ({_plural(hidden, 'formatting change')} not shown)")
        # Bidi controls and zero-width characters as <U+202E>: never raw on a terminal.
        return escape_text("\n".join(lines) + "\n")


_VISIBLE_RUN_RE = re.compile(rf"[^\s{tk.INVISIBLE}]+")


def _old_offset(cmp: Comparison, seg: Segment, new_off: int) -> int:
    """Offset in the old text of the character at new_off in an equal segment.

    An equal segment's two spans hold the same tokens and differ only in
    whitespace (and invisible characters), so count the visible characters."""
    k = sum(map(len, _VISIBLE_RUN_RE.findall(cmp.new.text, seg.new_start, new_off)))
    for m in _VISIBLE_RUN_RE.finditer(cmp.old.text, seg.old_start, seg.old_end):
        n = m.end() - m.start()
        if k < n:
            return m.start() + k
        k -= n
    return seg.old_end


def _side_line(prefix: str, side, default: str) -> str:
    parts = [f"{prefix} {_label(side, default)}"]
    if side.version is not None:
        parts.append(f"v{side.version}")
    if side.content_sha256:
        parts.append(f"sha256:{side.content_sha256[:8]}")
    else:
        parts.append(f"text-sha256:{(side.text_sha256 or _sha256_text(side.text))[:8]}")
    if side.captured_at:
        parts.append(side.captured_at)
    return "  ".join(parts)


def render_text(cmp: Comparison, *, color: bool = False, context: int = 8, show_formatting: bool = True) -> str:
    """Word diff in hunks, like `git diff --word-diff=plain`.

    Content changes: [-deleted-], {+inserted+}, [-old-]{+new+}; formatting
    changes {~old~>new~}; moves [-moved to line N: first words…-] where the
    passage was and {+moved from line M: passage+} where it is now.  Each hunk
    starts with "@@ old line A, new line B @@" and shows `context` words of
    unchanged (new) text on each side of its changes.
    """
    return _TextRenderer(cmp, color, context, show_formatting).render()
