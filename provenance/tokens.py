"""Tokenising and normalising: the two layers a comparison works on.

A text becomes a sequence of tokens: words, single punctuation marks, dash
runs, dot runs, and single characters of scripts written without spaces
(Chinese, Japanese, Thai...).  Whitespace is not a token: each token keeps
the whitespace before it (its *gap*), so the literal text is always
recoverable.  Each token also gets a comparison *key*: the diff runs on keys,
the reports show literal text.  Two tokens with equal keys and different
literal text differ only in formatting.

Everything here works on whole lists at once (re.findall, map, dict look-ups)
because a 4 MB document has some 700,000 tokens and a Python-level loop per
token is what makes word diffs slow.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
import unicodedata
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain
from typing import TYPE_CHECKING

from ._marks import MARKS

if TYPE_CHECKING:
    from .codes import Coder

# Compiled versions of the hottest loops of this module and of the diff package (provenance/diff/)
# (setup.py builds them where a C compiler is found; their list is at the top
# of _speedups.c); the pure-Python code gives the same results, slower.
# PROVENANCE_SPEEDUPS=0 turns them off.
try:
    from . import _speedups
except ImportError:
    _speedups = None
if os.environ.get("PROVENANCE_SPEEDUPS") == "0":
    _speedups = None

# Scripts written without spaces between words compare character by character.
NO_SPACE_SCRIPTS = (
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
# Invisible characters that join a word's parts (ZWNJ inside a Persian word,
# ZWJ in an emoji sequence, a soft hyphen).  Only the soft hyphen is
# formatting: it is left out of keys and counts as whitespace between words.
# The others are content (issue #13): adding or removing a zero-width space
# or a bidi control changes what a reader sees, or what a program that
# reads the text does, so they stay in keys, and outside a word they are
# tokens of their own (provenance/visible.py shows them in reports).
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
SOFT_HYPHEN = "\u00ad"
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"

# A word: letters and digits (not of the scripts above), with the combining
# marks that Python's \w leaves out.
_WORD_CHAR = f"[^\\W{NO_SPACE_SCRIPTS}]"
_WORD_PART = f"(?:{_WORD_CHAR}+[{MARKS}]*)+"
_WORD = f"{_WORD_PART}(?:['\u2019{INVISIBLE}]{_WORD_PART})*"  # with inner apostrophes
# The same for text with no combining mark and no character of those scripts
# (most texts): there a word is plain \w, which re matches twice as fast as
# the class above (measured: 45 vs 102 ms to tokenise 1 MB of prose).
_PLAIN_WORD = f"\\w+(?:['\u2019{INVISIBLE}]\\w+)*"
# re.split with this one group gives [gap, token, gap, token, ..., tail]:
# every character that is not whitespace or invisible belongs to a token,
# so the pieces between tokens are exactly the gaps.
_TOKEN_PATTERN = rf"""( [{NO_SPACE_SCRIPTS}]                # one character of a script without spaces
    | {_WORD}                                          # a word
    | [{_DASHES}]+                                     # a dash run: -, --, en dash, em dash
    | \.\.+ | \u2026                                   # an ellipsis
    | [^\s{SOFT_HYPHEN}] )                            # any other single character"""
_PLAIN_TOKEN_RE = re.compile(
    rf"( {_PLAIN_WORD} | [{_DASHES}]+ | \.\.+ | \u2026 | [^\s{SOFT_HYPHEN}] )", re.VERBOSE)
_PLAIN_WORD_RE = re.compile(_PLAIN_WORD)


@functools.cache
def _needs_full_re() -> re.Pattern:
    """Finds a combining mark or a character of a space-less script."""
    # Astral code points in their own class: one in a class with the BMP
    # ranges makes re test every range in turn instead of a bitmap.
    bmp_scripts, astral_scripts = NO_SPACE_SCRIPTS.split("\U00020000")
    return re.compile(f"[{MARKS}{bmp_scripts}]|[\U00020000{astral_scripts}]")


@functools.cache
def _full_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(token, word) patterns for text with marks or space-less scripts,
    compiled on first use: they take ~15 ms to compile, which every command
    would pay at start-up."""
    return re.compile(_TOKEN_PATTERN, re.VERBOSE), re.compile(f"[{NO_SPACE_SCRIPTS}]|{_WORD}")


def is_plain(text: str) -> bool:
    """True when text has no combining mark and no character of a space-less
    script, so that the plain patterns cut it exactly as the full ones."""
    if text.isascii():
        return True
    if _speedups is not None:
        return not _speedups.has_any(text, _full_bitmap())
    return not _needs_full_re().search(text)


def _class_bitmap(*bodies: str) -> bytearray:
    """The characters of regex class bodies (characters and ranges, as
    MARKS and NO_SPACE_SCRIPTS are written), one bit per code point, low
    bit first."""
    bits = bytearray(0x110000 // 8)
    for body in bodies:
        i = 0
        while i < len(body):
            if i + 2 < len(body) and body[i + 1] == "-":
                lo, hi, i = ord(body[i]), ord(body[i + 2]), i + 3
            else:
                lo = hi = ord(body[i])
                i += 1
            while lo <= hi and lo % 8:
                bits[lo >> 3] |= 1 << (lo & 7)
                lo += 1
            while lo <= hi and (hi + 1) % 8:
                bits[hi >> 3] |= 1 << (hi & 7)
                hi -= 1
            if lo <= hi:
                bits[lo >> 3:(hi + 1) >> 3] = b"\xff" * ((hi + 1 - lo) >> 3)
    return bits


@functools.cache
def _full_bitmap() -> bytes:
    """The characters _needs_full_re finds (for the compiled is_plain)."""
    return bytes(_class_bitmap(MARKS, NO_SPACE_SCRIPTS))


@functools.cache
def _script_bitmaps() -> bytes:
    """The full patterns' two classes, for the compiled tokeniser and word
    count (their `scripts`): the combining marks' bitmap, then that of the
    scripts written without spaces."""
    return bytes(_class_bitmap(MARKS) + _class_bitmap(NO_SPACE_SCRIPTS))


def _scripts(plain: bool) -> bytes | None:
    """The compiled tokeniser's `scripts` for a text: None for a plain one
    (the plain patterns' rules, which give the same there), else the full
    patterns' classes, read a character at a time.  (The rules are chosen
    per character, not per text: one combining mark or Chinese character
    in a long text used to send all of it through re, 3-4x slower.)"""
    return None if plain else _script_bitmaps()


def _patterns(text: str, plain: bool | None = None) -> tuple[re.Pattern, re.Pattern]:
    """(token, word) patterns for this text (`plain`: is_plain(text), if known)."""
    if plain is None:
        plain = is_plain(text)
    return (_PLAIN_TOKEN_RE, _PLAIN_WORD_RE) if plain else _full_patterns()


_PARAGRAPH_RE = re.compile(r"\n[^\S\n]*\n|\u2029")

# Gap kinds: what whitespace between two tokens means.  FURNITURE: the gap
# holds page furniture (a running header, a page number) that the
# comparison took out of the token list (drop_spans).
GLUED, SPACE, PARAGRAPH, FURNITURE = 0, 1, 2, 3

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
})
_QUOTE_PAIRS = [(chr(c), plain) for c, plain in _QUOTES.items()]


def fold_quotes(text: str) -> str:
    """text.translate(_QUOTES), some 20x quicker on a sentence: a
    str.replace for each quote character it holds (str.translate with a
    table looks each character up in a dict, slowly where the text is not
    Latin-1; each quote becomes an ASCII one, which no other replace
    touches)."""
    for quote, plain in _QUOTE_PAIRS:
        if quote in text:
            text = text.replace(quote, plain)
    return text


_DROP_INVISIBLE = str.maketrans("", "", SOFT_HYPHEN)  # the only invisible character that is formatting
_DASH_RUN_RE = re.compile(f"[{_DASHES}]+")


def typography_key(literal: str) -> str:
    """The comparison key of one token under typographic folding.

    NFKC (ligatures, full-width forms, composed vs decomposed accents, ...),
    curly vs straight quotes, any dash run as "-", "..." for an ellipsis,
    soft hyphens dropped (other invisible characters are content: kept).
    """
    if literal.isascii():  # most tokens: NFKC and the quote map leave ASCII alone
        return "-" if literal[0] == "-" and not literal.strip("-") else literal
    key = unicodedata.normalize("NFKC", literal.translate(_DROP_INVISIBLE))
    key = key.translate(_QUOTES)
    if _DASH_RUN_RE.fullmatch(key):
        return "-"
    return key


def strict_key(literal: str) -> str:
    """Key with typography kept: only composed vs decomposed Unicode folded."""
    return unicodedata.normalize("NFC", literal.translate(_DROP_INVISIBLE))


class Keyer:
    """A key function with a cache shared by every text it keys, so a word
    is normalised once per comparison however often it occurs."""

    def __init__(self, function, forget: bool = False):
        self.function = function
        self.cache: dict[str, str] = {}
        self.interned: dict[str, str] = {}  # one str object per distinct literal
        # forget: keys() keeps nothing once it returns (a process that
        # compares once, whose Coder asks for each distinct literal's key
        # once: a cache of them was 2.6 MB at the peak of a 4 MB pair).
        self.forget = forget

    def __call__(self, literal: str) -> str:
        key = self.cache.get(literal)
        if key is None:
            key = self.cache[literal] = self.function(literal)
        return key

    def keys(self, literals: list[str]) -> list[str]:
        cache, function = self.cache, self.function
        try:
            return list(map(cache.__getitem__, literals))  # usually every word is known
        except KeyError:
            missing = set(literals).difference(cache)
            if function is typography_key or function is strict_key:
                # An ASCII literal that does not start with a dash is its own
                # key under both: set at once (a call each costs more).
                same = [literal for literal in missing if literal.isascii() and literal[0] != "-"]
                cache.update(zip(same, same))
                missing.difference_update(same)
            for literal in missing:
                cache[literal] = function(literal)
            keys = list(map(cache.__getitem__, literals))
            if self.forget:
                cache.clear()
            return keys


_KEY_FUNCTIONS = {
    (False, False): typography_key,
    (True, False): strict_key,
    (False, True): lambda literal: typography_key(literal).casefold(),
    (True, True): lambda literal: strict_key(literal).casefold(),
}
_KEY_CACHES: dict[tuple[bool, bool], dict[str, str]] = {}
_KEY_CACHE_LIMIT = 200_000


def make_keyer(strict: bool = False, ignore_case: bool = False, forget: bool = False) -> Keyer:
    """A Keyer for these options.  Its key cache lives on across comparisons
    in one process (bulk ingest compares thousands of versions); it is
    cleared when it grows past _KEY_CACHE_LIMIT words.  forget: a Keyer
    that keeps no cache (Keyer's forget), for a process that compares once."""
    options = (strict, ignore_case)
    if forget:
        return Keyer(_KEY_FUNCTIONS[options], forget=True)
    keyer = Keyer(_KEY_FUNCTIONS[options])
    cache = _KEY_CACHES.setdefault(options, {})
    if len(cache) > _KEY_CACHE_LIMIT:
        cache.clear()
    keyer.cache = cache
    return keyer


def is_word(literal: str) -> bool:
    """Words count in statistics; punctuation does not."""
    return literal[0].isalnum() or literal[0] == "_"


_WORD_FLAGS: dict[str, bool] = {}  # literal -> is_word, shared like the key caches


def word_flags(literals: list[str]) -> list[bool]:
    """is_word of each literal (a dict look-up each: bulk ingest flags
    thousands of versions of the same few hundred words)."""
    flags = _WORD_FLAGS
    try:
        return list(map(flags.__getitem__, literals))
    except KeyError:
        if len(flags) > _KEY_CACHE_LIMIT:
            flags.clear()
        for literal in set(literals).difference(flags):
            flags[literal] = is_word(literal)
        return list(map(flags.__getitem__, literals))


def word_prefix_py(literals: list[str]):
    """prefix[i]: how many word tokens (is_word) come before token i."""
    return accumulate(word_flags(literals), initial=0)


class Gaps(Sequence):
    """A token list's gaps derived from its text and offsets (the compiled
    tokeniser's lists): no str per gap, where a list of them was 8 bytes a
    token (25 MB a side at 16 MB).  gaps[i] is text[ends[i - 1]:starts[i]]
    (text[:starts[0]] for the first) as the offsets are now, so it follows
    drop_spans and line-break joins by itself: read-only."""

    __slots__ = ("text", "starts", "ends")

    def __init__(self, text: str, starts: "array[int]", ends: "array[int]"):
        self.text, self.starts, self.ends = text, starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i):
        n = len(self.starts)
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("gap index out of range")
        return self.text[self.ends[i - 1] if i else 0:self.starts[i]]

    def __eq__(self, other):
        if isinstance(other, (list, tuple, Gaps)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None


@dataclass
class Tokens:
    """One text cut into tokens.  Lists are parallel, indexed by token.

    `text[starts[i]:ends[i]] == literals[i]`; `gaps[i]` is the text between
    token i-1 and token i (before the first token: leading whitespace);
    `text[ends[-1]:]` is trailing whitespace.
    """

    text: str
    literals: list[str]
    gaps: "list[str] | Gaps"
    keys: list[str]
    starts: "array[int] | list[int]"
    ends: "array[int] | list[int]"
    # Sparse token lists (the chunk pass, diff/chunks.py): the indices of the
    # tokens that stand in for an unchanged run each (starts and ends give the
    # run; a set, not a dict of (start, end): 120 bytes a run less).
    placeholders: set[int] = field(default_factory=set)
    _gap_kinds: bytes | None = None
    # Once encode_sides has run, keys is a str of one character per token
    # (equal characters, equal keys: what the diff runs on) and vocab the
    # distinct keys, shared by both sides; key(i) gives token i's key.
    # Literals are then a str of one character per token too (equal
    # characters, equal literals).
    vocab: list[str] | None = None
    # Set when a Coder made the codes as the tokens were cut (the comparison
    # pipeline): no list of 8 bytes a token was ever made for literals or
    # keys; word counts (word_counter, word_prefix) come from its word flag
    # of each literal code.
    coder: "Coder | None" = None

    def __len__(self) -> int:
        return len(self.literals)

    @property
    def gap_kinds(self) -> bytes:
        """GLUED, SPACE, PARAGRAPH or FURNITURE for the gap before each
        token (a byte each: a list would cost 8 bytes a token)."""
        if self._gap_kinds is None:
            if isinstance(self.gaps, Gaps):  # from the offsets: no gap made as a str
                find = _speedups.gap_kinds if _speedups is not None else _gap_kinds_py
                self._gap_kinds = find(self.text, self.starts, self.ends)
            else:
                kinds = {g: gap_kind(g) for g in set(self.gaps)}
                self._gap_kinds = bytes(map(kinds.__getitem__, self.gaps))
        return self._gap_kinds

    def word_prefix(self) -> list[int]:
        """prefix[i]: how many word tokens come before token i (built once,
        and again if line-break joining changed the list)."""
        prefix = self.__dict__.get("_word_prefix")
        if prefix is None or len(prefix) != len(self.literals) + 1:
            if self.coder is not None:
                prefix = flag_prefix(self.literals, self.coder.word_flags, len(self.text))
            elif _speedups is not None and isinstance(self.literals, list):
                length = len(self.text)
                prefix = array(offset_typecode(length), _speedups.word_prefix(self.literals, offset_width(length)))
            else:
                prefix = offset_array(word_prefix_py(self.literals), len(self.text))
            # Compact lists keep it compact too: an int object per token is 32 bytes more.
            self.__dict__["_word_prefix"] = prefix = prefix if isinstance(self.starts, array) else prefix.tolist()
        return prefix

    def know_word_prefix(self, prefix: "list[int] | array[int]") -> None:
        """Keep a word prefix the tokeniser counted on the way (what
        word_prefix would build)."""
        self.__dict__["_word_prefix"] = prefix

    def literal(self, i: int) -> str:
        """The literal text of token i, whether literals are encoded or not."""
        return self.text[self.starts[i]:self.ends[i]]

    def key(self, i: int) -> str:
        """The comparison key of token i, whether keys are encoded or not."""
        if self.vocab is None:
            return self.keys[i]
        return self.vocab[code_index(ord(self.keys[i]))]

    def words_before(self, i: int) -> int:
        """How many word tokens come before token i."""
        return self.word_prefix()[i]

    def word_counter(self):
        """count(i0, i1): how many of tokens i0..i1-1 are words, for callers
        that count many ranges (made once, and again if the list changed).
        A Coder's tokens count the word flags of their literal codes on
        demand where compiled, and keep nothing per token: a word prefix
        was 4 bytes a token held through the diff and the build (6 MB at
        4 MB), for the ranges of changes only."""
        made = self.__dict__.get("_word_counter")
        if made is None or made[0] != len(self.literals):
            count = flag_counter(self.literals, bytes(self.coder.word_flags)) if self.coder is not None else None
            if count is None:  # (in Python a count per change costs more than a prefix made once)
                prefix = self.word_prefix()

                def count(i0: int, i1: int) -> int:
                    return prefix[i1] - prefix[i0]
            self.__dict__["_word_counter"] = made = (len(self.literals), count)
        return made[1]

    def char_end(self, i: int) -> int:
        """Offset just past token i-1 (the end of a range ending before token i)."""
        if i == 0:
            return self.starts[0] if self.starts else 0
        return self.ends[i - 1]


def let_go(toks: Tokens, *fields: str) -> None:
    """Let go of token list fields the steps left do not read: "gaps" (their
    kinds are made first: the word diff, the alignment and the build read
    those), "keys" and "placeholders" (the build reads neither; a moved
    passage's keys are taken with the move).  At 16 MB with 20% edits the
    gaps are a list of 8 bytes a token, some 25 MB a side."""
    for name in fields:
        if name == "gaps":
            toks.gap_kinds  # (made from the gaps)
        setattr(toks, name, set() if name == "placeholders" else [])


def _gap_kinds_py(text: str, starts, ends) -> bytes:
    """gap_kind of each gap of Gaps(text, starts, ends), as bytes."""
    kinds: dict[str, int] = {}
    out = bytearray()
    before = 0
    for start, end in zip(starts, ends):
        if not 0 <= before <= start <= len(text):
            raise ValueError("gap_kinds: offsets out of order or out of range")
        gap = text[before:start]
        kind = kinds.get(gap)
        if kind is None:
            kind = kinds[gap] = gap_kind(gap)
        out.append(kind)
        before = end
    return bytes(out)


def gap_kind(gap: str) -> int:
    if not gap:
        return GLUED
    if not gap.isspace():
        return FURNITURE
    if _PARAGRAPH_RE.search(gap.replace("\r\n", "\n").replace("\r", "\n")):
        return PARAGRAPH
    return SPACE


# From this many characters up, tokens are stored compactly: offsets in
# arrays (a list holds a 28-byte int object per offset) and one str object
# per distinct word.  That costs 15 ms per megabyte and saves some 20 MB per
# megabyte, which matters for the peak memory of long documents only.
COMPACT_MIN_CHARS = 2_000_000


def offset_typecode(length: int) -> str:
    """The array type of offsets into a text of `length` characters (and of
    token indices and counts: there are no more tokens than characters)."""
    return "i" if length < 1 << 31 else "q"


def offset_array(values, length: int) -> "array[int]":
    """Offsets or counts into a text of `length` characters (an iterable of
    ints) as an array of 4 bytes each ("i"; "q" from 2**31 characters on:
    none of them is more than the length).  (8 bytes each were 6 MB a list
    at 4 MB.)"""
    return array(offset_typecode(length), values)


def offset_width(length: int) -> int:
    """Bytes of each item of an offset_array for a text of `length` characters."""
    return array(offset_typecode(length)).itemsize


def token_pieces(text: str, plain: bool | None = None) -> list[str]:
    """[gap, token, gap, token, ..., tail]: text cut into tokens and the
    whitespace around them; `plain` as for tokenize."""
    if plain is None:
        plain = is_plain(text)
    if _speedups is not None:
        return _speedups.split_tokens(text, _scripts(plain))
    return _patterns(text, plain)[0].split(text)


def tokenize(text: str, keyer=None, offset: int = 0, compact: bool | None = None,
             plain: bool | None = None) -> Tokens:
    """Cut text into tokens with literal spans and comparison keys.

    `keyer` is a Keyer (whose cache then serves several texts) or any
    function of a literal, or False for no keys (the literals stand in:
    for callers that only need the spans); `offset` is added to every span
    (for a stretch cut out of a longer text); `compact` stores the tokens
    compactly (default: for long texts; see COMPACT_MIN_CHARS); `plain` is
    is_plain(text) when the caller knows it (of a longer text it was cut from).
    """
    pieces = token_pieces(text, plain)
    if len(pieces) == 1:
        return Tokens(text, [], [], [], [], [])
    if compact is None:
        compact = len(text) >= COMPACT_MIN_CHARS
    gaps = pieces[0:-1:2]
    literals = pieces[1::2]
    bounds = list(accumulate(map(len, pieces), initial=offset))
    starts = bounds[1:-1:2]
    ends = bounds[2::2]
    if compact:
        starts, ends = offset_array(starts, offset + len(text)), offset_array(ends, offset + len(text))
    if keyer is False:
        return Tokens(text, literals, gaps, literals, starts, ends)
    if not isinstance(keyer, Keyer):
        keyer = Keyer(keyer or typography_key)
    if compact:
        interned = keyer.interned
        literals = list(map(interned.setdefault, literals, literals))
    keys = keyer.keys(literals)
    return Tokens(text, literals, gaps, keys, starts, ends)


_RECENT: dict[tuple[str, object], Tokens] = {}  # insertion-ordered: the oldest goes first
_RECENT_LIMIT = 4
_RECENT_MAX_CHARS = 200_000  # long texts are not kept: their tokens are big, and rarely compared twice


def tokenize_recent(text: str, keyer: Keyer, plain: bool | None = None) -> Tokens:
    """tokenize(text, keyer, plain=plain), remembering the last few texts.
    A series of versions compares each one twice, as the new text and then
    as the old; this tokenises it once.  Returns a copy the caller may
    change (line-break joining does)."""
    key = (text, keyer.function)
    found = _RECENT.pop(key, None)
    if found is None:
        found = tokenize(text, keyer, plain=plain)
        if len(text) > _RECENT_MAX_CHARS:
            return found
        if len(_RECENT) >= _RECENT_LIMIT:
            del _RECENT[next(iter(_RECENT))]
    _RECENT[key] = found
    return Tokens(text, found.literals[:], found.gaps[:], found.keys[:], found.starts[:], found.ends[:])


# Up to this many runs of dropped tokens, drop_spans deletes each in place
# (a memmove of the list's tail); beyond, it copies the kept stretches once.
_DROP_IN_PLACE_RUNS = 4


def _keep_stretches(seq, stretches) -> None:
    """Keep only seq[a:b] for each (a, b) of stretches (in order, apart), in
    place (a list or an array): each is moved down over what goes, and the
    end cut off.  A copy of the kept stretches, joined, took twice a list's
    size at once (45 MB a side at 16 MB)."""
    done = 0
    for a, b in stretches:
        if a != done:
            seq[done:done + b - a] = seq[a:b]
        done += b - a
    del seq[done:]


def drop_spans(side: Tokens, spans: list[tuple[int, int]]) -> int:
    """Take the tokens lying wholly inside `spans` (sorted, non-overlapping
    character spans: page furniture, layout marks) out of the list, in
    place; their text joins the gap before the next token, whose gap kind
    becomes FURNITURE.  Placeholders (unchanged runs) always stay.  Returns
    how many word tokens went (the caller's word counts must not come from
    the list then).  Costs a binary search per span when nothing goes."""
    n = len(side.literals)
    if not spans or not n:
        return 0
    starts, ends, text, placeholders = side.starts, side.ends, side.text, side.placeholders
    # Runs of dropped tokens (maximal, in order), each followed by the token
    # whose gap takes their text.  The tokens are in order and apart, so
    # their ends are sorted too: those wholly inside a span are one stretch
    # of indices, found by two binary searches, less any placeholder in it
    # (a paged text drops 12,000 running heads' and page numbers' tokens a
    # side at 4 MB; one at a time they took 4 ms).
    fixed = sorted(placeholders)
    runs: list[tuple[int, int]] = []
    for s, e in spans:
        i = bisect.bisect_left(starts, s)
        j = bisect.bisect_right(ends, e, i)
        while i < j:
            k = bisect.bisect_left(fixed, i)
            stop = fixed[k] if k < len(fixed) and fixed[k] < j else j
            if stop > i:
                if runs and runs[-1][1] == i:
                    runs[-1] = (runs[-1][0], stop)
                else:
                    runs.append((i, stop))
            i = stop + 1
    if not runs:
        return 0
    literals, keys, gaps = side.literals, side.keys, side.gaps
    derived = isinstance(gaps, Gaps)  # (they follow the offsets by themselves)
    if side.coder is not None:
        # The dropped tokens' codes picked out and their word flags counted
        # at once, in C.
        flags = side.coder.word_flags
        picked = "".join([literals[a:b] for a, b in runs])
        count = flag_counter(picked, bytes(flags))
        dropped_words = count(0, len(picked)) if count is not None else \
            sum(flags[code_index(ord(code))] for code in picked)
    else:
        dropped_words = sum(sum(word_flags(literals[a:b])) for a, b in runs)
    for first, end in runs:  # (first is never a run's end: runs are maximal)
        if end < n and not derived:
            gaps[end] = (gaps[first] + text[starts[first]:starts[end]]) if first == 0 else text[ends[first - 1]:starts[end]]
    kept = [(end, first) for end, first in zip([0, *(e for _, e in runs)], [f for f, _ in runs] + [n])
            if first > end]
    seqs = [starts, ends, *([] if derived else [gaps])]
    if isinstance(literals, str):  # codes (a Coder's): the kept stretches joined anew
        side.literals, side.keys = ("".join([seq[a:b] for a, b in kept]) for seq in (literals, keys))
    else:
        seqs += [literals, keys]
    if len(runs) <= _DROP_IN_PLACE_RUNS:
        # From the end, so earlier indices stay valid; del is a memmove in C.
        for first, end in reversed(runs):
            for seq in seqs:
                del seq[first:end]
    else:
        # Many runs (a text full of bullets or table rules): a memmove each
        # would cost runs x tokens; the kept stretches are moved once.
        for seq in seqs:
            _keep_stretches(seq, kept)
    removed_before = 0
    furniture_gaps = []
    for first, end in runs:
        removed_before += end - first
        if end < n:
            furniture_gaps.append(end - removed_before)
    side.__dict__["_furniture_gaps"] = [j for j in furniture_gaps if j > 0]
    if placeholders:  # (each moves down by the dropped tokens before it: those of the runs that end by it)
        run_ends = [end for _, end in runs]
        removed = list(accumulate((end - first for first, end in runs), initial=0))
        side.placeholders = {k - removed[bisect.bisect_right(run_ends, k)] for k in placeholders}
    side._gap_kinds = None
    side.__dict__.pop("_word_prefix", None)
    side.__dict__.pop("_word_counter", None)
    return dropped_words


def _tokenised_ranges(side: Tokens) -> list[tuple[int, int]]:
    """(start, end) of the text that is cut into tokens: all of it, or for a
    sparse list the stretches between its unchanged runs (a break inside
    or at the edge of a run cannot join two tokens of the list)."""
    if not side.placeholders:
        return [(0, len(side.text))]
    ranges, done = [], 0
    for k in sorted(side.placeholders):
        start, end = side.starts[k], side.ends[k]
        if start > done:
            ranges.append((done, start))
        done = end
    if done < len(side.text):
        ranges.append((done, len(side.text)))
    return ranges


# --- chunks: the coarse first pass -------------------------------------------
#
# Most of a long document is usually unchanged.  Splitting it into sentences
# costs a C-level regex split, and comparing the chunks
# with whitespace folded finds the unchanged stretches without making a
# Python object per word; only chunks that differ are cut into tokens.

# Chunks end at sentence punctuation followed by whitespace, and only there:
# a paragraph break is whitespace like any other, so that a heading or a list
# item with no end mark joins the sentence after it whether the paragraphs
# are set apart by a blank line or by a single line break (a web page's text)
# or split or merged; chunks are a function of the words alone.  Which
# chunks hold a paragraph break, and where, the chunk pass checks itself
# (INNER_PARAGRAPH).  (Clause punctuation too halves the text left to
# tokenise at 1% edits, but the extra chunks cost more than that saves:
# measured 0.44 vs 0.54-0.68 s CPU on a 1 MB pair.)
_SENTENCE_SPLIT = re.compile(r"([.!?\u2026][\"'\u201d\u2019)\]]?)(\s+)")

# Added to a chunk's kind (the gap kind of the separator before it) when the
# chunk holds a paragraph break between two of its words.
INNER_PARAGRAPH = 4
_INNER_PARAGRAPH_RE = re.compile(r"[\n\r\u2029]")


def split_chunks(text: str) -> tuple[list[str], list[str]]:
    """Cut text into sentence chunks.

    Returns (chunks, separators): separators[i] is the whitespace before
    chunks[i], so "".join(s + c for s, c in zip(separators, chunks)) == text.
    A text that ends in whitespace after its last sentence has no empty
    chunk after it: that whitespace ends the last sentence's chunk.  (The
    comparison uses chunk_codes, which gives the same chunks as offsets.)
    """
    # pieces: [sentence, end mark, whitespace, sentence, ..., last sentence]
    pieces = _SENTENCE_SPLIT.split(text)
    chunks = list(map(str.__add__, pieces[0:-1:3], pieces[1::3]))
    seps = ["", *pieces[2::3]]
    if pieces[-1] or len(pieces) == 1:
        chunks.append(pieces[-1])
    else:
        chunks[-1] += seps.pop()
    return chunks, seps


def _inner_paragraph(chunk: str) -> bool:
    """Whether a paragraph break (whitespace of gap kind PARAGRAPH) lies
    between two words of the chunk."""
    inner = chunk.strip()
    if not _INNER_PARAGRAPH_RE.search(inner):
        return False
    return any(gap_kind(gap) == PARAGRAPH for gap in re.findall(r"\s+", inner))


def chunk_table(text: str) -> tuple["array[int]", list[str], list[int]]:
    """The chunks of split_chunks as (bounds, keys, kinds): bounds[2k]
    (an array("q")) is where separator k starts and bounds[2k + 1] where
    chunk k starts (the last bound is len(text)); keys[k] is chunk k with its whitespace folded
    (fold_chunks); kinds[k] the gap_kind of separator k, plus
    INNER_PARAGRAPH when chunk k holds a paragraph break."""
    chunks, seps = split_chunks(text)
    bounds = array("q", accumulate(map(len, chain.from_iterable(zip(seps, chunks))), initial=0))
    kinds = {sep: gap_kind(sep) for sep in set(seps)}
    return bounds, fold_chunks(chunks), [kinds[sep] | (INNER_PARAGRAPH if _inner_paragraph(chunk) else 0)
                                         for sep, chunk in zip(seps, chunks)]


def chunk_codes(old_text: str, new_text: str) -> tuple[tuple, tuple]:
    """Both texts cut into chunks (split_chunks), each chunk's key given as
    one character, the same for the same key in either text (encode_keys).

    Per text: (bounds, codes, lengths, kinds): bounds and kinds as in
    chunk_table (bounds as array("q"), kinds as bytes), codes a str of one
    character per chunk, lengths the length of each key (array("q")).
    Compiled, the keys are compared by hash and then character by
    character, and never made as strings.  (Arrays, not lists: a 16 MB
    one-line text has some 300,000 bounds, whose int objects took 10 MB of
    small-object arenas that stayed resident through the comparison.)"""
    if _speedups is not None:
        return _speedups.chunk_codes(old_text, "\r" in old_text, new_text, "\r" in new_text)
    return _chunk_codes(old_text, new_text)


def _chunk_codes(old_text: str, new_text: str) -> tuple[tuple, tuple]:
    old_bounds, old_keys, old_kinds = chunk_table(old_text)
    new_bounds, new_keys, new_kinds = chunk_table(new_text)
    old_codes, new_codes = _encode_keys(old_keys, new_keys)
    return ((old_bounds, old_codes, array("q", map(len, old_keys)), bytes(old_kinds)),
            (new_bounds, new_codes, array("q", map(len, new_keys)), bytes(new_kinds)))


def fold_chunks(chunks: list[str]) -> list[str]:
    """Each chunk with its whitespace folded: " ".join(chunk.split())."""
    # Most chunks are already folded once their line feeds are spaces: a
    # printable string has no whitespace but " " (tabs, CR, no-break and
    # other spaces are not printable), so with no "  " and no space at
    # either end it is its own fold.  Checking that is quicker than folding.
    keys = [c.replace("\n", " ") for c in chunks]
    return [k if k.isprintable() and "  " not in k and k[:1] != " " and k[-1:] != " " else " ".join(k.split())
            for k in keys]


def count_words_in(text: str, spans, plain: bool | None = None) -> int:
    """sum(count_words(text[start:end], plain) for start, end in spans),
    without copying the spans out when the compiled count is there."""
    if plain is None:
        plain = is_plain(text)
    if _speedups is not None:
        return _speedups.count_words(text, spans, _scripts(plain))
    return sum(count_words(text[start:end], plain) for start, end in spans)


_COUNT_PIECE = 1 << 20  # characters
_SPACE_RE = re.compile(r"\s")


def count_words(text: str, plain: bool | None = None) -> int:
    """Words as the tokeniser counts them (punctuation excluded); `plain`
    as for tokenize.

    A long text is counted in pieces of about a megabyte, cut at whitespace
    (no word spans it), so the list of matched words stays small: counting
    10 MB at once held 1.7 million strings, about 100 MB.
    """
    if plain is None:
        plain = is_plain(text)
    if _speedups is not None:
        return _speedups.count_words(text, ((0, len(text)),), _scripts(plain))
    pattern = _patterns(text, plain)[1]
    total, start, n = 0, 0, len(text)
    while start < n:
        end = start + _COUNT_PIECE
        if end < n:
            space = _SPACE_RE.search(text, end)
            end = space.start() if space else n
        else:
            end = n
        total += len(pattern.findall(text, start, end))
        start = end
    return total


# The codes a Coder gives (codes.py) that these token lists read.
from .codes import _encode_keys, code_index, flag_counter, flag_prefix  # noqa: E402  (codes.py imports this module)
