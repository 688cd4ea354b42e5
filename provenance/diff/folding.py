"""Which chunks are the same but for formatting (step 1 of the chunk pass):
each chunk's key with typography folded, words broken at line ends joined
where the BreakJudge says so, compounds and punctuation written apart read
as one word; chunks whose literal keys differ but whose folded keys match
get one code, so the chunk pass keeps them as an unchanged run.

Owns: folded chunk keys (_Canon), loose keys (typography, whitespace and
dashes gone: a cheap first filter), and the recoding of both texts' chunk
codes (_canonical_codes).  Never: decides runs or spans (diff/chunks.py
does) or what a change is (the word diff does).
Compiled twins (provenance/_speedups.c), chosen next to their Python versions:
unmatched_loose, matched_loose, word_table, canonical_key (the last two share
the C version of _canonical_word_spans).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from array import array
from bisect import bisect_left

from .. import linebreaks as lb
from .. import tokens as tk
from .._marks import NFKC_STABLE


class _Canon:
    """One text's chunks as the comparison sees them (for _canonical_codes):
    a chunk's key is its words with typography folded
    (tokens.typography_key), words broken at line ends joined where the
    BreakJudge says so, a compound broken after its hyphen ("intra-" /
    "Palestinian") and a word written apart from the punctuation after it
    ("word ,") read as one word."""

    def __init__(self, text: str, bounds, kinds, judge: lb.BreakJudge):
        self.text, self.bounds, self.kinds, self.judge = text, bounds, kinds, judge
        self._decided: dict[int, bool] = {}
        self._asked = 0  # chunks whose hyphens were searched for one by one (hyphens)
        self._all_hyphens: list[tuple[int, int, bool]] | None = None
        self._hyphen_starts: list[int] = []

    def breaks(self, a: int, b: int) -> dict[int, bool]:
        """The line-end hyphens in text[a:b] (a chunk): offset -> whether it
        joins (decided only when asked: most lie in chunks nobody folds)."""
        text = self.text
        out = {}
        for at, stop, soft in self.hyphens(a, b):
            if at not in self._decided:
                left = tk.token_pieces(text[max(0, at - 64):at])
                right = tk.token_pieces(text[stop:stop + 64])
                if len(left) > 2 and len(right) > 2 and not left[-1]:
                    self._decided[at] = self.judge.joins(tk.typography_key(left[-2]), tk.typography_key(right[1]), soft,
                                                         lb.across_paragraphs(text, at, stop), (text, at))
            if at in self._decided:
                out[at] = self._decided[at]
        return out

    def hyphens(self, a: int, b: int) -> list[tuple[int, int, bool]]:
        """lb._line_break_hyphens of the whole text, those in chunk
        text[a:b]: found in the chunk with the whitespace after it and the
        character after that, where a match can end (a match holds no
        second hyphen, so none found before the chunk hides one in it).
        From the HYPHENS_WHOLE_AFTER-th chunk on, the whole text's are
        found once and each chunk's picked out (a PDF's text asks for
        nearly every chunk: 28,000 searches at 4 MB)."""
        text = self.text
        if self._asked < HYPHENS_WHOLE_AFTER:
            self._asked += 1
            end = b
            while end < len(text) and text[end].isspace():
                end += 1
            return [m for m in lb._line_break_hyphens(text, [(a, min(len(text), end + 1))]) if m[0] < b]
        if self._all_hyphens is None:
            self._all_hyphens = lb._line_break_hyphens(text, [(0, len(text))])
            self._hyphen_starts = [m[0] for m in self._all_hyphens]
        starts = self._hyphen_starts
        return self._all_hyphens[bisect_left(starts, a):bisect_left(starts, b)]

    def key(self, k: int) -> str:
        a, b = self.bounds[2 * k + 1], self.bounds[2 * k + 2]
        key, stable = _key_function()
        return key(self.text, a, b, self.breaks(a, b), _fold_word, *stable)

    def literal(self, k: int) -> str:
        a, b = self.bounds[2 * k + 1], self.bounds[2 * k + 2]
        if tk._speedups is not None:
            return tk._speedups.whitespace_folded(self.text, a, b)
        return _whitespace_folded_py(self.text, a, b)

    def keys_and_literals(self, ks: list[int]):
        """(key(k), literal(k)) for k in ks, one at a time (a list of
        them would be a copy of most of a text): from HYPHENS_WHOLE_AFTER
        chunks on, the text's line-end hyphens are found once and a chunk
        with none of them is given no breaks without asking (a PDF's text
        against a web page's: 27,000 chunks, most of them the web page's,
        where no line ends in a hyphen)."""
        text, bounds = self.text, self.bounds
        if len(ks) < HYPHENS_WHOLE_AFTER:
            for k in ks:
                yield self.key(k), self.literal(k)
            return
        if self._all_hyphens is None:
            self._asked = HYPHENS_WHOLE_AFTER  # (hyphens() picks from the whole text's from now on)
            self._all_hyphens = lb._line_break_hyphens(text, [(0, len(text))])
            self._hyphen_starts = [m[0] for m in self._all_hyphens]
        starts, n = self._hyphen_starts, len(self._hyphen_starts)
        none: dict[int, bool] = {}  # (read, never written, by the key functions)
        key, stable = _key_function()
        literal = tk._speedups.whitespace_folded if tk._speedups is not None else _whitespace_folded_py
        for k in ks:
            a, b = bounds[2 * k + 1], bounds[2 * k + 2]
            i = bisect_left(starts, a)
            breaks = self.breaks(a, b) if i < n and starts[i] < b else none
            yield key(text, a, b, breaks, _fold_word, *stable), literal(text, a, b)


def _whitespace_folded_py(text: str, a: int, b: int) -> str:
    """Chunk text[a:b]'s literal key: its whitespace folded."""
    return " ".join(text[a:b].split())


# _Canon.hyphens searches chunk by chunk this many times, then the whole text once.
HYPHENS_WHOLE_AFTER = 256


def _canonical_key_py(text: str, a: int, b: int, breaks: dict[int, bool], fold_word=None) -> str:
    """Chunk text[a:b]'s folded key (_Canon.key), given its judged line-end
    hyphens (_Canon.breaks); fold_word folds a chunk of no joined words
    (default _fold_word, as the compiled canonical_key is given it)."""
    fold_word = fold_word or _fold_word
    chunk = text[a:b]
    if breaks or _GLUE_RE.search(chunk):
        return " ".join(_canonical_words(text, a, b, breaks))
    if "--" not in chunk and (chunk.isascii() or not _TYPOGRAPHY_RE.search(chunk)
                              and unicodedata.is_normalized("NFKC", chunk)):
        return " ".join(chunk.split())  # what the literal key is
    return " ".join(fold_word(chunk).split())  # no word joins another: fold it whole


_NON_SPACE_RE = re.compile(r"\S+")
_GLUED_AFTER = ",;:!?)]}"  # punctuation that a word written apart from it still ends with
_GLUED_BEFORE = "([{"
_GLUE_RE = re.compile(r"\s[,;:!?)\]}.]|[(\[{]\s")  # where _canonical_words may join two words
# Characters typography_key folds that NFKC leaves: quotes, dashes, the soft hyphen.
_TYPOGRAPHY_RE = re.compile(f"[{''.join(chr(c) for c in tk._QUOTES)}{tk._DASHES[2:]}{tk.SOFT_HYPHEN}]")


def _fold_word(word: str) -> str:
    if word.isascii():
        return tk._DASH_RUN_RE.sub("-", word) if "--" in word else word
    # (Most text is in NFKC already, which is quicker to check than to make.)
    key = word.replace(tk.SOFT_HYPHEN, "") if tk.SOFT_HYPHEN in word else word
    if not unicodedata.is_normalized("NFKC", key):
        key = unicodedata.normalize("NFKC", key)
    key = tk.fold_quotes(key)
    # (Only a run of dashes or a dash past ASCII changes: looked for first,
    # a search that stops at the first being some 5x quicker than the sub.)
    return tk._DASH_RUN_RE.sub("-", key) if "--" in key or _WIDE_DASH_RE.search(key) else key


_WIDE_DASH_RE = re.compile(f"[{tk._DASHES[2:]}]")  # the dashes past ASCII


def _loose(chunk: str) -> str:
    """A chunk's text with typography folded and whitespace and dashes
    dropped: the same for any two chunks with one folded key (_Canon.key),
    whatever their line-end hyphens, spacing and typography."""
    if chunk.isascii():
        return "".join(chunk.split()).replace("-", "")
    if tk.SOFT_HYPHEN in chunk or not unicodedata.is_normalized("NFKC", chunk):
        chunk = unicodedata.normalize("NFKC", chunk.replace(tk.SOFT_HYPHEN, ""))
    loose = tk.fold_quotes("".join(chunk.split()))
    if "-" in loose or _WIDE_DASH_RE.search(loose):
        loose = _DASH_RUN_RE.sub("", loose)
    # Taking out a line-end hyphen can bring a letter and a combining mark
    # together ("c-" / U+0301): composed again, as in the joined spelling.
    return loose if unicodedata.is_normalized("NFKC", loose) else unicodedata.normalize("NFKC", loose)


_DASH_RUN_RE = tk._DASH_RUN_RE


def _canonical_words(text: str, a: int, b: int, breaks: dict[int, bool]) -> list[str]:
    """The folded words of text[a:b] (_Canon.key)."""
    return _canonical_word_spans(text, a, b, breaks)[0]


def _canonical_word_spans(text: str, a: int, b: int, breaks: dict[int, bool]) -> tuple[list[str], list[int]]:
    """The folded words of text[a:b] (_Canon.key), and where each is in
    the text: (start, end) offsets, flat.  `breaks`: the line-end hyphens
    in it that were judged (_Canon.breaks)."""
    out: list[str] = []
    spans: list[int] = []
    last_end = -1  # where the last word ends in the text
    for m in _NON_SPACE_RE.finditer(text, a, b):
        s, e = m.span()
        word = _fold_word(text[s:e])
        if not word:
            continue  # soft hyphens alone
        if out:
            hyphen = last_end - 1
            if hyphen in breaks:  # a word or compound broken at the line end
                if breaks[hyphen] and text[hyphen] != tk.SOFT_HYPHEN:
                    out[-1] = out[-1][:-1]
                out[-1] += word
                last_end = spans[-1] = e
                continue
            if word[0] in _GLUED_AFTER or (word[0] == "." and out[-1][-1] != ".") or out[-1][-1] in _GLUED_BEFORE:
                out[-1] += word
                last_end = spans[-1] = e
                continue
        out.append(word)
        spans += [s, e]
        last_end = e
    return out, spans


# Where folding may make a chunk's words other than its whitespace-separated
# ones, a character each: typography tokens.typography_key folds (quotes,
# dashes, the soft hyphen), a hyphen before another (a dash run) or before
# a line break, whitespace before punctuation or after an opening bracket
# (punctuation written apart).  A character NFKC changes (a ligature) is
# looked for apart.  (Compiled twin: _speedups.may_fold.)
_TYPOGRAPHY = f"{''.join(chr(c) for c in tk._QUOTES)}{tk._DASHES[2:]}{tk.SOFT_HYPHEN}"


@functools.cache
def _fold_spot_re(typography: str) -> re.Pattern:
    return re.compile(f"[{re.escape(typography)}]" r"|-(?=-|[^\S\r\n]*[\r\n])|\s(?=[,;:!?)\]}.])|[(\[{](?=\s)")


def _may_fold_py(text: str, bounds, chunks: list[int], typography: str = _TYPOGRAPHY) -> tuple[dict, list[int]]:
    """({chunk: offsets of its fold spots} for the chunks with any, [the
    other chunks with a character past ASCII])."""
    pattern = _fold_spot_re(typography)
    spots, non_ascii = {}, []
    for k in chunks:
        a, b = bounds[2 * k + 1], bounds[2 * k + 2]
        found = [m.start() for m in pattern.finditer(text, a, b)]
        if found:
            spots[k] = found
        elif not text[a:b].isascii():
            non_ascii.append(k)
    return spots, non_ascii


def fold_spots(canon: _Canon, chunks: list[int]) -> dict[int, list[int]]:
    """Of the chunks (sorted indices), those where folding may make the
    words other than the whitespace-separated ones: chunk -> the sorted
    offsets in the text where it may act (_may_fold_py's spots, and the
    characters past ASCII of a chunk that NFKC changes)."""
    text, bounds = canon.text, canon.bounds
    fold = tk._speedups.may_fold if tk._speedups is not None else _may_fold_py
    spots, non_ascii = fold(text, bounds, chunks, _TYPOGRAPHY)
    for k in list(spots) + non_ascii:
        a, b = bounds[2 * k + 1], bounds[2 * k + 2]
        piece = text[a:b]
        if not piece.isascii() and not unicodedata.is_normalized("NFKC", piece):
            spots[k] = sorted({*spots.get(k, ()), *(a + m.start() for m in _NON_ASCII_RE.finditer(piece))})
    return spots


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


_LINE_END_HYPHEN_RE = re.compile(r"[-\u2010\u00ad][^\S\r\n]*[\r\n]")  # (lb._BREAK_RE's start: where breaks can find one)


def word_tables(canon: _Canon, chunks: list[int]) -> dict[int, tuple[str, bytes | None]]:
    """For the chunks (sorted indices) whose folded words (_Canon.key's)
    are not their whitespace-separated ones: chunk index -> (the folded
    words joined by spaces, their (start, end) offsets in the text as
    int64 pairs, or None where they are the whitespace-separated words one
    for one, only folded).  What the unchanged runs grow over
    (_unchanged_spans): words equal by key, so that a run stops at the
    same word whatever the typography, line-end hyphens or spacing of
    either text.  Only chunks where folding may act (fold_spots) are
    looked at closer."""
    if not chunks:
        return {}
    text, bounds = canon.text, canon.bounds
    tables: dict[int, tuple[str, bytes | None]] = {}
    spots = fold_spots(canon, chunks)
    table, stable = _table_function()
    for k in [k for k in chunks if k in spots]:
        a, b = bounds[2 * k + 1], bounds[2 * k + 2]
        breaks = canon.breaks(a, b) if _LINE_END_HYPHEN_RE.search(text, a, b) else {}
        entry = table(text, a, b, breaks, _fold_word, *stable)
        if entry is not None:
            tables[k] = entry
    return tables


def _word_table_py(text: str, a: int, b: int, breaks: dict[int, bool], fold_word=_fold_word):
    """Chunk text[a:b]'s word table entry (see word_tables), or None where
    its folded words are its whitespace-separated ones.  `breaks`: its
    judged line-end hyphens (_Canon.breaks)."""
    piece = text[a:b]
    literal = piece.split()
    if not breaks and not _GLUE_RE.search(piece):
        # Each word folds alone: the same words, folded (unless one
        # vanishes, a soft hyphen alone, or NFKC makes two).
        folded = fold_word(piece).split()
        if len(folded) == len(literal):
            return (" ".join(folded), None) if folded != literal else None
    words, spans = _canonical_word_spans(text, a, b, breaks)
    if words == literal:
        return None
    spans = array("q", spans).tobytes()
    joined = " ".join(words)
    if joined.count(" ") != len(words) - 1:
        # (a folded word with a space in it, from NFKC, keeps it apart from the separators)
        joined = " ".join(w.replace(" ", "\u00a0") for w in words)
    return joined, spans


def _code_points(codes: str) -> bytearray:
    """Which characters occur in `codes`, as a table indexed by code point.
    (A set of them would make one string object per distinct chunk: some
    14 MB per side for a 16 MB text, the peak of a huge one-line diff.)"""
    present = bytearray(0x110000)
    for c in codes:
        present[ord(c)] = 1
    return present


# A loose key stands for itself by an id: compiled, 64 bits of FNV-1a
# hashes of it (never 0), kept in an array, with no key made (as str they
# were 8 MB of small objects at 4 MB, a PDF's text against a web page's,
# whose arenas stayed resident through the comparison); in Python, the key
# itself.  Ids only choose which chunks are folded (_canonical_codes):
# two chunks with one loose key have one id, and two whose ids collide
# are folded needlessly, their folded keys compared as str.  The first 32
# bits hash the key's first LOOSE_PREFIX characters: the look-up of wanted
# ids among the chunks of both texts (_matched_loose) reads no further
# into a chunk unless they are a wanted key's (7.3 -> 2.4 ms a side on the
# 4 MB manual pair).
LOOSE_PREFIX = 8


def _loose_id(loose: str):
    """The id of a loose key (compiled: _loose_id_py's)."""
    return tk._speedups.loose_id(loose) if tk._speedups is not None else loose


def _loose_id_py(loose: str) -> int:
    """The compiled id of a loose key: 32 bits of the FNV-1a hash of the
    code points of its first LOOSE_PREFIX characters, then 32 of that of
    all of them, | 1."""
    h = prefix = lb._FNV_OFFSET  # (the word filters' FNV-1a)
    for n, c in enumerate(loose, 1):
        h = ((h ^ ord(c)) * lb._FNV_PRIME) & lb._U64
        if n == LOOSE_PREFIX:
            prefix = h
    if len(loose) < LOOSE_PREFIX:
        prefix = h
    return (_fold32(prefix) << 32 | _fold32(h)) | 1


def _fold32(h: int) -> int:
    return (h ^ (h >> 32)) & 0xFFFFFFFF


def _ids(raw: bytes) -> "array[int]":
    ids = array("Q")
    ids.frombytes(raw)
    return ids


def _left_to_python(loose_id) -> bool:
    """Whether _unmatched_loose left a chunk's loose key to _loose (None in
    Python, 0 compiled)."""
    return loose_id is None or loose_id == 0  # ("" == 0 is False: an empty key is a key)


def _unmatched_loose(text: str, bounds, codes: str, other_codes: str) -> tuple[list[int], list]:
    """_unmatched_loose_py, with ids for keys (_loose_id) compiled."""
    if tk._speedups is not None:
        indices, ids = tk._speedups.unmatched_loose(text, bounds, codes, other_codes, _stable_bitmap())
        return indices, _ids(ids)
    return _unmatched_loose_py(text, bounds, codes, other_codes)


def _unmatched_loose_ids_py(text: str, bounds, codes: str, other_codes: str, stable: bytes | None = None):
    """The compiled unmatched_loose: _unmatched_loose_py with the id of each
    key (0 for None; without the stable table, for every chunk past ASCII)."""
    indices, keys = _unmatched_loose_py(text, bounds, codes, other_codes)
    chunks = (text[bounds[2 * k + 1]:bounds[2 * k + 2]] for k in indices)
    return indices, [0 if key is None or stable is None and not chunk.isascii() else _loose_id_py(key)
                     for key, chunk in zip(keys, chunks)]


@functools.cache
def _stable_bitmap() -> bytes:
    """_marks.NFKC_STABLE, one bit per code point below STABLE_BELOW."""
    return bytes(tk._class_bitmap(NFKC_STABLE)[:STABLE_BELOW // 8])


STABLE_BELOW = 0xA000  # (past the CJK ideographs, NFKC_STABLE's last)

# The Latin ligatures (U+FB00-U+FB06), which NFKC spells out in letters
# that compose with nothing: a PDF's text is full of them.
LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st",
             "\ufb06": "st"}


# A chunk's folded key and its word table: the compiled one given the stable
# characters (_stable_bitmap: it folds a piece of them, ligatures, quotes and
# dashes itself, calling fold_word only for the rest), else the Python twin;
# (function, extra arguments).
def _key_function() -> tuple:
    return (tk._speedups.canonical_key, (_stable_bitmap(),)) if tk._speedups is not None else (_canonical_key_py, ())


def _table_function() -> tuple:
    return (tk._speedups.word_table, (_stable_bitmap(),)) if tk._speedups is not None else (_word_table_py, ())


def _is_own_nfkc(chunk: str) -> bool:
    """Whether each character of chunk past ASCII is whitespace, a soft
    hyphen, a dash, of NFKC_STABLE or a Latin ligature (LIGATURES): then
    chunk's NFKC is the chunk with its ligatures spelt out, and stays so
    with those taken out (nothing in it composes): the compiled loose
    keys, folded keys and word tables fold such a piece without Python's
    unicodedata."""
    bits = _stable_bitmap()
    for c in chunk:
        o = ord(c)
        if o >= 128 and not (c.isspace() or c == tk.SOFT_HYPHEN or c in tk._DASHES or
                             o < STABLE_BELOW and (bits[o >> 3] >> (o & 7)) & 1 or c in LIGATURES):
            return False
    return True


def _matched_loose(text: str, bounds, codes: str, other_codes: str, wanted: set) -> tuple[list[int], list]:
    """_matched_loose_py, with ids for keys (_loose_id) compiled."""
    if tk._speedups is not None:
        indices, ids = tk._speedups.matched_loose(text, bounds, codes, other_codes, _stable_bitmap(), wanted)
        return indices, _ids(ids)
    return _matched_loose_py(text, bounds, codes, other_codes, wanted)


def _matched_loose_py(text: str, bounds, codes: str, other_codes: str, wanted: set, ident=None) -> tuple[list[int], list]:
    """The chunks of a text whose code other_codes has (chunk indices) and
    that are ASCII or their own NFKC (_is_own_nfkc), whose loose key (its
    ident(key), given ident) is one of wanted, and those."""
    present = _code_points(other_codes)
    found = []
    for k, c in enumerate(codes):
        if present[ord(c)]:
            chunk = text[bounds[2 * k + 1]:bounds[2 * k + 2]]
            if chunk.isascii() or _is_own_nfkc(chunk):
                key = _loose(chunk) if ident is None else ident(_loose(chunk))
                if key in wanted:
                    found.append((k, key))
    return [k for k, _ in found], [key for _, key in found]


def _matched_loose_ids_py(text: str, bounds, codes: str, other_codes: str, wanted: set[int]) -> tuple[list[int], list[int]]:
    """The compiled matched_loose: _matched_loose_py by the keys' ids."""
    return _matched_loose_py(text, bounds, codes, other_codes, wanted, _loose_id_py)


def _unmatched_loose_py(text: str, bounds, codes: str, other_codes: str) -> tuple[list[int], list[str | None]]:
    """The chunks of a text whose code other_codes lacks (chunk indices),
    and the loose key (_loose) of each that is ASCII or its own NFKC
    (_is_own_nfkc), else None (the caller folds those: NFKC is Python's)."""
    present = _code_points(other_codes)
    indices = [k for k, c in enumerate(codes) if not present[ord(c)]]
    chunks = [text[bounds[2 * k + 1]:bounds[2 * k + 2]] for k in indices]
    return indices, [_loose(chunk) if chunk.isascii() or _is_own_nfkc(chunk) else None for chunk in chunks]


def _canonical_codes(old: _Canon, new: _Canon, old_codes: str, new_codes: str, old_lengths):
    """Chunk codes by comparison keys rather than literal text, or None
    when the literal codes already are (the usual case).

    The literal codes (whitespace folded) split what the keys join where
    two chunks differ in typography, spacing around punctuation or
    line-break hyphenation; those chunks are in one text only, so only
    they are folded: one whose folded key differs from its literal one
    takes the code of a chunk with that key (of either text), or gives its
    code to chunks of one text only whose key it is.  Returns (old codes,
    new codes, old key lengths, (old chunks recoded, new chunks recoded):
    sorted indices)."""
    old_unmatched, old_loose = _unmatched_loose(old.text, old.bounds, old_codes, new_codes)
    new_unmatched, new_loose = _unmatched_loose(new.text, new.bounds, new_codes, old_codes)
    # Two chunks with one folded key have one loose key too (_loose: what
    # folding can only take out taken out), and folding changes a code only
    # where chunks of both texts share a key: so only chunks whose loose key
    # the other text has are folded.  (Most chunks of one text only are
    # so because of an edit, and their line-end hyphens need no judging.)
    entries = [(old, k) for k in old_unmatched] + [(new, k) for k in new_unmatched]  # (side, chunk index)
    loose = old_loose + new_loose  # each entry's key's id (where NFKC may change a chunk: folded here)
    for n in [n for n, key in enumerate(loose) if _left_to_python(key)]:
        side, k = entries[n]
        loose[n] = _loose_id(_loose(side.text[side.bounds[2 * k + 1]:side.bounds[2 * k + 2]]))
    n_old = len(old_unmatched)
    in_both = set(loose[:n_old])
    in_both.intersection_update(loose[n_old:])
    # A text may repeat a chunk that the other has once, typeset otherwise
    # there (a sentence said again, or an edit that brings back a chunk's
    # words): its literal code is then in both texts, and the other text's
    # chunk finds no partner among the chunks of one text only.  So the
    # chunks of one text only whose loose key found none look for one among
    # the other text's chunks that both texts have (compiled: their loose
    # keys made only where a hash matches).  Without this, re-typesetting one text broke the unchanged
    # run through that chunk, and the word diff ran on other stretches.
    # (All of them, not only those where folding may act: finding those
    # cost more than the look-ups it saved, 19 ms on the 4 MB paged pair.)
    for side, start, stop, other_side, other_codes, its_codes in ((old, 0, n_old, new, new_codes, old_codes),
                                                                    (new, n_old, len(entries), old, old_codes, new_codes)):
        wanted = {loose[n] for n in range(start, stop)}.difference(in_both)
        if wanted:
            found, found_loose = _matched_loose(other_side.text, other_side.bounds, other_codes, its_codes, wanted)
            entries += [(other_side, k) for k in found]
            loose += found_loose
    if len(entries) > len(old_unmatched) + len(new_unmatched):
        in_both = {key for (side, _), key in zip(entries, loose) if side is old}
        in_both.intersection_update(key for (side, _), key in zip(entries, loose) if side is new)
    candidates = [n for n, key in enumerate(loose) if key in in_both]
    unmatched = {n: entries[n] for n in candidates}  # (side, chunk index) of each candidate
    # Each candidate's folded key where it is not its literal key (else
    # None), and its literal key's hash: the literal keys themselves (as
    # much text as the candidates, most of both texts for a PDF's against
    # a web page's) are made again below only where that hash is a folded
    # key's.
    keys: list[str | None] = [None] * len(candidates)
    literal_hashes = array("q", bytes(8 * len(candidates)))
    for side in (old, new):
        at = [j for j, n in enumerate(candidates) if unmatched[n][0] is side]
        for j, (key, literal) in zip(at, side.keys_and_literals([unmatched[candidates[j]][1] for j in at])):
            if key != literal:
                keys[j] = key
            literal_hashes[j] = hash(literal)
    folded: dict[str, list[int]] = {}  # folded key -> the chunks (in unmatched) it is the key of
    for n, key in zip(candidates, keys):
        if key is not None:
            folded.setdefault(key, []).append(n)
    del keys
    if not folded:
        return None
    # The other chunks of one text only whose literal key is one of the
    # folded keys (a chunk both texts have would be one that a text
    # repeats, typeset alike in both; not looked for).
    folded_hashes = set(map(hash, folded))
    literal_of: dict[str, list] = {}  # folded key -> (side, k, code) of chunks with it as literal key
    for n, literal_hash in zip(candidates, literal_hashes):
        if literal_hash in folded_hashes:
            side, k = unmatched[n]
            literal = side.literal(k)
            if literal in folded:
                literal_of.setdefault(literal, []).append((side, k, (old_codes if side is old else new_codes)[k]))
    del literal_hashes
    next_code = None  # (found when first needed: max() of a code string makes a str per chunk)
    given = (old_codes, new_codes)
    recoded: tuple[dict[int, str], dict[int, str]] = ({}, {})  # chunk index -> its new code, per text
    lengths = array("q", old_lengths)
    changed = False
    for key, members in folded.items():
        others = literal_of.get(key, ())
        both = [c for side, k, c in others if c in old_codes and c in new_codes] if others else None
        if both:
            code = both[0]  # a chunk both texts have
        elif len({unmatched[n][0] for n in members}.union([side for side, _, _ in others])) == 2:
            if next_code is None:
                next_code = ord(max(max(old_codes, default="\x00"), max(new_codes, default="\x00"))) + 1
            if 0xD800 <= next_code < 0xE000:
                next_code = 0xE000
            code = chr(next_code)  # chunks of either text, one key
            next_code += 1
        else:
            continue  # in one text only however it is folded: its code stays
        for side, k in [unmatched[n] for n in members] + [(side, k) for side, k, _ in others]:
            s = side is new
            if recoded[s].get(k, given[s][k]) != code:
                recoded[s][k] = code
                changed = True
                if side is old:
                    lengths[k] = len(key)
    if not changed:
        return None
    recoded = tuple({k: c for k, c in changes.items() if c != codes[k]} for changes, codes in zip(recoded, given))
    return _recode(old_codes, recoded[0]), _recode(new_codes, recoded[1]), lengths, (sorted(recoded[0]), sorted(recoded[1]))


def _recode(codes: str, changes: dict[int, str]) -> str:
    """codes with the characters at these indices replaced (slices of the
    rest, not a list of its characters)."""
    pieces = []
    done = 0
    for k in sorted(changes):
        pieces += [codes[done:k], changes[k]]
        done = k + 1
    pieces.append(codes[done:])
    return "".join(pieces)
