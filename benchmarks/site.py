"""The report site at scale: `provenance report -o DIR` on a generated store,
in full and again after the store grew (incremental).

    python benchmarks/site.py                          # 1,000 documents, 20,000 versions
    python benchmarks/site.py --documents 100 --versions 2000

The store is generated from the corpus texts (distinct passages, a few word
edits between successive versions, varied capture times) by one bulk
ingest, into benchmarks/.data/site/ (git-ignored).  Timed: the full site,
a second run with nothing new, and a run after 1% more versions were
ingested.  Each is one fresh `provenance report` process.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import quality  # noqa: E402
import transforms as tf  # noqa: E402

from provenance.extract import extract  # noqa: E402
from provenance.store import Incoming, Store  # noqa: E402
from provenance.ingest import store_versions  # noqa: E402

DATA = ROOT / "benchmarks" / ".data" / "site"
USER = "Bench <bench@example.org>"


def texts(n_docs: int, rng: random.Random) -> list[list[list[str]]]:
    paragraphs = []
    for path in quality.corpus_files():
        paragraphs += tf.parse(path.read_text(encoding="utf-8"))[0]
    out = []
    for k in range(n_docs):
        start = (k * 7) % max(1, len(paragraphs) - 4)
        out.append([list(p) for p in paragraphs[start:start + rng.randint(2, 4)]])
    return out


def items(docs: list[list[list[str]]], per_doc: int, rng: random.Random, first: int = 0) -> list[Incoming]:
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    out = []
    for d, paras in enumerate(docs):
        for n in range(first, first + per_doc):
            edited, _ = tf.apply_edits(paras, random.Random(f"{d}:{n}"), 2) if n else (paras, [])
            docs[d] = edited
            raw = "\n\n".join(" ".join(p) for p in edited).encode("utf-8")
            out.append(Incoming(f"site/doc-{d:04d}", raw, extract(raw, "x.txt"), source=f"https://example.org/{d}",
                                captured_at=start + timedelta(days=n, minutes=d), ingested_by=USER))
    return out


def timed(*args: str) -> tuple[float, int]:
    """Seconds one `provenance report` process took, and the files it wrote."""
    exe = Path(sys.executable).parent / "provenance"
    t0 = time.perf_counter()
    done = subprocess.run([str(exe), *args, "--json"], capture_output=True, text=True,
                          env={**os.environ, "PROVENANCE_USER": USER})
    if done.returncode:
        sys.exit(f"provenance {' '.join(args)} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return time.perf_counter() - t0, json.loads(done.stdout)["written"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--versions", type=int, default=20000)
    args = ap.parse_args()
    per_doc = max(1, args.versions // args.documents)
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    rng = random.Random(1)
    docs = texts(args.documents, rng)
    t0 = time.perf_counter()
    with Store.open(DATA / "store", create=True) as store:
        store_versions(store, items(docs, per_doc, rng))
    print(f"store: {args.documents:,} documents x {per_doc} versions = {args.documents * per_doc:,} versions "
          f"(ingested in {time.perf_counter() - t0:.1f} s)")
    site = DATA / "site"
    full, written = timed("--store", str(DATA / "store"), "report", "-o", str(site))
    files = sum(1 for _ in site.rglob("*") if _.is_file())
    print(f"full site: {full:.1f} s, {files:,} files ({written:,} written)")
    again, written = timed("--store", str(DATA / "store"), "report", "-o", str(site))
    print(f"again, nothing new: {again:.1f} s, {written:,} files written")
    grow = max(1, args.documents // 100)
    with Store.open(DATA / "store") as store:
        store_versions(store, items(docs[:grow], 1, rng, first=per_doc))
    grown, written = timed("--store", str(DATA / "store"), "report", "-o", str(site))
    print(f"after {grow} more versions (in {grow} documents): {grown:.1f} s, {written:,} files written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
