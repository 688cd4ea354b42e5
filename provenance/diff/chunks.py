"""The sentence-level first pass of long texts (step 1): runs of sentences that
are unchanged but for whitespace stand in as one token each, and only the
rest is tokenised; a sample decides whether the pass pays.  A chunk with no
sentence end for 64 KB (a huge line) is cut into pieces its words choose.

Owns: chunk plans, kept chunks, sparse token lists (which chunks are the
same but for formatting: diff/folding.py; how the unchanged runs grow into
changed chunks: diff/growth.py).  Never: decides what a change is (the word
diff does).
Compiled twins (provenance/_speedups.c), each chosen next to its Python
version: kept_runs, paragraph_isolated, split_runs, sparse_tokens,
plans_from_spans.
"""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from bisect import bisect_left
from itertools import accumulate, chain, compress
from operator import not_

from .. import linebreaks as lb
from .. import tokens as tk
from .. import codes as cd
from .folding import _Canon, _canonical_codes, _fold_word, word_tables
from .growth import _chunks_to_fold, _pairs, _spans_over_tables, _unchanged_spans
from .myers import _diff_stretches, _encode, diff_strings



# Texts with fewer chunks than this are tokenised whole: the chunk pass only
# pays off when there is unchanged text to skip.  (64 before: 16 makes the
# word statistics of a 3.4 KB page with 3 edits 1.6x quicker, same results on
# 2,000 such pairs; benchmarks/quality.py forces the pass on every pair.)
CHUNK_PASS_MIN_CHUNKS = 16


# An unchanged run shorter than this (characters, whitespace folded) is
# tokenised anyway: short identical chunks ("Yes.", a lone heading letter)
# can pair up differently at chunk level than at word level, which would turn
# a formatting difference into a spurious deletion and insertion.
MIN_KEPT_CHARS = 160


def _plan_chunks(old_text: str, new_text: str, engine: str | None, judge: lb.BreakJudge | None = None):
    """Which chunks of each text need tokens, and how unchanged runs pair up.

    Returns (old plan, new plan, pinned): per text a list of (start, end,
    run) in order, a stretch to tokenise (run None) or an unchanged run of
    chunks (run n, the same n in both texts); and pinned, the stretches
    that are tokenised although they are unchanged but for formatting
    (their tokens are then held equal, as a run's are), as an array of
    old_start, old_end, new_start, new_end for each, flat (a tuple of
    tuples each was 5 MB at 4 MB, a PDF's text against a web page's, held
    through the tokens and the joins).  None when the texts are too short
    for this to pay.

    Which runs are unchanged depends only on the comparison keys, never on
    typography, spacing, line-break hyphenation (see _canonical_codes) or
    where paragraphs break (chunks end at sentence ends only; a chunk or
    span that a paragraph break on one side only touches is pinned): the
    same pair compared after re-formatting either side is cut into the same
    runs, so the word diff between them gives the same content changes.
    """
    if min(len(old_text), len(new_text)) < CHUNK_PASS_MIN_CHUNKS * 80:
        return None  # under ~80 characters a chunk: too short for the pass to pay
    if not _chunk_pass_pays(old_text, new_text):
        return None
    # Chunks are compared by their text with whitespace folded (keys), each
    # key given as one character (codes).
    old, new = tk.chunk_codes(old_text, new_text)
    if max(old[2], default=0) > LONG_CHUNK_CHARS or max(new[2], default=0) > LONG_CHUNK_CHARS:
        old, new = _split_long_chunks(old_text, new_text, old, new)
    (old_bounds, old_codes, old_lengths, old_kinds), (new_bounds, new_codes, _, new_kinds) = old, new
    if min(len(old_codes), len(new_codes)) < CHUNK_PASS_MIN_CHUNKS:
        return None
    judge = judge or lb.BreakJudge(old_text, new_text)
    judge.start_word_filters()  # (the texts are cut: the second core is free)
    old = _Canon(old_text, old_bounds, old_kinds, judge)
    new = _Canon(new_text, new_bounds, new_kinds, judge)
    canonical = _canonical_codes(old, new, old_codes, new_codes, old_lengths)
    merged: tuple[list[int], list[int]] = ([], [])
    if canonical is not None:
        old_codes, new_codes, old_lengths, merged = canonical
    kept = _kept_chunks(old_codes, new_codes, old_lengths, engine)
    # Each chunk that folding paired, or that a paragraph break on one side
    # only touches, is a run of its own, so that only it is tokenised
    # (below); the runs either side of it stay one token.
    isolated = _paragraph_isolated(kept, old_kinds, new_kinds, old_text, old_bounds, new_text, new_bounds)
    isolated = (isolated[0].union(merged[0]), isolated[1].union(merged[1]))
    if isolated[0] or isolated[1]:
        kept = _split_runs(kept, *isolated)
    # The runs grow into changed chunks over the words they share by key
    # (a chunk's folded words, where typography, a line-end hyphen or
    # spacing make them other than its literal ones: word_tables), so that
    # they stop at the same words whatever the formatting: the word diff's
    # choice between alignments of an edit depends on where its stretch
    # starts and ends, and on its length.
    # (The words' line-end hyphens are judged against the old text and the
    # new one outside these runs: the same answers, fewer searches.)
    # (A PDF's text against a web page's is outside its runs nearly whole:
    # the ranges, 36,000 tuples at 4 MB, are then not made at all.)
    if judge.searches_runs_joined(sum(b - a for a, b in _outside_runs(kept, isolated[1], new_bounds, len(new_text)))):
        judge.know_unchanged_runs(sorted(_outside_runs(kept, isolated[1], new_bounds, len(new_text))))
    tables = tuple(word_tables(canon, chunks)
                   for canon, chunks in zip((old, new), _chunks_to_fold(old, new, _pairs(kept, len(old_codes), len(new_codes)))))
    spans = _unchanged_spans(kept, (old_text, old_bounds, old_kinds), (new_text, new_bounds, new_kinds), tables)
    # A span holding an isolated chunk or part of a chunk with a word table,
    # or joining two changed chunks (not a run's), is tokenised if its two
    # sides differ in more than spacing (typography, a line-end hyphen, or
    # a paragraph break on one side only), and held equal (pinned), so that
    # the difference shows as formatting; the stretches the word diff runs
    # on stay what the keys make them.
    holds_old = sorted([old_bounds[2 * k + 1] for k in isolated[0]] +
                       _spans_over_tables(spans, old_bounds, tables[0], new_bounds, tables[1]))
    holds_new = sorted(new_bounds[2 * k + 1] for k in isolated[1])
    run_starts = [old_bounds[2 * i0 + 1] for i0, _, _, _ in kept]
    return _plans_from_spans(spans, holds_old, holds_new, run_starts, old_text, new_text)


def _outside_runs(kept, isolated: set[int], bounds, length: int):
    """The new text's ranges outside the kept runs' chunks, then those of
    the isolated chunks (folding paired them: not the old text's but for
    whitespace), one at a time.  (Each starts and ends at a chunk's bound,
    at whitespace: the judge may join them, no word reaches across.)"""
    at = 0
    for _, _, j0, j1 in kept:
        if bounds[2 * j0 + 1] > at:
            yield at, bounds[2 * j0 + 1]
        at = bounds[2 * j1]
    if at < length:
        yield at, length
    for k in isolated:
        yield bounds[2 * k + 1], bounds[2 * k + 2]


def _plans_from_spans(spans, holds_old: list[int], holds_new: list[int], run_starts: list[int], old_text: str,
                      new_text: str):
    """_plans_from_spans_py, compiled when it can be, the pinned spans as
    an array("q")."""
    make = tk._speedups.plans_from_spans if tk._speedups is not None else _plans_from_spans_py
    old_plan, new_plan, pinned = make(spans, holds_old, holds_new, run_starts, old_text, new_text)
    flat = array("q")
    flat.frombytes(pinned)
    return old_plan, new_plan, flat


def _plans_from_spans_py(spans, holds_old: list[int], holds_new: list[int], run_starts: list[int], old_text: str,
                         new_text: str):
    """_plan_chunks' (old plan, new plan, pinned) from the unchanged spans
    (old_start, old_end, new_start, new_end), in text order: a span is
    pinned where it holds the start of an isolated chunk (holds_old,
    holds_new: sorted offsets) or holds no run's start (run_starts: sorted
    old offsets) and may hold a paragraph break, and its two sides'
    _shape differ; the rest are the plans' unchanged runs.  pinned: the
    bytes of the pinned spans' four offsets each, as int64."""

    def holds(starts: list[int], a: int, b: int) -> bool:
        k = bisect_left(starts, a)
        return k < len(starts) and starts[k] < b

    pinned = []
    keep = []
    for a, b, c, d in spans:
        alone = holds(holds_old, a, b) or holds(holds_new, c, d)
        if (alone or not holds(run_starts, a, b)) and \
                (alone or _near_paragraph(old_text, a, b) or _near_paragraph(new_text, c, d)) and \
                _shape(old_text, a, b) != _shape(new_text, c, d):
            pinned += (a, b, c, d)
        else:
            keep.append((a, b, c, d))
    return (_plan_from_spans([(s[0], s[1]) for s in keep], len(old_text)),
            _plan_from_spans([(s[2], s[3]) for s in keep], len(new_text)), array("q", pinned).tobytes())


_PARAGRAPH_GAP_RE = re.compile(r"\n[^\S\n]*\n\s*|\u2029\s*")  # (the whitespace before one goes with the fold)


_PARAGRAPH_BREAK_RE = re.compile(r"\n[^\S\n]*\n|[\r\u2029]")


def _near_paragraph(text: str, a: int, b: int) -> bool:
    """Whether text[a:b], with the whitespace either side of it, may hold a
    paragraph break (any "\r" is looked at closer by _shape).  The words of
    a span joining two changed chunks are the same by key in both texts
    (_unchanged_spans), and literally the same where it overlaps no chunk
    with a word table (those spans are looked at whole): only paragraph
    breaks can tell them apart."""
    n = len(text)
    while a > 0 and text[a - 1].isspace():
        a -= 1
    while b < n and text[b].isspace():
        b += 1
    return _PARAGRAPH_BREAK_RE.search(text, a, b) is not None


def _shape(text: str, a: int, b: int) -> list[str]:
    """text[a:b] as the word diff would see it but for spacing: its
    paragraphs (with the whitespace either side of the span), each with
    its whitespace folded."""
    n = len(text)
    while a > 0 and text[a - 1].isspace():
        a -= 1
    while b < n and text[b].isspace():
        b += 1
    part = text[a:b]
    if "\r" in part:
        part = part.replace("\r\n", "\n").replace("\r", "\n")
    return [" ".join(p.split()) for p in _PARAGRAPH_GAP_RE.split(part)]


def _paragraph_isolated(kept, old_kinds: bytes, new_kinds: bytes, old_text: str, old_bounds, new_text: str,
                        new_bounds) -> tuple[set[int], set[int]]:
    """_paragraph_isolated_py, compiled when it can be."""
    if tk._speedups is not None:
        return tk._speedups.paragraph_isolated(kept, old_kinds, new_kinds, old_text, old_bounds, new_text, new_bounds)
    return _paragraph_isolated_py(kept, old_kinds, new_kinds, old_text, old_bounds, new_text, new_bounds)


def _paragraph_isolated_py(kept, old_kinds: bytes, new_kinds: bytes, old_text: str, old_bounds, new_text: str,
                           new_bounds) -> tuple[set[int], set[int]]:
    """The chunks of the kept runs that a paragraph break on one side only
    may touch (old chunk indices, new chunk indices): a chunk holding a
    paragraph break (tk.INNER_PARAGRAPH) in either text, the two chunks
    either side of a separator that is a paragraph break in one text only,
    and a run's first or last chunk where the separator before or after the
    run differs so or the chunk next to the run holds a paragraph break.
    Not a chunk inside a run (neither its first nor its last) that holds
    paragraph breaks in both texts and whose paragraphs are the same in
    both (_shape): in real documents most paragraph breaks fall inside a
    chunk (a heading, a list item or a code line ends in no full stop),
    and each isolated chunk cuts its run in three, a third of the runs of
    a 4 MB manual; as its own run such a chunk would be held unchanged
    anyway (_plans_from_spans)."""
    flag, kind = tk.INNER_PARAGRAPH, tk.INNER_PARAGRAPH - 1
    n_old, n_new = len(old_kinds), len(new_kinds)
    old_out: set[int] = set()
    new_out: set[int] = set()
    for i0, i1, j0, j1 in kept:
        n = i1 - i0
        before = i0 and j0 and (old_kinds[i0] & kind != new_kinds[j0] & kind or
                                (old_kinds[i0 - 1] | new_kinds[j0 - 1]) & flag)
        after = i1 < n_old and j1 < n_new and (old_kinds[i1] & kind != new_kinds[j1] & kind or
                                               (old_kinds[i1] | new_kinds[j1]) & flag)
        if old_kinds[i0 + 1:i1] == new_kinds[j0 + 1:j1] and max(old_kinds[i0:i1]) < flag \
                and max(new_kinds[j0:j1]) < flag and not before and not after:
            continue  # the usual case
        drop = set()
        if before:
            drop.add(0)
        if after:
            drop.add(n - 1)
        for t in range(n):
            i, j = i0 + t, j0 + t
            x, y = old_kinds[i], new_kinds[j]
            if (x | y) & flag and not (0 < t < n - 1 and x & y & flag and
                                       _shape(old_text, old_bounds[2 * i + 1], old_bounds[2 * i + 2]) ==
                                       _shape(new_text, new_bounds[2 * j + 1], new_bounds[2 * j + 2])):
                drop.add(t)
            if t and x & kind != y & kind:
                drop.update((t - 1, t))
        old_out.update(i0 + t for t in drop)
        new_out.update(j0 + t for t in drop)
    return old_out, new_out


def _split_runs(kept, old_merged: set[int], new_merged: set[int]) -> list[tuple[int, int, int, int]]:
    """_split_runs_py, compiled when it can be."""
    if tk._speedups is not None:
        return tk._speedups.split_runs(kept, old_merged, new_merged)
    return _split_runs_py(kept, old_merged, new_merged)


def _split_runs_py(kept, old_merged: set[int], new_merged: set[int]) -> list[tuple[int, int, int, int]]:
    """Kept runs (i0, i1, j0, j1) cut so that each chunk pair with a chunk
    in old_merged or new_merged is a run of its own."""
    out = []
    for i0, i1, j0, j1 in kept:
        start = 0
        for t in range(i1 - i0):
            if i0 + t in old_merged or j0 + t in new_merged:
                if t > start:
                    out.append((i0 + start, i0 + t, j0 + start, j0 + t))
                out.append((i0 + t, i0 + t + 1, j0 + t, j0 + t + 1))
                start = t + 1
        if start < i1 - i0:
            out.append((i0 + start, i1, j0 + start, j1))
    return out


# A chunk longer than this (characters of its key) has no sentence end in
# it: a huge line of a minified or unwrapped text, a word list.  As one
# chunk it would be tokenised whole when it changed (some 100 bytes of
# memory per word), and a text that is one such chunk would skip the pass
# altogether; so it is cut into pieces at places its own words choose.
LONG_CHUNK_CHARS = 64 * 1024

# A long chunk is cut after each word whose CRC-32 has these bits clear
# (one word in 16: pieces of some 100 characters, as long as a sentence).  The cut depends only on
# the word, so an edit moves no cut but its own, and a piece unchanged in
# the other text is found unchanged whatever the text around it.
_CUT_MASK = 15
_CUT_WINDOW = 256 * 1024  # characters of a long chunk split into words at a time
_SPACE_RE = re.compile(r"\s+")
_SPACE_SPLIT_RE = re.compile(r"(\s+)")


def _cut_points(text: str, start: int, end: int):
    """(start, end) of each whitespace run where the chunk text[start:end]
    is cut: after each word chosen by _CUT_MASK but the last.  Yielded a
    window at a time (a 16 MB chunk has 160,000 cuts: as a list of tuples,
    38 MB held while the pieces are made)."""
    pending = False  # the last word of the previous window chose a cut
    pos = start
    while pos < end:
        m = _SPACE_RE.search(text, min(pos + _CUT_WINDOW, end), end)
        stop = m.start() if m else end
        parts = _SPACE_SPLIT_RE.split(text[pos:stop])  # word, space, word, ..., word
        offsets = list(accumulate(map(len, parts), initial=pos))
        words = parts[0::2]
        cuts = []
        if pending and len(parts) > 1 and not parts[0]:  # the window starts with the space that cut asks for
            cuts.append((offsets[1], offsets[2]))
        # Words whose hash has the mask's bits clear (map and compress run in C).
        chosen = list(compress(range(len(words)), map(not_, map(_CUT_MASK.__and__, map(zlib.crc32, map(str.encode, words))))))
        pending = False
        for i in chosen:
            if not words[i]:
                continue  # the empty "word" before a window's leading space
            if i < len(words) - 1:
                cuts.append((offsets[2 * i + 1], offsets[2 * i + 2]))
            else:
                pending = True  # the space after it starts the next window
        pos = stop
        del parts, offsets, words
        yield from cuts


def _split_long_chunks(old_text: str, new_text: str, old: tuple, new: tuple) -> tuple[tuple, tuple]:
    """tk.chunk_codes' (bounds, codes, lengths, kinds) of each text, with
    every chunk longer than LONG_CHUNK_CHARS cut at _cut_points.  A piece's
    code is new (after every code of the two texts), the same for the same
    whitespace-folded piece in either text."""
    from hashlib import blake2b

    top = max(max(old[1], default="\x00"), max(new[1], default="\x00"))
    # Pieces by a 128-bit digest of their key, not the key itself: the table
    # would otherwise hold a copy of both texts.  Codes are code points
    # until the end (a str of one character each would be an object each).
    table: dict[bytes, int] = {}
    fresh = chain(range(ord(top) + 1, 0xD800), range(max(0xE000, ord(top) + 1), 0x110000))

    def code(key: str) -> int:
        digest = blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        found = table.get(digest)
        if found is None:
            found = table[digest] = next(fresh)
        return found

    out = []
    for text, (bounds, codes, lengths, kinds) in ((old_text, old), (new_text, new)):
        long = [k for k, n in enumerate(lengths) if n > LONG_CHUNK_CHARS]
        if not long:
            out.append((bounds, codes, lengths, kinds))
            continue
        new_bounds, new_codes, new_lengths, new_kinds = array("q"), array("I"), array("q"), bytearray()
        done = 0  # chunks before this one are copied
        for k in long:
            new_bounds += bounds[2 * done:2 * k + 1]  # separators and chunks done..k-1, separator k
            new_codes.extend(map(ord, codes[done:k]))
            new_lengths += lengths[done:k]
            new_kinds += kinds[done:k + 1]
            new_kinds[-1] &= ~tk.INNER_PARAGRAPH  # each piece says whether it holds a paragraph break
            c0, c1 = bounds[2 * k + 1], bounds[2 * k + 2]
            piece_start = c0
            for s, e in _cut_points(text, c0, c1):
                key = " ".join(text[piece_start:s].split())
                new_bounds.extend((piece_start, s))
                new_codes.append(code(key))
                new_lengths.append(len(key))
                if tk._inner_paragraph(text[piece_start:s]):
                    new_kinds[-1] |= tk.INNER_PARAGRAPH
                new_kinds.append(tk.gap_kind(text[s:e]))
                piece_start = e
            if tk._inner_paragraph(text[piece_start:c1]):
                new_kinds[-1] |= tk.INNER_PARAGRAPH
            key = " ".join(text[piece_start:c1].split())
            new_bounds.append(piece_start)
            new_codes.append(code(key))
            new_lengths.append(len(key))
            done = k + 1
        new_bounds += bounds[2 * done:]
        new_codes.extend(map(ord, codes[done:]))
        new_lengths += lengths[done:]
        new_kinds += kinds[done:]
        out.append((new_bounds, _code_str(new_codes), new_lengths, bytes(new_kinds)))
    return out[0], out[1]


def _code_str(codes: "array[int]") -> str:
    """The str of these code points (none a surrogate), made in C."""
    if codes.itemsize != 4:  # ("I" is 4 bytes wide wherever CPython runs, but not promised)
        return "".join(map(chr, codes))
    raw = codes.tobytes()
    return raw.decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


def _kept_chunks(old_codes: str, new_codes: str, old_lengths: list[int],
                 engine: str | None) -> list[tuple[int, int, int, int]]:
    """The runs of chunks unchanged but for whitespace, (i0, i1, j0, j1):
    old chunks i0..i1-1 are new chunks j0..j1-1, in order; each at least
    MIN_KEPT_CHARS long.  Decided by the codes alone: where paragraph
    breaks differ is seen to afterwards (_paragraph_isolated)."""
    return _kept_runs(diff_strings(old_codes, new_codes, engine), old_lengths, MIN_KEPT_CHARS)


def _kept_runs(ops: list[tuple[str, int]], old_lengths, min_kept: int) -> list[tuple[int, int, int, int]]:
    """_kept_runs_py, compiled when it can be."""
    if tk._speedups is not None:
        return tk._speedups.kept_runs(ops, old_lengths, min_kept)
    return _kept_runs_py(ops, old_lengths, min_kept)


def _kept_runs_py(ops: list[tuple[str, int]], old_lengths, min_kept: int) -> list[tuple[int, int, int, int]]:
    """The equal runs (i0, i1, j0, j1) of a diff of chunk codes whose keys,
    with a space after each, are at least min_kept characters long
    (old_lengths: each old chunk's key length)."""
    old_key_ends = array("q", accumulate(old_lengths, initial=0))
    kept = []  # (i0, i1, j0, j1): unchanged runs of chunks, in order
    i = j = 0
    for op, n in ops:
        if op == "=":
            if old_key_ends[i + n] - old_key_ends[i] + n >= min_kept:
                kept.append((i, i + n, j, j + n))
            i, j = i + n, j + n
        elif op == "-":
            i += n
        else:
            j += n
    return kept


# The chunk pass costs about 100 ms per megabyte, and it pays only when much
# of the text is in unchanged chunks; otherwise tokenising the whole texts is
# quicker (1 MB with 20% of words edited: 0.17 s against 0.33 s).  Texts this
# long are sampled first to see which way to go.
SAMPLE_MIN_CHARS = 256 * 1024

_SAMPLES = 4

_SAMPLE_CHARS = 8 * 1024

# Kept share of the sampled text from which the pass pays (break-even near
# 45%, worked out from the times of each step on the 1 MB benchmark pairs).
_MIN_KEPT_SHARE = 0.4


def _chunk_pass_pays(old_text: str, new_text: str) -> bool:
    """Whether enough of the text is in unchanged chunks for the chunk pass
    to pay: a few windows of the old text, cut into chunks, looked up among
    the chunks of a wider window around the same relative place in the new
    text, typography folded in both.  Either answer gives a correct comparison; this only picks the
    quicker way."""
    n_old, n_new = len(old_text), len(new_text)
    if min(n_old, n_new) < SAMPLE_MIN_CHARS:
        return True
    kept = total = 0
    for k in range(_SAMPLES):
        centre = (2 * k + 1) / (2 * _SAMPLES)
        at = int(centre * n_old) - _SAMPLE_CHARS // 2
        old_window = old_text[at:at + _SAMPLE_CHARS]
        middle = int(centre * n_new) + _sample_drift(old_window, new_text, int(centre * n_new) - _SAMPLE_CHARS // 2)
        at = max(0, middle - 3 * _SAMPLE_CHARS // 2)
        # By comparison keys, as the pass compares chunks (_canonical_codes):
        # a side with curly quotes or ligatures is sampled as what it is.
        (_, old_codes, old_lengths, _), (_, new_codes, _, _) = \
            tk.chunk_codes(_fold_word(old_window), _fold_word(new_text[at:at + 3 * _SAMPLE_CHARS]))
        new_keys = set(new_codes)
        for code, length in zip(old_codes[1:-1], old_lengths[1:-1]):  # whole chunks only
            total += length
            kept += length if code in new_keys else 0
    return kept >= _MIN_KEPT_SHARE * total


# How far (a share of the new text, and at least this many characters) a
# sample's counterpart is looked for around the same relative place.
_DRIFT_SHARE = 0.05
_DRIFT_MIN_CHARS = 64 * 1024


def _sample_drift(old_window: str, new_text: str, expected: int) -> int:
    """How far the old window's text is from `expected` (where it would
    start at the same relative place) in the new text: where whitespace is
    denser on one side (indented, re-wrapped or CRLF text), the same place
    drifts by more than a window.  Three runs of four words of the window
    (at a quarter, half and three quarters of it) are looked for, whitespace
    apart, nearest to where each would be; the median of their shifts, 0 if
    none is found."""
    reach = max(_DRIFT_MIN_CHARS, int(_DRIFT_SHARE * len(new_text)))
    shifts = []
    for share in (0.25, 0.5, 0.75):
        m = _WORDS_RUN_RE.search(old_window, int(share * len(old_window)))
        if m is None:
            continue
        there = expected + m.start()
        found = [at - there for at in _run_starts(new_text, m.group().split(), max(0, there - reach), there + reach)]
        if found:
            shifts.append(min(found, key=abs))
    shifts.sort()
    return shifts[len(shifts) // 2] if shifts else 0


_WORDS_RUN_RE = re.compile(r"(?<=\s)\S+\s+\S+\s+\S+\s+\S+(?=\s)")


def _run_starts(text: str, words: list[str], pos: int, endpos: int) -> list[int]:
    """Where `words` (whitespace-free) stand one after the other, whitespace
    apart, in text[pos:endpos]: the starts of the matches of
    re.compile(r"\\s+".join(map(re.escape, words))).finditer(text, pos,
    endpos).  The longest word is found by str.find and the others checked
    around it: no pattern compiled per probe, and no regex scan of the
    window (a 4 MB text's 12 probes scanned 4.8 million characters)."""
    endpos = min(endpos, len(text))
    k = max(range(len(words)), key=lambda i: len(words[i]))
    matches = []
    at = text.find(words[k], pos, endpos)
    while at >= 0:
        start, end = at, at + len(words[k])
        for word in reversed(words[:k]):  # back: whitespace, then the word before
            i = start
            while i > pos and text[i - 1].isspace():
                i -= 1
            if i == start or i - len(word) < pos or not text.startswith(word, i - len(word), i):
                break
            start = i - len(word)
        else:
            for word in words[k + 1:]:  # on: whitespace, then the word after
                i = end
                while i < endpos and text[i].isspace():
                    i += 1
                if i == end or not text.startswith(word, i, endpos):
                    break
                end = i + len(word)
            else:
                matches.append((start, end))
        at = text.find(words[k], at + 1, endpos)
    # finditer's matches do not overlap: each is the first to start after the last one ends.
    starts = []
    done = pos
    for start, end in sorted(matches):
        if start >= done:
            starts.append(start)
            done = end
    return starts


def _plan_from_spans(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int, int | None]]:
    """(start, end, run) stretches in text order: run None for text to
    tokenise, else the number of the unchanged span."""
    plan = []
    done = 0  # text before this offset is planned
    for run, (start, end) in enumerate(spans):
        if start > done:  # changed text, or only the separator between two runs (no tokens)
            plan.append((done, start, None))
        plan.append((start, end, run))
        done = end
    if done < length:
        plan.append((done, length, None))
    return plan


def _sparse_tokens(text: str, plan, keyer, plain: bool, coder: cd.Coder | None = None) -> tk.Tokens:
    """Tokens for the stretches to tokenise; one placeholder token per
    unchanged run, whose key and literal are the same in both texts.
    `plain`: tk.is_plain(text), found once for all its stretches.  Given a
    Coder, literals and keys come as its codes (compiled, with no list of
    them made on the way).

    The stretches are cut in one go, joined with a NUL standing in for each
    run between them (a token of its own; whitespace stays with the stretch
    it is in): for thousands of short stretches that is quicker than a
    tokenize call each.  Compiled, the text is cut stretch by stretch in
    place, with the word prefix counted on the way."""
    if tk._speedups is not None:
        typecode = tk.offset_typecode(len(text))
        literals, starts, ends, placeholders, word_prefix = tk._speedups.sparse_tokens(
            text, plan, tk.offset_width(len(text)), None if coder is None else coder.literals, tk._scripts(plain))
        # Compact already: one str object per distinct token, and offsets
        # and counts in arrays (a few thousand of them are read, and an int
        # object each would cost more to make than that), the offsets made
        # as arrays where they stay.
        # (The gaps derived from the offsets: no str each.)
        gaps = tk.Gaps(text, starts, ends)
        if coder is not None:  # (which counts words from its codes: Tokens.word_counter; no prefix made)
            coder.learn()
            return coder.keyed(tk.Tokens(text, literals, gaps, "", starts, ends, placeholders))
        toks = tk.Tokens(text, literals, gaps, keyer.keys(literals), starts, ends, placeholders)
        toks.know_word_prefix(array(typecode, word_prefix))
        return toks
    if "\x00" in text:
        toks = _sparse_tokens_by_stretch(text, plan, keyer, plain)
    else:
        toks = _sparse_tokens_joined(text, plan, keyer, plain)
    return toks if coder is None else coder.encode(toks)


def _sparse_codes_py(text: str, plan, vocab: list[str]):
    """The compiled sparse_tokens of a plain text given a vocabulary, in Python:
    (literal codes, starts, ends, placeholders, None), the codes those of
    encode_with(literals, vocab), which it extends (no word prefix: the
    Coder counts words from its codes' flags)."""
    toks = _sparse_tokens_joined(text, plan, tk.make_keyer(), True)
    return cd._encode_with_py(toks.literals, vocab), list(toks.starts), list(toks.ends), toks.placeholders, None


def _sparse_tokens_joined(text: str, plan, keyer, plain: bool) -> tk.Tokens:
    """_sparse_tokens in Python, for a text with no NUL in it."""
    joined = "".join([text[start:end] if n is None else "\x00" for start, end, n in plan])
    pieces = tk.token_pieces(joined, plain)  # [gap, token, gap, token, ..., tail]
    literals = pieces[1::2]
    if not literals:
        return tk.Tokens(text, [], [], [], [], [])
    lengths = list(map(len, pieces))
    placeholders: set[int] = set()
    i = -1
    for start, end, n in plan:
        if n is not None:
            i = literals.index("\x00", i + 1)
            literals[i] = f"\x00{n}"
            lengths[2 * i + 1] = end - start  # the run's length in the text
            placeholders.add(i)
    bounds = list(accumulate(lengths, initial=0))
    starts, ends = bounds[1:-1:2], bounds[2::2]
    if len(joined) >= tk.COMPACT_MIN_CHARS:  # what is tokenised is long (see tokenize)
        starts, ends = tk.offset_array(starts, len(text)), tk.offset_array(ends, len(text))
        literals = list(map(keyer.interned.setdefault, literals, literals))
    keys = keyer.keys(literals)
    return tk.Tokens(text, literals, pieces[0:-1:2], keys, starts, ends, placeholders)


def _sparse_tokens_by_stretch(text: str, plan, keyer, plain: bool) -> tk.Tokens:
    """_sparse_tokens for a text with NULs in it: one stretch at a time."""
    literals: list[str] = []
    gaps: list[str] = []
    starts = tk.offset_array((), len(text))
    ends = tk.offset_array((), len(text))
    keys: list[str] = []
    placeholders: set[int] = set()
    compact = len(text) >= tk.COMPACT_MIN_CHARS  # as the whole text would be
    prev_end = 0
    for start, end, n in plan:
        if n is not None:
            marker = f"\x00{n}"
            literals.append(marker)
            keys.append(marker)
            gaps.append(text[prev_end:start])
            starts.append(start)
            ends.append(end)
            placeholders.add(len(literals) - 1)
        else:
            part = tk.tokenize(text[start:end], keyer, offset=start, compact=compact, plain=plain)
            if part.literals:
                part.gaps[0] = text[prev_end:start] + part.gaps[0]
                literals.extend(part.literals)
                gaps.extend(part.gaps)
                keys.extend(part.keys)
                starts.extend(part.starts)
                ends.extend(part.ends)
        prev_end = ends[-1] if ends else 0
    return tk.Tokens(text, literals, gaps, keys, starts, ends, placeholders)


def _diff_between_placeholders(old_t: tk.Tokens, new_t: tk.Tokens, engine: str | None,
                               pinned=()) -> list[tuple[str, int]]:
    """Token diff of each stretch between paired placeholders and pinned
    stretches (_plan_chunks' flat old_start, old_end, new_start, new_end
    of each)."""
    # One encoding for all stretches: a diff depends only on which tokens
    # are equal, and one table costs less than thousands of small ones.
    old_s, new_s = _encode(old_t.keys, new_t.keys)
    runs = [(i, j, 1) for i, j in zip(sorted(old_t.placeholders), sorted(new_t.placeholders))]
    if pinned:
        for a, b, c, d in zip(*[iter(pinned)] * 4):
            i0, i1 = bisect_left(old_t.starts, a), bisect_left(old_t.starts, b)
            j0, j1 = bisect_left(new_t.starts, c), bisect_left(new_t.starts, d)
            # Held equal when the keys are (they are but where furniture left one side).
            if i1 > i0 and i1 - i0 == j1 - j0 and old_s[i0:i1] == new_s[j0:j1]:
                runs.append((i0, j0, i1 - i0))
        runs.sort()
    return _diff_stretches(old_s, new_s, runs, lambda a, b: diff_strings(a, b, engine))
