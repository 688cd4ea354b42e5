"""The JSON rendering: the JSON contract of the README, Comparison.to_dict() as UTF-8 text.

Owns: the byte layout of the JSON output.  Never: decides what a change is
(the comparison does) or adds fields the contract does not document.
"""

from __future__ import annotations

import json
from functools import partial
from itertools import islice

from ..diff import Comparison
from ..diff.model import CLASSES, KINDS, Changes
from ..furniture import page_of



def render_json(cmp: Comparison) -> str:
    """The JSON contract: Comparison.to_dict(), UTF-8 text, one trailing newline.

    Indented, with one change per line: readable, and `grep`-able.  The
    changes go through json's C encoder one by one (an indented dump uses the
    pure-Python encoder: 155 vs 75 ms for 26,000 changes).
    """
    return "".join(iter_json(cmp))


# Changes joined into one piece of iter_json at a time.
_CHANGES_PER_PIECE = 4096


def iter_json(cmp: Comparison):
    """render_json(cmp) in pieces of a few thousand changes, to be written
    as they come: the whole document is never held (at 16 MB with 20% edits
    it is 69 MB of text, and the list of its lines and their join were three
    times that on top of the comparison)."""
    data = cmp.to_dict(changes=False)
    head = json.dumps(data, ensure_ascii=False, indent=2)[:-2]  # without "\n}"
    if not cmp.changes:
        yield head + ',\n  "changes": []\n}\n'
        return
    breaks = (cmp.page_breaks("old"), cmp.page_breaks("new"))
    paged = breaks != (None, None)  # a paged text: changes say their page
    if isinstance(cmp.changes, Changes) and cmp.changes.made is None:
        changes = _columns_json(cmp.changes, breaks if paged else None)
    elif paged:
        changes = map(partial(_paged_change_json, breaks=breaks), cmp.changes)
    else:
        changes = map(_change_json, cmp.changes)
    yield head + ',\n  "changes": [\n    '
    first = True
    while True:
        block = list(islice(changes, _CHANGES_PER_PIECE))
        if not block:
            break
        yield ("" if first else ",\n    ") + ",\n    ".join(block)
        first = False
    yield "\n  ]\n}\n"


_encode_json = json.JSONEncoder(ensure_ascii=False).encode

_encode_json_str = json.encoder.encode_basestring  # what that encoder uses for a str (C)


def _paged_change_json(change, breaks: tuple) -> str:
    """_change_json with the change's pages last ("old_page", "new_page"
    for each paged side: cmp.pages_of), as json encodes
    {**change.to_dict(), **cmp.pages_of(change)} (tests compare the two)."""
    return _change_json(change)[:-1] + _pages_json(breaks, change.old_start, change.new_start) + "}"


def _pages_json(breaks: tuple, old_start: int, new_start: int) -> str:
    """The "old_page" and "new_page" members of a paged change's line (for
    each side with page breaks)."""
    old_feeds, new_feeds = breaks
    pages = f', "old_page": {page_of(old_feeds, old_start):d}' if old_feeds is not None else ""
    return pages + (f', "new_page": {page_of(new_feeds, new_start):d}' if new_feeds is not None else "")


def _change_json(change) -> str:
    """json's encoding of change.to_dict() on one line.  Made directly for
    all but moves: the same bytes at a third of the cost (tests compare the
    two)."""
    if change.kind == "move":
        return _encode_json(change.to_dict())
    return _change_line(change.kind, change.cls, change.old_text, change.new_text, change.old_start, change.old_end,
                        change.new_start, change.new_end)


def _change_line(kind: str, cls: str, old_text: str, new_text: str, a0: int, a1: int, b0: int, b1: int) -> str:
    """A change with no edits (not a move) as json encodes its dict."""
    return (f'{{"kind": "{kind}", "class": "{cls}", "old_text": {_encode_json_str(old_text)}, '
            f'"new_text": {_encode_json_str(new_text)}, "old_start": {a0:d}, "old_end": {a1:d}, '
            f'"new_start": {b0:d}, "new_end": {b1:d}}}')


def _columns_json(changes: Changes, breaks: tuple | None = None):
    """_change_json of each change (_paged_change_json given the texts'
    page breaks), read off the columns (model.Changes) with no Change
    object made on the way (a PDF's text against a web page's has 40,000
    changes at 4 MB).  A change kept as its object (a move) is encoded
    from it."""
    objects, old, new = changes.objects, changes.old_text, changes.new_text
    columns = (changes.kind, changes.cls, changes.old_start, changes.old_end, changes.new_start, changes.new_end)
    for i, (kind, cls, a0, a1, b0, b1) in enumerate(zip(*columns)):
        if objects and i in objects:
            yield _change_json(objects[i]) if breaks is None else _paged_change_json(objects[i], breaks)
        elif breaks is None:
            yield _change_line(KINDS[kind], CLASSES[cls], old[a0:a1], new[b0:b1], a0, a1, b0, b1)
        else:
            yield _change_line(KINDS[kind], CLASSES[cls], old[a0:a1], new[b0:b1], a0, a1, b0, b1)[:-1] + \
                _pages_json(breaks, a0, b0) + "}"
