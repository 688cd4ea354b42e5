"""History queries: documents, versions, resolving ID@N, a version's text and raw bytes.

The part `History(objects, index, bucket_size)`: reads through `Objects`,
asks `Index` which commit added a version.

Owns: read-only answers about what the store holds.  Never: writes, and
never trusts a cache over the objects for what it returns as evidence.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from ..errors import ProvenanceError
from .model import DocumentSummary, Extraction, Version
from .layout import _version_number, document_folder, validate_doc_id
from .index import Index
from .objects import Objects, _parse_tree_object
from .records import _later, _parse_json_many, _version_from_meta
from .numbering import UID_RE, capture_key, derive, has_duplicates, pick



class History:
    """History queries: documents, versions, resolve, text and raw bytes.

    Given the store's `Objects` (every read), its `Index` (which commit
    added a version) and the layout's bucket size; holds no state of its own.
    """

    def __init__(self, objects: Objects, index: Index, bucket_size: int):
        self.objects = objects
        self.index = index
        self.bucket_size = bucket_size
        self.path = objects.path

    def document_ids(self) -> list[str]:
        """Every document id, from two tree reads (no metadata): documents/<xx>/<quoted id>."""
        tip = self.objects.tip()
        if tip is None:
            return []
        top = self.objects.git("ls-tree", "-z", "-d", "--name-only", f"{tip}:documents", check=False)
        if top.returncode != 0:
            return []
        shards = [name for name in top.stdout.decode("utf-8", "surrogateescape").split("\0") if name]
        listing = self.objects.git("ls-tree", "-z", "-d", "--name-only", tip, "--", *(f"documents/{s}/" for s in shards),
                                     check=False)
        ids = []
        for rel in listing.stdout.decode("utf-8", "surrogateescape").split("\0"):
            parts = rel.split("/")
            if len(parts) == 3 and parts[2]:
                ids.append(urllib.parse.unquote(parts[2]))
        return sorted(ids)

    def documents(self) -> list[DocumentSummary]:
        """Every document, sorted by id (one ls-tree, one cat-file)."""
        tip = self.objects.tip()
        if tip is None:
            return []
        proc = self.objects.git("ls-tree", "-r", "-d", "-z", f"{tip}:documents", check=False)
        if proc.returncode != 0:
            return []
        docs: dict[str, dict] = {}
        for line in proc.stdout.split(b"\0"):
            if not line:
                continue
            info, _, rel = line.partition(b"\t")
            parts = rel.decode("utf-8", "surrogateescape").split("/")
            if len(parts) == 5 and parts[2] == "versions":
                n = _version_number(parts[4])
                if n is None:
                    continue
                d = docs.setdefault(f"{parts[0]}/{parts[1]}", {"count": 0, "latest": (0, ""), "seen": {}, "numbers": set()})
                d["count"] += 1
                d["merged"] = d.get("merged") or n in d["numbers"]
                d["numbers"].add(n)
                d["latest"] = max(d["latest"], (n, rel.decode("utf-8", "surrogateescape")))
            elif len(parts) == 6 and parts[2] == "versions" and parts[5] == "seen":
                d = docs.setdefault(f"{parts[0]}/{parts[1]}", {"count": 0, "latest": (0, ""), "seen": {}, "numbers": set()})
                d["seen"]["/".join(parts[:5])] = info.split()[2].decode()
        keys = [k for k, d in docs.items() if d["count"]]
        names = [f"{tip}:documents/{docs[k]['latest'][1]}/meta.json" for k in keys]
        seen_trees = {k: docs[k]["seen"].get(docs[k]["latest"][1]) for k in keys}
        names += [sha for sha in seen_trees.values() if sha]
        objects = self.objects.cat_all(names)
        latest_seen: dict[str, str] = {}
        for k, sha in seen_trees.items():
            if sha and objects.get(sha):
                entries = sorted(e[1] for e in _parse_tree_object(objects[sha]))
                if entries:
                    latest_seen[k] = f"{tip}:documents/{docs[k]['latest'][1]}/seen/{entries[-1]}"
        seen_objects = self.objects.cat_all(latest_seen.values())
        out = []
        for k in keys:
            d = docs[k]
            try:
                meta = json.loads(objects.get(f"{tip}:documents/{d['latest'][1]}/meta.json") or b"{}")
            except ValueError:
                meta = {}
            captured = str(meta.get("captured_at", ""))
            if k in latest_seen:
                try:
                    seen_at = str(json.loads(seen_objects.get(latest_seen[k]) or b"{}").get("captured_at", ""))
                except ValueError:
                    seen_at = ""
                if seen_at and (not captured or _later(seen_at, captured)):
                    captured = seen_at
            doc = urllib.parse.unquote(k.split("/", 1)[1])
            if d.get("merged"):  # concurrent versions from two stores: the derived numbering counts
                derived = self.versions(doc)
                last = max([derived[-1].captured_at, *derived[-1].seen], key=capture_key)
                out.append(DocumentSummary(doc, len(derived), last, len(derived)))
                continue
            out.append(DocumentSummary(doc, d["count"], captured, d["latest"][0]))
        out.sort(key=lambda s: s.document)
        return out

    def versions(self, doc_id: str, tip: str | None = None) -> list[Version]:
        """Every version of a document, oldest first (as of commit `tip`;
        default: main), numbered as store/numbering.py says.

        Bucket by bucket (`<bucket>/` holds 100 versions), each read with
        pipelined requests to the persistent cat-file (no process per
        document); a full bucket never changes, so what was read from it is
        kept in the local index under the bucket's tree id and read back
        with one JSON parse.  The commits come from the local index (see
        `_commits_for`).
        """
        doc = validate_doc_id(doc_id)
        tip = tip or self.objects.tip()
        folder = document_folder(doc)
        versions_tree = self.objects.tree_at(tip, f"{folder}/versions") if tip is not None else None
        buckets = sorted((int(name), name, sha) for name, (mode, sha) in (versions_tree or {}).items()
                         if name.isdigit() and mode.startswith("40"))
        rows: list[tuple[str, Any, tuple[str, ...]]] = []  # (version folder, meta, seen)
        for i, (_, name, sha) in enumerate(buckets):
            full = i < len(buckets) - 1  # only the last bucket still grows or gets seen/ files
            entries = self.index.bucket_cache_read(sha) if full else None
            if entries is None:
                entries = self.index.read_bucket(sha)
                if full:
                    self.index.bucket_cache_write(sha, entries)
            rows.extend((f"{folder}/versions/{name}/{entry[0]}", entry[1], tuple(entry[2])) for entry in entries)
        if not rows:
            raise ProvenanceError(f"unknown document: {doc}")
        commits = self.index.commits_for(tip, {path for path, _, _ in rows}, [folder])
        out = []
        for path, meta, seen in rows:
            if not isinstance(meta, dict):
                raise ProvenanceError(f"unreadable {path}/meta.json in {self.path} (run `provenance verify`)")
            out.append(_version_from_meta(meta, path, commits.get(path, ""), seen))
        return derive(out)  # (sorted; renumbered only where stores merged concurrent versions)

    def all_versions(self) -> list[Version]:
        """Every version of every document, by document id, oldest first: what
        versions() gives for each document, read in one go for a whole
        store.  One `ls-tree` of the tip, the meta.json and seen files in one
        `cat-file`, the commits from the local index: 10,000 documents took
        8.8 s document by document."""
        tip = self.objects.tip()
        if tip is None:
            return []
        proc = self.objects.git("ls-tree", "-r", "-z", f"{tip}:documents", check=False)
        if proc.returncode != 0:
            return []
        metas: dict[str, str] = {}  # version folder -> its meta.json's blob
        seen: dict[str, list[tuple[str, str]]] = {}  # version folder -> [(seen file name, blob)]
        for line in proc.stdout.split(b"\0"):
            info, _, rel = line.partition(b"\t")
            # <shard>/<document>/versions/<bucket>/<version>/meta.json, or .../<version>/seen/<file>
            parts = rel.decode("utf-8", "surrogateescape").split("/")
            if len(parts) < 6 or parts[2] != "versions" or _version_number(parts[4]) is None:
                continue
            folder = "documents/" + "/".join(parts[:5])
            if len(parts) == 6 and parts[5] == "meta.json":
                metas[folder] = info.split()[2].decode()
            elif len(parts) == 7 and parts[5] == "seen":
                seen.setdefault(folder, []).append((parts[6], info.split()[2].decode()))
        for files in seen.values():
            files.sort()
        data = self.objects.cat_all([*metas.values(), *(blob for files in seen.values() for _, blob in files)])
        folders = sorted(metas)
        commits = self.index.commits_for(tip, set(folders), ["documents"])
        out = []
        for folder, meta in zip(folders, _parse_json_many([data.get(metas[f]) for f in folders])):
            if not isinstance(meta, dict):
                raise ProvenanceError(f"unreadable {folder}/meta.json in {self.path} (run `provenance verify`)")
            observed = tuple(str(obs.get("captured_at", "")) if isinstance(obs, dict) else ""
                             for obs in _parse_json_many([data.get(blob) for _, blob in seen.get(folder, [])]))
            out.append(_version_from_meta(meta, folder, commits.get(folder, ""), observed))
        out.sort(key=lambda v: (v.document, v.number, v.path))
        derived: list[Version] = []
        start = 0
        for i in range(1, len(out) + 1):  # each document's run through numbering.derive
            if i == len(out) or out[i].document != out[start].document:
                derived.extend(derive(out[start:i]))
                start = i
        return derived

    def resolve(self, doc_id: str, spec: int | str | None = None) -> Version:
        """None: latest; N >= 1: version N; -K: K versions before the latest;
        a uid (12 hex digits): that version, whatever its number is now."""
        doc = validate_doc_id(doc_id)
        tip = self.objects.tip()
        folder = document_folder(doc)
        versions_tree = self.objects.tree_at(tip, f"{folder}/versions")
        latest = self.objects.latest_entry(versions_tree) if versions_tree is not None else None
        if latest is None:
            raise ProvenanceError(f"unknown document: {doc}")
        latest_n = latest[3]
        if isinstance(spec, str) and not UID_RE.fullmatch(spec):
            raise ProvenanceError(f"version must be a number or a uid (12 hex digits), not {spec!r}")
        if spec is not None and not isinstance(spec, str) and (isinstance(spec, bool) or not isinstance(spec, int)):
            raise ProvenanceError(f"version must be a whole number, not {spec!r}")
        if isinstance(spec, str) or self.merged_numbers(versions_tree):
            # Numbers shared by folders from two stores, or a uid: the derived
            # numbering decides (it needs every version's meta.json).
            return pick(self.versions(doc), doc, spec)
        if spec is None:
            n = latest_n
        elif spec > 0:
            n = spec
        elif spec < 0:
            n = latest_n + spec
        else:
            n = 0
        plural = "version" if latest_n == 1 else "versions"
        if n < 1 or n > latest_n:
            raise ProvenanceError(f"{doc} has {latest_n} {plural}; there is no version {spec}")
        if n == latest_n:
            path = f"{folder}/versions/{latest[0]}/{latest[1]}"
        else:
            bucket = self.objects.tree_at(tip, f"{folder}/versions/{n // self.bucket_size:03d}")
            names = [name for name in bucket if _version_number(name) == n] if bucket is not None else []
            if not names:
                raise ProvenanceError(f"{doc} version {n} is missing from the store (run `provenance verify`)")
            path = f"{folder}/versions/{n // self.bucket_size:03d}/{sorted(names)[-1]}"
        meta = self.objects.meta_at(tip, path)
        seen = tuple(c for _, c in self.objects.seen_at(tip, path))
        commit = self.index.commits_for(tip, {path}).get(path, "")
        return _version_from_meta(meta, path, commit, seen)

    def merged_numbers(self, versions_tree: dict[str, tuple[str, str]]) -> bool:
        """True when two version folders of a document share a number (stores
        that ingested it concurrently were merged): one tree read per bucket,
        in one pipelined round."""
        buckets = [sha for name, (mode, sha) in versions_tree.items() if name.isdigit() and mode.startswith("40")]
        self.objects.load_trees(buckets)
        return has_duplicates(
            n for sha in buckets for n in (_version_number(name) for name in self.objects.tree(sha)) if n is not None)

    def text(self, version: Version, extraction: int | None = None) -> str:
        """The version's text: its latest extraction (None), or extraction N
        (1: the text stored at ingest)."""
        if extraction is None:
            extraction = self.latest_extraction(version)
        if extraction == 1:
            return self.objects.version_file(version, "text.txt", "the text").decode("utf-8")
        return self.objects.version_file(version, f"extractions/{self.extraction_number(version, extraction)}/text.txt",
                          f"extraction {extraction}").decode("utf-8")

    def latest_extraction(self, version: Version) -> int:
        """The number of the version's latest extraction (1 if never re-extracted)."""
        tree = self.objects.tree_at(self.objects.tip(), f"{version.path}/extractions")
        return max((int(name) for name in tree if name.isdigit()), default=1) if tree else 1

    def extraction_number(self, version: Version, n: int) -> int:
        """`n` if the version has an extraction `n`, else a clear error."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.latest_extraction(version):
            raise ProvenanceError(f"{version.document} v{version.number} has no extraction {n} "
                                  f"(it has {self.latest_extraction(version)})")
        return n

    def extractions(self, version: Version) -> list[Extraction]:
        """Every extraction of the version's raw bytes, the first (the text
        stored at ingest) first."""
        first = Extraction(1, f"{version.path}/text.txt", version.text_sha256, version.text_chars,
                           version.extractor, version.ingested_at, version.ingested_by,
                           dict(version.extraction), None)
        tip = self.objects.tip()
        tree = self.objects.tree_at(tip, f"{version.path}/extractions")
        numbers = sorted(int(name) for name in tree if name.isdigit()) if tree else []
        metas = self.objects.cat_all(f"{tip}:{version.path}/extractions/{n}/meta.json" for n in numbers)
        out = [first]
        for n in numbers:
            raw = metas.get(f"{tip}:{version.path}/extractions/{n}/meta.json")
            try:
                m = json.loads(raw)
                out.append(Extraction(n, f"{version.path}/extractions/{n}/text.txt", m["text_sha256"],
                                      int(m["text_chars"]), m["extractor"], m["extracted_at"], m["extracted_by"],
                                      dict(m.get("extraction") or {}), m.get("note")))
            except (TypeError, ValueError, KeyError) as exc:
                raise ProvenanceError(f"{version.path}/extractions/{n}/meta.json lacks or garbles {exc} "
                                      f"(run `provenance verify`)") from None
        return out

    def raw(self, version: Version) -> bytes:
        return self.objects.version_file(version, version.snapshot, "the snapshot")
