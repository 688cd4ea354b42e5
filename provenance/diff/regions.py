"""Step 3: (op, count) runs as regions, made readable: edits slid to sentence or
clause boundaries, a lone short word between two edits absorbed into them.

Owns: region shapes.  Never: changes which tokens match (only where an edit's
edges fall among equal tokens).

Regions: (equal, a0, a1, b0, b1) in token indices.  Equal regions have
a1 - a0 == b1 - b0; change regions have at least one side non-empty.
"""

from __future__ import annotations


from array import array
from operator import itemgetter

from .. import tokens as tk



# An equal run of one token this short between two edits is absorbed into them.
ABSORB_MAX_CHARS = 4


def _regions(ops: list[tuple[str, int]]) -> list[list]:
    # (A region's end is the next one's start: one int object for both.)
    regions: list[list] = []
    a = b = 0
    for op, n in ops:
        if not n:
            continue
        if op == "=":
            a1, b1 = a + n, b + n
            regions.append([True, a, a1, b, b1])
            a, b = a1, b1
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
    if kind == tk.PARAGRAPH or kind == tk.FURNITURE:  # a page's edge is a paragraph's at least
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


def _columns(regions: list[list]) -> tuple:
    """The regions as columns, for the build, which reads each once in
    order: equal as bytes, a0, a1, b0 and b1 as array("q") (33 bytes a
    region, against some 130 for a list and its int objects: 400,000
    regions at 4 MB with 20% edits).  zip(*columns) gives the regions back
    as tuples."""
    return (bytes(map(itemgetter(0), regions)),
            *(array("q", map(itemgetter(k), regions)) for k in (1, 2, 3, 4)))
