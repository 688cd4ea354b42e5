"""Renderers: a Comparison as JSON, as a word diff for terminals, as an HTML report.

All three read the same `Comparison` (diff.py), so what is detected and what
is shown cannot disagree.

    render_json(cmp)   the JSON contract, Comparison.to_dict()
    render_text(cmp)   hunks like `git diff --word-diff`
    render_html(cmp)   one self-contained page (templates/report.html.j2)

Display rules shared by the text and HTML renderers
---------------------------------------------------
* Unchanged text is shown as the NEW text.  Whitespace is presentation, as it
  is for the diff itself (tokens.py): a run of whitespace that holds a
  paragraph break (a blank line) is shown as a paragraph break, any other run
  (spaces, a single line break from PDF re-wrapping, tabs) as one space.  So
  re-wrapped text reads as prose and nothing but whitespace is ever dropped.
* Deleted text (a delete, the old half of a replace, a passage that moved
  away) comes from the OLD text.  A deletion has no whitespace of its own in
  the new text, so if the old text has whitespace right before it and the
  output does not already end in whitespace, a space is put before it ("a
  [-b-] c", not "a[-b-] c").  When that old whitespace is a paragraph break
  and the new text has a paragraph break at the same place, the deletion opens
  the paragraph instead of trailing the one before.
* Formatting changes (same words, different quotes, dashes, hyphenation,
  paragraph structure) show the old form with its line breaks made visible:
  a line break as "↵", a paragraph break as "¶".

HTML: long unchanged stretches collapse into <details>.  A stretch is a run of
segments with no content change: equal text and formatting changes.  Keeping
formatting changes inside a stretch means a PDF-versus-web comparison with
hundreds of curly-quote differences still opens on its content changes; the
formatting marks are in the collapsed text, counted in its summary, and the
page's navigation opens a stretch when it steps to a mark inside it.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urlsplit

from . import __version__
from . import tokens as tk
from .diff import CONTENT, FORMATTING, Comparison, Segment, gc_paused

__all__ = ["render_json", "render_text", "render_html"]

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


def render_json(cmp: Comparison) -> str:
    """The JSON contract: Comparison.to_dict(), UTF-8 text, one trailing newline.

    Indented, with one change per line: readable, and `grep`-able.  The
    changes go through json's C encoder one by one (an indented dump uses the
    pure-Python encoder: 155 vs 75 ms for 26,000 changes).
    """
    data = cmp.to_dict(changes=False)
    head = json.dumps(data, ensure_ascii=False, indent=2)[:-2]  # without "\n}"
    if not cmp.changes:
        return head + ',\n  "changes": []\n}\n'
    return head + ',\n  "changes": [\n    ' + ",\n    ".join(map(_change_json, cmp.changes)) + "\n  ]\n}\n"


_encode_json = json.JSONEncoder(ensure_ascii=False).encode
_encode_json_str = json.encoder.encode_basestring  # what that encoder uses for a str (C)


def _change_json(change) -> str:
    """json's encoding of change.to_dict() on one line.  Made directly for
    all but moves: the same bytes at a third of the cost (tests compare the
    two)."""
    if change.kind == "move":
        return _encode_json(change.to_dict())
    return (f'{{"kind": "{change.kind}", "class": "{change.cls}", "old_text": {_encode_json_str(change.old_text)}, '
            f'"new_text": {_encode_json_str(change.new_text)}, "old_start": {change.old_start:d}, '
            f'"old_end": {change.old_end:d}, "new_start": {change.new_start:d}, "new_end": {change.new_end:d}}}')


# --------------------------------------------------------------------------
# Whitespace as displayed.


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


# --------------------------------------------------------------------------
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


# --------------------------------------------------------------------------
# Labels and header facts.


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


# --------------------------------------------------------------------------
# Text.


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

    def render(self) -> str:
        cmp, p = self.cmp, self.paint
        lines = [p(p.BOLD, _side_line("---", cmp.old, "old")), p(p.BOLD, _side_line("+++", cmp.new, "new"))]
        if not cmp.changes:
            lines.append("no differences")
            return "\n".join(lines) + "\n"
        lines.append(_stats_line(cmp))
        count = 0
        for hunk in self.hunks():
            count += 1
            old_line, new_line = self.position(hunk[0])
            lines.append(p(p.CYAN, f"@@ old line {old_line}, new line {new_line} @@"))
            body = []
            for k, chunk in enumerate(hunk):
                if k:
                    body.append("\n" if chunk.sep == PARAGRAPH else " ")
                body.append("".join(chunk.parts))
            lines.append("".join(body))
        if not count:
            hidden = cmp.stats["formatting_changes"]
            lines.append(f"no content differences ({_plural(hidden, 'formatting change')} not shown)")
        return "\n".join(lines) + "\n"


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


def render_text(cmp: Comparison, *, color: bool = False, context: int = 8, show_formatting: bool = True) -> str:
    """Word diff in hunks, like `git diff --word-diff=plain`.

    Content changes: [-deleted-], {+inserted+}, [-old-]{+new+}; formatting
    changes {~old~>new~}; moves [-moved to line N: first words…-] where the
    passage was and {+moved from line M: passage+} where it is now.  Each hunk
    starts with "@@ old line A, new line B @@" and shows `context` words of
    unchanged (new) text on each side of its changes.
    """
    return _TextRenderer(cmp, color, context, show_formatting).render()


# --------------------------------------------------------------------------
# HTML.


@dataclass
class _Collapse:
    open_at: int  # new-text offsets: the end of the whitespace before the hidden words
    close_at: int  # the start of the whitespace after them
    words: int
    formatting: int


def _collapses(cmp: Comparison, context: int) -> list[_Collapse]:
    """Where long unchanged stretches fold, in reading order."""
    changes, segments = cmp.changes, cmp.segments

    def quiet(seg: Segment) -> bool:
        return seg.kind == "equal" or changes[seg.change].cls == FORMATTING

    out: list[_Collapse] = []
    i = 0
    while i < len(segments):
        if not quiet(segments[i]):
            i += 1
            continue
        j = i
        while j < len(segments) and quiet(segments[j]):
            j += 1
        collapse = _collapse_stretch(cmp, segments[i:j], context)
        if collapse:
            out.append(collapse)
        i = j
    return out


def _collapse_stretch(cmp: Comparison, group: list[Segment], context: int) -> _Collapse | None:
    new = cmp.new.text
    start, end = group[0].new_start, group[-1].new_end
    if end - start <= 2 * context:  # every word has at least one character
        return None
    fmt = [(s.new_start, s.new_end) for s in group if s.kind != "equal"]
    fmt_starts = [f[0] for f in fmt]
    window = max(400, context * 40)
    if end - start <= 2 * window:
        # A short stretch: cut it into tokens once.
        whole = _Window(new, start, end, end)
        if len(whole.words) <= 2 * context:
            return None
        head = whole.fold(context, fmt, fmt_starts, from_start=True)
        tail = whole.fold(context, fmt, fmt_starts, from_start=False)
        if head is None or tail is None or head >= tail:
            return None
        hidden = bisect.bisect_left(whole.word_starts, tail) - bisect.bisect_left(whole.word_starts, head)
    else:
        # A long one: only its ends are cut into tokens; the fold points
        # lie `context` words in from each end.
        head = _Window(new, start, start + window, end).fold(context, fmt, fmt_starts, from_start=True)
        if head is None:
            head = _Window(new, start, end, end).fold(context, fmt, fmt_starts, from_start=True)
        tail = _Window(new, end - window, end, end).fold(context, fmt, fmt_starts, from_start=False)
        if tail is None:
            tail = _Window(new, start, end, end).fold(context, fmt, fmt_starts, from_start=False)
        if head is None or tail is None or head >= tail:
            return None
        hidden = tk.count_words(new[head:tail])
    if hidden < 1:
        return None
    inside = sum(1 for f0, _ in fmt if head <= f0 < tail)
    return _Collapse(head, tail, hidden, inside)


class _Window:
    """new[w0:w1] cut into tokens, inside an unchanged stretch ending at `end`."""

    def __init__(self, new: str, w0: int, w1: int, end: int):
        self.new, self.w0, self.w1, self.end = new, w0, w1, end
        self.toks = tk.tokenize(new[w0:w1], keyer=False, offset=w0)
        literals = self.toks.literals
        self.words = [k for k, flag in enumerate(tk.word_flags(literals)) if flag]
        self.word_starts = [self.toks.starts[k] for k in self.words]

    def gap(self, k: int) -> tuple[int, int]:
        """Span of the whitespace before token k (k == n: trailing)."""
        toks = self.toks
        if k == len(toks):
            return toks.ends[-1], self.w1
        return toks.starts[k] - len(toks.gaps[k]), toks.starts[k]

    def usable(self, k: int, fmt, fmt_starts) -> bool:
        toks, n = self.toks, len(self.toks)
        if k == n and self.w1 < self.end:
            return False  # the window's end is not the stretch's end
        g0, g1 = self.gap(k)
        if not any(c.isspace() for c in self.new[g0:g1]):
            # No whitespace: only between two characters of a script written
            # without spaces (Chinese, Japanese, Thai...), never inside a word.
            if not (0 < k < n and _no_space_char_re().fullmatch(toks.literals[k - 1])
                    and _no_space_char_re().fullmatch(toks.literals[k])):
                return False
        # Not inside a formatting change, nor touching one: the walk shows a
        # change as a whole, so a fold must open and close in plain text.
        f = bisect.bisect_right(fmt_starts, g1) - 1
        return not (f >= 0 and fmt[f][1] >= g0)

    def fold(self, context: int, fmt, fmt_starts, from_start: bool) -> int | None:
        """Where a fold opens (from_start) or closes, `context` words in from
        that end of the window; None if the window holds too few words."""
        words, n = self.words, len(self.toks)
        if len(words) < context + 1:
            return None
        if from_start:
            first = words[context - 1] + 1 if context else 0
            k = next((k for k in range(first, n + 1) if self.usable(k, fmt, fmt_starts)), None)
            return None if k is None else self.gap(k)[1]
        last = words[len(words) - context] if context else n
        k = next((k for k in range(last, -1, -1) if self.usable(k, fmt, fmt_starts)), None)
        return None if k is None else self.gap(k)[0]


class _HtmlBody:
    """The document with changes marked, as one HTML string.

    Built here rather than in a template loop so that whitespace inside the
    pre-wrap container is exact and a 4 MB document with 100,000 changes
    renders in seconds.  Every string taken from the documents goes through
    `_esc` (markupsafe.escape, the escaping autoescape does) before it is put
    into markup; the only unescaped values are change numbers and kinds.
    """

    def __init__(self, cmp: Comparison, context: int, full: bool = True):
        from markupsafe import escape

        self._escape = escape
        self.cmp = cmp
        self.context = max(0, int(context))
        # full=False: folded stretches hold a note instead of their text, so
        # the page grows with the changes and their context, not the document.
        self.full = full
        self.omitted = 0  # folds whose text was left out
        self.parts: list[str] = []
        self.seen: set[int] = set()  # changes whose navigation stop is out
        # Reading position of each half of a move, to point its links the right way.
        self.order: dict[tuple[int, str], int] = {}
        for k, seg in enumerate(cmp.segments):
            if seg.kind in ("move-from", "move-to"):
                self.order[(seg.change, seg.kind)] = k

    def _esc(self, text: str) -> str:
        """Document text, whitespace as displayed, escaped."""
        return str(self._escape(_normalize(text, "\n\n")))

    def render(self) -> str:
        cmp, new = self.cmp, self.cmp.new.text
        cuts = []
        for c in _collapses(cmp, self.context):
            cuts.append((c.open_at, self.open_collapse(c)))
            cuts.append((c.close_at, "</span></details>"))
        parts, ci = self.parts, 0
        hiding = False  # inside a folded stretch whose text is left out
        for event in _walk(cmp):
            if hiding and event[0] != "text":
                continue
            if event[0] == "ws":
                parts.append("\n\n" if event[1] == PARAGRAPH else " ")
            elif event[0] == "change":
                parts.append(self.change(cmp.segments[event[1]]))
            else:
                _, seg, a, b, lead = event
                if lead is not None and not hiding:
                    m = _WS_RE.match(new, a, b)
                    if m:
                        parts.append({GLUED: "", SPACE: " ", PARAGRAPH: "\n\n"}[lead])
                        a = m.end()
                while ci < len(cuts) and cuts[ci][0] <= b:
                    at = max(cuts[ci][0], a)
                    if at > a and not hiding:
                        parts.append(self._esc(new[a:at]))
                    parts.append(cuts[ci][1])
                    if not self.full:
                        hiding = cuts[ci][1].startswith("<details")
                    a = at
                    ci += 1
                if b > a and not hiding:
                    parts.append(self._esc(new[a:b]))
        # A stretch can end in whitespace the walk trims (at the end of the
        # document): its </details> goes last.  An opening always has words after it.
        for _, markup in cuts[ci:]:
            assert markup.startswith("</"), "a collapse opening outside unchanged text"
            parts.append(markup)
        return "".join(parts)

    def open_collapse(self, c: _Collapse) -> str:
        label = f"{c.words:,} unchanged word" + ("" if c.words == 1 else "s")
        fmt = ""
        if c.formatting:
            fmt = f'<span class="fmt-count">, {_plural(c.formatting, "formatting change")}</span>'
        if not self.full:
            # Short: a long document at 1% edits has a fold every ~100 words.
            # The page says once, at the top, why the text is left out.
            self.omitted += 1
            return (f'<details class="unchanged omitted" data-words="{c.words}"><summary>'
                    f'<span class="unchanged-label">… {label}{fmt} …</span></summary><span class="unchanged-text">'
                    f'<em class="omitted-note">[not in this report: --full]</em>')
        return (f'<details class="unchanged" data-words="{c.words}"><summary title="Show the unchanged text">'
                f'<span class="unchanged-label">… {label}{fmt} …</span></summary><span class="unchanged-text">')

    def change(self, seg: Segment) -> str:
        esc = self._esc
        i = seg.change
        ch = self.cmp.changes[i]
        nav = " data-nav" if i not in self.seen else ""
        self.seen.add(i)
        if ch.cls == FORMATTING:
            was = str(self._escape(_visible(ch.old_text)))
            return (f'<span class="chg fmt" id="c{i}" data-class="formatting" data-kind="{ch.kind}"'
                    f' title="formatting: was “{was}”"{nav}><s class="fmt-old">{was}</s>'
                    f'<span class="fmt-new">{esc(ch.new_text)}</span></span>')
        if seg.kind in ("move-from", "move-to"):
            here = self.order[(i, seg.kind)]
            other = self.order.get((i, "move-to" if seg.kind == "move-from" else "move-from"), here)
            arrow = "↓" if other > here else "↑"
            if seg.kind == "move-from":
                return (f'<del class="chg move move-from" id="c{i}-from" data-class="content" data-kind="move"{nav}>'
                        f'<a class="move-link" href="#c{i}-to" title="This passage moved; go to where it is now">'
                        f'moved {arrow}</a>{esc(ch.old_text)}</del>')
            inner = []
            for kind, text in _move_pieces(self.cmp, ch):
                if kind == "text":
                    inner.append(esc(text))
                elif kind == "ws":
                    inner.append(" ")
                else:
                    inner.append(f'<{kind} class="edit">{esc(text)}</{kind}>')  # kind: del or ins
            note = f'<span class="move-note"> (with {_plural(len(ch.edits), "edit")})</span>' if ch.edits else ""
            return (f'<ins class="chg move move-to" id="c{i}-to" data-class="content" data-kind="move"{nav}>'
                    f'<a class="move-link" href="#c{i}-from" title="Go to where this passage was">'
                    f'moved from {arrow}{note}</a>{"".join(inner)}</ins>')
        attrs = f'id="c{i}" data-class="content" data-kind="{ch.kind}"{nav}'
        if ch.kind == "insert":
            return f'<ins class="chg" {attrs}>{esc(ch.new_text)}</ins>'
        if ch.kind == "delete":
            return f'<del class="chg" {attrs}>{esc(ch.old_text)}</del>'
        return f'<span class="chg replace" {attrs}><del>{esc(ch.old_text)}</del><ins>{esc(ch.new_text)}</ins></span>'


def _http_url(source: str | None) -> str | None:
    if not source:
        return None
    try:
        parts = urlsplit(source.strip())
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return source.strip()
    return None


def _side_info(side, default: str, words: int) -> dict[str, Any]:
    computed = _sha256_text(side.text)
    return {
        "label": _label(side, default),
        "document": side.document,
        "version": side.version,
        "content_sha256": side.content_sha256,
        "text_sha256": side.text_sha256 or computed,
        "text_sha256_computed": side.text_sha256 is None,
        "text_sha256_mismatch": bool(side.text_sha256) and side.text_sha256.lower() != computed,
        "text_sha256_actual": computed,
        "captured_at": side.captured_at,
        "source": side.source,
        "source_url": _http_url(side.source),
        "path": side.path,
        "chars": len(side.text),
        "words": words,
    }


_ENV = None


def _environment():
    """The jinja2 environment for templates/ (installed as provenance.templates)."""
    global _ENV
    if _ENV is None:
        import jinja2

        try:
            loader: Any = jinja2.PackageLoader("provenance", "templates")
        except ValueError:
            # An editable install maps provenance.templates to the top-level
            # templates/ folder, which PackageLoader cannot see.
            try:
                import importlib.resources

                loader = jinja2.FileSystemLoader(str(importlib.resources.files("provenance.templates")))
            except ModuleNotFoundError:  # a source checkout that is not installed
                from pathlib import Path

                loader = jinja2.FileSystemLoader(str(Path(__file__).resolve().parent.parent / "templates"))
        _ENV = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return _ENV


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


# Above this size (characters of the new text) a report leaves the text of
# folded unchanged stretches out unless asked for it (full=True).
FULL_TEXT_LIMIT = 1_000_000
# Words of context around changes: a page with all the text folds less
# eagerly than one that leaves the folded text out.
FULL_CONTEXT = 40
CHANGES_ONLY_CONTEXT = 12


def render_html(cmp: Comparison, *, context: int | None = None, title: str | None = None,
                full: bool | None = None) -> str:
    """One self-contained HTML page: identity of both versions, summary, the
    text with changes marked, navigation.  No network access: inline CSS and
    JS only, and a Content-Security-Policy that runs no other script.

    `full`: include the text of folded unchanged stretches (expandable).
    Default: yes for documents up to FULL_TEXT_LIMIT characters; above it
    the page holds the changes and CHANGES_ONLY_CONTEXT words around each,
    so its size follows the changes rather than the document.
    `context`: words shown around changes (default FULL_CONTEXT with the
    full text, CHANGES_ONLY_CONTEXT without).
    """
    if full is None:
        full = len(cmp.new.text) <= FULL_TEXT_LIMIT
    if context is None:
        context = FULL_CONTEXT if full else CHANGES_ONLY_CONTEXT
    from markupsafe import Markup

    env = _environment()
    stats = cmp.stats
    old_label, new_label = _label(cmp.old, "old"), _label(cmp.new, "new")
    if title is None:
        doc = cmp.new.document or cmp.old.document
        if doc and cmp.old.document == cmp.new.document and cmp.old.version and cmp.new.version:
            title = f"{doc}: v{cmp.old.version} → v{cmp.new.version}"
        elif doc and doc not in (old_label, new_label):
            title = f"{doc}: {old_label} → {new_label}"
        else:
            title = f"{old_label} → {new_label}"
    css = env.get_template("report.css.j2").render()
    js = env.get_template("report.js.j2").render()
    nav_total = sum(1 for c in cmp.changes)
    body = _HtmlBody(cmp, context, full)
    with gc_paused():  # (a long report makes many short-lived objects: 9% of a 4 MB report)
        body_html = body.render()  # counts the folds it leaves out
    return env.get_template("report.html.j2").render(
        title=title,
        old=_side_info(cmp.old, "old", stats["old_words"]),
        new=_side_info(cmp.new, "new", stats["new_words"]),
        options=cmp.options,
        stats=stats,
        kinds=_kind_counts(cmp),
        stats_line=_stats_line(cmp),
        identical=not cmp.changes,
        content_differs=cmp.content_differs,
        nav_total=nav_total,
        content_total=stats["content_changes"],
        body=Markup(body_html),
        omitted=body.omitted,
        context=body.context,
        css=Markup(css),
        js=Markup(js),
        csp=Markup(f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
                   "img-src data:; base-uri 'none'; form-action 'none'"),
        version=__version__,
    )
