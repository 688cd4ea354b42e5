"""From files and standard input to stored versions, and from files or stored
versions to the `Side`s a comparison takes.  The CLI is a thin layer over
these functions; they are the Python API for the same jobs.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Sequence

from .errors import ProvenanceError
from .extract import extract

if TYPE_CHECKING:  # imported where used: `show` needs neither the diff nor the store's writing code
    from .diff import Side
    from .store import Incoming, IngestResult, Store, Version

_META_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")

STREAM_OVER = 1 << 20  # bytes: a larger file's snapshot is streamed from the file, not kept (store.RawFile)


def validate_doc_id(doc_id: str) -> str:
    """`doc_id` unchanged, or ProvenanceError saying what is wrong (see provenance.store)."""
    from .store import validate_doc_id as check

    return check(doc_id)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# From this size on, side_for_file hashes a file's bytes in a second thread
# while it decodes them (hashlib lets go of the GIL): 2 ms less a 4 MB file.
HASH_IN_THREAD_MIN_BYTES = 1 << 20


def _sha256_started(data: bytes) -> Callable[[], str]:
    """sha256(data), begun now (in a thread, for large data); call what is
    returned for the digest."""
    if len(data) < HASH_IN_THREAD_MIN_BYTES:
        return lambda: sha256(data)
    import threading

    digest = hashlib.sha256()
    worker = threading.Thread(target=digest.update, args=(data,), daemon=True)
    worker.start()

    def result() -> str:
        worker.join()
        return digest.hexdigest()

    return result


def parse_time(value: str) -> datetime:
    """ISO-8601 date or date-time; a time without an offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ProvenanceError(f"not an ISO-8601 date or time: {value!r} (e.g. 2024-01-28T09:30:00+01:00)") from None
        parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def parse_meta(pairs: Iterable[str]) -> dict[str, str]:
    """KEY=VALUE strings to a dict, with a clear error for malformed ones."""
    meta: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not _META_KEY.fullmatch(key):
            raise ProvenanceError(f"--meta takes KEY=VALUE with a key of letters, digits, '_', '.', '-': got {pair!r}")
        meta[key] = value
    return meta


def read_input(path: str, stdin: BinaryIO | None = None, max_bytes: int | None = None,
               size_only: bool = False) -> bytes:
    """Bytes of a file, or of standard input for "-"; more than `max_bytes`
    (default: provenance.extract.limits') is refused before the
    file is read (standard input: as soon as the limit is passed).
    `size_only`: check the file's size against the limit, read nothing."""
    from .extract.limits import max_bytes_default

    limit = max_bytes if max_bytes is not None else max_bytes_default()
    over = (f"is over the {limit:,}-byte input limit (--max-bytes or PROVENANCE_MAX_BYTES raise it); "
            f"nothing stored")
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise ProvenanceError(f"standard input {over}")
        return data
    try:
        # Unbuffered: one read of the whole file (half the time of Path.read_bytes).
        with open(path, "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise ProvenanceError(f"{path}: {size:,} bytes {over}")
            if size_only:
                return b""
            data = f.readall()
            if len(data) > limit:  # (a file that grew while read)
                raise ProvenanceError(f"{path}: more than {limit:,} bytes {over}")
            return data
    except FileNotFoundError:
        raise ProvenanceError(f"{path}: no such file") from None
    except OSError as exc:
        if isinstance(exc, IsADirectoryError) or os.path.isdir(path):
            raise ProvenanceError(f"{path}: is a directory, not a file") from None
        raise ProvenanceError(f"{path}: cannot read ({exc.strerror})") from None


def folder_files(folder: str) -> list[str]:
    """The files of a folder that `ingest --doc` takes as versions, sorted by
    name: regular files (or links to them), not hidden ones (".name"), not
    what is in subfolders."""
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise ProvenanceError(f"{folder}: cannot list the folder ({exc.strerror})") from None
    files = [os.path.join(folder, name) for name in names if not name.startswith(".")]
    return [f for f in files if os.path.isfile(f)]


def expand_paths(paths: Sequence[str]) -> list[str]:
    """FILE and DIR arguments to the files they stand for, in order (a folder: `folder_files`)."""
    out: list[str] = []
    for path in paths:
        if path != "-" and os.path.isdir(path):
            files = folder_files(path)
            if not files:
                raise ProvenanceError(f"{path}: no files to ingest in this folder (subfolders and hidden files are skipped)")
            out.extend(files)
        else:
            out.append(path)
    return out


def documents_in_folders(folders: Sequence[str]) -> list[tuple[str, str]]:
    """(document id, file) for every file under each folder, recursively, for
    `ingest --doc-from-path`: the id is the file's path inside its folder
    without the file's extension ("crawl/acme/terms.html" -> "acme/terms").

    Folders in the order given (so the same path in a later folder is a later
    version), files sorted by path; hidden files and folders (".name") are
    skipped.  Two files of one folder that would give the same id are an error.
    """
    out: list[tuple[str, str]] = []
    for folder in folders:
        if folder == "-" or not os.path.isdir(folder):
            raise ProvenanceError(f"{folder}: not a folder (--doc-from-path takes folders; use --doc ID for files)")
        found: dict[str, str] = {}

        def fail(exc: OSError) -> None:
            raise ProvenanceError(f"{exc.filename or folder}: cannot list the folder ({exc.strerror})")

        keys: dict[str, list[str]] = {}  # document id -> the file's path inside the folder, split
        for top, dirs, names in os.walk(folder, onerror=fail):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            # The path inside the folder: one relpath per folder, not per file.
            inside = [] if top == folder else os.path.relpath(top, folder).split(os.sep)
            prefix = "".join(part + "/" for part in inside)
            for name in names:
                path = os.path.join(top, name)
                if name.startswith(".") or not os.path.isfile(path):
                    continue
                doc_id = prefix + (os.path.splitext(name)[0] or name)
                try:
                    validate_doc_id(doc_id)
                except ProvenanceError as exc:
                    raise ProvenanceError(f"{path}: cannot name a document after this path: {exc}") from None
                if doc_id in found:
                    first, second = sorted([found[doc_id], path])
                    raise ProvenanceError(f"{first} and {second} would both be document {doc_id!r}; "
                                          f"rename one, or ingest them with --doc ID")
                found[doc_id] = path
                keys[doc_id] = [*inside, name]
        out.extend(sorted(found.items(), key=lambda pair: keys[pair[0]]))
    return out


def read_versions(
    files: Sequence[tuple[str, str]],
    *,
    source: str | None = None,
    captured_at: datetime | None = None,
    note: str | None = None,
    meta: dict[str, str] | None = None,
    ingested_by: str | None = None,
    encoding: str | None = None,
    format: str | None = None,
    whole_page: bool = False,
    max_bytes: int | None = None,
    timeout: float | None = None,
    stdin: BinaryIO | None = None,
    read_progress: Callable[[int], None] | None = None,
) -> list["Incoming"]:
    """Read and extract (document id, file, "-" or URL) pairs into the
    versions `Store.add` takes.  Nothing touches a store here, so bad input (a
    missing file, a damaged PDF, a failed download, a bad id) fails before
    anything is written.  `format` overrides sniffing ("pdf", "html", "docx",
    "text"); `whole_page` keeps all of an HTML page's visible text; a URL is
    fetched (`max_bytes`, `timeout`: see provenance.extract.capture) and its
    capture time is the fetch time.  `read_progress(1)` is called per input."""
    from .extract.capture import is_url
    from .store import Incoming, RawFile

    items = []
    for doc_id, path in files:
        validate_doc_id(doc_id)
        capture = None
        when = captured_at
        headers = None
        if is_url(path):
            from .extract.capture import evidence_properties, fetch

            if captured_at is not None:
                raise ProvenanceError(f"{path}: a URL's capture time is when it is fetched; "
                                      f"--captured-at is for files")
            fetched = fetch(path, max_bytes=max_bytes, **({"timeout": timeout} if timeout else {}))
            raw, when, headers = fetched.raw, fetched.fetched_at, fetched.headers
            capture = evidence_properties(fetched)
            default_source = path
        else:
            streamed = _large_pdf(path, format, max_bytes)
            if streamed is not None:  # (read by PDFium from the file, hashed in chunks)
                items.append(Incoming(document=doc_id, raw=streamed[0], extracted=streamed[1],
                                      source=source or f"file:{path}", captured_at=when, note=note,
                                      meta=dict(meta or {}), ingested_by=ingested_by))
                if read_progress:
                    read_progress(1)
                continue
            raw = read_input(path, stdin, max_bytes)
            default_source = "stdin" if path == "-" else f"file:{path}"
        extracted = extract(raw, name=path, format=format, whole_page=whole_page, encoding=encoding,
                            headers=headers)
        if capture is None and len(raw) > STREAM_OVER and path != "-" and _regular_file(path):
            # A large file's bytes stay in the file: the writer hashes them and
            # feeds them to git in chunks (checking they are still the bytes
            # extracted here), so a batch holds its texts in memory, not its
            # snapshots.  (A pipe or a device cannot be read twice: its bytes
            # are kept; so are a small file's, read once rather than three times.)
            raw = RawFile(os.path.abspath(path), len(raw), sha256(raw))
        items.append(Incoming(
            document=doc_id,
            raw=raw,
            extracted=extracted,
            source=source or default_source,
            captured_at=when,
            note=note,
            meta=dict(meta or {}),
            ingested_by=ingested_by,
            capture=capture,
        ))
        if read_progress:
            read_progress(1)
    return items


def _large_pdf(path: str, format: str | None, max_bytes: int | None):
    """(RawFile, Extracted) for a regular file over STREAM_OVER that is a PDF
    (by its first KB, as sniffing says, or --format pdf), never read whole:
    the size limit checked first, the bytes hashed in chunks, the text read
    by PDFium from the file, then the bytes hashed again (a file changed
    meanwhile is refused).  None for anything else (read as usual)."""
    from .store import RawFile

    if path == "-" or format not in (None, "pdf") or not _regular_file(path):
        return None
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size <= STREAM_OVER or (format is None and f.read(1024).find(b"%PDF-") < 0):
                return None
    except OSError:
        return None  # (read_input says why)
    read_input(path, max_bytes=max_bytes, size_only=True)
    from .extract.pdf import extract_pdf

    before = _file_sha256(path)
    extracted = extract_pdf(os.path.abspath(path), path)
    if _file_sha256(path) != before or os.path.getsize(path) != size:
        raise ProvenanceError(f"{path}: changed while it was being read; nothing stored")
    return RawFile(os.path.abspath(path), size, before), extracted


def _file_sha256(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise ProvenanceError(f"{path}: cannot read ({exc.strerror})") from None


def _regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def store_versions(store: "Store", items: Sequence["Incoming"],
                   progress: Callable[[int], None] | None = None) -> list["IngestResult"]:
    """Write read versions with ONE `Store.add` (one fast-import, one
    compare-and-swap of main), recording each one's word changes against
    the version before it: the same commits as one add per file.
    `progress(k)` is called as versions are written."""
    from .diff import word_change_counts

    return store.add(items, change_stats=word_change_counts, progress=progress)


def ingest_files(store: "Store", files: Sequence[tuple[str, str]], *,
                 progress: Callable[[int], None] | None = None, **options: Any) -> list["IngestResult"]:
    """Ingest (document id, file or "-") pairs in order: `read_versions`
    (options as there), then `store_versions`."""
    return store_versions(store, read_versions(files, **options), progress=progress)


def ingest_paths(store: "Store", doc_id: str, paths: Sequence[str], **options: Any) -> list["IngestResult"]:
    """Ingest files (or "-" for standard input) in order as successive
    versions of one document; a folder stands for its files, sorted by name
    (`folder_files`).  Options as for `ingest_files`."""
    validate_doc_id(doc_id)
    return ingest_files(store, [(doc_id, path) for path in expand_paths(paths)], **options)


def ingest_folders(store: "Store", folders: Sequence[str], **options: Any) -> list["IngestResult"]:
    """Ingest many documents at once: every file under each folder, named
    after its path (`documents_in_folders`).  Options as for `ingest_files`."""
    return ingest_files(store, documents_in_folders(folders), **options)


def side_for_file(path: str, stdin: BinaryIO | None = None, encoding: str | None = None,
                  format: str | None = None, whole_page: bool = False) -> "Side":
    """A file (or "-") as one side of a comparison: its extracted text, as
    ingest would store it (a PDF's text, an HTML page's main content)."""
    from .diff import Side

    raw = read_input(path, stdin)
    hashed = _sha256_started(raw)
    extracted = extract(raw, name=path, format=format, whole_page=whole_page, encoding=encoding)
    text = extracted.text
    content_sha256 = hashed()
    # Strictly decoded UTF-8 without a BOM encodes back to the same bytes.
    utf8 = extracted.encoding == "utf-8" and extracted.media_type.startswith("text/plain")
    return Side(
        text=text,
        label=path,
        content_sha256=content_sha256,
        text_sha256=content_sha256 if utf8 else sha256(text.encode("utf-8")),
        path=path,
    )


def side_for_version(store: "Store", version: "Version", extraction: int | None = None) -> "Side":
    """A stored version as one side of a comparison: its latest extraction
    (or extraction N); the label says which when there is more than one."""
    from .diff import Side

    latest = store.latest_extraction(version)
    n = latest if extraction is None else extraction
    text = store.text(version, n)
    label = f"{version.document}@{version.number}"
    if latest > 1:
        label += f" (extraction {n} of {latest})"
    return Side(
        text=text,
        label=label,
        document=version.document,
        version=version.number,
        content_sha256=version.content_sha256,
        text_sha256=version.text_sha256 if n == 1 else sha256(text.encode("utf-8")),
        captured_at=version.captured_at,
        source=version.source,
    )


def reextract(store: "Store", version: "Version", *, format: str | None = None, whole_page: bool = False,
              encoding: str | None = None, ingested_by: str | None = None, note: str | None = None):
    """Run today's extractor (or the one `format` names) on a stored
    version's raw bytes and record the text as its next extraction (see
    Store.reextract).  Returns (Extraction, written)."""
    raw = store.raw(version)
    name = f"{version.document}@{version.number}"
    # The capture's own Content-Type still counts (its charset), as when it was fetched.
    headers = {"content-type": version.capture["http_content_type"]} if version.capture.get("http_content_type") else None
    if format is None and not whole_page and encoding is None:
        settings = (version.extraction.get("settings") or {})
        whole_page = bool(settings.get("whole_page", False))
    extracted = extract(raw, name=name, format=format, whole_page=whole_page, encoding=encoding, headers=headers)
    return store.reextract(version, extracted, ingested_by=ingested_by, note=note)


def parse_ref(ref: str) -> tuple[str, int | str | None]:
    """"ID", "ID@N", "ID@-K" (K before the latest) or "ID@UID" (a version's
    12-hex-digit uid, the same on every machine) to (id, spec)."""
    doc_id, sep, spec = ref.rpartition("@")
    if not sep:
        return ref, None
    if re.fullmatch(r"[0-9a-f]{12}", spec):
        return doc_id, spec
    try:
        number = int(spec)
    except ValueError:
        raise ProvenanceError(f"bad version in {ref!r}: expected ID@N (N >= 1), ID@-K or ID@UID") from None
    if number == 0:
        raise ProvenanceError(f"bad version in {ref!r}: versions count from 1; ID@-1 is the one before the latest")
    return doc_id, number
