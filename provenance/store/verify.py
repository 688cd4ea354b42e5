"""Verification: git fsck, the history of main (one commit per version, numbers
gapless, trailers as meta.json says) and every version's hashes.

The part `Verifier(objects, index, maintenance, bucket_size)`.

Owns: Store.verify and the problems it reports.  Never: repairs or rewrites
anything in git; it reports (a local cache that disagrees with the history
is rebuilt from it, by the index, and noted).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse

from ..errors import ProvenanceError
from .index import Index
from .maintenance import Maintenance
from .model import VerifyReport
from .objects import Objects
from .layout import _version_number, document_folder, validate_doc_id
from .records import _one_line, _parse_trailers, _ranges



class Verifier:
    """Verification: fsck, history and every version's hashes and trailers.

    Given the store's `Objects` (every read), `Index` (the caches it checks
    and rebuilds), `Maintenance` (what killed processes left, as notes) and
    the layout's bucket size; holds no state of its own.
    """

    def __init__(self, objects: Objects, index: Index, maintenance: Maintenance, bucket_size: int):
        self.objects = objects
        self.index = index
        self.maintenance = maintenance
        self.bucket_size = bucket_size
        self.path = objects.path

    def verify(self, doc_id: str | None = None) -> VerifyReport:
        """Re-check every stored version (or one document's) against meta.json,
        the commit that added it, and the history (nothing rewritten or lost);
        then `git fsck`."""
        report = VerifyReport()
        tip = self.objects.tip()
        scope = document_folder(validate_doc_id(doc_id)) if doc_id is not None else None
        if tip is not None:
            try:
                self._verify_history(tip, scope, report)
            except ProvenanceError as exc:  # a corrupt object stops git log: report it, fsck says more
                report.problems.append(f"the history cannot be read: {exc}")
        if doc_id is not None and report.versions_checked == 0 and report.commits_checked == 0:
            raise ProvenanceError(f"unknown document: {doc_id}")
        if doc_id is None:
            report.notes.extend(f"leftover {path} (a killed process's: `provenance doctor` removes it once safe)"
                                for path in self.maintenance.leftovers())
        report.fsck_ok, lines = self._fsck()
        if not report.fsck_ok:
            report.problems.extend(f"git fsck: {line}" for line in lines[:20] if line.strip())
            if not any(line.strip() for line in lines):
                report.problems.append("git fsck failed")
        return report

    def _fsck(self) -> tuple[bool, list[str]]:
        """`git fsck` through GitPython (verify is slow anyway, so its import
        time does not matter here).  Objects left over by writers that lost
        a compare-and-swap race are normal, hence --no-dangling."""
        import git

        with git.Repo(self.path) as repo:
            try:
                out = repo.git.fsck("--no-progress", "--no-dangling", env=self.objects.env)
            except git.GitCommandError as exc:
                # GitPython quotes the streams as "  stdout: '...'"; unwrap them.
                text = "\n".join(re.sub(r"^\s*std(?:out|err): '|'\s*$", "", str(part or "")) for part in (exc.stdout, exc.stderr))
                return False, [line.strip() for line in text.splitlines() if line.strip()]
        return True, out.splitlines()

    def _verify_history(self, tip: str, scope: str | list[str] | None, report: VerifyReport) -> None:
        problems = report.problems
        pathspec = [scope] if isinstance(scope, str) else list(scope or [])  # (a list: those documents' folders)
        # 1. History, oldest first: every file is added once and never changed.
        # (Merges show no diff: what they bring in was checked in the commits that added it.)
        log = self.objects.git("log", "--reverse", "-z", "--raw", "--no-abbrev", "--no-renames",
                        "--format=%x01%H%x02%P%x02%s%x02%(trailers:only,unfold)%x02", tip, "--", *pathspec).stdout
        merges = 0  # commits that joined two stores' histories (sync)
        twice: list[str] = []  # the same version folder ingested by two commits
        added: dict[str, tuple[str, str]] = {}  # path -> (blob, commit)
        ingests: dict[str, tuple[str, dict[str, list[str]]]] = {}  # version folder -> (commit, trailers)
        for record in log.split(b"\x01")[1:]:
            head, _, changes = record.rpartition(b"\x02")
            sha, parents, subject, trailer_text = head.decode("utf-8", "replace").split("\x02")[:4]
            report.commits_checked += 1
            merges += " " in parents.strip()
            short = sha[:12]
            trailers = _parse_trailers(trailer_text)
            tokens = changes.split(b"\0")
            i = 0
            while i < len(tokens):
                tok = tokens[i].lstrip(b"\n")
                if tok.startswith(b":") and i + 1 < len(tokens):
                    fields = tok[1:].decode().split()
                    path = tokens[i + 1].decode("utf-8", "surrogateescape")
                    status = fields[4][:1]
                    i += 2
                    if status == "A" and path not in added:
                        added[path] = (fields[3], sha)
                    elif status == "A" and added[path][0] == fields[3]:
                        pass  # the same bytes at the same path from a joined history: one record
                    elif status == "A":
                        problems.append(f"commit {short} added {path} again (it was stored by commit {added[path][1][:12]})")
                    elif status == "D":
                        problems.append(f"commit {short} deleted {path}: stored files must never be removed")
                    else:
                        problems.append(f"commit {short} modified {path}: stored files must never change")
                else:
                    i += 1
            if subject.startswith("Ingest ") and "Observation" not in trailers:
                paths = trailers.get("Path", [])
                if len(paths) != 1:
                    problems.append(f"commit {short} ({subject}) has no single Path trailer")
                    continue
                if paths[0] in ingests:
                    twice.append(f"commit {short} ingests {paths[0]} again (already ingested by {ingests[paths[0]][0][:12]})")
                    continue
                ingests[paths[0]] = (sha, trailers)
        if not merges:  # (two stores can make the very same record; only a merge brings both)
            problems.extend(twice)
        # 2. The current tree: what is there must be exactly what was added.
        listing = self.objects.git("ls-tree", "-r", "-z", "--full-tree", tip, "--", *pathspec).stdout
        current: dict[str, str] = {}
        for line in listing.split(b"\0"):
            if line:
                info, _, rel = line.partition(b"\t")
                current[rel.decode("utf-8", "surrogateescape")] = info.split()[2].decode()
        folders: dict[str, dict[str, str]] = {}
        for path, blob in sorted(current.items()):
            if not path.startswith("documents/"):
                problems.append(f"unexpected file outside documents/: {path}")
                continue
            origin = added.get(path)
            if origin is None:
                problems.append(f"{path} is in main but no commit in its history added it")
            elif origin[0] != blob:
                problems.append(f"{path} differs from what commit {origin[1][:12]} stored (rewritten)")
            parts = path.split("/")
            if len(parts) >= 7 and parts[3] == "versions":
                folders.setdefault("/".join(parts[:6]), {})["/".join(parts[6:])] = blob
            else:
                problems.append(f"unexpected file in the layout: {path}")
        for path, (_, commit) in sorted(added.items()):
            if path not in current:
                problems.append(f"{path} (added by commit {commit[:12]}) is missing from main (lost)")
        for folder, (commit, trailers) in sorted(ingests.items()):
            if folder not in folders:
                doc = (trailers.get("Document") or ["?"])[0]
                ver = (trailers.get("Version") or ["?"])[0]
                problems.append(f"{doc} v{ver}: version folder {folder} (ingested by commit {commit[:12]}) is missing from main")
        # The local commit index (a cache) must agree with the history.
        index: dict[str, str] = {}
        for shard in sorted({f.split("/")[1] for f in folders}):
            index.update(self.index.shard(shard))
        # A cache is no evidence: what disagrees with the history is reported
        # as a note and the cache rebuilt from the objects, never the reverse.
        stale = []
        for folder in sorted(folders):
            if folder in index and folder in ingests and index[folder] != ingests[folder][0]:
                stale.append(f"local index said {folder} was added by {index[folder][:12]}, "
                             f"the history says {ingests[folder][0][:12]}")
        # So must the bucket cache: what it holds for a bucket tree is what that tree holds.
        for cached in sorted((self.index.dir / "buckets").glob("*.json")):
            sha = cached.stem
            if not re.fullmatch(r"[0-9a-f]{40,64}", sha) or (self.objects.catfile.info(sha) or ("",))[0] != "tree":
                continue  # not one of this store's trees: never read
            entries = self.index.bucket_cache_read(sha)
            if entries is not None and entries != self.index.read_bucket(sha):
                stale.append(f"local bucket cache {cached.name} did not match bucket tree {sha[:12]}")
        if stale:
            self.index.rebuild(tip)
            report.notes.extend(f"{what}: cache rebuilt from the history" for what in stale)
        # 3. Every version folder: hashes against meta.json and the commit's trailers.
        numbers: dict[str, list[int]] = {}
        order = sorted(folders)
        names = []
        for folder in order:
            files = folders[folder]
            snap = next((f for f in files if f.startswith("snapshot.")), None)
            for f in ("meta.json", snap, "text.txt"):
                names.append(files.get(f, "0" * 40) if f else "0" * 40)
        # A partial clone (`clone --lazy`) lacks blobs it fetches when read:
        # those are listed, not fetched one by one, and not checked.
        unfetched = self.objects.missing_blobs(tip)
        names = ["0" * 40 if name in unfetched else name for name in names]
        stream = self.objects.cat(names)
        try:
            for folder in order:
                objs = [next(stream)[2] for _ in range(3)]
                report.versions_checked += 1
                problems.extend(self.check_version(folder, folders[folder], objs, ingests.get(folder), numbers,
                                                    unfetched))
        finally:
            stream.close()
        if unfetched:
            report.notes.append(f"partial clone: {len(unfetched)} blob(s) (raw snapshots) are not in this store and "
                                f"were not checked; they are fetched from the remote when read")
        for key, ns in sorted(numbers.items()):
            ns.sort()
            # Two stores that ingested a document concurrently both made its
            # next number: after a merge a number may occur twice, never a gap.
            distinct = sorted(set(ns)) if merges else ns
            if distinct != list(range(1, len(distinct) + 1)):
                problems.append(f"{urllib.parse.unquote(key.split('/')[-1])}: version numbers are not 1..{len(distinct)} without gaps: {_ranges(ns)}")

    def check_version(self, folder: str, files: dict[str, str], objs: list[bytes | None],
                       ingest: tuple[str, dict[str, list[str]]] | None,
                       numbers: dict[str, list[int]], unfetched: set[str] = frozenset()) -> list[str]:
        problems: list[str] = []
        parts = folder.split("/")
        doc_key = "/".join(parts[:3])
        label_doc = urllib.parse.unquote(parts[2])
        n = _version_number(parts[5])
        label = f"{label_doc} v{n if n is not None else parts[5]}"
        if n is None:
            return [f"{label}: malformed version folder name {folder}"]
        numbers.setdefault(doc_key, []).append(n)
        if parts[4] != f"{n // self.bucket_size:03d}":
            problems.append(f"{label}: in bucket {parts[4]}, expected {n // self.bucket_size:03d}")
        meta_bytes, raw, text_bytes = objs
        extraction_files = {}
        for f in files:
            parts_f = f.split("/")
            if len(parts_f) == 3 and parts_f[0] == "extractions" and parts_f[1].isdigit() and int(parts_f[1]) >= 2 \
                    and parts_f[2] in ("text.txt", "meta.json"):
                extraction_files.setdefault(int(parts_f[1]), {})[parts_f[2]] = files[f]
            elif f not in ("meta.json", "text.txt") and not f.startswith("snapshot.") and not (f.startswith("seen/") and f.count("/") == 1):
                problems.append(f"{label}: unexpected file {folder}/{f}")
        if extraction_files:
            problems.extend(self.check_extractions(label, folder, extraction_files))
        if meta_bytes is None:
            return problems + [f"{label}: meta.json is missing"]
        try:
            meta = json.loads(meta_bytes)
            if not isinstance(meta, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            return problems + [f"{label}: meta.json is not valid JSON ({exc})"]
        if hashlib.sha256(meta_bytes).hexdigest()[:12] != parts[5].split("-", 1)[1]:
            problems.append(f"{label}: meta.json does not match the folder's uid (rewritten?)")
        if meta.get("document") != label_doc or meta.get("version") != n:
            problems.append(f"{label}: meta.json says {meta.get('document')!r} v{meta.get('version')}, the folder says otherwise")
        if document_folder(label_doc) != doc_key:
            problems.append(f"{label}: folder {doc_key} is not where this id belongs ({document_folder(label_doc)})")
        snap = meta.get("snapshot")
        if not isinstance(snap, str) or snap not in files:
            problems.append(f"{label}: snapshot {snap!r} named in meta.json is missing")
        if raw is None and files.get(snap) in unfetched:
            content = None  # not fetched (a partial clone): reported once, as a note
        elif raw is None:
            problems.append(f"{label}: the snapshot is missing")
            content = None
        else:
            content = hashlib.sha256(raw).hexdigest()
            if content != meta.get("content_sha256"):
                problems.append(f"{label}: snapshot sha256 {content} does not match meta.json content_sha256 {meta.get('content_sha256')}")
            if len(raw) != meta.get("bytes"):
                problems.append(f"{label}: snapshot has {len(raw)} bytes, meta.json says {meta.get('bytes')}")
        if text_bytes is None and files.get("text.txt") in unfetched:
            text_sha = None
        elif text_bytes is None:
            problems.append(f"{label}: text.txt is missing")
            text_sha = None
        else:
            text_sha = hashlib.sha256(text_bytes).hexdigest()
            if text_sha != meta.get("text_sha256"):
                problems.append(f"{label}: text.txt sha256 {text_sha} does not match meta.json text_sha256 {meta.get('text_sha256')}")
            try:
                if len(text_bytes.decode("utf-8")) != meta.get("text_chars"):
                    problems.append(f"{label}: text.txt has a different length than meta.json text_chars")
            except UnicodeDecodeError:
                problems.append(f"{label}: text.txt is not valid UTF-8")
        if ingest is None:
            problems.append(f"{label}: no ingest commit in main's history added {folder}")
            return problems
        commit, trailers = ingest
        expected = {
            "Document": label_doc, "Version": str(n), "Path": folder,
            "Content-SHA256": content, "Text-SHA256": text_sha,
            "Bytes": str(len(raw)) if raw is not None else None,
            "Captured-At": meta.get("captured_at"), "Ingested-At": meta.get("ingested_at"),
        }
        for key, value in expected.items():
            got = trailers.get(key)
            if value is None:
                continue
            if not got or got[0] != _one_line(value).strip():
                problems.append(f"{label}: trailer {key} of commit {commit[:12]} is {got[0] if got else 'missing'!r}, expected {value!r}")
        return problems

    def check_extractions(self, label: str, folder: str, found: dict[int, dict[str, str]]) -> list[str]:
        """Re-extractions (extractions/N/): numbered 2.. without gaps, each
        text's hash and length as its meta.json says."""
        problems = []
        if sorted(found) != list(range(2, len(found) + 2)):
            problems.append(f"{label}: extractions are not 2..{len(found) + 1} without gaps: {sorted(found)}")
        objects = self.objects.cat_all(sha for files in found.values() for sha in files.values())
        for n, files in sorted(found.items()):
            where = f"{label} extraction {n}"
            if set(files) != {"text.txt", "meta.json"}:
                problems.append(f"{where}: needs text.txt and meta.json in {folder}/extractions/{n}")
                continue
            try:
                meta = json.loads(objects.get(files["meta.json"]) or b"")
            except ValueError:
                problems.append(f"{where}: meta.json is not valid JSON")
                continue
            text = objects.get(files["text.txt"]) or b""
            if not isinstance(meta, dict) or meta.get("number") != n:
                problems.append(f"{where}: meta.json does not say extraction {n}")
            elif hashlib.sha256(text).hexdigest() != meta.get("text_sha256"):
                problems.append(f"{where}: text.txt sha256 does not match its meta.json text_sha256 (rewritten)")
        return problems
