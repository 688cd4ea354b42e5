"""Sync at scale: two stores of 5,000 versions each, ingested independently
(150 documents both hold, 100 each alone; every shared document's first
version is the same bytes on both machines), joined through a bare remote.

    python benchmarks/sync.py            # 5,000 versions a side
    python benchmarks/sync.py --versions 1000

Steps, each timed: A pushes into an empty remote; B syncs (pulls A's 5,000
versions, checks and verifies the merged history, writes the merge commit,
pushes); A pulls (a fast-forward).  "Bytes" are the sizes of the packs git
received for that step (fetch and push keep what crosses the wire as a pack
of that size).  Then the checks: every version of both sides is on both,
exactly once (by uid), `log` of every document is identical on both, and
verify passes on both.

Data is generated from benchmarks/corpus with a fixed seed into
benchmarks/.data/sync/ (git-ignored), rebuilt on every run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest import corpus_text, corpus_words, cut, edit  # noqa: E402

from provenance.extract import decode  # noqa: E402
from provenance.store import Incoming, Store  # noqa: E402

DATA = HERE / ".data" / "sync"


def packs(path: Path) -> int:
    """Bytes of the packs and loose objects under path/objects."""
    total = 0
    for root, _, files in os.walk(path / "objects"):
        for name in files:
            if name.endswith(".pack") or (len(name) == 38 and Path(root).name != "pack"):
                total += (Path(root) / name).stat().st_size
    return total


def items_for(side: str, versions: int, rng: random.Random, text: str, vocab: list[str]) -> list[Incoming]:
    """`versions` versions: 150 shared documents (the same first version on
    both sides) and 100 of this side alone, captures spread over 2024."""
    shared, alone = 150, 100
    per_doc = versions // (shared + alone)
    base = random.Random(7)  # the same first texts on both sides
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    out = []
    for d in range(shared + alone):
        doc = f"shared/page{d:03d}" if d < shared else f"{side}/page{d:03d}"
        body = cut(text, base.randrange(len(text) - 10_000), base.randrange(1000, 3000))
        when = start + timedelta(hours=base.randrange(0, 100))
        by = f"{side.upper()} Reporter <{side}@example.org>"
        for k in range(per_doc):
            if k:
                body = edit(body, rng, vocab, 3)
                when += timedelta(hours=rng.randrange(1, 48), minutes=rng.randrange(60))
            raw = body.encode()
            out.append(Incoming(doc, raw, decode(raw), captured_at=when + timedelta(minutes=1 if side == "b" else 0),
                                ingested_by=by))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", type=int, default=5000, help="versions per store (default 5000)")
    args = ap.parse_args()
    os.environ["PROVENANCE_USER"] = "Bench Mark <bench@example.org>"
    if DATA.exists():
        shutil.rmtree(DATA)
    DATA.mkdir(parents=True)
    text, vocab = corpus_text(), corpus_words()
    hub = DATA / "hub.git"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(hub)], check=True)
    stores = {}
    for side, seed in (("a", 1), ("b", 2)):
        t = time.perf_counter()
        with Store.init(DATA / side) as s:
            s.add(items_for(side, args.versions, random.Random(seed), text, vocab))
            s.sync.add_remote("origin", str(hub))
            n = len(s.all_versions())
        stores[side] = DATA / side
        print(f"store {side}: {n:,} versions ingested in {time.perf_counter() - t:.1f} s")

    before = {}
    for side, path in stores.items():
        with Store(path) as s:
            before[side] = {v.uid: (v.commit, v.content_sha256, v.captured_at) for v in s.all_versions()}

    def step(label: str, path: Path, action: str, receiver: Path) -> dict:
        size = packs(receiver)
        t = time.perf_counter()
        with Store(path) as s:
            sync = s.sync
            result = sync.push() if action == "push" else sync.pull() if action == "pull" else sync.sync()
        elapsed = time.perf_counter() - t
        received = packs(receiver) - size
        print(f"{label:<44} {elapsed:6.2f} s  {received / 1e6:7.2f} MB received")
        return {"seconds": elapsed, "bytes": received, "result": result}

    print()
    step("A push (5,000 versions into an empty remote)".replace("5,000", f"{args.versions:,}"), stores["a"], "push", hub)
    # B syncs: pull (fetch, check, merge, verify what arrived), then push.
    size_b, size_hub = packs(stores["b"]), packs(hub)
    t = time.perf_counter()
    with Store(stores["b"]) as s:
        pulled = s.sync.pull()
        pull_s = time.perf_counter() - t
        pushed = s.sync.push()
    elapsed = time.perf_counter() - t
    print(f"{'B sync: pull (fetch, check, merge, verify)':<44} {pull_s:6.2f} s  "
          f"{(packs(stores['b']) - size_b) / 1e6:7.2f} MB received ({pulled.action}, "
          f"{pulled.versions_added:,} versions arrived)")
    print(f"{'        then push':<44} {elapsed - pull_s:6.2f} s  {(packs(hub) - size_hub) / 1e6:7.2f} MB received "
          f"by the remote ({pushed.versions_added:,} versions)")
    step("A pull (fast-forward)", stores["a"], "pull", stores["a"])

    # Nothing lost: every uid of both sides, exactly once, with its own commit, hash and capture time.
    logs = {}
    for side, path in stores.items():
        with Store(path) as s:
            t = time.perf_counter()
            versions = s.all_versions()
            listing = time.perf_counter() - t
            seen: dict[str, tuple] = {}
            for v in versions:
                seen[v.uid] = (v.commit, v.content_sha256, v.captured_at)
                for uid in v.merged_uids:
                    seen[uid] = None  # an identical capture from the other side: an observation
            union = {**before["a"], **before["b"]}
            assert set(seen) == set(union), f"{side}: {len(set(union) - set(seen))} versions missing"
            assert all(seen[u] is None or seen[u] == union[u] for u in union), f"{side}: a version changed"
            merged = sum(len(v.merged_uids) for v in versions)
            logs[side] = json.dumps([v.to_dict() for v in versions])
            t = time.perf_counter()
            report = s.verify()
            assert report.ok, report.problems[:3]
            print(f"store {side}: {len(versions):,} versions ({merged} identical captures from both sides counted "
                  f"as observations), listed in {listing:.2f} s, verified in {time.perf_counter() - t:.1f} s")
    assert logs["a"] == logs["b"], "the two stores list different versions"
    print(f"nothing lost: all {len(before['a']) + len(before['b']):,} ingested versions are on both sides; "
          f"the version listings of both stores are identical")


if __name__ == "__main__":
    main()
