"""Stress the store's evidence (issue #13) through the command line.

    python benchmarks/stress.py                    # 8 writers x 50, 200 kills, tamper, hostile
    python benchmarks/stress.py --quick            # 4 x 10, 20 kills
    python benchmarks/stress.py --only writers,kills,tamper,hostile --writers 8 --ingests 50 --kills 200

Suites, each driving the installed `provenance` through fresh processes:

- writers: N concurrent writers x M ingests each, half on one shared
  document, half on a document of their own; counts versions lost
  (acknowledged by an exit 0, missing from `provenance log`) and failures.
- kills: K trials, each a SIGKILL (of the whole process group: provenance
  and its git children, fast-import included, as a power cut would) at a random moment of an
  ingest of a batch, or of maintenance; then `provenance verify` and a fresh
  ingest, which must succeed at once (a "blocked" ingest is one that fails
  or takes over BLOCKED_SECONDS).  A blocked store is unblocked by hand
  (leftover locks removed) so that the next trial starts clean; that is
  counted, never hidden.
- tamper: a verified store, rewritten in each way the issue lists (a blob,
  a trailer, a consistent rewrite, the last version deleted, a reset with
  the cache removed, and so on), and more (meta.json changed in place, a
  stored object deleted, every checkpoint and the reflog erased with only
  an exported checkpoint id left, a signed commit rewritten with its
  signature kept, checked by `verify --signatures`); `provenance verify`
  must exit 1.
- hostile: 50+ hostile inputs (document ids, files, options, references,
  stores); each must give a one-line error, exit status 2, no traceback, and
  leave the store as it was.

Everything runs in benchmarks/.data/stress/ (git-ignored), rebuilt each run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "stress"
CORPUS = HERE / "corpus"
USER = "Stress Test <stress@example.org>"
BLOCKED_SECONDS = 10.0

_bin = Path(sys.executable).parent / "provenance"
PROVENANCE = [str(_bin)] if _bin.exists() else [shutil.which("provenance") or "provenance"]


SIGNING: dict[str, str] = {}  # GIT_CONFIG_GLOBAL with an SSH signing key, while the signed tamper trials run


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PROVENANCE_USER"] = USER
    e.pop("PROVENANCE_STORE", None)
    e["GIT_CONFIG_NOSYSTEM"] = "1"
    e.update(SIGNING)
    return e


def prov(store: Path, *args: str, timeout: float = 120, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*PROVENANCE, "--store", str(store), *args], capture_output=True, env=env(),
                          timeout=timeout, input=input)


def git(store: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "--git-dir", str(store), *args], check=True, capture_output=True,
                          input=input).stdout.decode()


def words(n: int, seed: int) -> str:
    text = (CORPUS / "fiction_austen_persuasion.txt").read_text(encoding="utf-8").split()
    rng = random.Random(seed)
    start = rng.randrange(0, len(text) - n)
    return " ".join(text[start:start + n]) + f"\n[{seed}]\n"


# -- writers


def suite_writers(n: int, m: int) -> dict:
    store = DATA / "writers"
    assert prov(store, "init").returncode == 0
    files = DATA / "writers-files"
    files.mkdir(parents=True)

    def writer(w: int) -> tuple[int, int, list[str]]:
        ok = failed = 0
        errors = []
        doc = "shared/doc" if w % 2 == 0 else f"own/doc-{w}"
        for i in range(m):
            f = files / f"w{w}-{i}.txt"
            f.write_text(words(200, w * 100_000 + i))
            proc = prov(store, "ingest", str(f), "--doc", doc)
            if proc.returncode == 0:
                ok += 1
            else:
                failed += 1
                errors.append(proc.stderr.decode("utf-8", "replace").strip()[:200])
        return ok, failed, errors

    started = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(writer, range(n)))
    elapsed = time.monotonic() - started
    acknowledged = {}
    for w, (ok, _, _) in enumerate(results):
        doc = "shared/doc" if w % 2 == 0 else f"own/doc-{w}"
        acknowledged[doc] = acknowledged.get(doc, 0) + ok
    stored = {}
    for doc in acknowledged:
        proc = prov(store, "log", doc, "--json")
        stored[doc] = len(json.loads(proc.stdout)) if proc.returncode == 0 else 0
    lost = sum(max(0, acknowledged[d] - stored[d]) for d in acknowledged)
    verify = prov(store, "verify")
    return {
        "writers": n, "ingests_each": m, "acknowledged": sum(acknowledged.values()),
        "stored": sum(stored.values()), "lost": lost, "failed": sum(r[1] for r in results),
        "verify_failures": int(verify.returncode != 0), "seconds": round(elapsed, 1),
        "errors": sorted({e for r in results for e in r[2]})[:5],
    }


# -- kills


LEFTOVER_GLOBS = ("refs/heads/main.lock", "packed-refs.lock", "HEAD.lock", "objects/provenance-maintenance.lock")


def leftovers(store: Path) -> list[str]:
    found = [g for g in LEFTOVER_GLOBS if (store / g).exists()]
    found += [f"objects/pack/{p.name}" for p in (store / "objects" / "pack").glob("tmp_*")]
    refs = subprocess.run(["git", "--git-dir", str(store), "for-each-ref", "--format=%(refname)",
                           "refs/provenance/incoming/"], capture_output=True, text=True).stdout.split()
    return found + refs


def unblock(store: Path) -> None:
    """What a user would do by hand today (counted as a blocked trial)."""
    for g in LEFTOVER_GLOBS:
        try:
            (store / g).unlink()
        except FileNotFoundError:
            pass


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc), whatever its session."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


MAINTAIN = ("import sys; from provenance.store import Store\n"
            "with Store.open(sys.argv[1]) as s: s.maintain()\n")


def suite_kills(k: int, seed: int) -> dict:
    store = DATA / "kills"
    assert prov(store, "init").returncode == 0
    files = DATA / "kill-files"
    files.mkdir(parents=True)
    rng = random.Random(seed)
    counts = {"trials": k, "ingest_kills": 0, "maintenance_kills": 0, "verify_failures": 0, "corrupt": 0,
              "blocked": 0, "fresh_ingest_failures": 0, "leftovers_after_next_ingest": 0,
              "other_leftovers_after_next_ingest": 0,
              "verify_silent_on_leftovers": 0, "slowest_fresh_ingest_s": 0.0}
    examples: list[str] = []
    fresh_times: list[float] = []
    batch = []
    for i in range(20):
        f = files / f"batch-{i}.txt"
        f.write_text(words(300, seed + i))
        batch.append(str(f))
    # A rough duration of each operation, to kill somewhere inside it.
    t = time.monotonic()
    prov(store, "ingest", *batch, "--doc", "warmup/doc")
    ingest_time = max(0.05, time.monotonic() - t)
    for trial in range(k):
        maintenance = trial % 4 == 3
        if maintenance:
            # Loose objects enough for a repack: maintenance has work to do.
            for j in range(3):
                f = files / f"loose-{trial}-{j}.txt"
                f.write_text(words(50, seed * 7 + trial * 10 + j))
                prov(store, "ingest", str(f), "--doc", f"loose/{j}")
            cmd = [sys.executable, "-c", MAINTAIN, str(store)]
            delay = rng.uniform(0, 0.3)
            counts["maintenance_kills"] += 1
        else:
            for j, f in enumerate(batch):
                Path(f).write_text(words(300, seed * 1000 + trial * 50 + j))
            cmd = [*PROVENANCE, "--store", str(store), "ingest", *batch, "--doc", f"kill/doc-{trial % 5}"]
            delay = rng.uniform(0, ingest_time * 1.2)
            counts["ingest_kills"] += 1
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(),
                                start_new_session=True)
        time.sleep(delay)
        # Everything the command started dies at once, as in a power cut:
        # its process group, and children in sessions of their own (git
        # fast-import), which would otherwise live on and tidy up.
        doomed = descendants(proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in doomed:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        left = leftovers(store)
        verify = prov(store, "verify", "--json")
        problems, notes = [], []
        try:
            report = json.loads(verify.stdout)
            problems, notes = report.get("problems", []), report.get("notes", [])
        except ValueError:
            pass
        if verify.returncode != 0:
            counts["verify_failures"] += 1
            if any("lock" not in p and "incoming" not in p and "tmp_" not in p for p in problems) or not problems:
                counts["corrupt"] += 1
                examples.append(f"trial {trial}: verify: {(problems or [verify.stderr.decode()[:200]])[0]}")
        # Every leftover still there after verify must be named in its report
        # (as a problem or a note: a leftover is not damage).
        said = " ".join(problems + notes)
        unnamed = [x for x in set(left) & set(leftovers(store)) if x not in said]
        if unnamed:
            counts["verify_silent_on_leftovers"] += 1
            examples.append(f"trial {trial}: verify did not name {unnamed}")
        f = files / f"fresh-{trial}.txt"
        f.write_text(words(100, seed * 99 + trial))
        t = time.monotonic()
        try:
            fresh = prov(store, "ingest", str(f), "--doc", "fresh/doc", timeout=BLOCKED_SECONDS * 3)
            rc, err = fresh.returncode, fresh.stderr.decode("utf-8", "replace").strip()
        except subprocess.TimeoutExpired:
            rc, err = -1, "timed out"
        took = time.monotonic() - t
        fresh_times.append(took)
        counts["slowest_fresh_ingest_s"] = round(max(counts["slowest_fresh_ingest_s"], took), 2)
        if rc != 0 or took > BLOCKED_SECONDS:
            counts["blocked"] += 1
            if rc != 0:
                counts["fresh_ingest_failures"] += 1
            examples.append(f"trial {trial}: fresh ingest {'failed' if rc else 'slow'} after {took:.1f} s "
                            f"(leftovers {left}): {err[:160]}")
            unblock(store)
        after = leftovers(store)
        locks = [x for x in after if x.endswith(".lock")]
        if locks:
            counts["leftovers_after_next_ingest"] += 1
            examples.append(f"trial {trial}: after the next ingest, {locks} (before it: {left})")
        if set(left) & set(after):
            counts["other_leftovers_after_next_ingest"] += 1
            examples.append(f"trial {trial}: still there after the next ingest: {sorted(set(left) & set(after))}")
        if took > 2:
            examples.append(f"trial {trial}: next ingest took {took:.1f} s (leftovers before it: {left})")
    final = prov(store, "verify")
    counts["final_verify_ok"] = final.returncode == 0
    counts["median_fresh_ingest_s"] = round(sorted(fresh_times)[len(fresh_times) // 2], 2) if fresh_times else 0.0
    counts["examples"] = examples[:20]
    return counts


# -- tamper


def _ingest_three(store: Path, tag: str, texts=("first text", "second text", "third text")) -> None:
    prov(store, "init")
    if SIGNING:
        git(store, "config", "provenance.sign", "true")
    for i, text in enumerate(texts):
        f = DATA / f"tamper-{tag}-{i}.txt"
        f.write_text(text + "\n")
        assert prov(store, "ingest", str(f), "--doc", "acme/terms", "--source", f"https://acme.example/{i}").returncode == 0


def _drop_cache(store: Path) -> None:
    shutil.rmtree(store / "provenance-index", ignore_errors=True)


def _drop_reflog(store: Path) -> None:
    shutil.rmtree(store / "logs", ignore_errors=True)


def _t_blob(store: Path) -> None:
    path = git(store, "log", "-1", "--format=%(trailers:key=Path,valueonly)", "main").strip()
    blob = git(store, "hash-object", "-w", "--stdin", input=b"forged\n").strip()
    index = store.parent / f"{store.name}.index"
    e = dict(os.environ, GIT_INDEX_FILE=str(index), GIT_DIR=str(store))
    subprocess.run(["git", "read-tree", "main"], check=True, env=e)
    subprocess.run(["git", "update-index", "--cacheinfo", f"100644,{blob},{path}/text.txt"], check=True, env=e)
    tree = subprocess.run(["git", "write-tree"], check=True, env=e, capture_output=True, text=True).stdout.strip()
    commit = git(store, "commit-tree", tree, "-p", "main", "-m", "tidy").strip()
    git(store, "update-ref", "refs/heads/main", commit)


def _t_blob_in_place(store: Path) -> None:
    """The last commit rewritten with a changed text.txt (same message)."""
    path = git(store, "log", "-1", "--format=%(trailers:key=Path,valueonly)", "main").strip()
    blob = git(store, "hash-object", "-w", "--stdin", input=b"forged\n").strip()
    index = store.parent / f"{store.name}.index"
    e = dict(os.environ, GIT_INDEX_FILE=str(index), GIT_DIR=str(store))
    subprocess.run(["git", "read-tree", "main"], check=True, env=e)
    subprocess.run(["git", "update-index", "--cacheinfo", f"100644,{blob},{path}/text.txt"], check=True, env=e)
    tree = subprocess.run(["git", "write-tree"], check=True, env=e, capture_output=True, text=True).stdout.strip()
    body = git(store, "cat-file", "commit", "main")
    head, _, rest = body.partition("\n")
    forged = f"tree {tree}\n{rest}"
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin", input=forged.encode()).strip()
    git(store, "update-ref", "refs/heads/main", sha)


def _rewrite_last_message(store: Path, old: str, new: str) -> None:
    body = git(store, "cat-file", "commit", "main")
    assert old in body
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin", input=body.replace(old, new).encode()).strip()
    git(store, "update-ref", "refs/heads/main", sha)


def _t_trailer_source(store: Path) -> None:
    _rewrite_last_message(store, "Source: https://acme.example/2", "Source: https://evil.example/")


def _t_trailer_by(store: Path) -> None:
    _rewrite_last_message(store, f"Ingested-By: {USER}", "Ingested-By: Someone Else <x@example.org>")


def _t_consistent(store: Path) -> None:
    forged = store.parent / f"{store.name}-forged"
    _ingest_three(forged, f"{store.name}-forged", ("first text", "second text, improved", "third text"))
    git(store, "fetch", "-q", "--no-write-fetch-head", str(forged), "+main:refs/heads/main")


def _t_deleted_tip(store: Path) -> None:
    git(store, "update-ref", "refs/heads/main", "main~1")


def _t_meta_in_place(store: Path) -> None:
    """The last commit rewritten with a changed meta.json (same message)."""
    path = git(store, "log", "-1", "--format=%(trailers:key=Path,valueonly)", "main").strip()
    meta = json.loads(git(store, "cat-file", "blob", f"main:{path}/meta.json"))
    meta["source"] = "https://evil.example/"
    blob = git(store, "hash-object", "-w", "--stdin", input=json.dumps(meta).encode()).strip()
    index = store.parent / f"{store.name}.index"
    e = dict(os.environ, GIT_INDEX_FILE=str(index), GIT_DIR=str(store))
    subprocess.run(["git", "read-tree", "main"], check=True, env=e)
    subprocess.run(["git", "update-index", "--cacheinfo", f"100644,{blob},{path}/meta.json"], check=True, env=e)
    tree = subprocess.run(["git", "write-tree"], check=True, env=e, capture_output=True, text=True).stdout.strip()
    body = git(store, "cat-file", "commit", "main")
    sha = git(store, "hash-object", "-t", "commit", "-w", "--stdin",
              input=f"tree {tree}\n{body.partition(chr(10))[2]}".encode()).strip()
    git(store, "update-ref", "refs/heads/main", sha)


def _t_object_deleted(store: Path) -> None:
    """The first version's stored text deleted from the object database."""
    path = git(store, "log", "--reverse", "--format=%(trailers:key=Path,valueonly)", "main").split()[0]
    sha = git(store, "rev-parse", f"main:{path}/text.txt").strip()
    loose = store / "objects" / sha[:2] / sha[2:]
    assert loose.exists(), "the tamper store should still hold loose objects"
    loose.chmod(0o644)
    loose.unlink()


def _t_checkpoints_erased(store: Path) -> None:
    """Every checkpoint ref deleted and main reset: only the checkpoint id
    exported before (handed to verify --since-checkpoint) is left."""
    for ref in git(store, "for-each-ref", "--format=%(refname)", "refs/provenance/checkpoints/").split():
        git(store, "update-ref", "-d", ref)
    git(store, "update-ref", "refs/heads/main", "main~1")


def _t_signed_rewritten(store: Path) -> None:
    """A signed commit's trailer changed, its signature kept."""
    body = git(store, "cat-file", "commit", "main")
    assert "gpgsig" in body
    _rewrite_last_message(store, "Source: https://acme.example/2", "Source: https://evil.example/")


TAMPERS = [
    # (name, tamper, verified first (a checkpoint exists), drop cache, drop reflog)
    ("blob changed in a new commit", _t_blob, True, False, False),
    ("blob changed in place (last commit rewritten)", _t_blob_in_place, True, True, False),
    ("blob changed in place, no checkpoint, no reflog", _t_blob_in_place, False, True, True),
    ("trailer Source rewritten", _t_trailer_source, True, False, False),
    ("trailer Source rewritten, cache, reflog removed", _t_trailer_source, False, True, True),
    ("trailer Ingested-By rewritten, cache, reflog removed", _t_trailer_by, False, True, True),
    ("consistent rewrite", _t_consistent, True, False, False),
    ("consistent rewrite, cache removed", _t_consistent, True, True, False),
    ("consistent rewrite, cache and reflog removed", _t_consistent, True, True, True),
    ("last version deleted", _t_deleted_tip, True, False, False),
    ("reset to parent, cache removed, no checkpoint", _t_deleted_tip, False, True, False),
    ("reset to parent, cache and reflog removed", _t_deleted_tip, True, True, True),
    ("meta.json changed in place, cache and reflog removed", _t_meta_in_place, False, True, True),
    ("a stored object deleted", _t_object_deleted, True, False, False),
    ("checkpoints and reflog erased, main reset (exported checkpoint)", _t_checkpoints_erased, True, True, True),
    ("signed commit rewritten, signature kept, cache and reflog removed", _t_signed_rewritten, False, True, True),
]
# Trials that need more than `provenance verify`: a signing store, verify's options.
SIGNED = {"signed commit rewritten, signature kept, cache and reflog removed"}
VERIFY_ARGS = {"signed commit rewritten, signature kept, cache and reflog removed": ["--signatures"]}


def _signing_config() -> dict[str, str]:
    """An SSH key made by ssh-keygen and a git config that signs with it."""
    folder = DATA / "signing"
    folder.mkdir(exist_ok=True)
    key = folder / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stress", "-f", str(key)], check=True)
    (folder / "allowed").write_text(f"stress@example.org {(folder / 'key.pub').read_text()}")
    config = folder / "gitconfig"
    config.write_text(f"[user]\n\tsigningkey = {key}.pub\n[gpg]\n\tformat = ssh\n"
                      f"[gpg \"ssh\"]\n\tallowedSignersFile = {folder / 'allowed'}\n")
    return {"GIT_CONFIG_GLOBAL": str(config)}


def suite_tamper() -> dict:
    out = {"trials": 0, "detected": 0, "missed": []}
    for i, (name, tamper, verified, drop_cache, drop_reflog) in enumerate(TAMPERS):
        store = DATA / f"tamper-{i}"
        SIGNING.clear()
        if name in SIGNED:
            SIGNING.update(_signing_config())
        _ingest_three(store, str(i))
        args = list(VERIFY_ARGS.get(name, []))
        if verified:
            first = prov(store, "verify")
            assert first.returncode == 0
            if tamper is _t_checkpoints_erased:  # the checkpoint id the user exported
                args += ["--since-checkpoint", first.stdout.decode().split("checkpoint ")[-1].split()[0]]
        tamper(store)
        if drop_cache:
            _drop_cache(store)
        if drop_reflog:
            _drop_reflog(store)
        proc = prov(store, "verify", *args)
        SIGNING.clear()
        out["trials"] += 1
        if proc.returncode == 1:
            out["detected"] += 1
        else:
            out["missed"].append(f"{name}: exit {proc.returncode}")
    return out


# -- hostile input


def suite_hostile() -> dict:
    store = DATA / "hostile"
    prov(store, "init")
    ok = DATA / "ok.txt"
    ok.write_text("a plain text\n")
    assert prov(store, "ingest", str(ok), "--doc", "acme/terms").returncode == 0
    h = DATA / "hostile-files"
    h.mkdir()

    def file(name: str, data: bytes) -> str:
        p = h / name
        p.write_bytes(data)
        return str(p)

    big = h / "sparse-huge.txt"
    with open(big, "wb") as f:  # sparse: no disk used, the size limit must refuse it unread
        f.truncate(300 * 1024 * 1024)
    cases: list[tuple[str, list[str]]] = []
    for doc in ["", "../etc/passwd", "a/../b", "a@b", "a@1", "/abs", "a//b", "a/", ".", "..", "x" * 201,
                "a\nb", "a\tb", "a\u202eb", "a\u200bb", "a\x1bb", "a\\b", "a b/", " a", "a\u2028b"]:
        cases.append((f"doc id {doc[:20]!r}", ["ingest", str(ok), "--doc", doc]))
    for name, data in [("pdf.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + bytes(range(256)) * 4),
                       ("png.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8),
                       ("nul.txt", b"text\x00with\x00nuls" * 100), ("random.bin", random.Random(1).randbytes(4096)),
                       ("gzip.txt", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4),
                       ("zip.docx", b"PK\x03\x04" + bytes(range(256)) * 4),
                       ("elf", b"\x7fELF\x02\x01\x01" + bytes(512))]:
        cases.append((f"binary {name}", ["ingest", file(name, data), "--doc", "acme/terms"]))
    cases += [
        ("missing file", ["ingest", str(h / "nope.txt"), "--doc", "acme/terms"]),
        ("empty folder", ["ingest", str(h / "empty"), "--doc", "acme/terms"]),
        ("file over the size limit", ["ingest", str(big), "--doc", "acme/terms"]),
        ("bad encoding name", ["ingest", str(ok), "--doc", "acme/terms", "--encoding", "no-such-codec"]),
        ("wrong encoding", ["ingest", file("latin.txt", "caf\u00e9 \u00e9t\u00e9".encode("latin-1")), "--doc", "acme/terms", "--encoding", "utf-8"]),
        ("bad captured-at", ["ingest", str(ok), "--doc", "acme/terms", "--captured-at", "yesterday"]),
        ("captured-at 13th month", ["ingest", str(ok), "--doc", "acme/terms", "--captured-at", "2020-13-01"]),
        ("meta without =", ["ingest", str(ok), "--doc", "acme/terms", "--meta", "novalue"]),
        ("meta empty key", ["ingest", str(ok), "--doc", "acme/terms", "--meta", "=v"]),
        ("by not an ident", ["ingest", str(ok), "--doc", "acme/terms", "--by", "<>"]),
        ("no --doc", ["ingest", str(ok)]),
        ("--doc and --doc-from-path", ["ingest", str(ok), "--doc", "a/b", "--doc-from-path"]),
        ("show unknown doc", ["show", "no/such"]),
        ("show version 0", ["show", "acme/terms@0"]),
        ("show version 99", ["show", "acme/terms@99"]),
        ("show version -9", ["show", "acme/terms@-9"]),
        ("show version abc", ["show", "acme/terms@abc"]),
        ("show version huge", ["show", "acme/terms@" + "9" * 40]),
        ("diff unknown", ["diff", "no/such", "acme/terms"]),
        ("diff binary file", ["diff", str(h / "png.txt"), str(ok)]),
        ("diff missing file", ["diff", str(h / "nope.txt"), str(ok)]),
        ("diff over the size limit", ["diff", str(big), str(ok)]),
        ("log unknown", ["log", "no/such"]),
        ("verify unknown doc", ["verify", "no/such"]),
        ("verify bad checkpoint", ["verify", "--since-checkpoint", "deadbeef"]),
        ("verify checkpoint option injection", ["verify", "--since-checkpoint", "--all"]),
        ("show ref option injection", ["show", "--output=/tmp/x"]),
        ("diff -o into a missing folder", ["diff", str(ok), str(ok), "-o", str(h / "no" / "such" / "r.html")]),
    ]
    nokey = h / "gitconfig-ssh-without-key"
    nokey.write_text("[gpg]\n\tformat = ssh\n")
    missing = h / "gitconfig-ssh-missing-key"
    missing.write_text(f"[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = {h / 'no-such-key.pub'}\n")
    cases += [
        ("ingest --sign with no signing key", ["ingest", str(ok), "--doc", "acme/terms", "--sign"]),
        ("ingest --sign with a missing key file", ["ingest", str(ok), "--doc", "acme/terms", "--sign"]),
    ]
    case_env = {"ingest --sign with no signing key": {"GIT_CONFIG_GLOBAL": str(nokey)},
                "ingest --sign with a missing key file": {"GIT_CONFIG_GLOBAL": str(missing)}}
    not_a_store = h / "not-a-store"
    not_a_store.mkdir()
    (not_a_store / "junk").write_text("x")
    cases += [
        ("store is a file", ["--store", str(ok), "docs"]),
        ("store is not a store", ["--store", str(not_a_store), "docs"]),
        ("ingest into a non-store folder", ["--store", str(not_a_store), "ingest", str(ok), "--doc", "a/b"]),
    ]

    def snapshot() -> tuple:
        refs = git(store, "for-each-ref", "--format=%(refname) %(objectname)")
        return refs, git(store, "count-objects", "-v")

    before = snapshot()
    out = {"inputs": len(cases), "one_line_errors": 0, "store_changed": 0, "failures": []}
    for name, args in cases:
        extra = [] if args[0] == "--store" else ["--store", str(store)]
        proc = subprocess.run([*PROVENANCE, *extra, *args], capture_output=True, env={**env(), **case_env.get(name, {})},
                              timeout=60)
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        good = (proc.returncode == 2 and len(err) == 1 and err[0].startswith("provenance: error:")
                and b"Traceback" not in proc.stderr + proc.stdout)
        changed = snapshot() != before
        if changed:
            out["store_changed"] += 1
            before = snapshot()
        if good and not changed:
            out["one_line_errors"] += 1
        else:
            out["failures"].append(f"{name}: exit {proc.returncode}, {len(err)} stderr lines"
                                   f"{', store changed' if changed else ''}: {(err or [''])[0][:120]}")
    return out


def main() -> None:
    global DATA
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="writers,kills,tamper,hostile")
    ap.add_argument("--writers", type=int)
    ap.add_argument("--ingests", type=int)
    ap.add_argument("--kills", type=int)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--data", type=Path, help="Work folder, rebuilt (default: benchmarks/.data/stress)")
    args = ap.parse_args()
    DATA = (args.data or DATA).resolve()
    n = args.writers or (4 if args.quick else 8)
    m = args.ingests or (10 if args.quick else 50)
    k = args.kills if args.kills is not None else (20 if args.quick else 200)
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    only = args.only.split(",")
    print(f"provenance: {' '.join(PROVENANCE)}")
    if "writers" in only:
        r = suite_writers(n, m)
        print(f"writers: {r['writers']} x {r['ingests_each']}: {r['acknowledged']} acknowledged, {r['stored']} stored, "
              f"{r['lost']} lost, {r['failed']} failed, verify failures {r['verify_failures']}; {r['seconds']} s")
        for e in r["errors"]:
            print(f"  error: {e}")
    if "kills" in only:
        r = suite_kills(k, args.seed)
        print(f"kills: {r['trials']} trials ({r['ingest_kills']} during ingest, {r['maintenance_kills']} during "
              f"maintenance): {r['corrupt']} corrupt, {r['blocked']} blocked ingests "
              f"({r['fresh_ingest_failures']} failed), verify failures {r['verify_failures']}, "
              f"verify silent on leftovers {r['verify_silent_on_leftovers']}, locks left after the next ingest "
              f"{r['leftovers_after_next_ingest']}, other leftovers (incoming refs, temporary packs) left after "
              f"the next ingest {r['other_leftovers_after_next_ingest']}, slowest next ingest {r['slowest_fresh_ingest_s']} s "
              f"(median {r['median_fresh_ingest_s']} s), "
              f"final verify {'ok' if r['final_verify_ok'] else 'FAILED'}")
        for e in r["examples"]:
            print(f"  {e}")
    if "tamper" in only:
        r = suite_tamper()
        print(f"tamper: {r['trials']} trials, {r['detected']} detected, {len(r['missed'])} missed")
        for e in r["missed"]:
            print(f"  missed: {e}")
    if "hostile" in only:
        r = suite_hostile()
        print(f"hostile: {r['inputs']} inputs, {r['one_line_errors']} one-line errors with the store unchanged, "
              f"{r['store_changed']} changed the store, {len(r['failures'])} failures")
        for e in r["failures"]:
            print(f"  failure: {e}")


if __name__ == "__main__":
    main()
