"""Step 3: (op, count) runs as regions, made readable: edits slid to sentence or
clause boundaries, a lone short word between two edits absorbed into them.

Owns: region shapes.  Never: changes which tokens match (only where an edit's
edges fall among equal tokens).

Regions: (equal, a0, a1, b0, b1) in token indices.  Equal regions have
a1 - a0 == b1 - b0; change regions have at least one side non-empty.  They
are kept as columns (Regions): at 4 MB with 20% edits there are 200,000 of
them, 17 bytes each so, against some 150 as a list of five objects.
"""

from __future__ import annotations


from array import array
from itertools import chain, compress
from operator import gt, or_

from .. import tokens as tk



# An equal run of one token this short between two edits is absorbed into them.
ABSORB_MAX_CHARS = 4


class Regions:
    """Regions as five columns: equal (a bytearray of 0 and 1), a0, a1, b0
    and b1 (arrays of tokens.offset_array's type).  Iterating gives
    (equal, a0, a1, b0, b1) tuples; the steps read and change the columns."""

    __slots__ = ("equal", "a0", "a1", "b0", "b1")

    def __init__(self, typecode: str = "q"):
        self.equal = bytearray()
        self.a0, self.a1, self.b0, self.b1 = (array(typecode) for _ in range(4))

    def __len__(self) -> int:
        return len(self.equal)

    def __iter__(self):
        return zip(self.equal, self.a0, self.a1, self.b0, self.b1)

    def without_empty(self) -> "Regions":
        """The regions with at least one token on a side, in place (a column
        at a time, the flags a byte each: a copy of all five columns and a
        list of flags were 6 MB at 4 MB with 20% edits, at the peak)."""
        keep = bytes(map(or_, map(gt, self.a1, self.a0), map(gt, self.b1, self.b0)))
        if all(keep):
            return self
        self.equal = bytearray(compress(self.equal, keep))
        for name in ("a0", "a1", "b0", "b1"):  # (each column let go of once its copy is made)
            setattr(self, name, array(self.a0.typecode, compress(getattr(self, name), keep)))
        return self


def _regions(pieces, typecode: str = "q") -> Regions:
    """The regions of (op, count) runs, given as lists of them in order
    (myers.diff_pieces; two equal runs in a row are one region);
    `typecode`: of the columns, tokens.offset_typecode of the longer text.
    Compiled: _speedups.regions_of (a loop over every op: 75 ms at 4 MB
    with 20% edits in Python)."""
    if tk._speedups is None:
        return _regions_py(pieces, typecode)
    regions = Regions(typecode)
    equal, *columns = tk._speedups.regions_of(pieces, regions.a0.itemsize)
    regions.equal = bytearray(equal)
    for column, raw in zip((regions.a0, regions.a1, regions.b0, regions.b1), columns):
        column.frombytes(raw)
    return regions


def _regions_py(pieces, typecode: str = "q") -> Regions:
    regions = Regions(typecode)
    equal, a0s, a1s, b0s, b1s = regions.equal, regions.a0, regions.a1, regions.b0, regions.b1
    a = b = 0
    changing = False  # the last region is a change, still growing
    for op, n in chain.from_iterable(pieces):
        if not n:
            continue
        if op == "=":
            if equal and equal[-1]:  # (where two pieces meet)
                a += n
                b += n
                a1s[-1] = a
                b1s[-1] = b
                continue
            equal.append(True)
            a0s.append(a)
            b0s.append(b)
            a += n
            b += n
            a1s.append(a)
            b1s.append(b)
            changing = False
            continue
        if not changing:
            equal.append(False)
            a0s.append(a)
            a1s.append(a)
            b0s.append(b)
            b1s.append(b)
            changing = True
        if op == "-":
            a += n
            a1s[-1] = a
        else:
            b += n
            b1s[-1] = b
    return regions


_SENTENCE_END = {".", "!", "?", "...", '."', ".'", '?"', '!"'}

_CLAUSE_END = {",", ";", ":", ")", "]", "-"}


def _boundary_score(toks: tk.Tokens, i: int) -> int:
    """How natural a place the boundary before token i is for a change to
    start or end: sentence > clause > word; never inside a glued group
    like "Smith," or '"The'.  Read off the keys alone: a paragraph break
    or a page's edge on one side is formatting (a PDF's pages, a web
    page's paragraphs split or run on), and would slide an edit over other
    words than the plain texts' comparison does."""
    if i <= 0 or i >= len(toks):
        return 6
    kind = toks.gap_kinds[i]
    before = toks.key(i - 1)
    if kind == tk.GLUED:
        return 0
    if before in _SENTENCE_END:
        return 4
    if before in _CLAUSE_END:
        return 3
    return 2


def _align_to_boundaries(regions: Regions, old: tk.Tokens, new: tk.Tokens) -> None:
    """Slide each pure insertion or deletion, where equal text around it
    allows more than one position, to the most natural boundaries: a
    deleted sentence is "The cat sat." rather than ". The cat sat"."""
    equal, a0s, a1s, b0s, b1s = regions.equal, regions.a0, regions.a1, regions.b0, regions.b1
    for r in range(1, len(equal) - 1):
        if equal[r] or not equal[r - 1] or not equal[r + 1]:
            continue
        a0, a1, b0, b1 = a0s[r], a1s[r], b0s[r], b1s[r]
        if a1 > a0 and b1 == b0:
            toks, lo, hi, starts, ends = old, a0, a1, a0s, a1s
        elif b1 > b0 and a1 == a0:
            toks, lo, hi, starts, ends = new, b0, b1, b0s, b1s
        else:
            continue
        keys = toks.keys
        left = 0
        floor = starts[r - 1]
        while lo - left - 1 >= floor and keys[lo - left - 1] == keys[hi - left - 1]:
            left += 1
        right = 0
        ceiling = ends[r + 1]
        while hi + right < ceiling and keys[lo + right] == keys[hi + right]:
            right += 1
        if not left and not right:
            continue
        best = max(range(-left, right + 1),
                   key=lambda s: (_boundary_score(toks, lo + s) + _boundary_score(toks, hi + s), -s))
        if best:
            # The equal run before grows (or shrinks) by what the one after
            # loses (or gains); the change keeps its length.  An equal run
            # left empty is dropped by the caller.
            a1s[r - 1] += best
            b1s[r - 1] += best
            a0s[r + 1] += best
            b0s[r + 1] += best
            a0s[r] += best
            a1s[r] += best
            b0s[r] += best
            b1s[r] += best


def _absorb_short_equalities(regions: Regions, old: tk.Tokens, new: tk.Tokens) -> Regions:
    """A single short word (or mark) between two edits joins them into one
    replace, as an editor would mark "[-the cat-]{+a dog+}" rather than
    "[-the-]{+a+} [-cat-]{+dog+}"... only when the result is a replace."""
    # In place: region w out is written once region i >= w is read (a copy
    # of the columns was 4 MB at 4 MB with 20% edits, at the peak).
    equal, a0s, a1s, b0s, b1s = regions.equal, regions.a0, regions.a1, regions.b0, regions.b1
    n = len(equal)
    i = w = 0  # w: regions out so far
    while i < n:
        if (
            equal[i]
            and w
            and not equal[w - 1]
            and i + 1 < n
            and not equal[i + 1]
            and a1s[i] - a0s[i] == 1
            and len(old.key(a0s[i])) <= ABSORB_MAX_CHARS
            and a0s[i] not in old.placeholders  # an unchanged run, not a word
        ):
            # The last region out (a change) and the next one, with this one between.
            deletes = (a1s[w - 1] > a0s[w - 1]) or (a1s[i + 1] > a0s[i + 1])
            inserts = (b1s[w - 1] > b0s[w - 1]) or (b1s[i + 1] > b0s[i + 1])
            if deletes and inserts:
                a1s[w - 1] = a1s[i + 1]
                b1s[w - 1] = b1s[i + 1]
                i += 2
                continue
        if w != i:
            equal[w], a0s[w], a1s[w], b0s[w], b1s[w] = equal[i], a0s[i], a1s[i], b0s[i], b1s[i]
        w += 1
        i += 1
    for column in (equal, a0s, a1s, b0s, b1s):
        del column[w:]
    return regions
