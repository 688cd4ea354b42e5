"""Step 4: moves, a deleted and an inserted passage that are (nearly) the same text.

Owns: pairing deletions with insertions.  Never: alters regions; it only
reports the pairs it finds, bounded so heavily edited texts stay fast.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .. import tokens as tk
from .myers import diff_strings



# A deleted and an inserted passage of at least this many words, matching at
# least MOVE_SIMILARITY of their tokens, is reported as one move.
MIN_MOVE_WORDS = 5

MOVE_SIMILARITY = 0.8

MOVE_SHINGLE = 3

# Bound the work of move detection on heavily edited documents.
MAX_MOVE_BLOCKS = 2000

MAX_MOVE_PAIRS = 5000


@dataclass
class _Move:
    a0: int
    a1: int
    b0: int
    b1: int
    region_a: int
    region_b: int
    change: int | None = None  # index in Comparison.changes once emitted
    # The keys of the two passages, taken before the build (which lets go
    # of the token lists' keys): (old keys, new keys), encoded (codes.encode_sides).
    keys: tuple[str, str] | None = None


def _count_words(toks: tk.Tokens, i0: int, i1: int) -> int:
    return toks.word_counter()(i0, i1)


def _find_moves(regions, old: tk.Tokens, new: tk.Tokens, engine: str | None) -> list[_Move]:
    """Pair deleted and inserted passages of the same text in different places
    (`regions`: regions.Regions, or any sequence of (equal, a0, a1, b0, b1))."""
    deleted = [(r, reg[1], reg[2]) for r, reg in enumerate(regions) if not reg[0] and reg[2] - reg[1] >= MIN_MOVE_WORDS]
    inserted = [(r, reg[3], reg[4]) for r, reg in enumerate(regions) if not reg[0] and reg[4] - reg[3] >= MIN_MOVE_WORDS]
    if not deleted or not inserted:
        return []
    deleted, inserted = deleted[:MAX_MOVE_BLOCKS], inserted[:MAX_MOVE_BLOCKS]
    k = MOVE_SHINGLE
    index: dict[tuple, list[int]] = defaultdict(list)
    for n, (_, b0, b1) in enumerate(inserted):
        keys = new.keys[b0:b1]  # (encoded: a str, whose slices are the shingles)
        for shingle in {keys[j:j + k] for j in range(len(keys) - k + 1)}:
            index[shingle].append(n)
    candidates: list[tuple[int, int, int]] = []
    for m, (_, a0, a1) in enumerate(deleted):
        keys = old.keys[a0:a1]
        shared: dict[int, int] = defaultdict(int)
        for shingle in {keys[j:j + k] for j in range(len(keys) - k + 1)}:
            for n in index.get(shingle, ()):
                shared[n] += 1
        for n, count in shared.items():
            if deleted[m][0] != inserted[n][0]:
                candidates.append((count, m, n))
    candidates.sort(reverse=True)
    moves: list[_Move] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    # A passage of fewer words than a move has holds no move (a window of
    # it has fewer still): in a manual, most passages of five tokens are
    # mostly punctuation, and their windows were 9 in 10 of those made.
    too_few = ({m for m, (_, a0, a1) in enumerate(deleted) if _count_words(old, a0, a1) < MIN_MOVE_WORDS},
               {n for n, (_, b0, b1) in enumerate(inserted) if _count_words(new, b0, b1) < MIN_MOVE_WORDS})
    for count, m, n in candidates[:MAX_MOVE_PAIRS]:
        if m in used_a or n in used_b or m in too_few[0] or n in too_few[1]:
            continue
        ra, a0, a1 = deleted[m]
        rb, b0, b1 = inserted[n]
        window = _matching_window(old.keys[a0:a1], new.keys[b0:b1], engine)
        if window is None:
            continue
        x0, x1, y0, y1 = window
        if min(_count_words(old, a0 + x0, a0 + x1), _count_words(new, b0 + y0, b0 + y1)) < MIN_MOVE_WORDS:
            continue
        moves.append(_Move(a0 + x0, a0 + x1, b0 + y0, b0 + y1, ra, rb))
        used_a.add(m)
        used_b.add(n)
    return moves


def _matching_window(sa: str, sb: str, engine: str | None):
    """The stretch of sa and sb (two passages' encoded keys) that is the
    same passage, allowing small edits.

    Grow from the longest common run to neighbouring common runs while the
    window stays at least MOVE_SIMILARITY matched on both sides.
    """
    runs = []  # (a0, b0, length) of equal runs
    a = b = 0
    for op, n in diff_strings(sa, sb, engine):
        if op == "=":
            runs.append((a, b, n))
            a += n
            b += n
        elif op == "-":
            a += n
        else:
            b += n
    if not runs:
        return None
    best = max(range(len(runs)), key=lambda i: runs[i][2])
    lo = hi = best
    matched = runs[best][2]

    def ok(lo: int, hi: int, matched: int) -> bool:
        span_a = runs[hi][0] + runs[hi][2] - runs[lo][0]
        span_b = runs[hi][1] + runs[hi][2] - runs[lo][1]
        return matched >= MOVE_SIMILARITY * max(span_a, span_b)

    grew = True
    while grew:
        grew = False
        if hi + 1 < len(runs) and ok(lo, hi + 1, matched + runs[hi + 1][2]):
            hi += 1
            matched += runs[hi][2]
            grew = True
        if lo > 0 and ok(lo - 1, hi, matched + runs[lo - 1][2]):
            lo -= 1
            matched += runs[lo][2]
            grew = True
    return runs[lo][0], runs[hi][0] + runs[hi][2], runs[lo][1], runs[hi][1] + runs[hi][2]
