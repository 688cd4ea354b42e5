"""Word-level, formatting-aware comparison of two texts.

The result is one data structure, `Comparison`, that the text, JSON and HTML
renderers all consume, so what is detected and what is shown cannot disagree:

    Comparison
      old, new   Side: identity of each text (label, document, version,
                 hashes, capture time, source) and the text itself
      segments   list[Segment] in reading order.  Walking them and joining
                 each segment's old span rebuilds the old text exactly, and
                 joining the new spans rebuilds the new text.
      changes    list[Change]: every difference, no equal runs.  A segment
                 that is part of a change points to it by index; a move has
                 two segments (where it left, where it arrived) and one change.
      stats      counts derived from changes

Offsets are character offsets (code points) into the decoded texts, so
`change.old_text == old.text[change.old_start:change.old_end]`.

How a comparison is made (`compare`):
1. tokenise both texts (tokens.py): literal tokens for display, keys for
   matching; join words broken by line-break hyphenation.  Long texts first
   go through a sentence-level pass (`_plan_chunks`): runs of sentences
   that are unchanged but for whitespace stand in as one token each, grown
   over the words that changed sentences share with their counterparts
   (all but a few words either side of each edit), and only the rest is
   tokenised; a sample skips the pass when most sentences changed;
2. diff the key sequences, each token encoded as one character, with
   diff-match-patch (compiled when available) with no time limit: the
   default 1 s limit silently turns a long document into one deletion and
   one insertion;
3. make hunks readable: a lone short word between two edits joins them;
4. pair deleted and inserted passages that are the same text as moves;
5. inside equal runs, tokens whose keys match but whose literal text or
   paragraph/spacing structure differs become `formatting` changes;
   differences in whitespace alone are nothing.
"""

from __future__ import annotations

import gc
import os
from array import array
from contextlib import contextmanager
from collections import defaultdict
from itertools import accumulate, compress
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import tokens as tk

CONTENT, FORMATTING = "content", "formatting"

# A deleted and an inserted passage of at least this many words, matching at
# least MOVE_SIMILARITY of their tokens, is reported as one move.
MIN_MOVE_WORDS = 5
MOVE_SIMILARITY = 0.8
MOVE_SHINGLE = 3
# Bound the work of move detection on heavily edited documents.
MAX_MOVE_BLOCKS = 2000
MAX_MOVE_PAIRS = 5000
# An equal run of one token this short between two edits is absorbed into them.
ABSORB_MAX_CHARS = 4


@dataclass(frozen=True)
class Side:
    """One text being compared and what is known about where it came from."""

    text: str
    label: str = ""
    document: str | None = None
    version: int | None = None
    content_sha256: str | None = None
    text_sha256: str | None = None
    captured_at: str | None = None
    source: str | None = None
    path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("label", "document", "version", "content_sha256", "text_sha256", "captured_at", "source", "path")}
        d["chars"] = len(self.text)
        return d


@dataclass(slots=True)  # no __dict__ per change: 40% quicker to make, and smaller
class Change:
    """One difference.  kind: insert, delete, replace or move; cls: content or formatting.

    For a move, old_start/old_end is where the passage was and
    new_start/new_end where it is now; `edits` lists content differences
    inside the moved passage (offsets into the full texts).
    """

    kind: str
    cls: str
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_text: str
    new_text: str
    words_deleted: int = 0
    words_inserted: int = 0
    edits: list["Change"] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "kind": self.kind,
            "class": self.cls,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "old_start": self.old_start,
            "old_end": self.old_end,
            "new_start": self.new_start,
            "new_end": self.new_end,
        }
        if self.kind == "move":
            d["edits"] = [e.to_dict() for e in self.edits]
        return d


class Segment(NamedTuple):
    """A stretch of the reading order (immutable).

    kind: "equal" (no reported difference; the two spans may still differ in
    whitespace), "insert", "delete", "replace", "move-from", "move-to".
    `change` indexes Comparison.changes for every kind but equal.

    (A named tuple rather than a frozen dataclass: a comparison of a heavily
    edited 1 MB text makes 50,000 of them, and a frozen dataclass takes
    three times as long to build.)
    """

    kind: str
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    change: int | None = None


@dataclass
class Comparison:
    old: Side
    new: Side
    segments: list[Segment]
    changes: list[Change]
    options: dict[str, Any]

    @property
    def old_words(self) -> int:
        return self._word_count("old")

    @property
    def new_words(self) -> int:
        return self._word_count("new")

    def _word_count(self, side: str) -> int:
        cache = self.__dict__.setdefault("_words", {})
        if side not in cache:
            text = getattr(self, side).text
            other = "new" if side == "old" else "old"
            if other in cache and getattr(self, other).text == text:
                cache[side] = cache[other]  # identical texts: count once
            else:
                cache[side] = tk.count_words(text)
        return cache[side]

    @property
    def stats(self) -> dict[str, int]:
        content = [c for c in self.changes if c.cls == CONTENT]
        return {
            "changes": len(self.changes),
            "content_changes": len(content),
            "formatting_changes": len(self.changes) - len(content),
            "moves": sum(c.kind == "move" for c in self.changes),
            "words_inserted": sum(c.words_inserted for c in content if c.kind != "move"),
            "words_deleted": sum(c.words_deleted for c in content if c.kind != "move"),
            "words_moved": sum(c.words_deleted for c in content if c.kind == "move"),
            "old_words": self.old_words,
            "new_words": self.new_words,
        }

    @property
    def content_differs(self) -> bool:
        return any(c.cls == CONTENT for c in self.changes)

    def to_dict(self, changes: bool = True) -> dict[str, Any]:
        """The JSON contract (documented in the README); `changes=False`
        leaves the list of changes out."""
        d = {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "options": dict(self.options),
            "stats": self.stats,
        }
        if changes:
            d["changes"] = [c.to_dict() for c in self.changes]
        return d


# --------------------------------------------------------------------------
# Step 2: diff two key sequences.  Result: list of (op, count), op in "=-+".


_encode = tk.encode_keys  # each key as one character


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
        return _merge_ops(_anchored(a, b, engine, depth=0))
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


def _anchored(a: str, b: str, engine: str, depth: int) -> list[tuple[str, int]]:
    ops: list[tuple[str, int]] = []
    prefix = _common_prefix(a, b)
    suffix = _common_prefix(a[prefix:][::-1], b[prefix:][::-1])
    if prefix:
        ops.append(("=", prefix))
    mid_a, mid_b = a[prefix:len(a) - suffix], b[prefix:len(b) - suffix]
    runs = _anchor_runs_of(mid_a, mid_b) if mid_a and mid_b else []

    def between(seg_a: str, seg_b: str) -> list[tuple[str, int]]:
        if runs and depth < _MAX_ANCHOR_DEPTH and len(seg_a) + len(seg_b) > ANCHOR_MIN_TOKENS:
            return _anchored(seg_a, seg_b, engine, depth + 1)  # tokens unique within the stretch
        return _myers(seg_a, seg_b, engine)

    ops.extend(_diff_stretches(mid_a, mid_b, runs, between))
    if suffix:
        ops.append(("=", suffix))
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


# Regions: (equal, a0, a1, b0, b1) in token indices.  Equal regions have
# a1 - a0 == b1 - b0; change regions have at least one side non-empty.


def _regions(ops: list[tuple[str, int]]) -> list[list]:
    regions: list[list] = []
    a = b = 0
    for op, n in ops:
        if not n:
            continue
        if op == "=":
            regions.append([True, a, a + n, b, b + n])
            a += n
            b += n
            continue
        if not regions or regions[-1][0]:
            regions.append([False, a, a, b, b])
        if op == "-":
            a += n
            regions[-1][2] = a
        else:
            b += n
            regions[-1][4] = b
    return regions


_SENTENCE_END = {".", "!", "?", "...", '."', ".'", '?"', '!"'}
_CLAUSE_END = {",", ";", ":", ")", "]", "-"}


def _boundary_score(toks: tk.Tokens, i: int) -> int:
    """How natural a place the boundary before token i is for a change to
    start or end: paragraph > sentence > clause > word; never inside a
    glued group like "Smith," or '"The'."""
    if i <= 0 or i >= len(toks):
        return 6
    kind = toks.gap_kinds[i]
    if kind == tk.PARAGRAPH:
        return 5
    before = toks.keys[i - 1]
    if kind == tk.GLUED:
        return 0
    if before in _SENTENCE_END:
        return 4
    if before in _CLAUSE_END:
        return 3
    return 2


def _align_to_boundaries(regions: list[list], old: tk.Tokens, new: tk.Tokens) -> None:
    """Slide each pure insertion or deletion, where equal text around it
    allows more than one position, to the most natural boundaries: a
    deleted sentence is "The cat sat." rather than ". The cat sat"."""
    for r in range(1, len(regions) - 1):
        prev, region, nxt = regions[r - 1], regions[r], regions[r + 1]
        if region[0] or not prev[0] or not nxt[0]:
            continue
        if region[2] > region[1] and region[4] == region[3]:
            toks, lo, hi, side = old, region[1], region[2], (1, 2)
        elif region[4] > region[3] and region[2] == region[1]:
            toks, lo, hi, side = new, region[3], region[4], (3, 4)
        else:
            continue
        keys = toks.keys
        left = 0
        while lo - left - 1 >= prev[side[0]] and keys[lo - left - 1] == keys[hi - left - 1]:
            left += 1
        right = 0
        while hi + right < nxt[side[1]] and keys[lo + right] == keys[hi + right]:
            right += 1
        if not left and not right:
            continue
        best = max(range(-left, right + 1),
                   key=lambda s: (_boundary_score(toks, lo + s) + _boundary_score(toks, hi + s), -s))
        if best:
            # The equal run before grows (or shrinks) by what the one after
            # loses (or gains); the change keeps its length.  An equal run
            # left empty is dropped by the caller.
            prev[2] += best
            prev[4] += best
            nxt[1] += best
            nxt[3] += best
            for k in (1, 2, 3, 4):
                region[k] += best


def _absorb_short_equalities(regions: list[list], old: tk.Tokens, new: tk.Tokens) -> list[list]:
    """A single short word (or mark) between two edits joins them into one
    replace, as an editor would mark "[-the cat-]{+a dog+}" rather than
    "[-the-]{+a+} [-cat-]{+dog+}"... only when the result is a replace."""
    out: list[list] = []
    i = 0
    while i < len(regions):
        region = regions[i]
        if (
            region[0]
            and out
            and not out[-1][0]
            and i + 1 < len(regions)
            and not regions[i + 1][0]
            and region[2] - region[1] == 1
            and len(old.keys[region[1]]) <= ABSORB_MAX_CHARS
            and region[1] not in old.placeholders  # an unchanged run, not a word
        ):
            left, right = out[-1], regions[i + 1]
            merged = [False, left[1], right[2], left[3], right[4]]
            deletes = (left[2] > left[1]) or (right[2] > right[1])
            inserts = (left[4] > left[3]) or (right[4] > right[3])
            if deletes and inserts:
                out[-1] = merged
                i += 2
                continue
        out.append(region)
        i += 1
    return out


# --------------------------------------------------------------------------
# Step 4: moves.


@dataclass
class _Move:
    a0: int
    a1: int
    b0: int
    b1: int
    region_a: int
    region_b: int
    change: int | None = None  # index in Comparison.changes once emitted


def _count_words(toks: tk.Tokens, i0: int, i1: int) -> int:
    return toks.words_before(i1) - toks.words_before(i0)


def _find_moves(regions: list[list], old: tk.Tokens, new: tk.Tokens, engine: str | None) -> list[_Move]:
    """Pair deleted and inserted passages of the same text in different places."""
    deleted = [(r, reg[1], reg[2]) for r, reg in enumerate(regions) if not reg[0] and reg[2] - reg[1] >= MIN_MOVE_WORDS]
    inserted = [(r, reg[3], reg[4]) for r, reg in enumerate(regions) if not reg[0] and reg[4] - reg[3] >= MIN_MOVE_WORDS]
    if not deleted or not inserted:
        return []
    deleted, inserted = deleted[:MAX_MOVE_BLOCKS], inserted[:MAX_MOVE_BLOCKS]
    k = MOVE_SHINGLE
    index: dict[tuple, list[int]] = defaultdict(list)
    for n, (_, b0, b1) in enumerate(inserted):
        keys = new.keys[b0:b1]
        for shingle in {tuple(keys[j:j + k]) for j in range(len(keys) - k + 1)}:
            index[shingle].append(n)
    candidates: list[tuple[int, int, int]] = []
    for m, (_, a0, a1) in enumerate(deleted):
        keys = old.keys[a0:a1]
        shared: dict[int, int] = defaultdict(int)
        for shingle in {tuple(keys[j:j + k]) for j in range(len(keys) - k + 1)}:
            for n in index.get(shingle, ()):
                shared[n] += 1
        for n, count in shared.items():
            if deleted[m][0] != inserted[n][0]:
                candidates.append((count, m, n))
    candidates.sort(reverse=True)
    moves: list[_Move] = []
    used_a: set[int] = set()
    used_b: set[int] = set()
    for count, m, n in candidates[:MAX_MOVE_PAIRS]:
        if m in used_a or n in used_b:
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


def _matching_window(a_keys: list[str], b_keys: list[str], engine: str | None):
    """The stretch of a and b that is the same passage, allowing small edits.

    Grow from the longest common run to neighbouring common runs while the
    window stays at least MOVE_SIMILARITY matched on both sides.
    """
    sa, sb = _encode(a_keys, b_keys)
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


# --------------------------------------------------------------------------
# Step 5: segments and changes.


class _Builder:
    """Turns token-level regions into character-level segments and changes."""

    def __init__(self, old: tk.Tokens, new: tk.Tokens, engine: str | None):
        self.old, self.new, self.engine = old, new, engine
        self.segments: list[Segment] = []
        self.changes: list[Change] = []
        self.pos_old = 0  # character offsets reached so far
        self.pos_new = 0
        self.old_words = old.word_prefix()  # word counts of token ranges by subtraction
        self.new_words = new.word_prefix()

    # Character spans of a token range; an empty range sits at the end of the
    # token before it, so the whitespace after a deletion stays in the next
    # equal segment and displays naturally.
    def _span(self, toks: tk.Tokens, i0: int, i1: int) -> tuple[int, int]:
        if i1 > i0:
            return toks.starts[i0], toks.ends[i1 - 1]
        pos = toks.char_end(i0)
        return pos, pos

    def _emit(self, kind: str, a0: int, a1: int, b0: int, b1: int, change: int) -> None:
        os_, oe = self._span(self.old, a0, a1)
        ns, ne = self._span(self.new, b0, b1)
        if os_ > self.pos_old or ns > self.pos_new:
            self.segments.append(Segment("equal", self.pos_old, os_, self.pos_new, ns))
        self.segments.append(Segment(kind, os_, oe, ns, ne, change))
        self.pos_old, self.pos_new = oe, ne

    def _change(self, kind: str, cls: str, a0: int, a1: int, b0: int, b1: int, **extra) -> int:
        os_, oe = self._span(self.old, a0, a1)
        ns, ne = self._span(self.new, b0, b1)
        change = Change(
            kind, cls, os_, oe, ns, ne, self.old.text[os_:oe], self.new.text[ns:ne],
            words_deleted=self.old_words[a1] - self.old_words[a0] if cls == CONTENT else 0,
            words_inserted=self.new_words[b1] - self.new_words[b0] if cls == CONTENT else 0,
            **extra,
        )
        self.changes.append(change)
        return len(self.changes) - 1

    def edit(self, a0: int, a1: int, b0: int, b1: int) -> None:
        """A content insert, delete or replace: _change and _emit in one
        (a heavily edited text has tens of thousands of these)."""
        old, new = self.old, self.new
        if a1 > a0:
            os_, oe = old.starts[a0], old.ends[a1 - 1]
            kind = "replace" if b1 > b0 else "delete"
        else:
            os_ = oe = old.char_end(a0)
            kind = "insert"
        if b1 > b0:
            ns, ne = new.starts[b0], new.ends[b1 - 1]
        else:
            ns = ne = new.char_end(b0)
        changes, segments = self.changes, self.segments
        changes.append(Change(kind, CONTENT, os_, oe, ns, ne, old.text[os_:oe], new.text[ns:ne],
                              self.old_words[a1] - self.old_words[a0], self.new_words[b1] - self.new_words[b0]))
        if os_ > self.pos_old or ns > self.pos_new:
            segments.append(Segment("equal", self.pos_old, os_, self.pos_new, ns))
        segments.append(Segment(kind, os_, oe, ns, ne, len(changes) - 1))
        self.pos_old, self.pos_new = oe, ne

    def _move_change(self, move: _Move) -> int:
        """The move's change, created where reading order first meets it."""
        if move.change is None:
            move.change = self._change("move", CONTENT, move.a0, move.a1, move.b0, move.b1, edits=self._move_edits(move))
        return move.change

    def move_from(self, move: _Move, at_b: int) -> None:
        self._emit("move-from", move.a0, move.a1, at_b, at_b, self._move_change(move))

    def move_to(self, move: _Move, at_a: int) -> None:
        self._emit("move-to", at_a, at_a, move.b0, move.b1, self._move_change(move))

    def _move_edits(self, move: _Move) -> list[Change]:
        """Content edits inside a moved passage, in full-text offsets."""
        sa, sb = _encode(self.old.keys[move.a0:move.a1], self.new.keys[move.b0:move.b1])
        edits = []
        for equal, a0, a1, b0, b1 in _regions(diff_strings(sa, sb, self.engine)):
            if equal:
                continue
            a0, a1, b0, b1 = a0 + move.a0, a1 + move.a0, b0 + move.b0, b1 + move.b0
            kind = "replace" if a1 > a0 and b1 > b0 else ("delete" if a1 > a0 else "insert")
            os_, oe = self._span(self.old, a0, a1)
            ns, ne = self._span(self.new, b0, b1)
            edits.append(Change(kind, CONTENT, os_, oe, ns, ne, self.old.text[os_:oe], self.new.text[ns:ne],
                                _count_words(self.old, a0, a1), _count_words(self.new, b0, b1)))
        return edits

    def equal(self, a0: int, a1: int, b0: int, b1: int) -> None:
        """An equal run of keys: report literal and spacing differences as formatting."""
        old, new = self.old, self.new
        if old.literals[a0:a1] == new.literals[b0:b1] and old.gap_kinds[a0 + 1:a1] == new.gap_kinds[b0 + 1:b1]:
            return
        n = a1 - a0
        marked = [False] * n
        ol, nl, og, ng = old.literals, new.literals, old.gap_kinds, new.gap_kinds
        for i in range(n):
            if ol[a0 + i] != nl[b0 + i]:
                marked[i] = True
            if i and og[a0 + i] != ng[b0 + i]:
                marked[i] = marked[i - 1] = True
        i = 0
        done = 0  # end of the last change emitted: groups never overlap
        while i < n:
            if not marked[i]:
                i += 1
                continue
            j = i
            while j < n and marked[j]:
                j += 1
            # Widen to whole glued groups, so "intra-\nPalestinian" and
            # '"The' show as units rather than as a lone mark.
            while i > done and og[a0 + i] == tk.GLUED and ng[b0 + i] == tk.GLUED:
                i -= 1
            while j < n and og[a0 + j] == tk.GLUED and ng[b0 + j] == tk.GLUED:
                j += 1
            while j < n and marked[j]:
                j += 1
            x0, x1, y0, y1 = a0 + i, a0 + j, b0 + i, b0 + j
            self._emit("replace", x0, x1, y0, y1, self._change("replace", FORMATTING, x0, x1, y0, y1))
            i = done = j

    def finish(self) -> None:
        end_old, end_new = len(self.old.text), len(self.new.text)
        if end_old > self.pos_old or end_new > self.pos_new:
            self.segments.append(Segment("equal", self.pos_old, end_old, self.pos_new, end_new))


def _build(regions: list[list], moves: list[_Move], old: tk.Tokens, new: tk.Tokens, engine: str | None) -> _Builder:
    builder = _Builder(old, new, engine)
    from_by_region: dict[int, list[_Move]] = defaultdict(list)
    to_by_region: dict[int, list[_Move]] = defaultdict(list)
    for move in moves:
        from_by_region[move.region_a].append(move)
        to_by_region[move.region_b].append(move)
    old_literals, new_literals, old_kinds, new_kinds = old.literals, new.literals, old.gap_kinds, new.gap_kinds
    for r, (equal, a0, a1, b0, b1) in enumerate(regions):
        if equal:
            # Most equal runs are the same literally too (builder.equal's first test, inlined).
            if old_literals[a0:a1] != new_literals[b0:b1] or old_kinds[a0 + 1:a1] != new_kinds[b0 + 1:b1]:
                builder.equal(a0, a1, b0, b1)
            continue
        if r not in from_by_region and r not in to_by_region:
            builder.edit(a0, a1, b0, b1)  # no move touches it: what the general case below does, quicker
            continue
        # Cut the region's deleted side around departures, its inserted side
        # around arrivals; plain deleted and inserted pieces stay edits.
        old_pieces = _pieces(a0, a1, [(m.a0, m.a1, m) for m in sorted(from_by_region[r], key=lambda m: m.a0)])
        new_pieces = _pieces(b0, b1, [(m.b0, m.b1, m) for m in sorted(to_by_region[r], key=lambda m: m.b0)])
        last_plain = max((i for i, p in enumerate(old_pieces) if p[2] is None), default=-1)
        pa, pb = a0, b0
        # Old pieces up to the last plain deletion, so that it can pair with
        # the first plain insertion into one replace; then the new pieces;
        # then any departures left.
        pending_delete = None
        for x0, x1, move in old_pieces[:last_plain + 1]:
            if pending_delete:
                builder.edit(*pending_delete, pb, pb)
                pending_delete = None
            if move is None:
                pending_delete = (x0, x1)
            else:
                builder.move_from(move, pb)
            pa = x1
        for y0, y1, move in new_pieces:
            if move is None:
                if pending_delete:
                    builder.edit(*pending_delete, y0, y1)
                    pending_delete = None
                else:
                    builder.edit(pa, pa, y0, y1)
            else:
                if pending_delete:
                    builder.edit(*pending_delete, pb, pb)
                    pending_delete = None
                builder.move_to(move, pa)
            pb = y1
        if pending_delete:
            builder.edit(*pending_delete, pb, pb)
        for x0, x1, move in old_pieces[last_plain + 1:]:
            builder.move_from(move, pb)
    builder.finish()
    return builder


def _pieces(start: int, end: int, cuts: list[tuple[int, int, _Move]]) -> list[tuple[int, int, _Move | None]]:
    pieces: list[tuple[int, int, _Move | None]] = []
    pos = start
    for c0, c1, move in cuts:
        if c0 > pos:
            pieces.append((pos, c0, None))
        pieces.append((c0, c1, move))
        pos = c1
    if end > pos:
        pieces.append((pos, end, None))
    return pieces


# --------------------------------------------------------------------------


def _as_side(value: str | Side) -> Side:
    return value if isinstance(value, Side) else Side(text=value)


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


def _plan_chunks(old_text: str, new_text: str, engine: str | None):
    """Which chunks of each text need tokens, and how unchanged runs pair up.

    Returns two lists of (start, end, run) per text, in order: a stretch to
    tokenise (run None) or an unchanged run of chunks (run n, the same n in
    both texts).  None when the texts are too short for this to pay.
    """
    if min(len(old_text), len(new_text)) < CHUNK_PASS_MIN_CHUNKS * 80:
        return None  # under ~80 characters a chunk: too short for the pass to pay
    if not _chunk_pass_pays(old_text, new_text):
        return None
    # Chunks are compared by their text with whitespace folded (keys), each
    # key given as one character (codes).
    (old_bounds, old_codes, old_lengths, old_kinds), (new_bounds, new_codes, _, new_kinds) = \
        tk.chunk_codes(old_text, new_text)
    if min(len(old_codes), len(new_codes)) < CHUNK_PASS_MIN_CHUNKS:
        return None
    kept = _kept_chunks(old_codes, new_codes, old_lengths, old_kinds, new_kinds, engine)
    spans = _unchanged_spans(kept, (old_text, old_bounds, old_kinds), (new_text, new_bounds, new_kinds))
    return (_plan_from_spans([(s[0], s[1]) for s in spans], len(old_text)),
            _plan_from_spans([(s[2], s[3]) for s in spans], len(new_text)))


def _kept_chunks(old_codes: str, new_codes: str, old_lengths: list[int], old_kinds: bytes, new_kinds: bytes,
                 engine: str | None) -> list[tuple[int, int, int, int]]:
    """The runs of chunks unchanged but for whitespace, (i0, i1, j0, j1):
    old chunks i0..i1-1 are new chunks j0..j1-1, in order; each at least
    MIN_KEPT_CHARS long, and none with a paragraph break on one side only
    inside it or at its edges."""
    old_key_ends = list(accumulate(old_lengths, initial=0))
    equal_runs = []  # (i, j, n): old chunks i.., new chunks j.., n of them
    i = j = 0
    for op, n in diff_strings(old_codes, new_codes, engine):
        if op == "=":
            equal_runs.append((i, j, n))
            i, j = i + n, j + n
        elif op == "-":
            i += n
        else:
            j += n
    kept = []  # (i0, i1, j0, j1): unchanged runs of chunks, in order
    for i, j, n in equal_runs:
        if old_kinds[i:i + n + 1] == new_kinds[j:j + n + 1]:
            # The usual case: every separator of the run alike, and those
            # before and after it; nothing to drop (what follows, in one test).
            if old_key_ends[i + n] - old_key_ends[i] + n >= MIN_KEPT_CHARS:
                kept.append((i, i + n, j, j + n))
            continue
        # A separator that is a paragraph break on one side only is a
        # formatting change: tokenise the chunks on both sides of it.
        drop = set()
        if old_kinds[i + 1:i + n] != new_kinds[j + 1:j + n]:
            for k in range(1, n):
                if old_kinds[i + k] != new_kinds[j + k]:
                    drop.update((k - 1, k))
        if i and j and old_kinds[i] != new_kinds[j]:
            drop.add(0)
        if i + n < len(old_kinds) and j + n < len(new_kinds) and old_kinds[i + n] != new_kinds[j + n]:
            drop.add(n - 1)
        bounds = [-1, *sorted(drop), n]
        for a, b in zip(bounds, bounds[1:]):
            s0, s1 = a + 1, b
            if s1 > s0 and old_key_ends[i + s1] - old_key_ends[i + s0] + (s1 - s0) >= MIN_KEPT_CHARS:
                kept.append((i + s0, i + s1, j + s0, j + s1))
    return kept


# Words left to the word diff on each side of an edit in a changed chunk,
# so that a pure insertion or deletion can still slide to a natural
# boundary (_align_to_boundaries) within its sentence.  (4 words cost 4 MB
# at 1% edits 20-40 ms more; on the benchmark pairs the one change they
# place differently is which "│" of a run in an ASCII-art table was deleted.)
TRIM_MARGIN_WORDS = 2


def _unchanged_spans(kept, old, new) -> list[tuple[int, int, int, int]]:
    """_unchanged_spans_py with TRIM_MARGIN_WORDS, compiled when it can be."""
    if tk._speedups is not None:
        return tk._speedups.unchanged_spans(kept, *old, *new, TRIM_MARGIN_WORDS)
    return _unchanged_spans_py(kept, old, new, TRIM_MARGIN_WORDS)


def _unchanged_spans_py(kept, old, new, margin: int) -> list[tuple[int, int, int, int]]:
    """The unchanged runs of chunks as character spans, grown over the
    words that changed chunks share with their counterparts, plus such
    shared words between two changed chunks.

    A sentence with one edited word is a changed chunk, but most of its
    words are the same on both sides.  Where a changed stretch has as many
    chunks in each text, its chunks pair up in order; otherwise only its
    first and last chunks do.  The words a pair shares at its start and at
    its end (whole words, literally equal but for whitespace; across a
    separator only when it is the same kind in both texts) need no tokens:
    the word diff would find them equal.  `margin` of them are left next
    to each edit.

    `old` and `new` are (text, bounds, kinds) of each text, bounds and
    kinds as tk.chunk_codes gives them.
    Returns (old_start, old_end, new_start, new_end) spans in text order.
    """
    old_bounds, new_bounds = old[1], new[1]
    spans: list[list[int]] = []
    for r in range(len(kept) + 1):
        i0, j0 = (kept[r - 1][1], kept[r - 1][3]) if r else (0, 0)
        i1, j1 = (kept[r][0], kept[r][2]) if r < len(kept) else (len(old_bounds) // 2, len(new_bounds) // 2)
        if i1 > i0 and j1 > j0:
            if i1 - i0 == j1 - j0:
                pairs = list(zip(range(i0, i1), range(j0, j1)))
            else:
                pairs = [(i0, j0), (i1 - 1, j1 - 1)]
            shared = [_shared_ends_at(old[0], old_bounds[2 * i + 1], old_bounds[2 * i + 2],
                                      new[0], new_bounds[2 * j + 1], new_bounds[2 * j + 2]) for i, j in pairs]
            if r and shared[0][0] > margin:  # the run before grows into the first pair
                i, j = pairs[0]
                spans[-1][1] = _word_end(old, i, shared[0][0] - margin)
                spans[-1][3] = _word_end(new, j, shared[0][0] - margin)
            if i1 - i0 == j1 - j0:
                for k in range(1, len(pairs)):
                    span = _span_across(pairs[k - 1], pairs[k], shared[k - 1][1], shared[k][0], old, new, margin)
                    if span and _follows(span, spans):
                        spans.append(span)
        if r < len(kept):
            c0, c1, d0, d1 = kept[r]
            span = [old_bounds[2 * c0 + 1], old_bounds[2 * c1], new_bounds[2 * d0 + 1], new_bounds[2 * d1]]
            if i1 > i0 and j1 > j0 and shared[-1][1] > margin:  # it grows back into the last pair
                i, j = pairs[-1]
                grown = [_last_words_start(old, i, shared[-1][1] - margin), span[1],
                         _last_words_start(new, j, shared[-1][1] - margin), span[3]]
                if _follows(grown, spans):  # (a chunk both first and last of an uneven stretch: not twice)
                    span = grown
            spans.append(span)
    return [tuple(span) for span in spans]


def _word_end(side, k: int, n: int) -> int:
    """Offset in the text just past the n-th word of chunk k of a (text,
    bounds, kinds) side."""
    text, bounds, _ = side
    start = bounds[2 * k + 1]
    return start + _end_of_words(text[start:bounds[2 * k + 2]], n)


def _last_words_start(side, k: int, n: int) -> int:
    """Offset in the text of the first of the last n words of chunk k."""
    text, bounds, _ = side
    start = bounds[2 * k + 1]
    return start + _start_of_last_words(text[start:bounds[2 * k + 2]], n)


def _chunk_words(side, k: int) -> int:
    """How many (whitespace-separated) words chunk k has."""
    text, bounds, _ = side
    return len(text[bounds[2 * k + 1]:bounds[2 * k + 2]].split())


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


def _shared_ends_at(a: str, a0: int, a1: int, b: str, b0: int, b1: int) -> tuple[int, int]:
    """_shared_ends_py of the keys of chunks a[a0:a1] and b[b0:b1]."""
    return _shared_ends_py(" ".join(a[a0:a1].split()), " ".join(b[b0:b1].split()))


def _span_across(before, after, tail: int, head: int, old, new, margin: int) -> list[int] | None:
    """The span of the `tail` words ending chunk pair `before` and the `head`
    words starting pair `after` (one run of shared words, with the
    separator between), less `margin` words at each end; None if nothing
    is left."""
    total = tail + head
    if total <= 2 * margin:
        return None
    first, last = margin, total - margin  # the span is words first..last-1 of the run
    if first < tail and last > tail and old[2][after[0]] != new[2][after[1]]:
        return None  # across a separator that is a paragraph break on one side only
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
    text.  Either answer gives a correct comparison; this only picks the
    quicker way."""
    n_old, n_new = len(old_text), len(new_text)
    if min(n_old, n_new) < SAMPLE_MIN_CHARS:
        return True
    kept = total = 0
    for k in range(_SAMPLES):
        centre = (2 * k + 1) / (2 * _SAMPLES)
        at = int(centre * n_old) - _SAMPLE_CHARS // 2
        old_window = old_text[at:at + _SAMPLE_CHARS]
        at = max(0, int(centre * n_new) - 3 * _SAMPLE_CHARS // 2)
        (_, old_codes, old_lengths, _), (_, new_codes, _, _) = tk.chunk_codes(old_window, new_text[at:at + 3 * _SAMPLE_CHARS])
        new_keys = set(new_codes)
        for code, length in zip(old_codes[1:-1], old_lengths[1:-1]):  # whole chunks only
            total += length
            kept += length if code in new_keys else 0
    return kept >= _MIN_KEPT_SHARE * total


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


def _sparse_tokens(text: str, plan, keyer, plain: bool) -> tk.Tokens:
    """Tokens for the stretches to tokenise; one placeholder token per
    unchanged run, whose key and literal are the same in both texts.
    `plain`: tk.is_plain(text), found once for all its stretches.

    The stretches are cut in one go, joined with a NUL standing in for each
    run between them (a token of its own; whitespace stays with the stretch
    it is in): for thousands of short stretches that is quicker than a
    tokenize call each.  Compiled, plain text is cut stretch by stretch in
    place, with the word prefix counted on the way."""
    if plain and tk._speedups is not None:
        literals, gaps, starts, ends, placeholders, word_prefix = tk._speedups.sparse_plain_tokens(text, plan)
        # Compact already: one str object per distinct token, and offsets
        # and counts in arrays (a few thousand of them are read, and an int
        # object each would cost more to make than that).
        toks = tk.Tokens(text, literals, gaps, keyer.keys(literals), array("q", starts), array("q", ends), placeholders)
        toks.know_word_prefix(array("q", word_prefix))
        return toks
    if "\x00" in text:
        return _sparse_tokens_by_stretch(text, plan, keyer, plain)
    return _sparse_tokens_joined(text, plan, keyer, plain)


def _sparse_tokens_joined(text: str, plan, keyer, plain: bool) -> tk.Tokens:
    """_sparse_tokens in Python, for a text with no NUL in it."""
    joined = "".join([text[start:end] if n is None else "\x00" for start, end, n in plan])
    pieces = tk.token_pieces(joined, plain)  # [gap, token, gap, token, ..., tail]
    literals = pieces[1::2]
    if not literals:
        return tk.Tokens(text, [], [], [], [], [])
    lengths = list(map(len, pieces))
    placeholders: dict[int, tuple[int, int]] = {}
    i = -1
    for start, end, n in plan:
        if n is not None:
            i = literals.index("\x00", i + 1)
            literals[i] = f"\x00{n}"
            lengths[2 * i + 1] = end - start  # the run's length in the text
            placeholders[i] = (start, end)
    bounds = list(accumulate(lengths, initial=0))
    starts, ends = bounds[1:-1:2], bounds[2::2]
    if len(joined) >= tk.COMPACT_MIN_CHARS:  # what is tokenised is long (see tokenize)
        starts, ends = array("q", starts), array("q", ends)
        literals = list(map(keyer.interned.setdefault, literals, literals))
    keys = keyer.keys(literals)
    return tk.Tokens(text, literals, pieces[0:-1:2], keys, starts, ends, placeholders)


def _sparse_tokens_by_stretch(text: str, plan, keyer, plain: bool) -> tk.Tokens:
    """_sparse_tokens for a text with NULs in it: one stretch at a time."""
    literals: list[str] = []
    gaps: list[str] = []
    starts = array("q")
    ends = array("q")
    keys: list[str] = []
    placeholders: dict[int, tuple[int, int]] = {}
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
            placeholders[len(literals) - 1] = (start, end)
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


def _diff_between_placeholders(old_t: tk.Tokens, new_t: tk.Tokens, engine: str | None) -> list[tuple[str, int]]:
    """Token diff of each stretch between paired placeholders."""
    # One encoding for all stretches: a diff depends only on which tokens
    # are equal, and one table costs less than thousands of small ones.
    old_s, new_s = _encode(old_t.keys, new_t.keys)
    runs = [(i, j, 1) for i, j in zip(sorted(old_t.placeholders), sorted(new_t.placeholders))]
    return _diff_stretches(old_s, new_s, runs, lambda a, b: diff_strings(a, b, engine))


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


def _word_totals(old_text: str, new_text: str, info) -> dict[str, int]:
    """Words in each text, as tk.count_words counts them.

    `info` is (old_plan, new_plan, old_plain, new_plain, old_known,
    new_known, counting): the chunk plans (None when the texts were
    tokenised whole), each text's is_plain, the word count of its tokenised
    stretches when known from the tokens (else None), and a _Counting of
    the unchanged runs' words when they are being counted (else None).
    Unchanged runs are counted once: their chunks differ only in
    whitespace, which neither joins nor splits words, and every cut is at
    whitespace.
    """
    old_plan, new_plan, old_plain, new_plain, old_known, new_known, counting = info

    def tokenised(text: str, side_plan, plain: bool, known: int | None) -> int:
        if known is not None:
            return known
        if side_plan is None:
            return tk.count_words(text, plain)
        return tk.count_words_in(text, [(s, e) for s, e, run in side_plan if run is None], plain)

    if counting is not None:
        unchanged = counting.result()
    elif old_plan is not None:
        unchanged = tk.count_words_in(old_text, [(s, e) for s, e, run in old_plan if run is not None], old_plain)
    else:
        unchanged = 0
    return {"old": unchanged + tokenised(old_text, old_plan, old_plain, old_known),
            "new": unchanged + tokenised(new_text, new_plan, new_plain, new_known)}


# From this length on (characters of the old text) its unchanged runs'
# words are counted in a second thread (11 ms at 4 MB, 3 at 1 MB, against
# some 0.1 ms to start a thread).
COUNT_IN_THREAD_MIN_CHARS = 256 * 1024


class _Counting:
    """The words of a plain text's unchanged runs (a chunk plan's stretches
    with a run number), counted in a thread; result() waits for it."""

    def __init__(self, text: str, plan):
        import threading

        spans = [(s, e) for s, e, run in plan if run is not None]
        self._outcome: list = []
        self._thread = threading.Thread(target=self._count, args=(text, spans), daemon=True)
        self._thread.start()

    def _count(self, text: str, spans) -> None:
        try:
            self._outcome.append((True, tk.count_words_in(text, spans, True)))
        except BaseException as error:  # raised again by result(), in the caller's thread
            self._outcome.append((False, error))

    def result(self) -> int:
        self._thread.join()
        ok, value = self._outcome[0]
        if not ok:
            raise value
        return value


def _tokenised_words(toks: tk.Tokens, plain: bool, joins: int) -> int | None:
    """Words in a token list's tokenised stretches (all of it, unless it is
    a sparse list), as count_words counts them, from the word prefix the
    changes use anyway.  For plain text a token is a word exactly when it
    is a match of the word pattern (not so with the full patterns: a Thai
    vowel sign is a token and a match, but not a word token).  Placeholders
    are not words; each of the `joins` line-break joins made two words one.
    None when not plain."""
    return toks.word_prefix()[-1] + joins if plain else None


def _analyse(old_text: str, new_text: str, strict: bool, ignore_case: bool, detect_moves: bool,
             engine: str | None) -> tuple[tk.Tokens, tk.Tokens, list[list], list[_Move], tuple]:
    """Steps 1-4: tokens, aligned regions, moves (all in token indices), and
    what _word_totals needs to count each text's words."""
    engine = engine or _engine()  # once, not in each of thousands of diffs
    keyer = tk.make_keyer(strict=strict, ignore_case=ignore_case)
    plan = _plan_chunks(old_text, new_text, engine)
    old_plain, new_plain = tk.is_plain(old_text), tk.is_plain(new_text)
    counting = None
    if plan is not None and old_plain and tk._speedups is not None and len(old_text) >= COUNT_IN_THREAD_MIN_CHARS:
        # The unchanged runs' words are counted in a thread (the compiled
        # count lets go of the GIL) while this one goes on.
        counting = _Counting(old_text, plan[0])
    if plan is None:
        old_t = tk.tokenize_recent(old_text, keyer, old_plain)
        new_t = tk.tokenize_recent(new_text, keyer, new_plain)
        plan = (None, None)
    else:
        old_t = _sparse_tokens(old_text, plan[0], keyer, old_plain)
        new_t = _sparse_tokens(new_text, plan[1], keyer, new_plain)
    old_joins, new_joins = tk.join_line_break_hyphens(old_t, new_t)
    words = (*plan, old_plain, new_plain, _tokenised_words(old_t, old_plain, old_joins),
             _tokenised_words(new_t, new_plain, new_joins), counting)
    if plan[0] is None:
        ops = diff_strings(*_encode(old_t.keys, new_t.keys), engine)
    else:
        ops = _diff_between_placeholders(old_t, new_t, engine)
    regions = _regions(ops)
    _align_to_boundaries(regions, old_t, new_t)
    regions = [r for r in regions if r[2] > r[1] or r[4] > r[3]]
    regions = _absorb_short_equalities(regions, old_t, new_t)
    moves = _find_moves(regions, old_t, new_t, engine) if detect_moves else []
    return old_t, new_t, regions, moves, words


@contextmanager
def gc_paused():
    """Python's cyclic garbage collector off for a while.  A comparison makes
    hundreds of thousands of lists, tuples and objects, none of them in a
    reference cycle (reference counting frees them all), and the collector
    would scan them again and again as they pile up: 18% of a comparison of
    1 MB at 20% edits (0.89 vs 0.73 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compare(old: str | Side, new: str | Side, *, strict: bool = False, ignore_case: bool = False,
            detect_moves: bool = True, engine: str | None = None) -> Comparison:
    """Compare two texts word by word.  See the module docstring."""
    old_side, new_side = _as_side(old), _as_side(new)
    options = {"strict": strict, "ignore_case": ignore_case, "moves": detect_moves}
    if old_side.text == new_side.text:
        segments = [Segment("equal", 0, len(old_side.text), 0, len(new_side.text))] if old_side.text else []
        return Comparison(old_side, new_side, segments, [], options)
    engine = engine or _engine()
    with gc_paused():
        return _compare(old_side, new_side, options, strict, ignore_case, detect_moves, engine)


def _compare(old_side: Side, new_side: Side, options: dict, strict: bool, ignore_case: bool, detect_moves: bool,
             engine: str) -> Comparison:
    old_t, new_t, regions, moves, words = _analyse(old_side.text, new_side.text, strict, ignore_case, detect_moves, engine)
    builder = _build(regions, moves, old_t, new_t, engine)
    comparison = Comparison(old_side, new_side, builder.segments, builder.changes, options)
    comparison.__dict__["_words"] = _word_totals(old_side.text, new_side.text, words)
    return comparison


def word_change_counts(old_text: str, new_text: str) -> tuple[int, int]:
    """(words added, words removed) in content changes, moves excluded: the
    figures ingest prints and records.  The same as compare(...).stats'
    words_inserted and words_deleted, without building the comparison
    (bulk ingest computes this for every version)."""
    if old_text == new_text:
        return 0, 0
    with gc_paused():
        old_t, new_t, regions, moves, _ = _analyse(old_text, new_text, False, False, True, None)
    inserted = sum(_count_words(new_t, r[3], r[4]) for r in regions if not r[0])
    deleted = sum(_count_words(old_t, r[1], r[2]) for r in regions if not r[0])
    for move in moves:
        inserted -= _count_words(new_t, move.b0, move.b1)
        deleted -= _count_words(old_t, move.a0, move.a1)
    return inserted, deleted
