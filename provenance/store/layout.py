"""The on-disk layout: store-wide constants, the layout version and its bucket size,
refs, and where a document's versions live (document_folder, version_folder,
snapshot_name); validating document ids.

Owns: names and paths.  Never: runs git or touches the disk; every other
module asks here where things are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.parse

from .. import __version__
from ..errors import ProvenanceError



TOOL = f"provenance {__version__}"

LAYOUT = "2"  # value of the `provenance.layout` config key that marks our stores

# Versions per bucket folder, by layout.  Layout 1 (provenance 0.1) used
# 1,000; git fast-import rewrites the bucket's tree with every commit, and a
# 1,000-entry tree made that 60% of its work (1,000 versions: 0.5 vs 0.2 s).
BUCKET_SIZES = {"1": 1000, "2": 100}

MAIN = "refs/heads/main"

INCOMING = "refs/provenance/incoming/"

ZERO_SHA = "0" * 40

MAX_DOC_ID = 200

# Config of a new store (see store/README.md for why).
STORE_CONFIG = (
    # committed = objects in git 2.39; refs too, or a crash could roll main back.
    ("core.fsync", "committed,reference"),
    ("core.logAllRefUpdates", "true"),
    ("receive.denyNonFastForwards", "true"),
    ("receive.denyDeletes", "true"),
    # The reflog is part of the audit trail: keep it.
    ("gc.reflogExpire", "never"),
    ("gc.reflogExpireUnreachable", "never"),
    ("provenance.layout", LAYOUT),  # written last: marks a complete store
)

# Entries a directory may already hold for `init` to turn it into a store
# (the project ships store/README.md in the default location).
_INIT_ALLOWED = {"README.md", "README", ".gitignore", ".gitkeep"}

_SNAPSHOT_EXT = {"text/plain": "txt", "text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx"}

_VERSION_DIR_RE = re.compile(r"^(\d{6,})-([0-9a-f]{12})$")


def validate_doc_id(doc_id: str) -> str:
    """Return `doc_id` unchanged, or raise ProvenanceError saying what is wrong."""
    if not isinstance(doc_id, str):
        raise ProvenanceError(f"document id must be a string, not {type(doc_id).__name__}")
    if not doc_id:
        raise ProvenanceError("document id is empty")
    shown = repr(doc_id) if len(doc_id) <= 60 else repr(doc_id[:57] + "...")
    if len(doc_id) > MAX_DOC_ID:
        raise ProvenanceError(f"document id {shown} is too long ({len(doc_id)} characters, at most {MAX_DOC_ID})")
    if not doc_id.isprintable():  # printable characters (str.isprintable) are none of Cc, Cf, Cs, Zl, Zp
        for i, ch in enumerate(doc_id):
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
                raise ProvenanceError(f"document id {shown} contains a control or invisible character (U+{ord(ch):04X} at position {i + 1})")
    if "@" in doc_id:
        raise ProvenanceError(f"document id {shown} contains '@', which is reserved for ID@VERSION")
    if "\\" in doc_id:
        raise ProvenanceError(f"document id {shown} contains a backslash; use '/' to group documents")
    if doc_id[0].isspace() or doc_id[-1].isspace():
        raise ProvenanceError(f"document id {shown} starts or ends with whitespace")
    if doc_id.startswith("/") or doc_id.endswith("/"):
        raise ProvenanceError(f"document id {shown} starts or ends with '/'")
    for segment in doc_id.split("/"):
        if segment == "":
            raise ProvenanceError(f"document id {shown} contains an empty segment ('//')")
        if segment in (".", ".."):
            raise ProvenanceError(f"document id {shown} contains a '{segment}' segment")
    return doc_id


def document_folder(doc_id: str) -> str:
    """documents/<xx>/<quoted-id>: sharded by the first byte of sha256(id)."""
    prefix = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:2]
    return f"documents/{prefix}/{urllib.parse.quote(doc_id, safe='')}"


def version_folder(doc_id: str, number: int, uid: str, bucket_size: int = BUCKET_SIZES[LAYOUT],
                   doc_folder: str | None = None) -> str:
    """The folder of version `number` (`doc_folder`: document_folder(doc_id), when known)."""
    return f"{doc_folder or document_folder(doc_id)}/versions/{number // bucket_size:03d}/{number:06d}-{uid}"


def snapshot_name(media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    return f"snapshot.{_SNAPSHOT_EXT.get(base, 'bin')}"


def _version_number(folder_name: str) -> int | None:
    m = _VERSION_DIR_RE.match(folder_name)
    return int(m.group(1)) if m else None
