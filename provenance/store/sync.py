"""Several machines, one history: remotes, fetch, merge, push and clone over
any git URL (a path, file://, ssh, https), with git's own transport and
credential helpers (docs/sync.md).

pull = fetch the remote's main onto a private incoming ref, check it (the
remote did not rewrite what it had before, nothing it brings re-records an
ingest this store holds, its layout is ours), merge it (`git merge-tree
--write-tree`: the trees of two stores are disjoint by construction, so the
merge is a union; a path both sides wrote differently is refused), verify
the merged history's hashes and trailers, then hand the new tip to the
writer, which moves main by compare-and-swap.  push = `git push --atomic` of
main, never forced; a rejected push pulls and tries again, a bounded
number of times.

The part `Sync(objects, index, history, verifier, writer, bucket_size)`, at
the top of the store's parts: it reads through `Objects`, `Index` and
`History`, checks with the `Verifier`'s own version checks, and asks the
`Writer` to move main and the remote-tracking refs.

Owns: the store's remotes (git config) and the remote conversation.
Never: moves a ref itself (the writer does; git fetch writes only a private
incoming ref), force-pushes, rewrites or drops a commit, or stores a
password (a URL with one is refused).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ProvenanceError
from ..locks import owned_name
from .layout import INCOMING, MAIN, _version_number
from .records import _first_line, _parse_trailers

if TYPE_CHECKING:
    from .history import History
    from .index import Index
    from .objects import Objects

# A rejected push pulls and tries again, this many times in all.  Each
# rejection means another machine's push got in, so N machines pushing at
# once need at most N attempts; a lock held by a concurrent push costs one too.
PUSH_ATTEMPTS = 10
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Remote:
    name: str
    url: str

    def to_dict(self) -> dict:
        return {"name": self.name, "url": self.url}


@dataclass
class SyncResult:
    """What one pull or push did."""

    remote: str
    action: str  # pull: up-to-date | fast-forward | merge | empty-remote; push: pushed | up-to-date | nothing
    before: str | None  # main before
    after: str | None  # main after
    remote_tip: str | None  # the remote's main, as fetched or as pushed
    versions_added: int = 0  # ingests that arrived in main (pull) or in the remote (push)
    attempts: int = 1
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"remote": self.remote, "action": self.action, "before": self.before, "after": self.after,
                "remote_tip": self.remote_tip, "versions_added": self.versions_added,
                "attempts": self.attempts, "notes": list(self.notes)}


def _check_url(url: str) -> str:
    url = url.strip()
    if not url:
        raise ProvenanceError("the remote URL is empty")
    if any(c in url for c in "\r\n\0"):
        raise ProvenanceError("the remote URL must be one line")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in ("http", "https", "ssh", "git", "ftp", "ftps") and parts.password is not None:
        # Never stored: git's credential helpers keep passwords, not our config.
        raise ProvenanceError(f"the URL holds a password; give it without one "
                              f"({parts.scheme}://{parts.hostname}...) and let git's credential helper supply it")
    return url


class _Evidence:
    """What provenance/evidence.py's checks read of a store: its objects and path."""

    def __init__(self, objects: "Objects"):
        self.objects = objects
        self.path = objects.path


class Sync:
    """Remotes, pull, push (sync.py): `store.sync`."""

    # (`verifier` and `writer` are the store's Verifier and Writer; this
    # module does not import theirs: the writer sits apart, and verify.py
    # asks objects.py, not this module, which blobs a partial clone lacks.)
    def __init__(self, objects: "Objects", index: "Index", history: "History", verifier, writer, bucket_size: int):
        self.objects = objects
        self.index = index
        self.history = history
        self.verifier = verifier
        self.writer = writer
        self.bucket_size = bucket_size
        self.path = objects.path
        self.evidence = _Evidence(objects)

    # -- plumbing

    def _git(self, *args: str, check: bool = False, interactive: bool = False) -> subprocess.CompletedProcess:
        env = dict(self.objects.env)
        if interactive and sys.stdin.isatty():
            env.pop("GIT_TERMINAL_PROMPT", None)  # a person is there: git may ask for a password itself
        proc = subprocess.run(["git", *args], capture_output=True, env=env, stdin=subprocess.DEVNULL
                              if not interactive else None)
        if check and proc.returncode != 0:
            raise ProvenanceError(f"git {args[0]} failed in {self.path}: {_first_line(proc.stderr)}")
        return proc

    def _rev(self, ref: str) -> str | None:
        proc = self._git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return (proc.stdout.decode().strip() or None) if proc.returncode == 0 else None

    # -- remotes

    def remotes(self) -> list[Remote]:
        proc = self._git("config", "--get-regexp", r"^remote\..*\.url$")
        out = []
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            key, _, url = line.partition(" ")
            out.append(Remote(key[len("remote."):-len(".url")], url))
        return sorted(out, key=lambda r: r.name)

    def remote(self, name: str | None) -> Remote:
        """The named remote; without a name, `origin`, else the only one."""
        remotes = self.remotes()
        if name is None:
            if not remotes:
                raise ProvenanceError("this store has no remote: add one with `provenance remote add NAME URL`")
            named = [r for r in remotes if r.name == "origin"]
            if named or len(remotes) == 1:
                return (named or remotes)[0]
            raise ProvenanceError(f"this store has {len(remotes)} remotes and none is called origin: "
                                  f"name one ({', '.join(r.name for r in remotes)})")
        for r in remotes:
            if r.name == name:
                return r
        raise ProvenanceError(f"no remote called {name!r} (see `provenance remote -v`)")

    def add_remote(self, name: str, url: str) -> Remote:
        if not _NAME_RE.fullmatch(name) or name.endswith((".lock", ".")) or ".." in name:
            raise ProvenanceError(f"bad remote name {name!r}: letters, digits, '.', '_' and '-', "
                                  "starting with a letter or digit")
        url = _local_path(_check_url(url))
        if any(r.name == name for r in self.remotes()):
            raise ProvenanceError(f"a remote called {name!r} exists already (remove it first)")
        # Only main is ever fetched, into refs/remotes/NAME/main; no tags.
        self._git("remote", "add", "--no-tags", "-t", "main", name, url, check=True)
        return Remote(name, url)

    def remove_remote(self, name: str) -> None:
        self.remote(name)
        self._git("remote", "remove", name, check=True)

    # -- fetch and pull

    def fetch(self, name: str, *, lazy: bool = False) -> tuple[str | None, str]:
        """Fetch the remote's main onto a private incoming ref: (its commit or
        None for an empty remote, the ref; the caller deletes the ref)."""
        remote = self.remote(name)
        # Named after its owner (boot, pid, start), like the writer's own
        # temporary refs: if we are killed, the next writer's maintenance or
        # `doctor` removes it at once instead of after an hour.
        temp = owned_name(f"{INCOMING}fetch-")
        # --refmap= : git would also move refs/remotes/NAME/main, which must
        # keep what the remote had before until the new tip passes its checks.
        args = ["fetch", "--no-tags", "--no-write-fetch-head", "--quiet", "--refmap="]
        promisor = self._git("config", "--get", "--type=bool", f"remote.{remote.name}.promisor").stdout.strip()
        if lazy or promisor == b"true":  # (a partial clone's own remote; others send everything)
            args.append("--filter=blob:none")
        proc = self._git(*args, remote.name, f"+{MAIN}:{temp}", interactive=True)
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace")
            if "couldn't find remote ref" in err:
                return None, temp
            raise ProvenanceError(f"cannot fetch from {remote.name} ({remote.url}): {_first_line(proc.stderr)}")
        return self._rev(temp), temp

    def _promisor(self) -> str | None:
        proc = self._git("config", "--get", "extensions.partialClone")
        return proc.stdout.decode().strip() or None

    def is_partial(self) -> bool:
        proc = self._git("config", "--get", "extensions.partialClone")
        return proc.returncode == 0 and bool(proc.stdout.strip())

    def pull(self, name: str | None = None, *, verify: bool = True) -> SyncResult:
        remote = self.remote(name)
        tracking = f"refs/remotes/{remote.name}/main"
        known = self._rev(tracking)
        fetched, temp = self.fetch(remote.name)
        try:
            before = self.objects.tip()
            if fetched is None:
                return SyncResult(remote.name, "empty-remote", before, before, None)
            self._check_not_rewritten(remote.name, known, fetched)
            if self.is_partial():  # what log, show and verify read, in one fetch rather than one per blob
                self.prefetch_metadata(self._promisor() or remote.name, fetched)
            result = self._merge(remote.name, fetched, verify)
            # Remember what the remote had: the next pull refuses a remote that drops it.
            self.writer.set_remote_ref(tracking, fetched, f"provenance: fetched {remote.name}")
            return result
        finally:
            self.writer.delete_incoming(temp)

    def _check_not_rewritten(self, name: str, known: str | None, fetched: str) -> None:
        """Refuse a remote whose main no longer holds what it held when we last
        saw it (a forced push there), naming the first commit that differs."""
        from ..evidence import history_contains

        if known is None or self._object_type(known) != "commit":
            return
        if history_contains(self.evidence, known, fetched):
            return
        gone = self._git("rev-list", "--reverse", "--topo-order", known, "--not", fetched).stdout.decode().split()
        first = gone[0] if gone else known
        subject = self._git("log", "-1", "--format=%s", first).stdout.decode("utf-8", "replace").strip()
        raise ProvenanceError(f"{name} rewrote its history: commit {first[:12]} ({subject}), which it had before, "
                              f"is no longer in its main; refusing to pull (nothing here was changed)")

    def _object_type(self, sha: str) -> str:
        return self._git("cat-file", "-t", sha).stdout.decode().strip()

    def _arriving(self, fetched: str, local: str | None) -> list[tuple[str, str, dict[str, list[str]]]]:
        """(commit, subject, trailers) of each commit in `fetched`'s history
        and not in `local`'s, oldest first."""
        args = ["log", "--reverse", "--topo-order", "-z", "--format=%H%x02%s%x02%(trailers:only,unfold)", fetched]
        if local is not None:
            args += ["--not", local]
        out = []
        for record in self._git(*args, check=True).stdout.decode("utf-8", "replace").split("\0"):
            if record.strip():
                sha, subject, trailers = (record.strip("\n").split("\x02") + ["", ""])[:3]
                out.append((sha, subject, _parse_trailers(trailers)))
        return out

    def _check_arriving(self, name: str, arriving, local: str | None) -> int:
        """Refuse what would re-record this store's own history: an arriving
        ingest of a version folder we hold (added here by another commit), or
        an arriving commit that records one of our ingests again, altered
        (same document, version, ingest time and ingester, another commit);
        and folders bucketed by another layout.  Returns the number of
        arriving ingests."""
        ingests = [(sha, subject, t) for sha, subject, t in arriving
                   if subject.startswith("Ingest ") and "Observation" not in t and len(t.get("Path", [])) == 1]
        for sha, subject, t in ingests:
            parts = t["Path"][0].split("/")
            n = _version_number(parts[-1]) if len(parts) == 6 else None
            if n is not None and parts[4] != f"{n // self.bucket_size:03d}":
                raise ProvenanceError(f"{name} stores versions in buckets of another size than this store "
                                      f"(commit {sha[:12]}: {t['Path'][0]}); stores of different layouts cannot sync")
        if local is None or not ingests:
            return len(ingests)
        here = set(self._git("ls-tree", "-r", "-d", "-z", "--name-only", local, "--", "documents")
                   .stdout.decode("utf-8", "surrogateescape").split("\0"))
        ours = self.index.commits_for(local, {t["Path"][0] for _, _, t in ingests} & here)
        mine = self._ingest_keys(local, {t.get("Document", [""])[0] for _, _, t in ingests})
        for sha, subject, t in ingests:
            path = t["Path"][0]
            key = _ingest_key(t)
            # The very same record made in two stores (same bytes, capture,
            # ingester and second: same folder, same trailers) is no rewrite.
            same = key in mine and mine[key][1:] == (subject, t)
            if path in ours and ours[path] != sha and not same:
                raise ProvenanceError(f"{name} rewrites this store's history: its commit {sha[:12]} ({subject}) "
                                      f"adds {path}, which commit {ours[path][:12]} added here; refusing to pull")
            if key in mine and mine[key][0] != sha and not same:
                raise ProvenanceError(f"{name} rewrites this store's history: its commit {sha[:12]} ({subject}) "
                                      f"re-records the ingest of commit {mine[key][0][:12]} with other contents; "
                                      f"refusing to pull")
        return len(ingests)

    def _ingest_keys(self, local: str, docs: set[str]) -> dict[tuple, tuple[str, str, dict]]:
        """(document, version, ingest time, ingester, capture time) -> (commit,
        subject, trailers) of this store's ingests of `docs`."""
        fmt = "--format=%H%x02%s%x02%(trailers:only,unfold)"
        out: dict[tuple, tuple[str, str, dict]] = {}
        for record in self._git("log", "-z", fmt, local, check=True).stdout.decode("utf-8", "replace").split("\0"):
            if not record.strip():
                continue
            sha, subject, text = (record.strip("\n").split("\x02") + ["", ""])[:3]
            if not subject.startswith("Ingest "):
                continue
            t = _parse_trailers(text)
            if "Observation" not in t and t.get("Document", [""])[0] in docs:
                out[_ingest_key(t)] = (sha, subject, t)
        return out

    def _merge(self, name: str, fetched: str, verify: bool) -> SyncResult:
        """Join `fetched` into main: fast-forward, or a merge commit; the
        writer moves main (compare-and-swap), and a lost race merges again."""
        from ..evidence import history_contains

        for attempt in range(1, self.writer.max_attempts + 1):
            local = self.objects.tip()
            if local is not None and history_contains(self.evidence, fetched, local):
                return SyncResult(name, "up-to-date", local, local, fetched, 0, attempt)
            arriving = self._arriving(fetched, local)
            added = self._check_arriving(name, arriving, local)
            if local is None or history_contains(self.evidence, local, fetched):
                action, new = "fast-forward", fetched
            else:
                action, new = "merge", self._merge_commit(name, local, fetched, added)
            notes: list[str] = []
            if verify:
                notes = self._verify_arrived(local, new, fetched, arriving)
            if self.writer.advance(new, local, f"provenance: pull {name} ({action})"):
                return SyncResult(name, action, local, new, fetched, added, attempt, notes)
            time.sleep(random.uniform(0, min(0.5, 0.002 * 2 ** min(attempt, 8))))
        raise ProvenanceError(f"store {self.path} is too busy: other writers kept moving main; try again")

    def _merge_commit(self, name: str, local: str, fetched: str, added: int) -> str:
        proc = self._git("merge-tree", "--write-tree", "--name-only", "--no-messages",
                         "--allow-unrelated-histories", local, fetched)
        lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
        if proc.returncode == 1:
            conflicted = [line for line in lines[1:] if line.strip()]
            raise ProvenanceError(f"{name} and this store both wrote {conflicted[0] if conflicted else 'a file'} "
                                  f"with different contents; refusing to merge (nothing here was changed)")
        if proc.returncode != 0:
            raise ProvenanceError(f"cannot merge {name}'s history: {_first_line(proc.stderr)}")
        tree = lines[0].strip()
        ident = self.writer.identity()
        m = re.fullmatch(r"(.*?)\s*<(.*)>", ident)
        env = dict(self.objects.env)
        env.update(GIT_AUTHOR_NAME=m.group(1), GIT_AUTHOR_EMAIL=m.group(2),
                   GIT_COMMITTER_NAME=m.group(1), GIT_COMMITTER_EMAIL=m.group(2))
        message = (f"Merge {name}/main: {added} version{'s' if added != 1 else ''} arrived\n\n"
                   f"Merged: {fetched}\nRemote: {name}\n")
        # A signing store signs its merges too (the writer's setting and key,
        # checked before anything is written): every commit of ours is signed.
        sign = ["-S"] if self.writer.signs() else []
        proc = subprocess.run(["git", "commit-tree", *sign, tree, "-p", local, "-p", fetched],
                              input=message.encode("utf-8"), capture_output=True, env=env)
        if proc.returncode != 0:
            what = "sign the merge with your git signing key" if sign else "record the merge"
            raise ProvenanceError(f"cannot {what} in {self.path}: {_first_line(proc.stderr)}")
        return proc.stdout.decode().strip()

    def _verify_arrived(self, local: str | None, new: str, fetched: str, arriving) -> list[str]:
        """Check everything that arrives before main moves to `new`: what
        `new` holds beyond `local` is exactly what the arriving commits
        added (nothing of ours changed or removed, nothing slipped in by a
        merge), the arriving commits only add files, every arriving version
        folder's hashes match its meta.json and its ingest commit's trailers
        (verify's own checks), and every arriving trailer matches meta.json.
        What was here was verified when it came.  Blobs a partial clone does
        not hold are listed (notes), not fetched.  Raises on a mismatch."""
        from ..evidence import check_trailers

        problems: list[str] = []
        added: dict[str, str] = {}
        if local is None:
            listing = self._git("ls-tree", "-r", "-z", "--full-tree", new, check=True).stdout
            for line in filter(None, listing.split(b"\0")):
                info, _, path = line.partition(b"\t")
                added[path.decode("utf-8", "surrogateescape")] = info.split()[2].decode()
        else:
            changes = self._git("diff-tree", "-r", "-z", "--no-renames", local, new, check=True).stdout.split(b"\0")
            for head, path in zip(changes[0::2], changes[1::2]):
                fields = head.decode().lstrip(":").split()
                name = path.decode("utf-8", "surrogateescape")
                if len(fields) == 5 and fields[4] == "A":
                    added[name] = fields[3]
                elif len(fields) == 5:
                    problems.append(f"the merged history would {'delete' if fields[4] == 'D' else 'change'} {name}, "
                                    f"which this store holds")
        brought: dict[str, str] = {}
        log = self._git("log", "-z", "--raw", "--no-renames", "--no-abbrev", "--format=%x01%H", fetched,
                        *(["--not", local] if local else []), check=True).stdout
        commit = ""
        tokens = log.split(b"\0")
        i = 0
        while i < len(tokens):
            tok = tokens[i].lstrip(b"\n")
            if tok.startswith(b"\x01"):
                commit = tok[1:].decode().strip()
                i += 1
                continue
            if tok.startswith(b":") and i + 1 < len(tokens):
                fields = tok[1:].decode().split()
                name = tokens[i + 1].decode("utf-8", "surrogateescape")
                if fields[4][:1] == "A":
                    brought.setdefault(name, fields[3])
                else:
                    problems.append(f"commit {commit[:12]} {'deletes' if fields[4][:1] == 'D' else 'changes'} {name}: "
                                    f"stored files must never change")
                i += 2
                continue
            i += 1
        folders: dict[str, dict[str, str]] = {}
        for name, blob in sorted(added.items()):
            if brought.get(name) != blob:
                problems.append(f"{name} appears in the merged history but no arriving commit added it")
            parts = name.split("/")
            if len(parts) < 7 or parts[0] != "documents" or parts[3] != "versions":
                problems.append(f"unexpected file in the layout: {name}")
                continue
            folders.setdefault("/".join(parts[:6]), {})["/".join(parts[6:])] = blob
        ingests = {t["Path"][0]: (sha, t) for sha, subject, t in arriving
                   if subject.startswith("Ingest ") and "Observation" not in t and len(t.get("Path", [])) == 1}
        unfetched = self.missing_blobs(new)
        new_folders = sorted(f for f, files in folders.items() if "meta.json" in files)
        names = []
        for folder in new_folders:
            files = folders[folder]
            snap = next((f for f in files if f.startswith("snapshot.")), None)
            names += [files.get(f, "0" * 40) if f else "0" * 40 for f in ("meta.json", snap, "text.txt")]
        names = ["0" * 40 if n in unfetched else n for n in names]
        stream = self.objects.cat(names)
        try:
            for folder in new_folders:
                objs = [next(stream)[2] for _ in range(3)]
                problems.extend(self.verifier.check_version(folder, folders[folder], objs, ingests.get(folder), {},
                                                     unfetched))
        finally:
            stream.close()
        for folder, files in sorted(folders.items()):
            if "meta.json" in files:
                continue  # (a new version: checked above)
            for rel in files:  # an existing version gets observations and extractions, nothing else
                if not (re.fullmatch(r"seen/[^/]+\.json", rel) or re.fullmatch(r"extractions/\d+/(text\.txt|meta\.json)", rel)):
                    problems.append(f"an arriving commit adds {folder}/{rel} to a version this store holds")
            extraction_files: dict[int, dict[str, str]] = {}
            listing = self._git("ls-tree", "-r", "-z", f"{new}:{folder}/extractions", check=False).stdout
            for line in filter(None, listing.split(b"\0")):
                info, _, rel = line.partition(b"\t")
                k, _, fname = rel.decode("utf-8", "surrogateescape").partition("/")
                if k.isdigit():
                    extraction_files.setdefault(int(k), {})[fname] = info.split()[2].decode()
            if extraction_files:
                problems.extend(self.verifier.check_extractions(folder, folder, extraction_files))
        problems += check_trailers(self.evidence, f"{local}..{fetched}" if local else fetched)
        if problems:
            raise ProvenanceError(f"what the remote sent does not verify, nothing was changed here: {problems[0]}"
                                  + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
        if unfetched:
            return [f"partial clone: {len(unfetched)} blob(s) (raw snapshots) are not here and were not checked"]
        return []

    # -- push

    def push(self, name: str | None = None) -> SyncResult:
        """Push main (atomic, never forced).  Rejected because the remote
        moved on: pull (fetch, merge) and push again, up to PUSH_ATTEMPTS."""
        remote = self.remote(name)
        tracking = f"refs/remotes/{remote.name}/main"
        first = self.objects.tip()
        if first is None:
            return SyncResult(remote.name, "nothing", None, None, self._rev(tracking), 0, 0)
        last_error = ""
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            local = self.objects.tip()
            before = self._rev(tracking)  # (git updates it when the push succeeds)
            proc = self._git("push", "--atomic", "--porcelain", "--no-verify", remote.name,
                             f"{local}:{MAIN}", interactive=True)
            out = proc.stdout.decode("utf-8", "replace")
            status = next((line for line in out.splitlines() if line[:1] in "=*!+-" and "\t" in line), "")
            if proc.returncode == 0 and status[:1] in ("=", "*", " ", ""):
                self.writer.set_remote_ref(tracking, local, f"provenance: pushed to {remote.name}")
                from ..evidence import _ingests_between

                added = len(_ingests_between(self.evidence, local, before))
                action = "up-to-date" if status.startswith("=") else "pushed"
                return SyncResult(remote.name, action, first, local, local, added if action == "pushed" else 0, attempt)
            err = proc.stderr.decode("utf-8", "replace")
            last_error = status.split("\t")[-1] if status else _first_line(proc.stderr)
            if "fetch first" in out or "non-fast-forward" in out or "non-fast-forward" in err or "fetch first" in err:
                self.pull(remote.name)  # the remote moved on: join its history, then push the union
                time.sleep(random.uniform(0, 0.05 * attempt))  # (jitter: pushers that lost together spread out)
            elif "lock" in err or "lock" in out:  # another push holds the remote's ref lock
                time.sleep(random.uniform(0.05, 0.3) * attempt)
            else:
                raise ProvenanceError(f"cannot push to {remote.name} ({remote.url}): {last_error}")
        raise ProvenanceError(f"cannot push to {remote.name}: the remote kept moving ({PUSH_ATTEMPTS} attempts; "
                              f"last: {last_error}); run `provenance sync` again")

    def sync(self, name: str | None = None) -> tuple[SyncResult, SyncResult]:
        return self.pull(name), self.push(name)

    # -- partial clones

    def missing_blobs(self, tip: str | None = None) -> set[str]:
        return self.objects.missing_blobs(tip or self.objects.tip())

    def prefetch_metadata(self, name: str, tip: str) -> int:
        """On a partial clone, fetch every meta.json, seen file and text in one
        go (what log, show and reports read), leaving the raw snapshots to
        be fetched when asked for."""
        missing = self.missing_blobs(tip)
        if not missing:
            return 0
        proc = self._git("ls-tree", "-r", "-z", tip, "--", "documents")
        wanted = []
        for line in proc.stdout.split(b"\0"):
            info, _, path = line.partition(b"\t")
            fields = info.split()
            if len(fields) == 3 and fields[2].decode() in missing and not path.rsplit(b"/", 1)[-1].startswith(b"snapshot."):
                wanted.append(fields[2].decode())
        for i in range(0, len(wanted), 2000):
            self._git("-c", "fetch.negotiationAlgorithm=noop", "fetch", "--no-tags", "--no-write-fetch-head",
                      "--quiet", "--filter=blob:none", name, *wanted[i:i + 2000], check=True, interactive=True)
        return len(wanted)


    def start_from(self, url: str, *, lazy: bool = False, name: str = "origin") -> SyncResult:
        """Fill this new, empty store from a remote (what `Store.clone` does
        after init).  `lazy`: a partial clone (`--filter=blob:none`) that
        fetches metadata and texts now and each raw snapshot when read."""
        if self.objects.tip() is not None:
            raise ProvenanceError(f"{self.path} is not empty: pull into it instead")
        self.add_remote(name, url)
        if lazy:
            for key, value in (("core.repositoryformatversion", "1"), ("extensions.partialClone", name),
                               (f"remote.{name}.promisor", "true"), (f"remote.{name}.partialclonefilter", "blob:none")):
                self._git("config", key, value, check=True)
        result = self.pull(name)
        if lazy:
            result.notes.append("partial clone: metadata and texts fetched; each raw snapshot is fetched when read")
            if result.after and not self.missing_blobs(result.after):
                result.notes.append("the remote does not filter (uploadpack.allowFilter): everything was fetched")
        return result


def check_url(url: str) -> str:
    """The URL to record for a remote: one line, no password, a local
    relative path made absolute."""
    return _local_path(_check_url(url))


def _local_path(url: str) -> str:
    """A relative path to a repository on this machine, made absolute: git
    would resolve it against wherever the next command runs."""
    if "://" not in url and not re.match(r"^[^/]+:", url) and os.path.exists(url):
        return os.path.abspath(url)
    return url


def _ingest_key(t: dict[str, list[str]]) -> tuple:
    return tuple((t.get(k) or [""])[0] for k in ("Document", "Version", "Ingested-At", "Ingested-By", "Captured-At"))
