"""The comparison data model: Side, Segment, Change, Comparison, and the two classes of change.

Owns: the one structure every renderer and the JSON contract read.  Never:
imports the engine (renderers import this module alone, so a report does not
load diff-match-patch or the chunk pass).
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from .. import tokens as tk



CONTENT, FORMATTING = "content", "formatting"


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
    # A move's edits (a list); others share the empty tuple (an empty list
    # each was 56 bytes a change: 56 MB at 16 MB with 20% edits).
    edits: "list[Change] | tuple[()]" = ()

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


# Segment(*fields), without the named tuple's own __new__ (a Python function:
# half the time of making a segment).  Every field is given.
_segment = partial(tuple.__new__, Segment)

KINDS = ("equal", "insert", "delete", "replace", "move-from", "move-to", "move")
_KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}
_MOVE = _KIND_CODES["move"]
CLASSES = (CONTENT, FORMATTING)
_CLASS_CODES = {cls: code for code, cls in enumerate(CLASSES)}


class _Columns(Sequence):
    """A read-only sequence kept as columns, its items made when asked for:
    a comparison of 4 MB with 20% edits has 100,000 changes and 200,000
    segments, which as objects (with their int objects and texts) took
    some 48 MB, as columns 7.  Iterating makes each item as it goes (the
    JSON report); the first index makes them all, once, and keeps them
    (the HTML and text reports look items up by index over and over, and
    hold the whole report anyway).  Compares equal to a list of the same
    items."""

    __slots__ = ()

    def __getitem__(self, i):
        if self.made is None:
            self.made = list(self._items())
        return self.made[i]

    def __iter__(self):
        return iter(self.made) if self.made is not None else self._items()

    def __eq__(self, other):
        if isinstance(other, (list, tuple, _Columns)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # (mutable while the build adds to it)

    def __repr__(self) -> str:
        return repr(list(self))


class Segments(_Columns):
    """Comparison.segments as columns (see _Columns); add() appends one."""

    __slots__ = ("kind", "old_start", "old_end", "new_start", "new_end", "change", "made")

    def __init__(self, typecode: str = "q"):
        self.made: list[Segment] | None = None
        self.kind = bytearray()
        self.old_start, self.old_end, self.new_start, self.new_end, self.change = (array(typecode) for _ in range(5))

    def add(self, kind: str, old_start: int, old_end: int, new_start: int, new_end: int, change: int | None) -> None:
        self.kind.append(_KIND_CODES[kind])
        self.old_start.append(old_start)
        self.old_end.append(old_end)
        self.new_start.append(new_start)
        self.new_end.append(new_end)
        self.change.append(-1 if change is None else change)

    def __len__(self) -> int:
        return len(self.kind)

    def _items(self):
        for kind, a0, a1, b0, b1, change in zip(self.kind, self.old_start, self.old_end, self.new_start, self.new_end,
                                                self.change):
            yield _segment((KINDS[kind], a0, a1, b0, b1, None if change < 0 else change))


class Changes(_Columns):
    """Comparison.changes as columns (see _Columns): offsets and word counts
    in arrays, each change's texts sliced from the two texts when it is
    made.  A change with edits (a move) is kept as its object."""

    __slots__ = ("old_text", "new_text", "kind", "cls", "old_start", "old_end", "new_start", "new_end",
                 "words_deleted", "words_inserted", "objects", "made")

    def __init__(self, old_text: str, new_text: str, typecode: str = "q"):
        self.made: list[Change] | None = None
        self.old_text, self.new_text = old_text, new_text
        self.kind, self.cls = bytearray(), bytearray()
        self.old_start, self.old_end, self.new_start, self.new_end, self.words_deleted, self.words_inserted = \
            (array(typecode) for _ in range(6))
        self.objects: dict[int, Change] = {}

    def add(self, kind: str, cls: str, old_start: int, old_end: int, new_start: int, new_end: int,
            words_deleted: int = 0, words_inserted: int = 0) -> None:
        """A change whose texts are old_text[old_start:old_end] and
        new_text[new_start:new_end], with no edits."""
        self.kind.append(_KIND_CODES[kind])
        self.cls.append(_CLASS_CODES[cls])
        self.old_start.append(old_start)
        self.old_end.append(old_end)
        self.new_start.append(new_start)
        self.new_end.append(new_end)
        self.words_deleted.append(words_deleted)
        self.words_inserted.append(words_inserted)

    def add_object(self, change: Change) -> None:
        self.objects[len(self)] = change
        self.add(change.kind, change.cls, change.old_start, change.old_end, change.new_start, change.new_end,
                 change.words_deleted, change.words_inserted)

    def __len__(self) -> int:
        return len(self.kind)

    def _items(self):
        objects, old, new = self.objects, self.old_text, self.new_text
        columns = (self.kind, self.cls, self.old_start, self.old_end, self.new_start, self.new_end,
                   self.words_deleted, self.words_inserted)
        for i, (kind, cls, a0, a1, b0, b1, deleted, inserted) in enumerate(zip(*columns)):
            change = objects.get(i) if objects else None
            yield change if change is not None else \
                Change(KINDS[kind], CLASSES[cls], a0, a1, b0, b1, old[a0:a1], new[b0:b1], deleted, inserted)

    def stats(self) -> dict[str, int]:
        """Comparison.stats' counts of the changes, from the columns."""
        content = moves = inserted = deleted = moved = 0
        for kind, cls, d, i in zip(self.kind, self.cls, self.words_deleted, self.words_inserted):
            moves += kind == _MOVE
            if cls:  # formatting
                continue
            content += 1
            if kind == _MOVE:
                moved += d
            else:
                inserted += i
                deleted += d
        return {"changes": len(self), "content_changes": content, "formatting_changes": len(self) - content,
                "moves": moves, "words_inserted": inserted, "words_deleted": deleted, "words_moved": moved}


@dataclass
class Comparison:
    old: Side
    new: Side
    segments: "list[Segment] | Segments"  # (a compare() of texts that differ gives the columns)
    changes: "list[Change] | Changes"
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
        if isinstance(self.changes, Changes):
            return {**self.changes.stats(), "old_words": self.old_words, "new_words": self.new_words}
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

    def page_breaks(self, side: str) -> list[int] | None:
        """The offsets of side "old" or "new"'s form feeds, for a paged text
        (a PDF's); else None."""
        cache = self.__dict__.setdefault("_page_breaks", {})
        if side not in cache:
            from ..furniture import FORM_FEED, page_breaks

            text = getattr(self, side).text
            cache[side] = page_breaks(text) if FORM_FEED in text else None
        return cache[side]

    def page(self, side: str, offset: int) -> int | None:
        """Page number (1-based) of an offset into side "old" or "new", for
        a paged text (a PDF's: pages separated by form feeds); else None."""
        breaks = self.page_breaks(side)
        if breaks is None:
            return None
        from ..furniture import page_of

        return page_of(breaks, offset)

    def pages_of(self, change: Change) -> dict[str, int]:
        """{"old_page": N, "new_page": M} for the paged sides of a change
        (where it starts); empty when neither text is paged."""
        out = {}
        for side, offset in (("old", change.old_start), ("new", change.new_start)):
            n = self.page(side, offset)
            if n is not None:
                out[f"{side}_page"] = n
        return out

    @property
    def content_differs(self) -> bool:
        if isinstance(self.changes, Changes):
            return _CLASS_CODES[CONTENT] in self.changes.cls
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
            d["changes"] = [{**c.to_dict(), **self.pages_of(c)} for c in self.changes]
        return d


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
