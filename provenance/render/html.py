"""The HTML rendering: one self-contained page (templates/report.html.j2) with collapsed
unchanged stretches, a strict Content-Security-Policy and inline assets.

Owns: the report page and its jinja2 environment (imported lazily: jinja2
costs start-up).  Never: loads anything from the network or re-derives changes.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .. import __version__, tokens as tk
from ..diff import Comparison, FORMATTING, Segment, gc_paused
from ..visible import escape_html, escape_text
from .walk import GLUED, PARAGRAPH, SPACE, _WS_RE, _kind_counts, _label, _move_pieces, _no_space_char_re, _normalize, _plural, _sha256_text, _stats_line, _visible, _walk



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
        """Document text, whitespace as displayed, escaped; invisible format
        characters (bidi controls, zero-width) as visible, inert marks."""
        return escape_html(_normalize(text, "\n\n"), self._escape)

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

    def _page_attrs(self, ch) -> str:
        """data-old-page/data-new-page and a title saying the pages, for paged texts."""
        pages = self.cmp.pages_of(ch)
        if not pages:
            return ""
        where = ", ".join(f"{side.split('_')[0]} p. {n}" for side, n in pages.items())
        data = "".join(f' data-{side.replace("_", "-")}="{n}"' for side, n in pages.items())
        return f'{data} title="{where}"'

    def change(self, seg: Segment) -> str:
        esc = self._esc
        i = seg.change
        ch = self.cmp.changes[i]
        nav = " data-nav" if i not in self.seen else ""
        self.seen.add(i)
        if ch.cls == FORMATTING:
            was = escape_html(_visible(ch.old_text), self._escape)
            # An attribute cannot hold the marks' markup: there they are <U+XXXX>.
            was_title = self._escape(escape_text(_visible(ch.old_text)))
            return (f'<span class="chg fmt" id="c{i}" data-class="formatting" data-kind="{ch.kind}"'
                    f' title="formatting: was “{was_title}”"{nav}><s class="fmt-old">{was}</s>'
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
        attrs = f'id="c{i}" data-class="content" data-kind="{ch.kind}"{nav}{self._page_attrs(ch)}'
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

                loader = jinja2.FileSystemLoader(str(Path(__file__).resolve().parents[2] / "templates"))
        _ENV = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        from markupsafe import Markup

        # Labels, titles and sources come from documents and file names too.
        _ENV.filters["visible"] = lambda value: Markup(escape_html(str(value)))
        _ENV.filters["visible_text"] = lambda value: escape_text(str(value))
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


VIEWS = ("inline", "side-by-side")


def render_html(cmp: Comparison, *, context: int | None = None, title: str | None = None,
                full: bool | None = None, view: str = "inline") -> str:
    """One self-contained HTML page: identity of both versions, summary, the
    text with changes marked, navigation.  No network access: inline CSS and
    JS only, and a Content-Security-Policy that runs no other script.

    `full`: include the text of folded unchanged stretches (expandable).
    Default: yes for documents up to FULL_TEXT_LIMIT characters; above it
    the page holds the changes and CHANGES_ONLY_CONTEXT words around each,
    so its size follows the changes rather than the document.
    `context`: words shown around changes (default FULL_CONTEXT with the
    full text, CHANGES_ONLY_CONTEXT without).
    `view`: the view the page opens in, "inline" or "side-by-side"; the
    page holds both and a control switches between them.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
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
        from .side_by_side import side_by_side

        sbs, sbs_omitted, sbs_rows = side_by_side(cmp, full=full, context=body.context, escape=body._escape)
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
        sbs=[(("fold" if hasattr(item, "omitted") else "row"), item) for item in sbs],
        sbs_omitted=sbs_omitted,
        sbs_rows=sbs_rows,
        view=view,
        context=body.context,
        css=Markup(css),
        js=Markup(js),
        csp=Markup(f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; "
                   "img-src data:; base-uri 'none'; form-action 'none'"),
        version=__version__,
    )
