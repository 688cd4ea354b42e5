"""Which commit added a version: a local, rebuildable index, and the bucket cache.

`provenance-index/` inside the bare repository (next to objects/, not in
any commit, never synced) maps version folders to the commits that added
them, one file per <xx> shard, so that `versions()` need not walk
history.  It is append-only and only ever caught up: `tips` lists
commits whose whole history is indexed; a reader walks main's new
commits since then (`git log main --not TIPS`, commit messages only,
reading the Path trailers of ingest commits) and appends.  Delete the
folder at any time: it is rebuilt by one walk.  `verify` cross-checks it
against the history.

The part `Index(objects, bucket_size)` reads through `Objects` only.

Owns: provenance-index/ (written here and nowhere else).  Never: is
evidence; nothing is decided from it that the objects themselves do not
say; never moves a ref.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Iterable, Sequence

from .layout import _version_number
from .objects import Objects, _parse_tree_object
from .records import _nul_tokens, _parse_json_many



class Index:
    """The local index: which commit added each version folder, and the bucket cache.

    Given the store's `Objects` (it reads commits and trees through it) and
    the layout's bucket size; owns `provenance-index/` and what it learnt
    but could not write (a read-only store).
    """

    def __init__(self, objects: Objects, bucket_size: int):
        self.objects = objects
        self.bucket_size = bucket_size
        self.dir = objects.path / "provenance-index"
        self._tip: str | None = None  # main as of the last catch-up
        self._mem: dict[str, str] = {}  # entries walked here but not written (read-only store)

    def _adding_commits(self, tip: str, pathspecs: Sequence[str], wanted: set[str]) -> dict[str, str]:
        """Map each version folder in `wanted` to the commit that added its meta.json.

        One path-limited `git log` (newest first), stopped as soon as every
        wanted folder is found, so recent versions cost little.
        """
        found: dict[str, str] = {}
        if not wanted:
            return found
        proc = subprocess.Popen(
            ["git", "log", "-z", "--name-only", "--no-renames", "--diff-filter=A", "--format=%x01%H",
             tip, "--", *pathspecs],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.objects.env,
        )
        try:
            commit = None
            for token in _nul_tokens(proc.stdout):
                if token.startswith(b"\x01"):
                    commit = token[1:].decode()
                    continue
                path = token.lstrip(b"\n").decode("utf-8", "surrogateescape")
                if commit and path.endswith("/meta.json"):
                    folder = path[: -len("/meta.json")]
                    if folder in wanted and folder not in found:
                        found[folder] = commit
                        if len(found) == len(wanted):
                            break
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()
            proc.wait()
        return found

    def tips(self) -> list[str]:
        """The most recent `tips` lines (the file's tail: it only grows)."""
        try:
            with open(self.dir / "tips", "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - 8192))
                lines = f.read().decode("ascii", "replace").split("\n")
        except OSError:
            return []
        if size > 8192:
            lines = lines[1:]  # the first may be cut
        return [line for line in lines[:-1] if re.fullmatch(r"[0-9a-f]{40}", line)]  # complete lines only

    def catch_up(self, tip: str) -> None:
        if tip == self._tip:
            return
        tips = self.tips()
        if tip in tips:
            self._tip = tip
            return
        fmt = "--format=%H%x01%s%x01%(trailers:key=Path,valueonly,separator=%x01)"
        known = tips[-16:]
        proc = self.objects.git("log", "-z", fmt, tip, *(["--not", *known] if known else []), check=False)
        if proc.returncode != 0 and known:  # a tip line we cannot use: walk everything
            proc = self.objects.git("log", "-z", fmt, tip, check=False)
        if proc.returncode != 0:
            return
        entries: dict[str, str] = {}
        for record in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
            sha, _, rest = record.strip("\n").partition("\x01")
            subject, _, paths = rest.partition("\x01")
            path = paths.split("\x01", 1)[0].strip()
            if subject.startswith("Ingest ") and path.startswith("documents/"):
                entries[path] = sha
        self.record(entries, tip)
        self._tip = tip

    def record(self, entries: dict[str, str], tip: str | None = None) -> None:
        shards: dict[str, list[str]] = {}
        for path, sha in entries.items():
            parts = path.split("/")
            if len(parts) > 2:
                shards.setdefault(parts[1], []).append(f"{sha} {path}\n")
        try:
            folder = self.dir
            folder.mkdir(exist_ok=True)
            for shard, lines in shards.items():
                with open(folder / shard, "ab") as f:  # one O_APPEND write: concurrent appenders do not interleave
                    f.write("".join(lines).encode("utf-8"))
            if tip is not None:
                with open(folder / "tips", "ab") as f:
                    f.write(f"{tip}\n".encode())
        except OSError:  # a read-only store: keep what we learnt in memory
            self._mem.update(entries)

    def shard(self, shard: str) -> dict[str, str]:
        out: dict[str, str] = {}
        try:
            data = (self.dir / shard).read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            data = ""
        for line in data.split("\n")[:-1]:
            sha, _, path = line.partition(" ")
            if len(sha) == 40 and path:
                out.setdefault(path, sha)
        return out

    def commits_for(self, tip: str, folders: set[str], pathspecs: Sequence[str] | None = None) -> dict[str, str]:
        """Version folder -> the commit that added it (index first, then a path-limited walk)."""
        if not folders:
            return {}
        self.catch_up(tip)
        found: dict[str, str] = {}
        by_shard: dict[str, list[str]] = {}
        for f in folders:
            by_shard.setdefault(f.split("/")[1], []).append(f)
        for shard, wanted in sorted(by_shard.items()):
            entries = self.shard(shard)
            found.update((f, entries[f]) for f in wanted if f in entries)
        found.update((f, self._mem[f]) for f in folders if f not in found and f in self._mem)
        missing = folders - found.keys()
        if missing:
            walked = self._adding_commits(tip, pathspecs or [f"{f}/meta.json" for f in sorted(missing)], missing)
            self.record(walked)
            found.update(walked)
        return found

    def record_add(self, old: str | None, new: str, added: dict[str, str]) -> None:
        """An add moved main from `old` to `new`, adding these version folders
        (folder -> commit): if the index covered `old`, it now covers `new`."""
        covered = old is None or old == self._tip or old in self.tips()
        self.record(added, new if covered else None)
        if covered:
            self._tip = new

    def fill_bucket_cache(self, tip: str, added: Iterable[tuple[str, int]]) -> None:
        """Buckets an add filled (a document passed the last version of one)
        go into the local bucket cache now, so that the next `versions()`
        need not read their meta.json files again.  `added`: the new
        versions' (folder, number)."""
        span: dict[str, tuple[int, int]] = {}  # document folder -> (first, last) new version number
        for path, n in added:
            folder = path.split("/versions/", 1)[0]
            first, last = span.get(folder, (n, n))
            span[folder] = (min(first, n), max(last, n))
        for folder, (first, last) in span.items():
            for bucket in range((first - 1) // self.bucket_size, last // self.bucket_size):
                entry = self.objects.entry(tip, f"{folder}/versions/{bucket:03d}")
                if entry is not None and self.bucket_cache_read(entry[1]) is None:
                    self.bucket_cache_write(entry[1], self.read_bucket(entry[1]))

    def read_bucket(self, sha: str) -> list[list]:
        """[version folder name, meta (None if unreadable), [captured_at of each seen file]] per
        version folder of a bucket tree, in three pipelined rounds: folder trees, seen trees, files."""
        folders = sorted((name, oid) for name, (mode, oid) in self.objects.tree(sha).items()
                         if mode.startswith("40") and _version_number(name) is not None)
        trees = self.objects.catfile.contents_many([oid for _, oid in folders])
        listing = []
        for name, oid in folders:
            found = trees.get(oid)
            entries = {n: (m, o) for m, n, o in _parse_tree_object(found[1])} if found else {}
            listing.append((name, entries.get("meta.json", ("", None))[1], entries.get("seen", ("", None))[1]))
        seen_trees = self.objects.catfile.contents_many([seen for _, _, seen in listing if seen])
        seen_blobs: dict[str, list[str]] = {}
        for _, _, seen in listing:
            if seen and seen_trees.get(seen):
                seen_blobs[seen] = [o for _, _, o in sorted(_parse_tree_object(seen_trees[seen][1]), key=lambda e: e[1])]
        blobs = self.objects.catfile.contents_many([meta for _, meta, _ in listing if meta]
                                           + [o for oids in seen_blobs.values() for o in oids])
        data = {oid: found[1] for oid, found in blobs.items() if found is not None}
        metas = _parse_json_many([data.get(meta) if meta else None for _, meta, _ in listing])
        out = []
        for (name, _, seen), meta in zip(listing, metas):
            observed = []
            for obs in _parse_json_many([data.get(o) for o in seen_blobs.get(seen, [])]) if seen else []:
                observed.append(str(obs.get("captured_at", "")) if isinstance(obs, dict) else "")
            out.append([name, meta, observed])
        return out

    def bucket_cache_read(self, sha: str) -> list[list] | None:
        try:
            entries = json.loads((self.dir / "buckets" / f"{sha}.json").read_bytes())
        except (OSError, ValueError):
            return None
        ok = isinstance(entries, list) and all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], str)
                                               and isinstance(e[2], list) for e in entries)
        return entries if ok else None

    def bucket_cache_write(self, sha: str, entries: list[list]) -> None:
        if any(not isinstance(meta, dict) for _, meta, _ in entries):
            return  # keep nothing that verify would complain about
        folder = self.dir / "buckets"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temp = folder / f".{sha}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
            temp.write_bytes(json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            os.replace(temp, folder / f"{sha}.json")
        except OSError:
            pass  # a read-only store: read the bucket again next time

    def rebuild(self, tip: str) -> None:
        """Replace provenance-index/ (the commit index and the bucket cache, a
        cache only) by one built afresh from the history: the new one is built
        aside and swapped in by rename, so a crash leaves one or the other."""
        import shutil

        old = self.dir.with_name(self.dir.name + f".stale-{os.getpid()}")
        if self.dir.exists():
            os.replace(self.dir, old)
        self._tip = None
        try:
            self.catch_up(tip)
        finally:
            shutil.rmtree(old, ignore_errors=True)
