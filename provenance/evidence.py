"""Tamper evidence that trusts no cache: checkpoints, the reflog, trailers.

Owns the append-only record of what `verify` has checked: one checkpoint
per verified tip, ``refs/provenance/checkpoints/<UTC time>-<commit>``,
each an annotated tag object naming the commit and the time it was
verified (signed with the user's git signing key when asked).  Owns the
checks that need that record or the reflog: that main's history still
contains every checkpoint and every value main ever had, and that every
trailer of an ingest commit says what the version's meta.json says.
`history_contains` is the one question sync asks of what it pulls.

It must never move main, delete a checkpoint or a reflog entry, or print
advice that would erase evidence; it reads objects through git and
re-derives everything from them (the store's index and bucket caches are
never consulted).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .errors import ProvenanceError

if TYPE_CHECKING:
    from .store import Store

CHECKPOINTS = "refs/provenance/checkpoints/"
MAIN = "refs/heads/main"
ZERO = "0" * 40
_SHA_RE = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")

# Trailer -> the meta.json field it repeats (those store.verify does not
# already hold against meta.json and the stored bytes).
TRAILER_FIELDS = {
    "Source": "source", "Ingested-By": "ingested_by", "Media-Type": "media_type",
    "Encoding": "encoding", "Tool": "tool", "Extractor": "extractor", "Repeats": "repeats",
    "Words-Added": "words_added", "Words-Removed": "words_removed",
}


@dataclass(frozen=True)
class Checkpoint:
    ref: str  # refs/provenance/checkpoints/...
    commit: str  # the verified tip
    date: str  # ISO-8601 UTC, when it was verified
    signed: bool = False

    def to_dict(self) -> dict:
        return {"ref": self.ref, "commit": self.commit, "date": self.date, "signed": self.signed}


def _git(store: "Store", *args: str, input: bytes | None = None) -> subprocess.CompletedProcess:
    return store.objects.git(*args, input=input, check=False)


def history_contains(store: "Store", ancestor: str, descendant: str) -> bool:
    """True when `descendant`'s history contains commit `ancestor` (B only
    grew from A).  Raises ProvenanceError if either commit cannot be read:
    a store missing a commit it once had is damaged, not merely different."""
    if ancestor == descendant:
        return True
    proc = _git(store, "merge-base", "--is-ancestor", ancestor, descendant)
    if proc.returncode in (0, 1):
        return proc.returncode == 0
    raise ProvenanceError(f"cannot compare histories {ancestor[:12]} and {descendant[:12]} in {store.path}: "
                          f"{proc.stderr.decode('utf-8', 'replace').strip().splitlines()[-1:] or ['git failed']}"
                          " (the store may be damaged: run `provenance verify`)")


def checkpoints(store: "Store") -> list[Checkpoint]:
    """Every checkpoint, oldest first."""
    proc = _git(store, "for-each-ref", "--format=%(refname)%00%(*objectname)%00%(objectname)%00%(taggerdate:iso-strict)"
                "%00%(if)%(contents:signature)%(then)1%(else)0%(end)", CHECKPOINTS)
    out = []
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        if not line:
            continue
        ref, peeled, obj, date, sig = (line.split("\0") + [""] * 5)[:5]
        out.append(Checkpoint(ref, peeled or obj, date, sig == "1"))
    out.sort(key=lambda c: (c.date, c.ref))
    return out


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def record_checkpoint(store: "Store", tip: str, *, versions: int = 0, sign: bool = False) -> Checkpoint:
    """Record that `tip` was verified: a new tag object under CHECKPOINTS
    (never replacing one: update-ref with the zero id as the old value).
    With `sign`, the tag is signed by `git tag -s` with the user's key."""
    now = _now()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    ref = f"{CHECKPOINTS}{stamp}-{tip[:12]}"
    message = f"provenance verify: {versions} versions checked, all hashes match\n"
    if sign:
        tmp = f"provenance-checkpoint-{stamp}-{tip[:12]}-{time.monotonic_ns()}"
        proc = _git(store, "tag", "-s", "-m", message, tmp, tip)
        if proc.returncode != 0:
            raise ProvenanceError(f"cannot sign the checkpoint: {proc.stderr.decode('utf-8', 'replace').strip()}"
                                  " (set user.signingkey, and gpg.format=ssh for an SSH key)")
        obj = _git(store, "rev-parse", f"refs/tags/{tmp}").stdout.decode().strip()
        _git(store, "update-ref", "-d", f"refs/tags/{tmp}")
    else:
        ident = store.identity()
        tag = (f"object {tip}\ntype commit\ntag checkpoint-{stamp}\n"
               f"tagger {ident} {int(now.timestamp())} +0000\n\n{message}").encode()
        proc = _git(store, "mktag", input=tag)
        if proc.returncode != 0:
            raise ProvenanceError(f"cannot record a checkpoint: {proc.stderr.decode('utf-8', 'replace').strip()}")
        obj = proc.stdout.decode().strip()
    proc = _git(store, "update-ref", "--create-reflog", "-m", "provenance: checkpoint", ref, obj, ZERO)
    if proc.returncode != 0:
        raise ProvenanceError(f"cannot record a checkpoint: {proc.stderr.decode('utf-8', 'replace').strip()}")
    return Checkpoint(ref, tip, now.isoformat(), sign)


def find_checkpoint(store: "Store", spec: str) -> str:
    """A commit id from a checkpoint's commit id (full or abbreviated) or its ref name."""
    spec = spec.strip()
    for c in checkpoints(store):
        if spec in (c.ref, c.ref[len(CHECKPOINTS):]) or (len(spec) >= 7 and c.commit.startswith(spec)):
            return c.commit
    proc = _git(store, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}")
    if proc.returncode == 0 and re.fullmatch(r"[0-9a-fA-F]{7,64}", spec):
        return proc.stdout.decode().strip()
    raise ProvenanceError(f"unknown checkpoint {spec!r}: give the commit id a checkpoint printed "
                          f"(`provenance verify` prints one) or a name under {CHECKPOINTS}")


def _ingests_between(store: "Store", gone: str | list[str], tip: str | None) -> list[str]:
    """'acme/terms v3 (commit 1a2b3c4d5e6f)' for every ingest commit in the
    history of `gone` (one commit or several) and not in `tip`'s."""
    args = ["log", "--format=%H%x02%(trailers:key=Document,valueonly,separator=)%x02"
            "%(trailers:key=Version,valueonly,separator=)%x02%(trailers:key=Observation,valueonly,separator=)",
            *([gone] if isinstance(gone, str) else gone)]
    if tip is not None:
        args += ["--not", tip]
    proc = _git(store, *args)
    out = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        sha, doc, ver, obs = (line.split("\x02") + ["", "", ""])[:4]
        if doc and not obs:
            out.append(f"{doc} v{ver} (commit {sha[:12]})")
    return out


def _lost(store: "Store", gone: str | list[str], tip: str | None, what: str) -> list[str]:
    lost = _ingests_between(store, gone, tip)
    if not lost:
        return [f"{what} is no longer in main's history: main was rewritten"]
    return [f"{item}, in {what}, is no longer in main's history: deleted or rewritten" for item in lost]


def _present(store: "Store", commits: list[str]) -> set[str]:
    """Those of `commits` the store holds (one cat-file)."""
    if not commits:
        return set()
    proc = _git(store, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                input=("\n".join(commits) + "\n").encode())
    return {line.split()[0] for line in proc.stdout.decode().splitlines() if line.endswith(" commit")}


def _not_contained(store: "Store", commits: list[str], tip: str | None) -> set[str]:
    """Those of `commits` (all present) that `tip`'s history lacks: one
    rev-list for them all, merge-base only for those it finds wanting."""
    if not commits:
        return set()
    if tip is None:
        return set(commits)
    proc = _git(store, "rev-list", "--max-count=1", *commits, "--not", tip)
    if not proc.stdout.strip():
        return set()
    return {c for c in commits if not history_contains(store, c, tip)}


def check_checkpoints(store: "Store", tip: str | None) -> list[str]:
    problems = []
    cps = checkpoints(store)
    present = _present(store, [c.commit for c in cps])
    wanting = _not_contained(store, sorted(present), tip)
    for c in cps:
        what = f"checkpoint {c.ref[len(CHECKPOINTS):]} (verified {c.date})"
        if c.commit not in present:
            problems.append(f"{what}: its commit {c.commit[:12]} is missing from the store (objects deleted)")
        elif tip is None:
            problems.append(f"{what}: main is gone (the branch was deleted)")
        elif c.commit in wanting:
            problems.extend(_lost(store, c.commit, tip, what))
    return problems


def reflog_entries(store: "Store", ref: str = MAIN) -> list[tuple[str, str, str]]:
    """(old, new, date) of each logged update of `ref`, oldest first; the
    file is read directly (git reflog would hide entries it cannot parse)."""
    path = store.path / "logs" / ref
    try:
        data = path.read_bytes()
    except OSError:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        head = line.split("\t", 1)[0].split(" ")
        if len(head) >= 2 and _SHA_RE.fullmatch(head[0]) and _SHA_RE.fullmatch(head[1]):
            try:
                date = datetime.fromtimestamp(int(head[-2]), timezone.utc).isoformat()
            except (ValueError, IndexError, OverflowError):
                date = "?"
            out.append((head[0], head[1], date))
    return out


def check_reflog(store: "Store", tip: str | None) -> list[str]:
    """Main only ever moved forward: every value it had is in the current history."""
    problems = []
    entries = reflog_entries(store)
    when: dict[str, str] = {}
    for old, new, date in entries:
        for value in (old, new):
            if value != ZERO:
                when.setdefault(value, date)
    present = _present(store, list(when))
    for value in when:
        if value not in present:
            problems.append(f"main was at {value[:12]} on {when[value]} (reflog), a commit no longer in the store")
    wanting = _not_contained(store, sorted(present), tip)
    if wanting:
        for old, new, date in entries:
            if old in present and new in present and not history_contains(store, old, new):
                problems.append(f"main was moved backwards or rewritten on {date}: from {old[:12]} to {new[:12]}")
        first = min(when[v] for v in wanting)
        problems.extend(_lost(store, sorted(wanting), tip, f"main's reflog (since {first})"))
    if entries and tip is not None and entries[-1][1] != tip:
        problems.append(f"main is at {tip[:12]} but its reflog last recorded {entries[-1][1][:12]}: "
                        "main was changed without git")
    return problems


def _trailers(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            out.setdefault(key, []).append(value)
    return out


def _norm(value) -> str | None:
    return None if value is None else " ".join(str(value).split())


def _held(problems: list[str], label: str, sha: str, trailers: dict[str, list[str]], expected: dict,
          where: str) -> None:
    """Each trailer in `expected` is what the file `where` says (None: absent)."""
    for key, want in expected.items():
        got = trailers.get(key)
        want_s, got_s = _norm(want), _norm(got[0]) if got else None
        if want_s != got_s:
            problems.append(f"{label}: trailer {key} of commit {sha[:12]} is {got_s!r}, {where} says {want_s!r} (rewritten)")


def _load(raw: bytes | None) -> dict | None:
    try:
        data = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def check_trailers(store: "Store", tip: str | None) -> list[str]:
    """Every commit's trailers and message against the files it added (in
    that commit's own tree, read from the objects): an ingest's against its
    meta.json, an observation's ("seen again") against its seen/ record and
    the version's meta.json, a re-extraction's against its extraction's
    meta.json."""
    if tip is None:
        return []
    from .store.records import _extraction_trailers

    proc = _git(store, "log", "-z", "--format=%H%x02%s%x02%b%x02%(trailers:only,unfold)", tip)
    ingests, observations, extractions = [], [], []
    for record in proc.stdout.decode("utf-8", "replace").split("\0"):
        if not record.strip():
            continue
        sha, subject, body, trailer_text = (record.split("\x02") + ["", "", ""])[:4]
        trailers = _trailers(trailer_text)
        if len(trailers.get("Path", [])) != 1:
            continue  # store.verify reports ingest commits without a single Path
        path = trailers["Path"][0]
        if subject.startswith("Ingest ") and "Observation" not in trailers:
            ingests.append((sha, trailers, body, f"{path}/meta.json"))
        elif "Observation" in trailers and "/seen/" in path:
            observations.append((sha, trailers, body, path, f"{path.rsplit('/seen/', 1)[0]}/meta.json"))
        elif subject.startswith("Re-extract ") and "Extraction" in trailers:
            extractions.append((sha, trailers, body, f"{path}/meta.json"))
    files = store.objects.cat_all([f"{c[0]}:{c[3]}" for c in ingests + extractions]
                           + [f"{c[0]}:{name}" for c in observations for name in c[3:5]])
    problems: list[str] = []
    for sha, trailers, body, name in ingests:
        label = f"{trailers.get('Document', ['?'])[0]} v{trailers.get('Version', ['?'])[0]}"
        meta = _load(files.get(f"{sha}:{name}"))
        if meta is None:
            continue  # store.verify reports a missing or broken meta.json
        _held(problems, label, sha, trailers, {k: meta.get(f) for k, f in TRAILER_FIELDS.items()}, "meta.json")
        want_meta = [f"{k}={' '.join(str(v).split())}" for k, v in (meta.get("meta") or {}).items()]
        if sorted(want_meta) != sorted(m.strip() for m in trailers.get("Meta", [])):
            problems.append(f"{label}: Meta trailers of commit {sha[:12]} do not match meta.json (rewritten)")
        # The extraction's and the capture's trailers (Pages, Extractor-Setting,
        # Property, Capture): exactly what meta.json says, as the writer made them.
        want_extra = sorted(f"{k}: {v}" for k, v in _extraction_trailers(meta))
        got_extra = sorted(f"{k}: {' '.join(v.split())}" for k in ("Pages", "Extractor-Setting", "Property", "Capture")
                           for v in trailers.get(k, []))
        if want_extra != got_extra:
            problems.append(f"{label}: extraction or capture trailers of commit {sha[:12]} do not match "
                            f"meta.json (rewritten)")
        _note(problems, label, sha, body, meta.get("note"), "meta.json")
    for sha, trailers, body, path, meta_name in observations:
        seen, meta = _load(files.get(f"{sha}:{path}")), _load(files.get(f"{sha}:{meta_name}"))
        label = f"{trailers.get('Document', ['?'])[0]} v{trailers.get('Version', ['?'])[0]} (seen again)"
        if seen is None or meta is None:
            problems.append(f"{label}: commit {sha[:12]} names {path}, which it does not hold as written (rewritten)")
            continue
        _held(problems, label, sha, trailers, {
            "Document": meta.get("document"), "Version": meta.get("version"),
            "Content-SHA256": meta.get("content_sha256"), "Captured-At": seen.get("captured_at"),
            "Ingested-At": seen.get("ingested_at"), "Ingested-By": seen.get("ingested_by"),
            "Source": seen.get("source")}, "its seen record")
        _note(problems, label, sha, body, seen.get("note"), "its seen record")
    for sha, trailers, body, name in extractions:
        meta = _load(files.get(f"{sha}:{name}"))
        label = (f"{trailers.get('Document', ['?'])[0]} v{trailers.get('Version', ['?'])[0]} "
                 f"extraction {trailers.get('Extraction', ['?'])[0]}")
        if meta is None:
            continue  # store.verify reports a broken extraction
        _held(problems, label, sha, trailers, {
            "Document": meta.get("document"), "Version": meta.get("version"), "Extraction": meta.get("number"),
            "Content-SHA256": meta.get("content_sha256"), "Text-SHA256": meta.get("text_sha256"),
            "Extracted-At": meta.get("extracted_at"), "Extracted-By": meta.get("extracted_by"),
            "Tool": meta.get("tool"), "Extractor": meta.get("extractor")}, "its meta.json")
        want_extra = sorted(f"{k}: {v}" for k, v in _extraction_trailers(meta))
        got_extra = sorted(f"{k}: {' '.join(v.split())}" for k in ("Pages", "Extractor-Setting", "Property")
                           for v in trailers.get(k, []))
        if want_extra != got_extra:
            problems.append(f"{label}: extraction trailers of commit {sha[:12]} do not match its meta.json (rewritten)")
        _note(problems, label, sha, body, meta.get("note"), "its meta.json")
    return problems


def _note(problems: list[str], label: str, sha: str, body: str, note, where: str) -> None:
    if note and " ".join(str(note).split()) not in " ".join(body.split()):
        problems.append(f"{label}: the note in commit {sha[:12]}'s message does not match {where} (rewritten)")


def signature_status(store: "Store", tip: str | None, cps: list[Checkpoint], commits: bool = False) -> dict:
    """Signed checkpoints and how many check out (always: there are few);
    with `commits`, git's verdict on every commit of main (see
    signing.commit_signatures: good, bad, unknown key, unsigned...).
    "bad" lists the problems: a bad signature means a signed object was
    changed after it was signed."""
    out: dict = {"checkpoints_signed": 0, "checkpoints_good": 0, "bad": []}
    for c in cps:
        if c.signed:
            out["checkpoints_signed"] += 1
            if _git(store, "verify-tag", c.ref).returncode == 0:
                out["checkpoints_good"] += 1
            else:
                out["bad"].append(f"checkpoint {c.ref[len(CHECKPOINTS):]}: bad or unverifiable signature")
    if commits:
        from .signing import commit_signatures

        found = commit_signatures(store.objects.env, tip)
        out["commits"] = [s.to_dict() for s in found]
        counts: dict[str, int] = {}
        for s in found:
            kind = "good" if s.status.startswith("good") else "bad" if s.status.startswith("bad") else s.status
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "bad":
                out["bad"].append(f"{s.subject} (commit {s.commit[:12]}): {s.status} signature "
                                  "(the commit was changed after it was signed)")
        out["commit_counts"] = {k: counts.get(k, 0) for k in ("good", "bad", "unknown key", "unsigned")}
    return out
