"""Version numbers across machines: the public numbering of a document's
versions, derived from the set of its version folders alone, so every store
holding the same folders shows the same numbers (docs/sync.md).

A version folder is `<NNNNNN>-<uid>`: NNNNNN is the number the writer gave
it when it was ingested (latest + 1 on that machine), the uid (first 12 hex
digits of sha256 of its meta.json) names it everywhere, for ever.  Two stores
that ingested independently can both hold a folder numbered 4.  Then:

- the *shared prefix*, numbers 1..k that each occur once, keeps its numbers
  (what both sides had before they diverged never moves);
- the rest are ordered by capture time (UTC), then content sha256, then uid,
  and numbered k+1, k+2, ...;
- a version whose bytes equal the version just before it in that order is
  not a version of its own: it counts as an observation of the one before
  (its capture time joins `seen`, its uid `merged_uids`), exactly as an
  ingest of the latest bytes is an observation on one machine;
- `repeats` of the reordered versions is recomputed against the new numbers.

A document whose numbers are all distinct (every store that never merged
concurrent versions of it) is returned as stored: the derivation is the
identity.

Owns: that pure function.  Never: reads git or writes anything; nothing in
the store is renamed or rewritten, the numbering is a view.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from typing import Iterable

from .model import Version

UID_RE = re.compile(r"[0-9a-f]{12}")


def uid_of(path: str) -> str:
    """The uid of a version folder (`.../000004-9c1d2e3f4a5b` -> `9c1d2e3f4a5b`)."""
    return path.rsplit("/", 1)[-1].partition("-")[2]


def has_duplicates(numbers: Iterable[int]) -> bool:
    """True when two folders share a number: versions were made concurrently
    in two stores, and the derived numbering differs from the stored one."""
    seen: set[int] = set()
    for n in numbers:
        if n in seen:
            return True
        seen.add(n)
    return False


def capture_key(value: str) -> tuple[int, float, str]:
    try:
        dt = datetime.fromisoformat(value)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return (0, dt.timestamp(), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))  # (unreadable: last, still in a fixed order)


def _with(v: Version, **changes) -> Version:
    out = object.__new__(Version)
    out.__dict__.update(v.__dict__)
    out.__dict__.update(changes)
    return out


def derive(stored: list[Version]) -> list[Version]:
    """The public versions of ONE document, oldest first, from its folders as
    stored (`number` = the folder's number)."""
    counts = Counter(v.number for v in stored)
    by_folder = sorted(stored, key=lambda v: (v.number, v.path))
    if all(c == 1 for c in counts.values()):
        return by_folder
    k = 0
    while counts.get(k + 1) == 1:
        k += 1
    prefix = [v for v in by_folder if v.number <= k]
    tail = sorted((v for v in by_folder if v.number > k),
                  key=lambda v: (capture_key(v.captured_at), v.content_sha256, uid_of(v.path)))
    out: list[Version] = list(prefix)
    for v in tail:
        if out and out[-1].content_sha256 == v.content_sha256:
            kept = out[-1]
            seen = sorted((*kept.seen, v.captured_at, *v.seen), key=capture_key)
            out[-1] = _with(kept, seen=tuple(seen), merged_uids=(*kept.merged_uids, uid_of(v.path)))
            continue
        out.append(v)
    last_with: dict[str, int] = {}
    for i, v in enumerate(out):
        n = i + 1
        if n > k:
            out[i] = _with(v, number=n, repeats=last_with.get(v.content_sha256))
        last_with[v.content_sha256] = n
    return out


def pick(versions: list[Version], doc: str, spec: int | str | None) -> Version:
    """`spec` (None: latest; N; -K; a uid) among a document's derived versions."""
    from ..errors import ProvenanceError

    if isinstance(spec, str):
        for v in versions:
            if uid_of(v.path) == spec or spec in v.merged_uids:
                return v
        raise ProvenanceError(f"{doc} has no version with uid {spec}")
    latest = len(versions)
    n = latest if spec is None else spec if spec > 0 else latest + spec if spec < 0 else 0
    if n < 1 or n > latest:
        plural = "version" if latest == 1 else "versions"
        raise ProvenanceError(f"{doc} has {latest} {plural}; there is no version {spec}")
    return versions[n - 1]
