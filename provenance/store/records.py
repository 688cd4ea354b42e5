"""How metadata is written and read back: meta.json's exact bytes, commit messages
and trailers, git identities and dates, and Version objects from meta.json.

Owns: serialisation.  Never: decides what is stored (the writer does) or
reads objects (objects.py does); pure functions over strings and dicts.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import ProvenanceError
from .model import Version

if TYPE_CHECKING:
    from ..extract import Extracted



_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for strings (C)

_JSON_LITERALS = {True: "true", False: "false", None: "null"}


class _NotPlain(Exception):
    """A value `_json_lines` leaves to json.dumps."""


def _json_lines(obj: Any, indent: str, out: list[str]) -> None:
    """Append to `out` the text json.dumps(obj, sort_keys=True, indent=2,
    ensure_ascii=False) gives for `obj` at nesting `indent`, for the plain
    values meta.json holds (dicts with string keys, lists, strings, ints,
    finite floats, booleans, None; exact types); _NotPlain for anything else."""
    kind = type(obj)
    if kind is str:
        out.append(_encode_str(obj))
    elif obj is None or kind is bool:
        out.append(_JSON_LITERALS[obj])
    elif kind is int:
        out.append(int.__repr__(obj))
    elif kind is float and obj - obj == 0.0:  # finite (NaN and infinities: json.dumps)
        out.append(float.__repr__(obj))
    elif kind is dict or kind is list:
        if not obj:
            out.append("{}" if kind is dict else "[]")
            return
        if len(indent) > 100:
            raise _NotPlain  # deep, or circular: json.dumps says what is wrong
        inner = indent + "  "
        sep = ",\n" + inner
        if kind is dict:
            out.append("{\n" + inner)
            first = True
            for key in sorted(obj):  # (a TypeError for keys of mixed types, as json.dumps)
                if type(key) is not str:
                    raise _NotPlain
                if not first:
                    out.append(sep)
                first = False
                out.append(_encode_str(key))
                out.append(": ")
                _json_lines(obj[key], inner, out)
            out.append("\n" + indent + "}")
        else:
            out.append("[\n" + inner)
            first = True
            for value in obj:
                if not first:
                    out.append(sep)
                first = False
                _json_lines(value, inner, out)
            out.append("\n" + indent + "]")
    else:
        raise _NotPlain


def _dump_json(obj: Any) -> bytes:
    """json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) plus a
    newline, in UTF-8: the bytes of meta.json, whose sha256 names the version
    folder, so they must never change.  indent=2 sends json.dumps through its
    pure-Python encoder (12 us for a meta.json); `_json_lines` lays out the
    same text in 7 us, and leaves anything else to json.dumps."""
    out: list[str] = []
    try:
        _json_lines(obj, "", out)
        text = "".join(out)
    except _NotPlain:
        text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


def _git_blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes (SHA-1 object format)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


def _iso(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat()


def _git_date(dt: datetime) -> str:
    """`<epoch> <+hhmm>` for fast-import's raw date format."""
    dt = dt.replace(microsecond=0)
    epoch = int(dt.timestamp())
    if epoch < 0:
        raise ProvenanceError(f"time {_iso(dt)} is before 1970 and cannot be stored as a git date")
    minutes = round(dt.utcoffset().total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{epoch} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def _one_line(value: Any) -> str:
    text = str(value)
    if "\n" in text or "\r" in text:
        text = text.replace("\r", " ").replace("\n", " ")
    return text


def _parse_ident(value: str) -> tuple[str, str]:
    """Split "Name <email>" (or a bare name or email) into (name, email)."""
    text = value.strip()
    if any(ch in text for ch in "\r\n\0"):
        raise ProvenanceError(f"identity {value!r} must be a single line like 'Name <email>'")
    m = re.fullmatch(r"([^<>]*?)\s*<([^<>]*)>", text)
    if m:
        name, email = m.group(1).strip(), m.group(2).strip()
        if not email or not name and "@" not in email:
            raise ProvenanceError(f"identity {value!r} has no email address; use 'Name <email>'")
        if not name:
            name = email.split("@", 1)[0] or "unknown"
        return name, email
    if "<" in text or ">" in text:
        raise ProvenanceError(f"identity {value!r} is not of the form 'Name <email>'")
    if not text:
        raise ProvenanceError("identity is empty; use 'Name <email>'")
    if "@" in text and " " not in text:
        return text.split("@", 1)[0] or text, text
    return text, f"{_login()}@{_hostname()}"


@functools.lru_cache(maxsize=64)
def _parse_ident_cached(value: str) -> tuple[str, str]:
    """_parse_ident, once per identity of a batch (errors are not cached: they are raised again)."""
    return _parse_ident(value)


def _login() -> str:
    import getpass  # (here, like socket below: only a store with no identity set needs them)

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _hostname() -> str:
    import socket

    return socket.gethostname() or "localhost"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ProvenanceError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value < 0:
        raise ProvenanceError(f"{name} must not be negative")
    return value


def _parse_trailers(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def _first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return "unknown error"


def _later(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return a > b


def _ranges(ns: list[int]) -> str:
    shown = ", ".join(map(str, ns[:20]))
    return shown + (" ..." if len(ns) > 20 else "")


def _nul_tokens(stream) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
        if not chunk:
            break
        pending += chunk
        *tokens, pending = pending.split(b"\0")
        yield from tokens
    if pending:
        yield pending


def _parse_json_many(datas: list[bytes | None]) -> list[Any]:
    """JSON documents, parsed as one array when they all are there (one call
    into the C parser instead of one per document); None for missing or
    unreadable ones."""
    if datas and all(d is not None for d in datas):
        try:
            parsed = json.loads(b"[" + b",".join(datas) + b"]")
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and len(parsed) == len(datas):
            return parsed
    out = []
    for data in datas:
        try:
            out.append(json.loads(data) if data is not None else None)
        except ValueError:
            out.append(None)
    return out


def _message(subject: str, note: str | None, trailers: list[tuple[str, Any]]) -> bytes:
    lines = [subject, ""]
    if note:
        lines += [note, ""]
    lines += [f"{key}: {_one_line(value)}" for key, value in trailers if value is not None]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _version_from_meta(meta: dict, path: str, commit: str, seen: tuple[str, ...]) -> Version:
    # Filled in through __dict__ rather than the frozen dataclass's __init__
    # (which sets each of the 23 fields through object.__setattr__): 3x
    # faster, and listing a document with 10,000 versions builds 10,000.
    # The result is an ordinary, equal, frozen Version.
    try:
        version = object.__new__(Version)
        version.__dict__.update(
            document=meta["document"], number=int(meta["version"]), path=path, commit=commit,
            content_sha256=meta["content_sha256"], text_sha256=meta["text_sha256"],
            bytes=int(meta["bytes"]), text_chars=int(meta["text_chars"]),
            media_type=meta["media_type"], encoding=meta["encoding"], source=meta.get("source"),
            captured_at=meta["captured_at"], ingested_at=meta["ingested_at"],
            ingested_by=meta["ingested_by"], tool=meta["tool"], extractor=meta["extractor"],
            note=meta.get("note"), meta=dict(meta.get("meta") or {}), repeats=meta.get("repeats"),
            words_added=meta.get("words_added"), words_removed=meta.get("words_removed"),
            snapshot=meta["snapshot"], seen=seen, extraction=dict(meta.get("extraction") or {}),
            capture=dict(meta.get("capture") or {}),
        )
        return version
    except (KeyError, TypeError, ValueError) as exc:
        raise ProvenanceError(f"{path}/meta.json lacks or garbles {exc} (run `provenance verify`)") from None


def _extraction_record(ex: "Extracted") -> dict:
    """meta.json's "extraction": the extractor's settings, what the document
    states about itself (title, canonical URL, dates...), its page count."""
    record: dict = {}
    if ex.settings:
        record["settings"] = dict(ex.settings)
    if ex.properties:
        record["properties"] = dict(ex.properties)
    if ex.pages is not None:
        record["pages"] = ex.pages
    return record


def _trailer_value(value) -> str:
    # JSON for what is not a string, so true/false/numbers read back as such;
    # one line always (a trailer cannot hold a line break).
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return " ".join(text.split())


def _extraction_trailers(meta: dict) -> list[tuple[str, str]]:
    """One trailer per extractor setting, document property and piece of
    capture evidence, so `git log` shows how a text was obtained."""
    extraction, capture = meta.get("extraction") or {}, meta.get("capture") or {}
    out = []
    if "pages" in extraction:
        out.append(("Pages", str(extraction["pages"])))
    out += [("Extractor-Setting", f"{k}={_trailer_value(v)}") for k, v in (extraction.get("settings") or {}).items()]
    out += [("Property", f"{k}={_trailer_value(v)}") for k, v in (extraction.get("properties") or {}).items()]
    out += [("Capture", f"{k}={_trailer_value(v)}") for k, v in capture.items()]
    return out
