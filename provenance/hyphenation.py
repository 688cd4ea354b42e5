"""The hyphenation dictionary: where a word may be broken at a line end
(pyphen's copy of LibreOffice's en_US patterns), for linebreaks.BreakJudge.

Owns: loading the dictionary once per process (and letting go of it for a
process that will not ask again), and a copy of its parsed patterns in the
user's cache directory ($XDG_CACHE_HOME/provenance), so a process reads
them in a few milliseconds instead of parsing the pattern file again (some
60 ms).  Never: decides whether a break joins (BreakJudge
does), nor hyphenates by rules of its own: the patterns and the algorithm
stay pyphen's; the cache only keeps pyphen's own parse of the file.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

LANGUAGE = "en_US"

# Bumped whenever what the cache file holds changes shape.
_CACHE_FORMAT = 1

# The attributes a parsed pyphen.HyphDict has (pyphen 0.14-0.18): the cache
# is used only while that holds, else the file is parsed as pyphen does.
_HYPHDICT_FIELDS = ["cache", "maxlen", "patterns"]


def cache_dir() -> Path:
    """Where provenance keeps files it can always make again."""
    from pathlib import Path  # (pyphen needs it anyway; a diff with no line-end hyphen, neither)

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "provenance"


def _cache_file(path) -> Path:
    # marshal's format is the interpreter's own: one file per interpreter;
    # and one per dictionary file (a digest of its path), so that two
    # installs (virtual environments) do not overwrite each other's cache
    # in turn, each making every run of the other parse again.
    import zlib

    where = zlib.crc32(os.fsencode(str(path)))
    return cache_dir() / f"hyphenation-{LANGUAGE}-{sys.implementation.cache_tag}-{where:08x}.marshal"


def _stamp(pyphen, path) -> tuple | None:
    """What a cached parse must have been made from: this format, pyphen's
    version, the dictionary file's path, size and modification time.  None
    when the dictionary is not a plain file (a zipped install)."""
    try:
        st = os.stat(path)
    except (OSError, TypeError):
        return None
    return (_CACHE_FORMAT, str(getattr(pyphen, "__version__", "")), str(path), st.st_size, st.st_mtime_ns)


def _load(pyphen, stamp: tuple):
    """A pyphen.HyphDict made from the cached parse, or None if there is no
    cache file, or it is unreadable, corrupt or of another stamp."""
    try:
        data = marshal.loads(_cache_file(stamp[2]).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 3 and data[0] == stamp
            and isinstance(data[1], dict) and isinstance(data[2], int)):
        return None
    hd = pyphen.HyphDict.__new__(pyphen.HyphDict)
    hd.patterns, hd.maxlen, hd.cache = data[1], data[2], {}
    return hd


def _save(stamp: tuple, hd) -> None:
    """Keep hd's parse for the next process, written whole or not at all
    (a temporary file renamed over the old one).  Not kept if pyphen's
    parse holds anything but plain integers (nonstandard hyphenation
    data) or other attributes than those _load sets; any error is
    ignored: the cache only saves time."""
    if sorted(vars(hd)) != _HYPHDICT_FIELDS:
        return
    if not all(type(v) is int for _, values in hd.patterns.values() for v in values):
        return
    import tempfile

    try:
        blob = marshal.dumps((stamp, hd.patterns, hd.maxlen))
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".hyphenation-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(temporary, _cache_file(stamp[2]))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except (OSError, ValueError):
        pass


@functools.cache
def dictionary():
    """The pyphen.Pyphen for LANGUAGE, its patterns from the cache when it
    is there and current, else parsed by pyphen (and cached)."""
    import pyphen  # only for a line-end hyphen that the cheap evidence did not settle

    path = pyphen.LANGUAGES[pyphen.language_fallback(LANGUAGE)]
    if path not in pyphen.hdcache:
        stamp = _stamp(pyphen, path)
        hd = _load(pyphen, stamp) if stamp else None
        if hd is None:
            hd = pyphen.HyphDict(path)
            if stamp:
                _save(stamp, hd)
        pyphen.hdcache[path] = hd
    return pyphen.Pyphen(lang=LANGUAGE)


def loaded() -> bool:
    """Whether this process has the dictionary already."""
    return dictionary.cache_info().currsize > 0


def let_go() -> None:
    """Forget the dictionary (its parsed patterns are some 2 MB), for a
    process that will not ask again; the next use loads it anew."""
    if loaded():
        import pyphen

        pyphen.hdcache.pop(pyphen.LANGUAGES[pyphen.language_fallback(LANGUAGE)], None)
        dictionary.cache_clear()
    points.cache_clear()


@functools.lru_cache(maxsize=4096)
def points(word: str) -> frozenset[int]:
    """Offsets in a lower-case word where the dictionary allows a break."""
    return frozenset(dictionary().positions(word))
