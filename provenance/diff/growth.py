"""How the first pass's unchanged runs grow into the changed sentences next
to them (step 1 of the chunk pass, once chunks.py has found the runs): over
the words each pair of changed chunks shares at its start and at its end,
equal by key (folding.word_tables gives the folded words of the few chunks
where typography, a line-end hyphen or spacing make them other than the
literal ones, and fold_candidates says which those are), less a margin next
to each edit.  So a run stops at the same word whatever the formatting of
either text, and the word diff runs on the same stretches.

Owns: the chunk pairs, their shared words, the spans the runs grow to, which
chunks need their folded words.  Never: decides which chunks are unchanged
(chunks.py), what is folded (folding.py) or what a change is (the word diff).
Compiled twins (provenance/_speedups.c), each chosen next to its Python
version: unchanged_spans, fold_candidates.
"""

from __future__ import annotations

import unicodedata
from array import array
from bisect import bisect_right

from .. import tokens as tk
from .folding import _LINE_END_HYPHEN_RE, _TYPOGRAPHY, _Canon, fold_spots
from .myers import _common_prefix


# Words left to the word diff on each side of an edit in a changed chunk,
# so that a pure insertion or deletion can still slide to a natural
# boundary (_align_to_boundaries) within its sentence.  (4 words cost 4 MB
# at 1% edits 20-40 ms more; on the benchmark pairs the one change they
# place differently is which "│" of a run in an ASCII-art table was deleted.)
TRIM_MARGIN_WORDS = 2


def _unchanged_spans(kept, old, new, tables=({}, {})) -> list[tuple[int, int, int, int]]:
    """_unchanged_spans_py with TRIM_MARGIN_WORDS, compiled when it can be."""
    if tk._speedups is not None:
        return tk._speedups.unchanged_spans(kept, *old, *new, TRIM_MARGIN_WORDS, *tables)
    return _unchanged_spans_py(kept, old, new, TRIM_MARGIN_WORDS, tables)


def _stretches(kept, old_chunks: int, new_chunks: int):
    """For each changed stretch before kept run r (r == len(kept): after
    the last), (r, its chunk pairs, whether it has as many chunks in each
    text): the pairs are all its chunks in order where it does, else its
    first and its last; none where one text has no chunk there."""
    for r in range(len(kept) + 1):
        i0, j0 = (kept[r - 1][1], kept[r - 1][3]) if r else (0, 0)
        i1, j1 = (kept[r][0], kept[r][2]) if r < len(kept) else (old_chunks, new_chunks)
        even = i1 - i0 == j1 - j0
        if not (i1 > i0 and j1 > j0):
            yield r, [], even
        elif even:
            yield r, list(zip(range(i0, i1), range(j0, j1))), even
        else:
            yield r, [(i0, j0), (i1 - 1, j1 - 1)], even


def _pairs(kept, old_chunks: int, new_chunks: int) -> list[tuple[int, int]]:
    """The (old, new) chunk pairs _unchanged_spans grows runs into."""
    return [pair for _, pairs, _ in _stretches(kept, old_chunks, new_chunks) for pair in pairs]


def _chunks_to_fold(old: _Canon, new: _Canon, pairs: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The paired chunks whose word tables (folding.word_tables) can make
    the runs grow otherwise than their whitespace-separated words do.

    Where a pair's words are literally the same (whitespace folded), they
    fold alike, but for a hyphen that ends a line on one side only: so a
    table can only matter for a chunk where folding may act
    (folding.fold_spots) next to where the literal shared words stop (the
    word before the stop to the one after it, at the start or at the end),
    or in a pair whose shared words end in a hyphen at a line end on one
    side only.  Elsewhere the literal growth is the folded one.  (A table
    costs the judging of its line-end hyphens, a search of the whole texts
    for each word that is not there; most chunks where folding may act are
    changed far from it.)  Compiled: _speedups.fold_candidates.

    A chunk's table is read in each pair it is in, so the partners of a
    chunk that is folded are folded too where folding may act on them
    (_fold_partners)."""
    if tk._speedups is not None:
        need = tk._speedups.fold_candidates(pairs, old.text, old.bounds, old.kinds, new.text, new.bounds, new.kinds,
                                            _TYPOGRAPHY, _nfkc_changes)
    else:
        need = _fold_candidates_py(pairs, old, new)
    return _fold_partners(old, new, pairs, need)


def _fold_partners(old: _Canon, new: _Canon, pairs: list[tuple[int, int]],
                   need: tuple[list[int], list[int]]) -> tuple[list[int], list[int]]:
    """need, with every chunk paired with one in it added where folding may
    act on it (folding.fold_spots), and theirs in turn.  A changed stretch
    with one chunk in a text and two in the other pairs that one with both
    (_stretches): folded for its pair at one end (a line-end hyphen near
    where the shared words stop there), it was read folded at the other end
    too, against its partner's literal words, and a dash run ("--" against
    its fold "-") stopped the run's growth there, where the plain texts'
    comparison grew through it."""
    sides = (old, new)
    folded = (set(need[0]), set(need[1]))
    looked = (set(folded[0]), set(folded[1]))  # (chunks whose spots are known, or that are folded)
    while True:
        ask = ([], [])
        for pair in pairs:
            for n in (0, 1):
                if pair[1 - n] in folded[1 - n] and pair[n] not in looked[n]:
                    ask[n].append(pair[n])
                    looked[n].add(pair[n])
        if not (ask[0] or ask[1]):
            break
        for n in (0, 1):
            if ask[n]:
                folded[n].update(fold_spots(sides[n], sorted(ask[n])))  # (each asked once: looked)
    if len(folded[0]) == len(need[0]) and len(folded[1]) == len(need[1]):
        return need
    return sorted(folded[0]), sorted(folded[1])


def _nfkc_changes(text: str, start: int, end: int) -> bool:
    return not unicodedata.is_normalized("NFKC", text[start:end])


def _fold_candidates_py(pairs: list[tuple[int, int]], old: _Canon, new: _Canon) -> tuple[list[int], list[int]]:
    spots = [fold_spots(canon, sorted({pair[n] for pair in pairs})) for n, canon in enumerate((old, new))]
    if not (spots[0] or spots[1]):
        return [], []
    need: tuple[set[int], set[int]] = (set(), set())
    sides = (old, new)
    for pair in pairs:
        if pair[0] not in spots[0] and pair[1] not in spots[1]:
            continue
        pieces = [sides[n].text[sides[n].bounds[2 * pair[n] + 1]:sides[n].bounds[2 * pair[n] + 2]] for n in (0, 1)]
        words = [piece.split() for piece in pieces]
        head, tail = _shared_ends_py(" ".join(words[0]), " ".join(words[1]))
        breaks = [_line_end_hyphen_words(piece, len(w), head, tail) for piece, w in zip(pieces, words)]
        if breaks[0] != breaks[1] or any(
                pair[n] in spots[n] and _spot_near_stop(sides[n], pair[n], pieces[n], len(words[n]), head, tail, spots[n][pair[n]])
                for n in (0, 1)):
            for n in (0, 1):
                if pair[n] in spots[n]:
                    need[n].add(pair[n])
    return sorted(need[0]), sorted(need[1])


def _line_end_hyphen_words(piece: str, n_words: int, head: int, tail: int) -> tuple[list[int], list[int]]:
    """The words (whitespace-separated) of a chunk that end in a hyphen
    before a line break, among its first `head` (counted from the start)
    and its last `tail` (counted from the end)."""
    at_head, at_tail = [], []
    for m in _LINE_END_HYPHEN_RE.finditer(piece):
        word = len(piece[:m.start() + 1].split()) - 1
        if word < head:
            at_head.append(word)
        if n_words - 1 - word < tail:
            at_tail.append(n_words - 1 - word)
    return at_head, at_tail


def _spot_near_stop(side: _Canon, k: int, piece: str, n_words: int, head: int, tail: int, spots: list[int]) -> bool:
    """Whether a spot of chunk k (offsets in the text) lies between the
    start of the word before the literal shared words' stop and the start
    of the word after it, at the start of the chunk or at its end."""
    a = side.bounds[2 * k + 1]
    lo, hi = a + _start_of_word(piece, head - 1), a + _start_of_word(piece, head + 2)
    if any(lo <= s < hi for s in spots):
        return True
    first = n_words - tail  # the first of the last `tail` words
    lo = a + (_end_of_words(piece, first - 2) if first >= 2 else 0)
    hi = a + _end_of_words(piece, first + 1)
    return any(lo <= s < hi for s in spots)


def _start_of_word(text: str, n: int) -> int:
    """Offset of word n (0-based, whitespace-separated) of text, or its
    length; 0 for n below 0."""
    if n <= 0:
        return 0 if n < 0 else len(text) - len(text.lstrip())
    parts = text.split(None, n)
    return len(text) - len(parts[n]) if len(parts) > n else len(text)


def _unchanged_spans_py(kept, old, new, margin: int, tables=({}, {})) -> list[tuple[int, int, int, int]]:
    """The unchanged runs of chunks as character spans, grown over the
    words that changed chunks share with their counterparts, plus such
    shared words between two changed chunks.

    A sentence with one edited word is a changed chunk, but most of its
    words are the same on both sides.  Where a changed stretch has as many
    chunks in each text, its chunks pair up in order; otherwise only its
    first and last chunks do.  The words a pair shares at its start and at
    its end (whole words, equal by key: folding.word_tables gives the
    folded words of a chunk whose typography, line-end hyphens or spacing
    make them other than its whitespace-separated ones) need no tokens:
    the word diff would find them equal.  `margin` of them are left next
    to each edit.  So a run stops at the same word whatever the formatting
    of either text, and the word diff runs on the same stretches.

    `old` and `new` are (text, bounds, kinds) of each text, bounds and
    kinds as tk.chunk_codes gives them; `tables` each text's word tables.
    Returns (old_start, old_end, new_start, new_end) spans in text order.
    """
    old, new = (*old, tables[0]), (*new, tables[1])
    old_bounds, new_bounds = old[1], new[1]
    spans: list[list[int]] = []
    for r, pairs, even in _stretches(kept, len(old_bounds) // 2, len(new_bounds) // 2):
        if pairs:
            shared = [_shared_ends_py(_chunk_key(old, i), _chunk_key(new, j)) for i, j in pairs]
            if r and shared[0][0] > margin:  # the run before grows into the first pair
                i, j = pairs[0]
                spans[-1][1] = _word_end(old, i, shared[0][0] - margin)
                spans[-1][3] = _word_end(new, j, shared[0][0] - margin)
            if even:
                for k in range(1, len(pairs)):
                    span = _span_across(pairs[k - 1], pairs[k], shared[k - 1][1], shared[k][0], old, new, margin)
                    if span and _follows(span, spans):
                        spans.append(span)
        if r < len(kept):
            c0, c1, d0, d1 = kept[r]
            span = [old_bounds[2 * c0 + 1], old_bounds[2 * c1], new_bounds[2 * d0 + 1], new_bounds[2 * d1]]
            if pairs and shared[-1][1] > margin:  # it grows back into the last pair
                i, j = pairs[-1]
                grown = [_last_words_start(old, i, shared[-1][1] - margin), span[1],
                         _last_words_start(new, j, shared[-1][1] - margin), span[3]]
                if _follows(grown, spans):  # (a chunk both first and last of an uneven stretch: not twice)
                    span = grown
            spans.append(span)
    return [tuple(span) for span in spans]


def _table(side, k: int):
    """Chunk k's folded words' (start, end) offsets from its word table,
    or None if they are where its whitespace-separated words are."""
    entry = side[3].get(k) if len(side) > 3 else None
    return None if entry is None or entry[1] is None else array("q", entry[1])


def _word_end(side, k: int, n: int) -> int:
    """Offset in the text just past the n-th word of chunk k of a (text,
    bounds, kinds[, tables]) side."""
    text, bounds = side[0], side[1]
    start = bounds[2 * k + 1]
    spans = _table(side, k)
    if spans is not None:
        return spans[2 * min(n, len(spans) // 2) - 1] if n and spans else start
    return start + _end_of_words(text[start:bounds[2 * k + 2]], n)


def _last_words_start(side, k: int, n: int) -> int:
    """Offset in the text of the first of the last n words of chunk k."""
    text, bounds = side[0], side[1]
    start = bounds[2 * k + 1]
    spans = _table(side, k)
    if spans is not None:
        return spans[len(spans) - 2 * min(n, len(spans) // 2)] if n and spans else bounds[2 * k + 2]
    return start + _start_of_last_words(text[start:bounds[2 * k + 2]], n)


def _chunk_words(side, k: int) -> int:
    """How many words chunk k has."""
    spans = _table(side, k)
    if spans is not None:
        return len(spans) // 2
    text, bounds = side[0], side[1]
    return len(text[bounds[2 * k + 1]:bounds[2 * k + 2]].split())


def _chunk_key(side, k: int) -> str:
    """Chunk k's words joined by spaces (folded, where it has a word table)."""
    entry = side[3].get(k) if len(side) > 3 else None
    if entry is not None:
        return entry[0]
    return " ".join(side[0][side[1][2 * k + 1]:side[1][2 * k + 2]].split())


def _follows(span: list[int], spans: list[list[int]]) -> bool:
    """Whether span starts after the last of spans ends, in both texts."""
    return not spans or (span[0] >= spans[-1][1] and span[2] >= spans[-1][3])


def _shared_ends_py(ka: str, kb: str) -> tuple[int, int]:
    """(words shared at the start, words shared at the end of the rest) of two keys."""
    end = _shared_end(ka, kb)
    if end <= 0:
        return 0, _shared_words(ka[::-1], kb[::-1])
    # The rest: after the space that follows the shared words (at `end` in both).
    return ka.count(" ", 0, end) + 1, _shared_words(ka[:end:-1], kb[:end:-1])


def _span_across(before, after, tail: int, head: int, old, new, margin: int) -> list[int] | None:
    """The span of the `tail` words ending chunk pair `before` and the `head`
    words starting pair `after` (one run of shared words, with the
    separator between), less `margin` words at each end; None if nothing
    is left."""
    total = tail + head
    if total <= 2 * margin:
        return None
    first, last = margin, total - margin  # the span is words first..last-1 of the run
    span = []
    for side, a, b in ((old, before[0], after[0]), (new, before[1], after[1])):
        if first < tail:
            start = _last_words_start(side, a, tail - first)
        else:
            start = _last_words_start(side, b, _chunk_words(side, b) - (first - tail))
        if last <= tail:
            end = _word_end(side, a, _chunk_words(side, a) - (tail - last))
        else:
            end = _word_end(side, b, last - tail)
        span += [start, end]
    return span


def _shared_end(ka: str, kb: str) -> int:
    """Where the whole words two whitespace-folded keys share at the start
    end (an offset into both: a space or the end of each), or 0 or -1 for none."""
    p = _common_prefix(ka, kb)
    if (p == len(ka) or ka[p] == " ") and (p == len(kb) or kb[p] == " "):
        return p  # a word ends there in both
    return ka.rfind(" ", 0, p)


def _shared_words(ka: str, kb: str) -> int:
    """How many whole words two whitespace-folded keys share at the start."""
    end = _shared_end(ka, kb)
    return ka.count(" ", 0, end) + 1 if end > 0 else 0


def _end_of_words(text: str, n: int) -> int:
    """Offset just past the n-th word (whitespace-separated) of text."""
    parts = text.split(None, n)
    if len(parts) > n:
        return len(text[:len(text) - len(parts[n])].rstrip())
    return len(text.rstrip())


def _start_of_last_words(text: str, n: int) -> int:
    """Offset of the first of the last n words (whitespace-separated) of text."""
    parts = text.rsplit(None, n)
    if len(parts) > n:
        return len(text) - len(text[len(parts[0]):].lstrip())
    return len(text) - len(text.lstrip())


def _spans_over_tables(spans, old_bounds, old_tables, new_bounds, new_tables) -> list[int]:
    """The old start of each span that overlaps, on either side, a chunk
    with a word table (its sides may differ in more than spacing, so
    _plans_from_spans is to look at them as at an isolated chunk's)."""
    if not (old_tables or new_tables):
        return []
    ranges = [sorted((bounds[2 * k + 1], bounds[2 * k + 2]) for k in tables)
              for bounds, tables in ((old_bounds, old_tables), (new_bounds, new_tables))]
    ends = [[e for _, e in side] for side in ranges]

    def overlaps(side: int, a: int, b: int) -> bool:
        k = bisect_right(ends[side], a)  # the first table chunk ending after a
        return k < len(ranges[side]) and ranges[side][k][0] < b

    return [a for a, b, c, d in spans if overlaps(0, a, b) or overlaps(1, c, d)]
