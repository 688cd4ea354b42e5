"""Deterministic text transforms for the diff benchmarks.

A document is a list of paragraphs, each a list of words (whitespace-free
strings, punctuation attached, as `str.split` gives them).  `render` lays the
words out as text in one of the STYLES: re-wrapped, one line per paragraph,
CRLF, stray whitespace, curly quotes, ligatures, a PDF-like and a web-like
rendering...  Every style changes only layout and typography, never a word:
the words can be recovered from any rendering by folding typography (NFKC,
quotes, dashes, ellipses, invisible characters) and undoing line-break
hyphenation, which `tests/test_benchmarks_quality.py` checks.

`render` records where each word landed (`Rendered.spans`), so a benchmark can
locate known edits (`apply_edits`) in the rendered old and new texts.

All randomness comes from the `random.Random` passed in, so a seed gives the
same texts on every run and machine.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace

Paragraphs = list[list[str]]

NBSP = "\u00a0"
SOFT_HYPHEN = "\u00ad"

# --------------------------------------------------------------------------
# Styles


@dataclass(frozen=True)
class Style:
    """How to lay out and typeset words.  Every option is formatting only."""

    width: int | None = 72  # hard-wrap column; None: one line per paragraph
    width_jitter: int = 0  # each line's width varies by up to this much
    newline: str = "\n"
    quotes: str = "keep"  # keep | curly | straight
    ligatures: bool = False  # ff fi fl ffi ffl -> U+FB00..U+FB04
    dashes: bool = False  # "--" between words or alone -> em dash
    ellipsis: bool = False  # "..." -> U+2026
    nbsp: float = 0.0  # share of spaces between words that are no-break spaces
    abbrev_nbsp: bool = False  # no-break space after "Mr.", "e.g.", "p." ...
    soft_hyphens: float = 0.0  # share of long words with a soft hyphen inside
    stray: bool = False  # doubled spaces, tabs, trailing spaces, indented lines
    blank_runs: bool = False  # 1-4 blank lines (some with spaces) between paragraphs
    paragraph_lines: bool = False  # paragraphs separated by one newline or a blank line, at random
    compound_breaks: bool = False  # "well-" / "known" at line ends
    word_breaks: bool = False  # "govern-" / "ment" at line ends, only for attested words
    layout_breaks: bool = False  # long words broken at a dictionary hyphenation point, attested or not
    glue_spaces: float = 0.0  # share of "word," written "word ," (spacing glue)
    reparagraph: float = 0.0  # share of paragraphs merged into the one before; half as many split after a sentence


STYLES: dict[str, Style] = {
    "wrap72": Style(width=72),
    "wrap40": Style(width=40),
    "wrap100": Style(width=100),
    "one-line": Style(width=None),
    "crlf": Style(width=72, newline="\r\n"),
    "stray-spaces": Style(width=72, stray=True),
    "blank-lines": Style(width=72, blank_runs=True),
    "hyphenated": Style(width=60, compound_breaks=True, word_breaks=True),
    # Justified typesetting: any long word that reaches a line end is broken
    # at a hyphenation point of the dictionary (lower case, CAPITALS and
    # Title case alike: "PAR-" / "TICULAR", "Inci-" / "dental"), and
    # compounds after their own hyphen.
    "layout-hyphens": Style(width=50, compound_breaks=True, layout_breaks=True),
    "curly-quotes": Style(width=72, quotes="curly"),
    "ligatures": Style(width=72, ligatures=True),
    "nbsp": Style(width=72, nbsp=0.15),
    "soft-hyphens": Style(width=72, soft_hyphens=0.3),
    "dashes": Style(width=72, dashes=True, ellipsis=True),
    # Text extracted from a PDF: hard wraps near 90 columns, words hyphenated
    # at line ends, ligatures, straight quotes, stray spaces.
    "pdf": Style(width=90, width_jitter=4, quotes="straight", ligatures=True, stray=True,
                 compound_breaks=True, word_breaks=True, glue_spaces=0.02),
    # Text copied from a web page: one line per paragraph, curly quotes, em
    # dashes, ellipses, no-break spaces after abbreviations.
    "web": Style(width=None, quotes="curly", dashes=True, ellipsis=True, abbrev_nbsp=True, paragraph_lines=True),
    # Paragraphs split and merged: a paragraph run on after the one before it
    # (a heading into its first sentence too), a new one started after a
    # sentence, now and then after any word (a column or page break read as
    # a paragraph's end).
    "paragraphs": Style(width=72, reparagraph=0.3),
}

ABBREVIATIONS = frozenset(
    "Mr. Mrs. Ms. Dr. St. Sr. Jr. No. Nos. Vol. vol. pp. p. e.g. i.e. cf. Fig. Sec. Art. Gen. Gov. Capt. Col. "
    "Lt. Adm. Rev. Hon. Sir".split()
)

# --------------------------------------------------------------------------
# Typography of one word

_OPENING_CONTEXT = set(" \t([{<\u2014\u2013-/\u2018\u201c")
_STRAIGHTEN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                             "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'})
_LIGATURES = {"ffi": "\ufb03", "ffl": "\ufb04", "ff": "\ufb00", "fi": "\ufb01", "fl": "\ufb02"}
_LIGATURE_RE = re.compile("ffi|ffl|ff|fi|fl")
_DASH_IN_WORD_RE = re.compile(r"(?<=\w)--(?=\w)")
_ELLIPSIS_RE = re.compile(r"(?<!\.)\.\.\.(?!\.)")
_SOFT_SLOT_RE = re.compile(r"[a-z]{7,}")


def curl_quotes(word: str) -> str:
    """Straight quotes and apostrophes as typographic ones, in the right
    direction: opening at the start of a word or after an opening bracket or
    dash, closing (and U+2019 for apostrophes) after anything else, so an
    apostrophe inside a word stays part of the word."""
    out: list[str] = []
    prev = " "
    for ch in word:
        if ch == '"':
            ch = "\u201c" if prev in _OPENING_CONTEXT else "\u201d"
        elif ch == "'":
            ch = "\u2018" if prev in _OPENING_CONTEXT else "\u2019"
        out.append(ch)
        prev = ch
    return "".join(out)


def straighten_quotes(word: str) -> str:
    return word.translate(_STRAIGHTEN)


def typeset(word: str, style: Style, rng: random.Random) -> str:
    """One word in a style's typography (quotes, dashes, ellipses, ligatures,
    soft hyphens).  Never adds or removes whitespace."""
    if style.quotes == "curly":
        word = curl_quotes(word)
    elif style.quotes == "straight":
        word = straighten_quotes(word)
    if style.dashes:
        word = "\u2014" if word == "--" else _DASH_IN_WORD_RE.sub("\u2014", word)
    if style.ellipsis:
        word = _ELLIPSIS_RE.sub("\u2026", word)
    if style.ligatures:
        word = _LIGATURE_RE.sub(lambda m: _LIGATURES[m.group()], word)
    if style.soft_hyphens and rng.random() < style.soft_hyphens:
        m = _SOFT_SLOT_RE.search(word)
        if m:
            at = rng.randint(m.start() + 3, m.end() - 3)
            word = word[:at] + SOFT_HYPHEN + word[at:]
    return word


def fold(text: str) -> str:
    """Typography folded away: NFKC, straight quotes, one hyphen for any dash
    run, no soft hyphens.  Two words that fold alike differ only in formatting."""
    text = unicodedata.normalize("NFKC", text.replace(SOFT_HYPHEN, "")).translate(_STRAIGHTEN)
    return re.sub("[-\u2010-\u2015]+", "-", text)


def core(word: str) -> str:
    """The letters and digits of a word, folded and lower-cased: what decides
    whether two neighbouring words could be confused by a diff."""
    return "".join(ch for ch in fold(word).lower() if ch.isalnum())


def lexicon_of(paragraphs: Paragraphs) -> set[str]:
    """Lower-cased word pieces (runs of word characters) of a document."""
    lex: set[str] = set()
    for para in paragraphs:
        for word in para:
            lex.update(piece.lower() for piece in re.findall(r"\w+", fold(word)))
    return lex


# --------------------------------------------------------------------------
# Layout


@dataclass
class Rendered:
    """A rendering: its text, and where each word is in it.

    spans[p][i] is the (start, end) character span of word i of paragraph p;
    a word broken across lines spans the hyphen and the line break.  Text
    outside the spans is whitespace only.  breaks lists the broken words as
    (p, i, "compound" | "word").
    """

    text: str
    spans: list[list[tuple[int, int]]]
    style: str = ""
    breaks: list[tuple[int, int, str]] = field(default_factory=list)

    def flat(self) -> list[tuple[int, int]]:
        return [span for para in self.spans for span in para]

    def word_range(self, p: int, i0: int, i1: int) -> tuple[int, int]:
        """Characters of words i0..i1-1 of paragraph p.  For an empty range,
        the whitespace between the words before and after it."""
        if i1 > i0:
            return self.spans[p][i0][0], self.spans[p][i1 - 1][1]
        k = sum(len(para) for para in self.spans[:p]) + i0
        flat = self.flat()
        start = flat[k - 1][1] if k > 0 else 0
        end = flat[k][0] if k < len(flat) else len(self.text)
        return start, end


_WORD_SPLIT_RE = re.compile(r"\S+")
_BLANK_LINE_RE = re.compile(r"\n[^\S\n]*\n")


def parse(text: str, style: str = "source") -> tuple[Paragraphs, Rendered]:
    """The words of a text, paragraphs split at blank lines, and the text
    itself as a rendering of them (its spans are the words' places)."""
    paragraphs: Paragraphs = []
    spans: list[list[tuple[int, int]]] = []
    prev_end = None
    for m in _WORD_SPLIT_RE.finditer(text):
        gap = text[prev_end:m.start()] if prev_end is not None else None
        if gap is None or _BLANK_LINE_RE.search(gap.replace("\r\n", "\n").replace("\r", "\n")):
            paragraphs.append([])
            spans.append([])
        paragraphs[-1].append(m.group())
        spans[-1].append(m.span())
        prev_end = m.end()
    return paragraphs, Rendered(text, spans, style)


_PLAIN_WORD_RE = re.compile(r"(\W*)([A-Za-z\u00c0-\u024f\ufb00-\ufb04]{6,})(\W*)")
_LETTERS_RE = re.compile(r"(\W*)([A-Za-z]{6,})(\W*)")


def hyphenation_points(word: str) -> list[int]:
    """Where the en_US dictionary (pyphen, LibreOffice's patterns) allows a
    line-end break in a word, any case."""
    import pyphen

    global _DICTIONARY
    if _DICTIONARY is None:
        _DICTIONARY = pyphen.Pyphen(lang="en_US")
    return _DICTIONARY.positions(word.lower())


_DICTIONARY = None
_COMPOUND_HYPHEN_RE = re.compile(r"(?<=\w)-(?=\w)")


def _has_marks(word: str) -> bool:
    """Combining marks would attach to the letters next to them."""
    return any(unicodedata.category(ch).startswith("M") for ch in word)


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def put(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def text(self) -> str:
        return "".join(self.parts)


def render(paragraphs: Paragraphs, style: str | Style, rng: random.Random,
           lexicon: set[str] | None = None) -> Rendered:
    """Lay out words in a style, recording each word's character span.

    `lexicon` (see `lexicon_of`) adds words that must be taken into account
    when deciding whether a compound broken at a line end ("re-" / "cover")
    could be read as one word ("recover"): pass the vocabulary of the other
    text a rendering will be compared with.
    """
    name = style if isinstance(style, str) else ""
    st = STYLES[style] if isinstance(style, str) else style
    forms = [[typeset(w, st, rng) for w in para] for para in paragraphs]
    lex = lexicon_of(paragraphs) | (lexicon or set())
    # Attested words: a plain word may be broken "govern-" / "ment" only while
    # another, unbroken occurrence of it remains in this text.
    available = Counter()
    if st.word_breaks:
        for para in forms:
            for form in para:
                m = _PLAIN_WORD_RE.fullmatch(form)
                if m and not _has_marks(form):
                    available[fold(m.group(2))] += 1

    out = _Writer()
    spans: list[list[tuple[int, int]]] = []
    breaks: list[tuple[int, int, str]] = []
    nl = st.newline

    def line_break() -> None:
        if st.stray:
            out.put(rng.choice(["", "", "", " ", "  ", "\t"]))
        out.put(nl)
        if st.stray:
            out.put(rng.choice(["", "", "", " ", "   ", "\t"]))

    def line_width() -> int:
        assert st.width is not None
        return st.width + (rng.randint(-st.width_jitter, st.width_jitter) if st.width_jitter else 0)

    def separator(prev_word: str) -> str:
        if st.abbrev_nbsp and prev_word in ABBREVIATIONS:
            return NBSP
        if st.nbsp and rng.random() < st.nbsp:
            return NBSP
        if st.stray:
            return rng.choice([" ", " ", " ", " ", "  ", "   ", "\t", " \t"])
        return " "

    def paragraph_separator() -> None:
        if st.paragraph_lines and rng.random() < 0.5:
            out.put(nl)
            return
        out.put(nl)
        blanks = rng.randint(1, 4) if st.blank_runs else 1
        for _ in range(blanks):
            if (st.blank_runs or st.stray) and rng.random() < 0.3:
                out.put(rng.choice([" ", "\t", "   "]))
            out.put(nl)

    def try_break(form: str, room: int) -> tuple[str, str, str] | None:
        """(head ending in a hyphen, tail, kind) for a word broken to fit `room`."""
        if st.compound_breaks:
            for m in reversed(list(_COMPOUND_HYPHEN_RE.finditer(form))):
                head = form[:m.end()]
                if len(head) > room:
                    continue
                left = re.search(r"\w+$", form[:m.start()]).group()
                right = re.match(r"\w+", form[m.end():]).group()
                if fold(left + right).lower() in lex:
                    continue  # "re-" / "cover" would read as "recover"
                return head, form[m.end():], "compound"
        if st.layout_breaks:
            m = _LETTERS_RE.fullmatch(form)
            if m:
                prefix, word = m.group(1), m.group(2)
                # Not where both halves are words ("on-" / "line", "some-" /
                # "thing"): that reads as a compound, for a reader as for the tool.
                cuts = [k for k in hyphenation_points(word) if len(prefix) + k + 1 <= room and 2 <= k <= len(word) - 3
                        and not (word[:k].lower() in lex and word[k:].lower() in lex)]
                if cuts:
                    k = max(cuts)
                    return prefix + word[:k] + "-", word[k:] + m.group(3), "layout"
        if st.word_breaks:
            m = _PLAIN_WORD_RE.fullmatch(form)
            if m and available[fold(m.group(2))] >= 2 and not _has_marks(form):
                prefix, word = m.group(1), m.group(2)
                cuts = [k for k in range(3, len(word) - 2)
                        if len(prefix) + k + 1 <= room and word[k].islower() and word[k - 1].isalpha()]
                if cuts:
                    k = max(cuts) if rng.random() < 0.7 else rng.choice(cuts)
                    available[fold(word)] -= 1
                    return prefix + word[:k] + "-", word[k:] + m.group(3), "word"
        return None

    col = width = 0
    for p, para in enumerate(forms):
        spans.append([])
        # Run on after the paragraph before (its words go on as one paragraph's).
        merge = bool(p and st.reparagraph and rng.random() < st.reparagraph)
        if p and not merge:
            paragraph_separator()
        if not merge:
            if st.stray and rng.random() < 0.2:
                out.put(rng.choice([" ", "  ", "\t"]))
            col = 0
            width = line_width() if st.width else 0
        for i, form in enumerate(para):
            if st.glue_spaces and len(form) > 1 and form[-1] in ",;:" and form[-2].isalnum() \
                    and rng.random() < st.glue_spaces:
                form = form[:-1] + " " + form[-1]
            prev_word = paragraphs[p][i - 1] if i else (paragraphs[p - 1][-1] if p else "")
            split = False
            if i and st.reparagraph:
                r = rng.random()
                split = r < st.reparagraph / 20 or (prev_word[-1:] in ".!?" and r < st.reparagraph / 2)
            if split:
                paragraph_separator()
                col = 0
                width = line_width() if st.width else 0
            if (i == 0 and not merge) or split:
                start = out.pos
                out.put(form)
                spans[p].append((start, out.pos))
                col = len(form)
                continue
            sep = separator(prev_word)
            if st.width is None or col + 1 + len(form) <= width:
                out.put(sep)
                start = out.pos
                out.put(form)
                spans[p].append((start, out.pos))
                col += 1 + len(form)
                continue
            broken = try_break(form, width - col - 1)
            if broken:
                head, tail, kind = broken
                out.put(sep)
                start = out.pos
                out.put(head)
                line_break()
                out.put(tail)
                spans[p].append((start, out.pos))
                breaks.append((p, i, kind))
                col = len(tail)
            else:
                line_break()
                start = out.pos
                out.put(form)
                spans[p].append((start, out.pos))
                col = len(form)
            width = line_width()
    if forms and st.stray and rng.random() < 0.5:
        out.put(rng.choice([" ", "\t", "  "]))
    if forms and rng.random() < 0.7:
        out.put(nl)
    return Rendered(out.text(), spans, name, breaks)


# --------------------------------------------------------------------------
# Known edits


@dataclass
class Edit:
    """One word edit.  Paragraph p keeps its index; words old_start..old_end
    of the old paragraph became words new_start..new_end of the new one."""

    kind: str  # substitute | insert | delete | replace
    p: int
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_words: list[str]
    new_words: list[str]

    def spans(self, old: Rendered, new: Rendered) -> tuple[tuple[int, int], tuple[int, int]]:
        """Character spans of the edit in the old and the new rendering (for
        an insertion the old span is the whitespace where the words went in,
        for a deletion the new span is the whitespace where they were)."""
        return old.word_range(self.p, self.old_start, self.old_end), new.word_range(self.p, self.new_start, self.new_end)


def _has_word(word: str) -> bool:
    return any(ch.isalnum() for ch in word)


def apply_edits(paragraphs: Paragraphs, rng: random.Random, n: int, min_gap: int = 3) -> tuple[Paragraphs, list[Edit]]:
    """Apply n known word edits: substitute one word by another word of the
    text, insert 1-3 words, delete 1-3 words, replace a 2-3 word phrase by
    1-3 other words.  Edits are at least `min_gap` untouched words apart and
    inside paragraphs (a paragraph never loses its first or last word), and
    no edited word occurs among the words it replaces or near the edit, so
    that there is one right answer for where each edit is."""
    flat = [(p, i) for p, para in enumerate(paragraphs) for i in range(len(para))]
    words = [paragraphs[p][i] for p, i in flat]
    cores = [core(w) for w in words]
    if len(words) < 10:
        return [list(para) for para in paragraphs], []
    starts = {}
    k = 0
    for p, para in enumerate(paragraphs):
        starts[p] = k
        k += len(para)

    def phrase(m: int) -> list[str] | None:
        s = rng.randrange(0, len(words) - m + 1)
        run = words[s:s + m]
        if not (_has_word(run[0]) and _has_word(run[-1])):
            return None
        return run

    taken: list[tuple[int, int]] = []  # flat [a, b) ranges of chosen sites
    plans: list[tuple[int, int, str, list[str]]] = []
    tries = 0
    while len(plans) < n and tries < n * 200:
        tries += 1
        kind = rng.choice(["substitute", "insert", "delete", "replace"])
        p = rng.randrange(len(paragraphs))
        para = paragraphs[p]
        if len(para) < 3:
            continue
        if kind == "insert":
            i = rng.randint(1, len(para) - 1)
            m_old = 0
        else:
            m_old = 1 if kind == "substitute" else rng.randint(1, 3) if kind == "delete" else rng.randint(2, 3)
            if len(para) - m_old < 2:
                continue
            i = rng.randint(1, len(para) - 1 - m_old)
        a = starts[p] + i
        b = a + m_old
        if any(not (b + min_gap <= x or y + min_gap <= a) for x, y in taken):
            continue
        old = words[a:b]
        if old and not (_has_word(old[0]) and _has_word(old[-1])):
            continue
        if kind == "substitute":
            cand = rng.choice(words)
            new = [cand] if _has_word(cand) else None
        elif kind == "delete":
            new = []
        else:
            new = phrase(rng.randint(1, 3))
        if new is None:
            continue
        # One right answer: no word of the edit may also occur in the old
        # words it replaces or among the `min_gap` words either side, or a
        # diff could equally align it there ("at hand; and not a word" ->
        # "at not a word a word" is also "delete 'hand; and', insert 'a word'").
        context = {c for c in cores[max(0, a - min_gap):a] + cores[b:b + min_gap] if c}
        old_cores = {c for c in cores[a:b] if c}
        new_cores = {c for c in map(core, new) if c}
        if old_cores & context or new_cores & (context | old_cores):
            continue
        taken.append((a, b))
        plans.append((a, b, kind, new))

    plans.sort()
    out: Paragraphs = [[] for _ in paragraphs]
    edits: list[Edit] = []
    pos = 0
    for a, b, kind, new in plans:
        for k in range(pos, a):
            p, _ = flat[k]
            out[p].append(words[k])
        p, i = flat[a]
        j = len(out[p])
        out[p].extend(new)
        edits.append(Edit(kind, p, i, i + (b - a), j, j + len(new), words[a:b], list(new)))
        pos = b
    for k in range(pos, len(words)):
        p, _ = flat[k]
        out[p].append(words[k])
    return out, edits


def with_style(style: str, **changes) -> Style:
    """A named style with some options changed."""
    return replace(STYLES[style], **changes)
