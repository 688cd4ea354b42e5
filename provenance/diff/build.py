"""Step 5: segments and changes.  Inside equal runs, tokens whose keys match but
whose literal text or paragraph structure differs become formatting changes;
edits and moves become content changes.

Owns: the classification of formatting against content.  Never: re-diffs;
it reads the regions and moves it is given.
Compiled twin (provenance/_speedups.c): formatting_groups, chosen next to
its Python version.
"""

from __future__ import annotations

from collections import defaultdict

from .. import tokens as tk
from .model import CONTENT, Change, Changes, FORMATTING, Segments
from .moves import _Move, _count_words
from .myers import diff_strings
from .regions import _regions



class _Builder:
    """Turns token-level regions into character-level segments and changes."""

    def __init__(self, old: tk.Tokens, new: tk.Tokens, engine: str | None):
        self.old, self.new, self.engine = old, new, engine
        # Columns, not objects (model.Changes): each change and segment is
        # made when a renderer asks for it.
        typecode = tk.offset_typecode(max(len(old.text), len(new.text)))
        self.segments = Segments(typecode)
        self.changes = Changes(old.text, new.text, typecode)
        self.pos_old = 0  # character offsets reached so far
        self.pos_new = 0
        self.old_words = old.word_counter()  # word counts of token ranges
        self.new_words = new.word_counter()

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
            self.segments.add("equal", self.pos_old, os_, self.pos_new, ns, None)
        self.segments.add(kind, os_, oe, ns, ne, change)
        self.pos_old, self.pos_new = oe, ne

    def _change(self, kind: str, cls: str, a0: int, a1: int, b0: int, b1: int, **extra) -> int:
        os_, oe = self._span(self.old, a0, a1)
        ns, ne = self._span(self.new, b0, b1)
        deleted = self.old_words(a0, a1) if cls == CONTENT else 0
        inserted = self.new_words(b0, b1) if cls == CONTENT else 0
        if extra:
            self.changes.add_object(Change(kind, cls, os_, oe, ns, ne, self.old.text[os_:oe], self.new.text[ns:ne],
                                           deleted, inserted, **extra))
        else:
            self.changes.add(kind, cls, os_, oe, ns, ne, deleted, inserted)
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
        changes.add(kind, CONTENT, os_, oe, ns, ne, self.old_words(a0, a1), self.new_words(b0, b1))
        if os_ > self.pos_old or ns > self.pos_new:
            segments.add("equal", self.pos_old, os_, self.pos_new, ns, None)
        segments.add(kind, os_, oe, ns, ne, len(changes) - 1)
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
        sa, sb = move.keys or (self.old.keys[move.a0:move.a1], self.new.keys[move.b0:move.b1])  # (encoded)
        edits = []
        for equal, a0, a1, b0, b1 in _regions([diff_strings(sa, sb, self.engine)]):
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
        groups = _formatting_groups(old.literals, new.literals, old.gap_kinds, new.gap_kinds, a0, a1, b0)
        # _change and _emit of each (never empty) group, inlined: a PDF's
        # text against a web page's has 35,000 of them at 4 MB.
        changes, segments = self.changes, self.segments
        os_starts, os_ends, ns_starts, ns_ends = old.starts, old.ends, new.starts, new.ends
        pos_old, pos_new = self.pos_old, self.pos_new
        for k in range(0, len(groups), 2):
            i, j = groups[k], groups[k + 1]
            os_, oe, ns, ne = os_starts[a0 + i], os_ends[a0 + j - 1], ns_starts[b0 + i], ns_ends[b0 + j - 1]
            changes.add("replace", FORMATTING, os_, oe, ns, ne)
            if os_ > pos_old or ns > pos_new:
                segments.add("equal", pos_old, os_, pos_new, ns, None)
            segments.add("replace", os_, oe, ns, ne, len(changes) - 1)
            pos_old, pos_new = oe, ne
        self.pos_old, self.pos_new = pos_old, pos_new

    def _edge(self, os_: int, oe: int, ns: int, ne: int) -> None:
        """The text before the first token or after the last, when page
        furniture or layout marks left the token list there (a running head
        before the first word): a formatting change, so no renderer drops it."""
        if os_ > self.pos_old or ns > self.pos_new:
            self.segments.add("equal", self.pos_old, os_, self.pos_new, ns, None)
        self.changes.add("replace", FORMATTING, os_, oe, ns, ne)
        self.segments.add("replace", os_, oe, ns, ne, len(self.changes) - 1)
        self.pos_old, self.pos_new = oe, ne

    def lead(self) -> None:
        old, new = self.old, self.new
        oe = old.starts[0] if len(old) else len(old.text)
        ne = new.starts[0] if len(new) else len(new.text)
        if old.text[:oe] != new.text[:ne] and (not old.text[:oe].isspace() and oe or not new.text[:ne].isspace() and ne):
            self._edge(0, oe, 0, ne)

    def finish(self) -> None:
        old, new = self.old, self.new
        end_old, end_new = len(old.text), len(new.text)
        os_ = max(self.pos_old, old.ends[-1] if len(old) else 0)
        ns = max(self.pos_new, new.ends[-1] if len(new) else 0)
        tail_old, tail_new = old.text[os_:], new.text[ns:]
        if tail_old != tail_new and (tail_old and not tail_old.isspace() or tail_new and not tail_new.isspace()):
            self._edge(os_, end_old, ns, end_new)
        if end_old > self.pos_old or end_new > self.pos_new:
            self.segments.add("equal", self.pos_old, end_old, self.pos_new, end_new, None)


def _formatting_groups(ol, nl, og, ng, a0: int, a1: int, b0: int) -> list[int]:
    """_formatting_groups_py, compiled when it can be (a PDF's text against
    a clean one has equal runs of half a million tokens that differ every
    few words: 0.2 s a side of Python at 4 MB)."""
    if tk._speedups is not None and isinstance(ol, str) and isinstance(nl, str) and \
            isinstance(og, bytes) and isinstance(ng, bytes):
        return tk._speedups.formatting_groups(ol, nl, og, ng, a0, a1, b0, tk.GLUED)
    return _formatting_groups_py(ol, nl, og, ng, a0, a1, b0)


def _formatting_groups_py(ol, nl, og, ng, a0: int, a1: int, b0: int) -> list[int]:
    """The formatting changes of an equal run of keys, old tokens a0..a1
    against new ones from b0: (start, end) token offsets into the run,
    flat.  A token whose literal differs is changed, and so are the two
    tokens either side of a gap whose kind differs (a paragraph break on
    one side); neighbouring changed tokens make one group, widened to
    whole glued groups, so "intra-\nPalestinian" and '"The' show as units
    rather than as a lone mark.  Groups never overlap."""
    n = a1 - a0
    marked = [False] * n
    for i in range(n):
        if ol[a0 + i] != nl[b0 + i]:
            marked[i] = True
        if i and og[a0 + i] != ng[b0 + i]:
            marked[i] = marked[i - 1] = True
    groups: list[int] = []
    i = 0
    done = 0  # end of the last group: groups never overlap
    while i < n:
        if not marked[i]:
            i += 1
            continue
        j = i
        while j < n and marked[j]:
            j += 1
        while i > done and og[a0 + i] == tk.GLUED and ng[b0 + i] == tk.GLUED:
            i -= 1
        while j < n and og[a0 + j] == tk.GLUED and ng[b0 + j] == tk.GLUED:
            j += 1
        while j < n and marked[j]:
            j += 1
        groups += [i, j]
        i = done = j
    return groups


def _build(regions, moves: list[_Move], old: tk.Tokens, new: tk.Tokens, engine: str | None) -> _Builder:
    """The segments and changes of `regions` (regions.Regions, or any
    iterable of (equal, a0, a1, b0, b1))."""
    builder = _Builder(old, new, engine)
    builder.lead()
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
