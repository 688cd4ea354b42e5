"""Step 2 of a comparison: diff two key sequences (one character per token) into
(op, count) runs, op in "=-+": Myers via diff-match-patch, split first at
unique common tokens (anchors) on long inputs.

Owns: the word-level diff engine and its anchors.  Never: looks at literal
text or classifies changes; it sees only comparison keys.
Compiled twins (provenance/_speedups.c), each chosen next to its Python version:
anchor_runs (_anchor_runs_of_py), diff_stretches (_diff_stretches_py, the loop
over the stretches between anchors or unchanged runs).
"""

from __future__ import annotations

import os
from itertools import compress

from .. import tokens as tk
from .. import codes as cd



_encode = cd.encode_keys  # each key as one character


def _engine() -> str:
    """"fast" (compiled) when installed, else "pure"; PROVENANCE_DIFF_ENGINE overrides."""
    choice = os.environ.get("PROVENANCE_DIFF_ENGINE", "auto")
    if choice == "auto":
        try:
            import fast_diff_match_patch  # noqa: F401
        except ImportError:
            return "pure"
        return "fast"
    return choice


def diff_strings(a: str, b: str, engine: str | None = None, anchored: bool = True) -> list[tuple[str, int]]:
    """Diff two strings (one character per token), with no time limit.

    Long inputs are first cut at anchors, tokens that occur exactly once in
    each text (as patience diff does), and only the stretches between anchors
    go through Myers' algorithm: Myers is O(N*D), and on a long, heavily
    edited document the whole-text run takes seconds where the anchored one
    takes milliseconds.  `anchored=False` gives the plain Myers diff.

    `engine` "fast" runs Myers in the compiled fast-diff-match-patch, "pure"
    in the reference diff-match-patch; the tests check they agree.
    """
    engine = engine or _engine()
    if a == b:
        return [("=", len(a))] if a else []
    if anchored and len(a) + len(b) > ANCHOR_MIN_TOKENS:
        return _join_equal_ends(_anchored(a, b, engine, depth=0))
    return _myers(a, b, engine)


# Below this many tokens (both texts together) Myers alone is fast enough.
ANCHOR_MIN_TOKENS = 2000

_MAX_ANCHOR_DEPTH = 4


def _myers(a: str, b: str, engine: str) -> list[tuple[str, int]]:
    if a == b:
        return [("=", len(a))] if a else []
    if not a:
        return [("+", len(b))]
    if not b:
        return [("-", len(a))]
    if engine == "fast":
        import fast_diff_match_patch

        return fast_diff_match_patch.diff(a, b, timelimit=0, checklines=False, cleanup="No", counts_only=True)
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # never let a timeout replace the whole document
    ops = {0: "=", -1: "-", 1: "+"}
    return [(ops[op], len(text)) for op, text in dmp.diff_main(a, b, checklines=False)]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by halving (string compares run in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _unique_anchors_py(a: str, b: str) -> list[tuple[int, int]]:
    """Positions (i, j) of tokens unique in both a and b, in the longest
    chain increasing in both (patience sorting)."""
    from collections import Counter

    count_a, count_b = Counter(a), Counter(b)
    unique = {c for c, n in count_a.items() if n == 1 and count_b.get(c) == 1}
    if len(unique) * 64 < min(len(a), len(b)):
        # Few unique tokens: the text repeats itself (boilerplate, a document
        # pasted twice).  Pair the k-th occurrences of tokens that occur
        # equally often, at most 4 times, in both.
        repeated = {c for c, n in count_a.items() if n <= 4 and count_b.get(c) == n}
        if len(repeated) > len(unique):
            # Both texts hold each of these tokens equally often, so sorted
            # stably by token their positions line up k-th with k-th (map,
            # compress and sorted run in C).
            lined_up = []
            for text in (a, b):
                where = list(map(repeated.__contains__, text))
                positions, tokens = list(compress(range(len(text)), where)), list(compress(text, where))
                lined_up.append(map(positions.__getitem__, sorted(range(len(tokens)), key=tokens.__getitem__)))
            return _longest_chain(sorted(zip(*lined_up)))
    if not unique:
        return []
    # dict(zip(...)) runs in C; for a unique token the (last) position kept
    # is its only one.
    pos_a = dict(zip(a, range(len(a))))
    pos_b = dict(zip(b, range(len(b))))
    pairs = sorted((pos_a[c], pos_b[c]) for c in unique)
    return _longest_chain(pairs)


def _anchor_runs_of_py(a: str, b: str) -> list[tuple[int, int, int]]:
    return _anchor_runs(_unique_anchors_py(a, b))


# The anchors of a and b, as runs (compiled: counting in arrays indexed by
# token code, the pairing and the longest chain in C).
_anchor_runs_of = tk._speedups.anchor_runs if tk._speedups is not None else _anchor_runs_of_py


def _longest_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of (i, j) pairs, sorted by i, whose j's increase."""
    from bisect import bisect_left
    from operator import lt

    js = [j for _, j in pairs]
    if all(map(lt, js, js[1:])):
        return pairs  # already increasing: the usual case when nothing moved

    # Longest increasing subsequence of the j's.
    tails: list[int] = []  # tails[k]: smallest j ending a chain of length k+1
    tail_index: list[int] = []
    back = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(n)
        else:
            tails[k] = j
            tail_index[k] = n
        back[n] = tail_index[k - 1] if k else -1
    chain = []
    n = tail_index[-1] if tail_index else -1
    while n >= 0:
        chain.append(pairs[n])
        n = back[n]
    chain.reverse()
    return chain


def _anchor_runs(anchors: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Anchors grouped into runs of consecutive ones: (i, j, n) stands for
    (i, j), (i + 1, j + 1), ... n of them.  Where little changed, most
    anchors follow one another, and nothing lies between them to diff."""
    runs: list[list[int]] = []
    i_next = j_next = -1  # where the current run would continue
    for i, j in anchors:
        if i == i_next and j == j_next:
            runs[-1][2] += 1
        else:
            runs.append([i, j, 1])
        i_next, j_next = i + 1, j + 1
    return [tuple(r) for r in runs]


def _anchoring(a: str, b: str, engine: str, depth: int):
    """(prefix, suffix, mid_a, mid_b, runs, between): the lengths of a's and
    b's common prefix and suffix, what lies between them, its anchor runs,
    and the diff of a stretch between two runs."""
    prefix = _common_prefix(a, b)
    suffix = _common_prefix(a[prefix:][::-1], b[prefix:][::-1])
    mid_a, mid_b = a[prefix:len(a) - suffix], b[prefix:len(b) - suffix]
    runs = _anchor_runs_of(mid_a, mid_b) if mid_a and mid_b else []

    def between(seg_a: str, seg_b: str) -> list[tuple[str, int]]:
        if runs and depth < _MAX_ANCHOR_DEPTH and len(seg_a) + len(seg_b) > ANCHOR_MIN_TOKENS:
            return _anchored(seg_a, seg_b, engine, depth + 1)  # tokens unique within the stretch
        return _myers(seg_a, seg_b, engine)

    return prefix, suffix, mid_a, mid_b, runs, between


def _anchored(a: str, b: str, engine: str, depth: int) -> list[tuple[str, int]]:
    """The merged ops of the stretch between a's and b's common prefix and
    suffix, with an equal op for each of those at either end (not merged
    with the stretch's: _join_equal_ends)."""
    prefix, suffix, mid_a, mid_b, runs, between = _anchoring(a, b, engine, depth)
    ops = _diff_stretches(mid_a, mid_b, runs, between)  # (a new list: ours to change)
    if prefix:
        ops.insert(0, ("=", prefix))
    if suffix:
        ops.append(("=", suffix))
    return ops


# Anchor runs a piece of diff_pieces covers.
PIECE_RUNS = 1024


def diff_pieces(a: str, b: str, engine: str | None = None):
    """diff_strings(a, b, engine) in pieces (lists of ops), for a caller
    that reads them in order and lets go of each: joined, they are
    diff_strings' ops but that an equal run may be cut in two where one
    piece ends (never a run of changes).  At 4 MB with 20% edits the ops
    are some 300,000 tuples, 18 MB as one list."""
    engine = engine or _engine()
    if a == b or len(a) + len(b) <= ANCHOR_MIN_TOKENS:
        yield diff_strings(a, b, engine)
        return
    prefix, suffix, mid_a, mid_b, runs, between = _anchoring(a, b, engine, 0)
    if prefix:
        yield [("=", prefix)]
    # A piece ends with an anchor run, so the stretch after its last run is
    # empty; the last piece runs to the ends.
    pa = pb = 0
    for k in range(0, max(len(runs), 1), PIECE_RUNS):
        piece = runs[k:k + PIECE_RUNS]
        if k + PIECE_RUNS >= len(runs):
            ea, eb = len(mid_a), len(mid_b)
        else:
            ea, eb = piece[-1][0] + piece[-1][2], piece[-1][1] + piece[-1][2]
        yield _diff_stretches(mid_a[pa:ea], mid_b[pb:eb], [(i - pa, j - pb, n) for i, j, n in piece], between)
        pa, pb = ea, eb
    if suffix:
        yield [("=", suffix)]


def _join_equal_ends(ops: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """_merge_ops(ops) for _anchored's ops, in place: only an equal op at
    either end can meet one of the same kind (a copy of a 4 MB text's ops
    was 13 MB)."""
    if len(ops) > 1 and ops[0][0] == "=" and ops[1][0] == "=":
        ops[0:2] = [("=", ops[0][1] + ops[1][1])]
    if len(ops) > 1 and ops[-1][0] == "=" and ops[-2][0] == "=":
        ops[-2:] = [("=", ops[-2][1] + ops[-1][1])]
    return ops


def _merge_ops(ops: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Join neighbouring operations of the same kind; within a run of
    changes, deletions before insertions."""
    out: list[tuple[str, int]] = []
    append = out.append
    equal = deleted = inserted = 0  # pending: an equal run, or a run of changes
    for op, n in ops:
        if op == "=":
            if deleted or inserted:
                if deleted:
                    append(("-", deleted))
                    deleted = 0
                if inserted:
                    append(("+", inserted))
                    inserted = 0
            equal += n
        elif n:
            if equal:
                append(("=", equal))
                equal = 0
            if op == "-":
                deleted += n
            else:
                inserted += n
    if equal:
        append(("=", equal))
    if deleted:
        append(("-", deleted))
    if inserted:
        append(("+", inserted))
    return out


def _diff_stretches_py(a: str, b: str, runs: list[tuple[int, int, int]], diff) -> list[tuple[str, int]]:
    """The merged diff of a and b around runs of tokens known to be equal:
    runs are (i, j, n) in order, a[i:i + n] == b[j:j + n]; the stretches
    before each run and after the last are diffed by diff(a_part, b_part)."""
    ops: list[tuple[str, int]] = []
    pa = pb = 0
    for i, j, n in [*runs, (len(a), len(b), 0)]:
        seg_a, seg_b = a[pa:i], b[pb:j]
        if seg_a == seg_b:
            if seg_a:
                ops.append(("=", len(seg_a)))
        else:
            ops.extend(diff(seg_a, seg_b))
        if n:
            ops.append(("=", n))
        pa, pb = i + n, j + n
    return _merge_ops(ops)


# Compiled, the loop settles most stretches (one word replaced, inserted or
# deleted) without calling diff.
_diff_stretches = tk._speedups.diff_stretches if tk._speedups is not None else _diff_stretches_py
