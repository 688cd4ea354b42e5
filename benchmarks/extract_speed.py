"""Extraction speed: PDF pages per second, HTML pages per second, and how
long `provenance ingest` takes for a 300-page PDF.

    python benchmarks/extract_speed.py [--pages 300] [--runs 3]

The PDF is typeset by renditions.py from the shipped corpus texts one after
another (distinct text, never one passage repeated), justified and
hyphenated, with a running head and page numbers.  The web pages are the
corpus's passages as news pages (navigation, cookie banner, footer, scripts).
Each figure is the median of --runs runs; ingest runs the installed command
in a fresh store, so it includes the interpreter's start-up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import quality  # noqa: E402
import renditions  # noqa: E402
import transforms as tf  # noqa: E402

from provenance.extract import extract  # noqa: E402

WORDS_PER_PAGE = 420  # about what renditions.to_pdf fits on an A4 page at 10.5 pt


def corpus_paragraphs() -> list[list[str]]:
    out = []
    for path in quality.corpus_files():
        if "nonlatin" not in path.name:  # the PDF font has no CJK glyphs
            out += tf.parse(path.read_text(encoding="utf-8"))[0]
    return out


def median_time(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    paragraphs = corpus_paragraphs()
    rng = random.Random(1)
    wanted, words, chosen = args.pages * WORDS_PER_PAGE, 0, []
    for para in paragraphs:
        if words >= wanted:
            break
        chosen.append(para)
        words += len(para)
    pdf = renditions.to_pdf(chosen, rng, "A Benchmark Anthology")
    seconds, ex = median_time(lambda: extract(pdf, "bench.pdf"), args.runs)
    print(f"PDF: {ex.pages} pages, {len(pdf) / 1e6:.1f} MB, {len(ex.text.split()):,} words: "
          f"extract {seconds:.2f} s = {ex.pages / seconds:,.0f} pages/s (median of {args.runs})")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        path.write_bytes(pdf)
        exe = Path(sys.executable).parent / "provenance"
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "provenance.cli"]
        env = dict(os.environ, PROVENANCE_USER="Bench <bench@example.org>")

        def ingest():
            store = Path(tempfile.mkdtemp(dir=tmp))
            subprocess.run([*command, "--store", str(store), "ingest", str(path), "--doc", "bench"],
                           check=True, capture_output=True, env=env)

        seconds, _ = median_time(ingest, args.runs)
        print(f"provenance ingest of that {ex.pages}-page PDF into a new store: {seconds:.2f} s (median of {args.runs})")
    pages = []
    for k in range(0, min(len(paragraphs), 4000), 20):
        pages.append(renditions.to_html(paragraphs[k:k + 20], rng, f"Page {k}"))
    seconds, _ = median_time(lambda: [extract(p, "page.html") for p in pages], args.runs)
    print(f"HTML: {len(pages)} pages of about 20 paragraphs: {seconds:.2f} s = {len(pages) / seconds:,.0f} pages/s "
          f"main content (median of {args.runs})")
    seconds, _ = median_time(lambda: [extract(p, "page.html", whole_page=True) for p in pages], args.runs)
    print(f"HTML --whole-page: {len(pages) / seconds:,.0f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
