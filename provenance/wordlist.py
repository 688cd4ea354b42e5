"""An English word list: the third source of evidence, after the texts
themselves and the hyphenation dictionary, for telling a word broken at a
line end ("INCI-" / "DENTAL") from a compound broken at its own hyphen
("de-" / "facto", "three-" / "dimensional").

Owns: whether a lower-case word is in pyspellchecker's English frequency
list (MIT; some 160,000 words and their inflections, from subtitles).  The
list ships as a gzipped JSON object, one `"word": count` per line in sorted
order; it is decompressed once (some 10 ms) and looked up by bisection over
the lines, never parsed whole (0.4 s).  The decompressed list is kept in
the user's cache directory (beside the hyphenation dictionary's parse) and
mapped, so a look-up reads only the pages its bisection touches: held
whole, it was 2.8 MB of a process's memory from the first break on.
Never: decides a break itself (linebreaks.BreakJudge does), and is never
read unless a break gets that far.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import os


@functools.cache
def _raw():
    """The list's bytes: its decompressed copy in the cache directory,
    mapped read-only (an mmap, which slices and finds as bytes do), or the
    list read whole where that copy cannot be made."""
    import spellchecker  # imported only when a break reaches the word list

    path = os.path.join(os.path.dirname(spellchecker.__file__), "resources", "en.json.gz")
    try:
        return _mapped(path)
    except (OSError, ValueError):
        with gzip.open(path) as f:
            return f.read()


def _mapped(path: str):
    """The decompressed copy of the gzipped list at `path`, mapped; made
    first if there is none for this file (its path, size and modification
    time name the copy), written whole or not at all."""
    import mmap
    import zlib

    from .hyphenation import cache_dir

    st = os.stat(path)
    where = f"{zlib.crc32(os.fsencode(path)):08x}"
    copy = cache_dir() / f"wordlist-{where}-{st.st_size}-{st.st_mtime_ns}.json"
    if not copy.exists():
        import tempfile

        with gzip.open(path) as f:
            data = f.read()
        copy.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=copy.parent, prefix=".wordlist-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, copy)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        del data
        # Copies of this path's list as it was before (an upgrade or a
        # reinstall of pyspellchecker): 2.8 MB each that nothing reads again.
        # (A process that has one mapped keeps its pages.)
        for stale in copy.parent.glob(f"wordlist-{where}-*.json"):
            if stale != copy:
                with contextlib.suppress(OSError):
                    stale.unlink()
    with open(copy, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # (an empty file: ValueError)


def _word_at(raw: bytes, at: int) -> tuple[bytes, int, int]:
    """The word of the line holding offset `at`, with its line's start and end."""
    start = raw.rfind(b"\n", 0, at) + 1
    end = raw.find(b"\n", at)
    end = len(raw) if end < 0 else end
    line = raw[start:end]
    return line[1:line.find(b'"', 1)] if line.startswith(b'"') else b"", start, end


def let_go() -> None:
    """Forget the list (2.8 MB once read), for a process that will not ask
    again; the next use reads it anew."""
    _raw.cache_clear()
    is_word.cache_clear()


@functools.lru_cache(maxsize=4096)
def is_word(lower: str) -> bool:
    """Whether `lower` (a lower-case word) is in the list."""
    if not lower:
        return False
    raw = _raw()
    want = lower.encode("utf-8")
    lo, hi = 0, len(raw)  # the answer's line starts in [lo, hi)
    while lo < hi:
        word, start, end = _word_at(raw, (lo + hi) // 2)
        if word == want:
            return True
        if not word:  # the "{" or "}" line
            if start == 0:
                lo = end + 1
            else:
                hi = start
        elif word < want:
            lo = end + 1
        else:
            hi = start
    return False
