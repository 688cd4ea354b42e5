"""The bytes the writer feeds `git fast-import`: large snapshots and texts
hashed and written a chunk at a time (never held whole twice), and the
commit records of a batch.

Owns: the fast-import stream's format and the streaming of big inputs.
Never: starts a process, plans a batch or moves a ref (writer.py does).
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

from ..errors import ProvenanceError
from .model import RawFile


# fast-import holds a blob whole (and its deflated copy and delta search)
# unless it is over core.bigFileThreshold, which it streams into the pack:
# large snapshots go that way (the background repack may delta them later).
_STREAM_BLOBS_OVER = 16 << 20

_CHUNK = 1 << 20  # bytes (or characters) per read, hash update and write of a large snapshot or text


def _text_chunks(text: str):
    """`text` as UTF-8, a chunk at a time (a str holds no half code points,
    so the chunks join to exactly text.encode())."""
    for start in range(0, len(text), _CHUNK):
        yield text[start:start + _CHUNK].encode("utf-8")


def _text_hashes(text: str) -> tuple[int, str]:
    """(UTF-8 length, SHA-256) of `text`, without encoding it whole."""
    h, n = hashlib.sha256(), 0
    for chunk in _text_chunks(text):
        n += len(chunk)
        h.update(chunk)
    return n, h.hexdigest()


def _changed(raw: RawFile) -> ProvenanceError:
    return ProvenanceError(f"{raw.path}: changed while it was being ingested (it no longer holds the "
                           f"{raw.size:,} bytes that were read); nothing stored")


def _read_chunks(raw: RawFile):
    """The file's first `raw.size` bytes, a chunk at a time; then checks
    there is nothing more (a file that changed is refused, see `_changed`)."""
    try:
        with open(raw.path, "rb") as f:
            left = raw.size
            while left:
                chunk = f.read(min(_CHUNK, left))
                if not chunk:
                    raise _changed(raw)
                left -= len(chunk)
                yield chunk
            if f.read(1):
                raise _changed(raw)
    except OSError as exc:
        raise ProvenanceError(f"{raw.path}: cannot read ({exc.strerror}); nothing stored") from None


def _file_hashes(raw: RawFile) -> tuple[str, str]:
    """(git blob id, SHA-256) of a RawFile's bytes, streamed from its file."""
    blob, sha = hashlib.sha1(b"blob %d\0" % raw.size), hashlib.sha256()
    for chunk in _read_chunks(raw):
        blob.update(chunk)
        sha.update(chunk)
    if sha.hexdigest() != raw.sha256:
        raise _changed(raw)
    return blob.hexdigest(), sha.hexdigest()


def _write_raw(write: Callable[[bytes], Any], raw: RawFile) -> None:
    """A RawFile's bytes into fast-import's stream, in chunks, hashed again
    on the way: bytes other than those extracted and hashed are never
    stored (raising here aborts the fast-import; main does not move)."""
    sha = hashlib.sha256()
    for chunk in _read_chunks(raw):
        sha.update(chunk)
        write(chunk)
    if sha.hexdigest() != raw.sha256:
        raise _changed(raw)


def _fi_commit(ref: str, mark: int, p, committer_date: str, message: bytes, parent: str | None,
               files: list[tuple[str, bytes | str]]) -> bytes:
    """One commit of a batch (`p` is the writer's plan of it, a _Prepared:
    who, when), its files inline or by the id of a blob sent earlier."""
    ident = f"{p.name} <{p.email}>".encode("utf-8")
    out = [
        b"commit %s\n" % ref.encode(),
        b"mark :%d\n" % mark,
        b"author %s %s\n" % (ident, p.author_date.encode()),
        b"committer %s %s\n" % (ident, committer_date.encode()),
        b"data %d\n" % len(message), message, b"\n",
    ]
    if parent:
        out.append(b"from %s\n" % parent.encode())
    for path, data in files:
        if isinstance(data, str):  # the id of a blob sent earlier in the stream
            out.append(b"M 100644 %s %s\n" % (data.encode(), path.encode("utf-8")))
        else:
            out += [b"M 100644 inline %s\n" % path.encode("utf-8"), b"data %d\n" % len(data), data, b"\n"]
    out.append(b"\n")
    return b"".join(out)
