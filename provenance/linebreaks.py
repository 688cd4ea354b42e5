"""Line-end hyphens: a word broken to fit a line ("govern-" / "ment"), to be
joined, or a compound broken at its own hyphen ("intra-" / "Palestinian"),
to be kept.

Owns: finding the hyphens at line ends (and across page furniture), the
BreakJudge that decides each one for a pair of texts from its evidence
(the texts themselves, searched with the help of word filters of them,
then the hyphenation dictionary, provenance/hyphenation.py, and
the English word list, provenance/wordlist.py), and joining the halves in
the token lists.  Never: tokenises (tokens.py does),
and never changes a text: a join only makes two tokens one, with the
literal text, hyphen and line break included, kept as it was.
"""

from __future__ import annotations

import bisect
import re
import sys
from itertools import accumulate, chain

from . import hyphenation
from . import tokens as tk
from .tokens import Tokens

# Line-break hyphenation: "govern-\nment".  A soft hyphen at a line end always
# joins; a visible hyphen joins only when the joined word is attested.
# (The word character before the hyphen is checked in Python: a look-behind
# here would make the scan of a long text many times slower.)
_BREAK_RE = re.compile(r"([-\u2010\u00ad])[^\S\r\n]*(?:\r\n|\r|\n)\s*(?=\w)")

hyphenation_points = hyphenation.points  # offsets in a lower-case word where the dictionary allows a break

def let_go_of_dictionaries() -> None:
    """Forget the hyphenation dictionary and the word list, if loaded (a
    process that compares once: diff.pipeline.ONE_COMPARISON)."""
    hyphenation.let_go()
    wordlist = sys.modules.get(f"{__package__}.wordlist")  # (not imported only to be let go of: gzip and all)
    if wordlist is not None:
        wordlist.let_go()


def _hyphens_across_furniture(side: Tokens) -> list[tuple[int, int, bool]]:
    """Line-end hyphens whose word goes on after page furniture ("argu-" /
    running head / page number / "ments"), in _line_break_hyphens' form: the
    furniture left the token list, so the hyphen token is followed by the
    word's second half across a FURNITURE gap that starts with a line break."""
    found = []
    for i in side.__dict__.get("_furniture_gaps", ()):
        gap = side.gaps[i]
        if 1 < i < len(side) and side.literal(i - 1) in ("-", "\u2010") and "\n" in gap.split("\f", 1)[0] \
                and not gap[:1].strip() and side.text[side.starts[i - 1] - 1:side.starts[i - 1]].isalnum():
            found.append((side.starts[i - 1], side.starts[i], False))
    return found


def _line_break_hyphens_py(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Hyphens at line ends in the ranges of text, right after a letter or
    digit and before a word: (hyphen offset, end of the line break and the
    whitespace after it, whether it is a soft hyphen)."""
    return [(m.start(), m.end(), m.group(1) == "\u00ad") for start, end in ranges
            for m in _BREAK_RE.finditer(text, start, end) if m.start() and text[m.start() - 1].isalnum()]


def _line_break_hyphens(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    if tk._speedups is not None:
        return tk._speedups.line_break_hyphens(text, ranges)
    return _line_break_hyphens_py(text, ranges)


class BreakJudge:
    """Decides whether a hyphen at a line end is layout (the word was broken
    to fit the line: join its halves) or a real hyphen ("intra-" /
    "Palestinian", "high-" / "level": keep it), for one pair of texts, the
    same way wherever it is asked (the chunk pass and the token lists).

    The evidence, in order: a soft hyphen is always layout; the joined
    spelling occurring as a word in either text (attestation) makes it
    layout, and across a blank line nothing else does (a paragraph's last
    line is not broken to fit); the halves must read as one word's case
    (lower after lower or title case, capitals after capitals), else the
    hyphen is real ("Lavrov-" / "Zarif"), and so does a half with no vowel
    ("NP-" / "NSA").  Failing that, the hyphenated spelling occurring in
    either text, or both halves occurring on their own ("high-" /
    "level"), make it real; a break at no legal hyphenation point of the joined word
    (pyphen's LibreOffice en_US dictionary) is real.  At a legal point, an
    English word list (provenance/wordlist.py) decides: the joined word in
    it is layout ("PAR-" / "TICULAR", "Inci-" / "dental", a word of a
    changed passage that neither text has whole), else a half that is a
    word makes a compound ("de-" / "facto", "three-" / "dimensional").
    Without the word list the dictionary joined those compounds: it kept
    35% of the corpus's compounds that no text attests, against 90% with it
    (benchmarks/hyphens.py).  The dictionary, the word list and the word
    counts are loaded only when a hyphen gets that far.
    """

    def __init__(self, old_text: str, new_text: str, lexicon: set[str] | None = None):
        self.texts = (old_text, new_text)
        self._lexicon = lexicon  # word keys of both texts
        self._new_outside_runs = None  # (know_unchanged_runs) the ranges, then their text joined by NULs
        self._broken = None  # lower-cased word -> how often it is a half of a line-end break
        self._counted: dict[tuple[str, int], bool] = {}
        self._filters: _WordFilters | None = None  # (start_word_filters)
        self.decided: dict[tuple, bool] = {}  # (left, right) or (left, right, True) across a paragraph break

    def _attested(self, word: str, near: tuple[int, int] | None = None) -> bool:
        """Whether word (a key) is a word of either text: looked up in the
        words of the token lists when they are whole, else searched for
        (a plain substring search, then the word boundaries), first `near`
        where it is likely (_near)."""
        if self._lexicon is not None:
            return word in self._lexicon
        if self._may_hold(0, word) and _occurs(self.texts[0], word, None if near is None else near[0]):
            return True
        if not self._may_hold(1, word):
            return False
        if self._new_outside_runs is not None:
            if not isinstance(self._new_outside_runs, str):
                text = self.texts[1]
                self._new_outside_runs = "\x00".join([text[a:b] for a, b in self._new_outside_runs])
            return _occurs(self._new_outside_runs, word)
        return _occurs(self.texts[1], word, None if near is None else near[1])

    def _near(self, at: tuple[str, int] | None) -> tuple[int, int] | None:
        """Where in each text (old, new) a break's joined word most likely
        is, given the break's (text, offset): the same offset in its own
        text, the same share of the other (the texts are versions of one
        document).  A PDF's text has thousands of words broken at line
        ends, each joined word attested by a search of the other text that
        stopped at its first occurrence, half the text away on average
        (4 MB: 5,760 breaks, 1.1 s); looked for near the break first, it is
        mostly found at once."""
        if at is None:
            return None
        text, offset = at
        old, new = self.texts
        if text is old:
            return offset, offset * len(new) // max(1, len(old))
        if text is new:
            return offset * len(old) // max(1, len(new)), offset
        return None

    def start_word_filters(self, hinted: bool = False) -> None:
        """Start making the texts' word filters in a second thread
        (_WordFilters) where they pay: a long old text, and, unless
        `hinted`, a hyphen at a line end in a sample of either text
        (_has_line_end_hyphen).  The chunk pass calls this once its own
        threads have cut the texts: the filters are then made beside the
        main thread's work, long before the judge's first search (4 MB: 9
        ms a text, against 50-250 ms later).  Where it did not start them,
        the first search of a long old text does (hinted)."""
        if self._filters is None and self._lexicon is None and _filter_pays(self.texts[0]) and (
                hinted or any(map(_has_line_end_hyphen, self.texts))):
            self._filters = _WordFilters(self.texts)

    def _may_hold(self, k: int, *words: str) -> bool:
        """Whether any of words may be a word of text k (0 old, 1 new):
        False only where its word filter rules them all out (then a search
        would find none of them), True while there is none or it is being
        made (the judge never waits for it)."""
        if self._filters is None:
            self.start_word_filters(hinted=True)  # (a search: there are line-end hyphens)
            return True
        return any(self._filters.may_hold(k, word) for word in words)

    def know_unchanged_runs(self, new_ranges: list[tuple[int, int]]) -> None:
        """Say that the new text is the old one but for these ranges (the
        stretches of a chunk plan between its unchanged runs): attestation
        then searches the old text and only these ranges of the new.

        Exact: each unchanged run is the old text's run but for whitespace,
        and starts and ends at whitespace (or an end of the text) in both,
        so a word found in a new run, with what is either side of it, is in
        the old run too; no word reaches across whitespace into a range.
        (The word counts still search both texts whole: they count.)
        Where the ranges are most of the new text (a PDF's text against a
        web page's: nearly every chunk differs in formatting), the whole
        text is searched, near the break first: their text joined would be
        a copy of the text (8 MB at 4 MB) at the comparison's peak, and no
        quicker to search."""
        self._new_outside_runs = new_ranges if self.searches_runs_joined(sum(b - a for a, b in new_ranges)) else None

    def searches_runs_joined(self, outside: int) -> bool:
        """Whether know_unchanged_runs keeps ranges of `outside` characters
        in all (else the whole new text is searched): a caller that has not
        made its ranges yet need not make them for nothing."""
        return outside <= OUTSIDE_RUNS_JOINED_UNDER * len(self.texts[1])

    def joins(self, left: str, right: str, soft: bool, paragraph: bool = False,
              at: tuple[str, int] | None = None) -> bool:
        """Whether "left-" at a line end and "right" on the next are one word
        (left and right: the keys of the halves).  `paragraph`: a blank
        line lies between them (across_paragraphs): a paragraph's last
        line is never broken to fit, so only the joined word occurring in
        either text (double-spaced lines, a column break read as a
        paragraph's end) makes it layout; "nano-" / "nanoacre", a
        glossary's headwords, stay two.  `at`: the break's text and offset,
        where the joined word is looked for first (_near)."""
        if soft:
            return True
        if paragraph:
            found = self.decided.get((left, right, True))
            if found is None:
                found = self.decided[(left, right, True)] = self._attested(left + right, self._near(at))
            return found
        found = self.decided.get((left, right))
        if found is None:
            found = self.decided[(left, right)] = self._joins(left, right, self._near(at))
        return found

    def _joins(self, left: str, right: str, near: tuple[int, int] | None = None) -> bool:
        if self._attested(left + right, near):
            return True  # "govern-" / "ment", "Post-" / "Script" where the whole word occurs
        if not (right[:1].islower() or (left.isupper() and right.isupper())):
            return False  # a capital after the break: a compound of names ("Lavrov-" / "Zarif")
        if not (left.isalpha() and right.isalpha()):
            return False
        lower_left, lower_right = left.lower(), right.lower()
        if not (_VOWELS.intersection(lower_left) and _VOWELS.intersection(lower_right)):
            return False  # a half with no syllable: "NP-" / "NSA", "MS-" / "DOS"
        # The dictionary is asked before the word counts where the texts are
        # long or it is loaded already: a break at no hyphenation point is a
        # real hyphen whatever they say, and a count searches both texts
        # three times (one per case), slowly where a prefix such as "mega-"
        # occurs inside many words (1 MB: 5 breaks get this far, some 40 ms
        # of counting).  Loading it costs some 20 ms a process (pyphen's
        # import, and its patterns from the cache: hyphenation.py), which
        # short texts need not pay when the counts settle the break.  Either
        # order gives the same answer.
        legal = None
        if self._dictionary_first:
            legal = len(left) in hyphenation_points(lower_left + lower_right)
            if not legal:
                return False
        if self._count(f"{lower_left}-{lower_right}", 0):
            return False  # the compound is spelled so elsewhere
        if self._count(lower_left, self._halves(lower_left)) and self._count(lower_right, self._halves(lower_right)):
            return False  # two words of their own: "high-" / "level"
        if legal is None and len(left) not in hyphenation_points(lower_left + lower_right):
            return False
        # A legal point, and no text settles it.  The dictionary breaks compounds
        # as readily as words ("de-fac-to"), so the word list is asked: a known
        # joined word is layout; else a left half that is a word, or a right
        # half that is a word of four letters or more, makes it a compound
        # ("de-" / "facto", "dramatico-" / "musical"; a shorter right half is
        # more often a suffix the list happens to hold: "relicens-" / "ing").
        from . import wordlist

        if wordlist.is_word(lower_left + lower_right):
            return True
        return not (wordlist.is_word(lower_left) or (len(lower_right) >= 4 and wordlist.is_word(lower_right)))

    @property
    def _dictionary_first(self) -> bool:
        return hyphenation.loaded() or sum(map(len, self.texts)) >= DICTIONARY_FIRST_MIN_CHARS

    def _count(self, lower: str, more_than: int) -> bool:
        """Whether lower (lower case) occurs as a whole word (or compound)
        in the texts more than so many times."""
        found = self._counted.get((lower, more_than))
        if found is not None:
            return found
        variants = tuple(dict.fromkeys((lower, lower.capitalize(), lower.upper())))
        texts = tuple(text for k, text in enumerate(self.texts) if self._may_hold(k, *variants))
        found = self._counted[(lower, more_than)] = self._count_in(texts, variants, more_than)
        return found

    @staticmethod
    def _count_in(texts: tuple[str, ...], variants: tuple[str, ...], more_than: int) -> bool:
        # In lower case, Title case or capitals (variants), found by
        # str.find (a case-blind pattern or a lower-cased copy of the texts
        # costs several times more), each at word boundaries.
        n = 0
        for variant in variants:
            for text in texts:
                for _ in _at_word_bounds(text, variant):
                    n += 1
                    if n > more_than:
                        return True
        return False

    def _halves(self, lower: str) -> int:
        """How often lower is a half of a word broken at a line end."""
        if self._broken is None:
            from collections import Counter

            self._broken = Counter()
            for text in self.texts:
                for at, end, _ in _line_break_hyphens(text, [(0, len(text))]):
                    left, right = _HALF_BEFORE_RE.search(text, max(0, at - 64), at), _HALF_AFTER_RE.match(text, end)
                    self._broken.update(m.group().lower() for m in (left, right) if m)
        return self._broken[lower]


_VOWELS = frozenset("aeiouy")

# From this many characters (both texts) on, BreakJudge asks the dictionary
# before counting words (see BreakJudge._joins).
DICTIONARY_FIRST_MIN_CHARS = 256 * 1024
_HALF_BEFORE_RE = re.compile(r"\w+$")
_HALF_AFTER_RE = re.compile(r"\w+")


def _at_word_bounds(text: str, word: str, start: int = 0, stop: int | None = None):
    """The offsets where word occurs in text (in text[start:stop], if
    given) with no word character either side, in the whole text (a plain
    substring search, then the boundaries)."""
    n = len(text)
    start, stop = max(0, start), n if stop is None else min(n, stop)
    at = text.find(word, start, stop)
    while at >= 0:
        end = at + len(word)
        if not (at and (text[at - 1].isalnum() or text[at - 1] == "_")) and \
                not (end < n and (text[end].isalnum() or text[end] == "_")):
            yield at
        at = text.find(word, at + 1, stop)


_BLANK_LINE_RE = re.compile(r"(?:\r\n|\r(?!\n)|\n)[^\S\r\n\f]*(?:\r\n|\r(?!\n)|\n)|\u2029")  # (one CRLF is one line end)


def across_paragraphs(text: str, hyphen_at: int, end: int) -> bool:
    """Whether the break from the hyphen at hyphen_at to the word at end
    crosses a paragraph break: only whitespace between, a blank line in
    it, and no page end ("\f": a page's last line is broken to fit like
    any other)."""
    gap = text[hyphen_at + 1:end]
    return "\f" not in gap and not gap.strip() and _BLANK_LINE_RE.search(gap) is not None


# From this many characters of the old text on, the judge has the texts'
# word filters made in a second thread (BreakJudge.start_word_filters; the
# compiled word_filter lets go of the GIL): a search of a text for a word
# it does not have, most of what the judge searches for, then costs
# nothing (nor does joining the new text's ranges for the first search).  (4 MB: the filter is some 9 ms of the other core; each search
# of the old text some 2 ms, 9 of them on the benchmark's pair at 1%
# edits, 18 on the paged one.  1 MB: 2.5 ms against 7 searches of 0.45 ms.)
WORD_FILTER_MIN_CHARS = 256 * 1024


def _filter_pays(old_text: str) -> bool:
    return tk._speedups is not None and len(old_text) >= WORD_FILTER_MIN_CHARS


_HINTS = ("-\n", "-\r", "\u2010\n", "\u2010\r")
_HINT_WINDOWS, _HINT_WINDOW_CHARS = 8, 16 * 1024


def _has_line_end_hyphen(text: str) -> bool:
    """Whether one of 8 windows of 16 KB spread over text holds a hyphen
    right before a line break: a hint, not an answer (a PDF's text has
    them on every page; the benchmark's 4 MB texts one in 27 KB, a miss in
    all 16 windows of a pair about once in 10,000).  Looking through whole
    texts that have none, most, cost more than a filter saves: 4 ms a
    hint at 4 MB."""
    step = max(len(text) // _HINT_WINDOWS, _HINT_WINDOW_CHARS)
    return any(hint in text[at:at + _HINT_WINDOW_CHARS] for at in range(0, len(text), step) for hint in _HINTS)


class _WordFilters:
    """The texts' word filters (the compiled word_filter), made one after
    the other in a thread of their own.  Until a text's is made, or should
    it fail, every word may be in that text (the judge searches, as
    without a filter)."""

    def __init__(self, texts: tuple[str, ...]):
        import threading

        self._made: list[bytes] = []
        self._thread = threading.Thread(target=self._make, args=(texts,), daemon=True)
        self._thread.start()

    def _make(self, texts: tuple[str, ...]) -> None:
        try:
            for text in texts:
                self._made.append(tk._speedups.word_filter(text))
        except BaseException:  # (out of memory: the judge searches instead)
            pass

    def may_hold(self, k: int, word: str) -> bool:
        made = self._made  # (never waited for: see BreakJudge._may_hold)
        return k >= len(made) or tk._speedups.may_hold(made[k], word)


# The word filter's twins (the compiled word_filter and may_hold): a bitmap
# of _FILTER_BITS bits, low bit first, in which each word of a text (a
# maximal run of \w characters) sets bits h % n and (h >> 32) % n of the
# 64-bit FNV-1a hash h of its code points.  A word of a text at word
# boundaries is a run of \w characters of it: each of its own runs is a
# word of the text, so one that the filter rules out rules the word out.
_FILTER_BITS = 1 << 21
_FNV_OFFSET, _FNV_PRIME, _U64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1
_WORD_RUN_RE = re.compile(r"\w+")


def _filter_bits(word: str) -> tuple[int, int]:
    h = _FNV_OFFSET
    for c in word:
        h = ((h ^ ord(c)) * _FNV_PRIME) & _U64
    return h & (_FILTER_BITS - 1), (h >> 32) & (_FILTER_BITS - 1)


def _word_filter_py(text: str) -> bytes:
    """The word filter of text."""
    bits = bytearray(_FILTER_BITS // 8)
    for word in set(_WORD_RUN_RE.findall(text)):
        for x in _filter_bits(word):
            bits[x >> 3] |= 1 << (x & 7)
    return bytes(bits)


def _may_hold_py(bits: bytes, word: str) -> bool:
    """Whether each maximal run of word characters in word may be a word of
    the filter's text (True for a word with none)."""
    return all((bits[x >> 3] >> (x & 7)) & 1 for run in _WORD_RUN_RE.findall(word) for x in _filter_bits(run))


# The share of the new text outside its unchanged runs up to which those
# stretches are searched joined (BreakJudge.know_unchanged_runs).
OUTSIDE_RUNS_JOINED_UNDER = 0.5

# Characters either side of where a word is likely (BreakJudge._near) that
# are searched before the whole text.
NEAR_CHARS = 1 << 15


def _occurs(text: str, word: str, near: int | None = None) -> bool:
    """Whether word occurs in text as a word (_at_word_bounds): looked for
    around offset `near` first, in a window of NEAR_CHARS / 16 either side
    and then of NEAR_CHARS, then everywhere (the same answer).  (A search
    reads its window from the start: a PDF's joined words, mostly within
    a few hundred characters of the likely place, cost 14 us each with
    the wide window alone, 85 ms at 4 MB.)"""
    if near is not None:
        for width in (NEAR_CHARS >> 4, NEAR_CHARS):
            if next(_at_word_bounds(text, word, near - width, near + width), None) is not None:
                return True
    return next(_at_word_bounds(text, word), None) is not None


def join_line_break_hyphens(old: Tokens, new: Tokens, judge: BreakJudge | None = None,
                            ranges: tuple[list, list] | None = None) -> tuple[int, int]:
    """Merge words broken across lines ("govern-" / "ment") into one token,
    where `judge` (a BreakJudge of the two texts) says the hyphen is layout;
    otherwise the parts stay tokens, which then match "intra-Palestinian"
    token for token.  `ranges`: each side's tk._tokenised_ranges, where the
    caller has them (dropping furniture and joining words leave them as
    they were: neither touches an unchanged run).

    Returns how many joins each side had: each makes two word tokens one.
    """
    if ranges is None:
        ranges = (tk._tokenised_ranges(old), tk._tokenised_ranges(new))
    candidates = [(side, _line_break_hyphens(side.text, side_ranges) + _hyphens_across_furniture(side))
                  for side, side_ranges in zip((old, new), ranges)]
    for _, found in candidates:
        found.sort()
    joins = [0, 0]
    if not any(found for _, found in candidates):
        return 0, 0
    if judge is None:
        lexicon = None
        if not (old.placeholders or new.placeholders):
            lexicon = {k for k in chain(*map(_distinct_keys, (old, new))) if k[:1].isalnum() or k[:1] == "_"}
        judge = BreakJudge(old.text, new.text, lexicon)
    for n, (side, found) in enumerate(candidates):
        made, joins[n] = _decide_joins(side, found, judge)
        _join(side, made)
    return joins[0], joins[1]


def _distinct_keys(side: Tokens):
    """The keys of a token list (each once, where they are codes)."""
    return side.keys if side.coder is None else side.coder.distinct_keys(side.keys)


def _decide_joins(side: Tokens, found, judge: BreakJudge) -> tuple[list[tuple[int, int, str]], int]:
    """(first, last, joined key) of each run of side's tokens first..last
    that the judge makes one among the hyphens found, in order, and how
    many joins that is.  Decided from the end, as if each join were made
    before the next is looked at: a word broken twice ("a-" / "b-" / "c")
    is judged "a" + "bc", two joins."""
    starts, ends, n = side.starts, side.ends, len(side)
    made: dict[int, tuple[int, int, str]] = {}  # first token -> (first, last, key) of a join made there
    count = 0
    for hyphen_at, match_end, soft in reversed(found):
        i = bisect.bisect_left(starts, hyphen_at)
        if soft:
            # The soft hyphen sits in the gap before the next token.
            first, last = i - 1, i
        else:
            first, last = i - 1, i + 1
            if i >= n or starts[i] != hyphen_at or last >= n:
                continue
        if first < 0 or last >= n:
            continue
        if first in made or ends[first] != hyphen_at or starts[last] != match_end:
            continue  # not two tokens of this list (e.g. inside an unchanged run), or joined already
        after = made.get(last)  # the second half joined already to what follows it
        right = after[2] if after else side.key(last)
        left = side.key(first)
        if not judge.joins(left, right, soft, across_paragraphs(side.text, hyphen_at, match_end), (side.text, hyphen_at)):
            continue
        if after:
            del made[last]
        made[first] = (first, after[1] if after else last, left + right)
        count += 1
    return sorted(made.values()), count


def _join(side: Tokens, joins: list[tuple[int, int, str]]) -> None:
    """Make each (first, last, key) of joins (in order, apart) one token, in
    place: its literal text[starts[first]:ends[last]], the key given.  All
    at once: each list (or str of codes) is cut once, however many joins
    there are."""
    if not joins:
        return
    text, starts, ends = side.text, side.starts, side.ends
    literals = [text[starts[first]:ends[last]] for first, last, _ in joins]
    keys = [key for _, _, key in joins]
    if side.coder is not None:
        literals, keys = side.coder.joined(literals, keys)
    n = len(side)
    kept = [(a, b) for a, b in zip([0, *(last + 1 for _, last, _ in joins)], [first + 1 for first, _, _ in joins] + [n])]
    side.literals = _joined(side.literals, joins, literals, kept)
    side.keys = _joined(side.keys, joins, keys, kept)
    side.ends = _joined(ends, joins, [ends[last] for _, last, _ in joins], kept)
    side.starts = _joined(starts, joins, [starts[first] for first, _, _ in joins], kept)
    if not isinstance(side.gaps, tk.Gaps):  # (derived gaps follow the offsets, changed in place)
        side.gaps = _joined(side.gaps, joins, [side.gaps[first] for first, _, _ in joins], kept)
    side._gap_kinds = None
    side.__dict__.pop("_word_prefix", None)  # (stale: made again when asked for)
    side.__dict__.pop("_word_counter", None)
    if side.placeholders:
        lasts = [last for _, last, _ in joins]
        removed = list(accumulate([last - first for first, last, _ in joins], initial=0))
        side.placeholders = {k - removed[bisect.bisect_left(lasts, k)] for k in side.placeholders}


def _joined(seq, joins, values, kept):
    """seq with joins[j]'s first item set to values[j] and the rest of it
    dropped: a str made anew, a list or an array in place."""
    if isinstance(seq, str):
        pieces = []
        for (a, b), value in zip(kept, values):
            pieces += (seq[a:b - 1], value)
        pieces.append(seq[kept[-1][0]:])
        return "".join(pieces)
    for (first, _, _), value in zip(joins, values):
        seq[first] = value
    tk._keep_stretches(seq, kept)
    return seq
