"""Cross-format quality: one text published as PDF, web page and Word file.

    python benchmarks/crossformat.py            # all Latin-script corpus texts
    python benchmarks/crossformat.py --quick    # 2 passages per text

Each passage of the shipped corpus (benchmarks/corpus/, the Chinese poems
left out: the PDF font has no CJK glyphs) is published three ways by
renditions.py: a justified, hyphenated PDF with a running head and page
numbers (some with ligature glyphs), a news page with navigation, cookie
banner, sidebar, footer and scripts, and a DOCX file.  Cases:

- formatting-only: PDF vs HTML, PDF vs DOCX, HTML vs DOCX of the same text;
  a tool is right when it reports no content change ("clean").
- edited: the original in one format against a copy with 5 known word edits
  (transforms.apply_edits) in another.

Tools: provenance (its own extractors and diff: what `provenance diff
a.pdf b.html` does); git --word-diff and GNU wdiff on the texts provenance
extracted (the same input, so the diff alone is compared); and pdftotext +
git --word-diff (pdftotext's text for the PDF side: the usual do-it-yourself
pipeline).  Scores are word-level: precision is the share of words a tool
reports as changed that an edit changed, recall the share of edited words it
reports (multisets of folded words, each side separately).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import quality  # noqa: E402
import renditions  # noqa: E402
import transforms as tf  # noqa: E402

from provenance.diff import CONTENT, compare  # noqa: E402
from provenance.extract import extract  # noqa: E402

FORMATS = ("pdf", "html", "docx")
FORMAT_PAIRS = [("pdf", "html"), ("pdf", "docx"), ("html", "docx")]
EDIT_PAIRS = [("pdf", "html"), ("html", "pdf"), ("pdf", "docx"), ("docx", "html")]


def publish(paragraphs, fmt: str, rng: random.Random, title: str) -> bytes:
    if fmt == "pdf":
        return renditions.to_pdf(paragraphs, rng, title, ligatures=rng.random() < 0.5,
                                 footer=rng.choice(["page-of", "number"]))
    if fmt == "html":
        return renditions.to_html(paragraphs, rng, title)
    return renditions.to_docx(paragraphs, title)


def build_cases(quick: bool, seed: int) -> list[dict]:
    cases = []
    for path in quality.corpus_files():
        if "nonlatin" in path.name:
            continue
        rng = random.Random(f"{seed}:{path.name}")
        for passage in quality.passages(path, 2 if quick else 5, rng, 400, 1500):
            paras = passage.paragraphs
            title = "On " + " ".join(tf.core(w) for w in paras[0][:4]).strip()
            files = {fmt: publish(paras, fmt, rng, title) for fmt in FORMATS}
            for a, b in FORMAT_PAIRS:
                cases.append({"corpus": passage.corpus, "kind": "formatting", "pair": f"{a} -> {b}",
                              "old": (a, files[a]), "new": (b, files[b]), "edits": []})
            for a, b in EDIT_PAIRS:
                edited, edits = tf.apply_edits(paras, rng, 5)
                cases.append({"corpus": passage.corpus, "kind": "edited", "pair": f"{a} -> {b}",
                              "old": (a, files[a]), "new": (b, publish(edited, b, rng, title)),
                              "edits": [(e.old_words, e.new_words) for e in edits]})
    return cases


def pdftotext(data: bytes, workdir: Path) -> str:
    (workdir / "in.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "in.pdf", "-"], cwd=workdir, capture_output=True)
    if out.returncode:
        raise RuntimeError(out.stderr.decode(errors="replace"))
    return out.stdout.decode("utf-8")


def words_of(detected, old: str, new: str) -> tuple[Counter, Counter]:
    """Folded words of the old and new side of a tool's content changes."""
    gone, came = Counter(), Counter()
    for d in detected:
        gone.update(w for w in map(tf.core, old[d.old_start:d.old_end].split()) if w)
        came.update(w for w in map(tf.core, new[d.new_start:d.new_end].split()) if w)
    return gone, came


def evaluate(cases: list[dict], tools: list[str]) -> dict:
    totals = {t: Counter() for t in tools}
    by_pair = {t: {} for t in tools}
    seconds = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for case in cases:
            (fa, old_bytes), (fb, new_bytes) = case["old"], case["new"]
            t0 = time.perf_counter()
            old_text = extract(old_bytes, f"old.{fa}").text
            new_text = extract(new_bytes, f"new.{fb}").text
            extract_seconds = time.perf_counter() - t0
            want_gone = Counter(w for old_words, _ in case["edits"] for w in map(tf.core, old_words) if w)
            want_came = Counter(w for _, new_words in case["edits"] for w in map(tf.core, new_words) if w)
            for tool in tools:
                t0 = time.perf_counter()
                a, b = old_text, new_text
                if tool == "provenance":
                    cmp = compare(a, b)
                    detected = [c for c in cmp.changes if c.cls == CONTENT]
                    seconds[tool] += extract_seconds
                else:
                    if tool.startswith("pdftotext"):
                        a = pdftotext(old_bytes, workdir) if fa == "pdf" else a
                        b = pdftotext(new_bytes, workdir) if fb == "pdf" else b
                    run = quality.run_wdiff if tool == "wdiff" else quality.run_git
                    detected = run(a, b, workdir)
                seconds[tool] += time.perf_counter() - t0
                gone, came = words_of(detected, a, b)
                hit = sum((gone & want_gone).values()) + sum((came & want_came).values())
                score = Counter(reported=sum(gone.values()) + sum(came.values()), hit=hit,
                                wanted=sum(want_gone.values()) + sum(want_came.values()))
                if case["kind"] == "formatting":
                    score.update(pairs=1, clean=int(not detected))
                totals[tool].update(score)
                by_pair[tool].setdefault((case["kind"], case["pair"]), Counter()).update(score)
    return {"totals": totals, "by_pair": by_pair, "seconds": seconds}


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "-"


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}% ({num}/{den})" if den else "-"


def report(results: dict, cases: list[dict]) -> str:
    tools = list(results["totals"])
    n_fmt = sum(c["kind"] == "formatting" for c in cases)
    lines = [f"{len(cases)} cases: {n_fmt} formatting-only pairs, {len(cases) - n_fmt} edited pairs "
             f"with {sum(len(c['edits']) for c in cases)} known edits", ""]
    rows = [["tool", "formatting-only clean", "word precision", "word recall", "time"]]
    for t in tools:
        s = results["totals"][t]
        rows.append([t, _pct(s["clean"], s["pairs"]), _ratio(s["hit"], s["reported"]), _ratio(s["hit"], s["wanted"]),
                     f"{results['seconds'][t]:.1f} s"])
    lines += quality._table(rows[0], rows[1:]).splitlines()
    lines += ["", "By pair (formatting-only: clean share; edited: word precision / recall):"]
    keys = sorted(results["by_pair"][tools[0]])
    rows = []
    for kind, pair in keys:
        row = [f"{kind:<10} {pair}"]
        for t in tools:
            s = results["by_pair"][t][(kind, pair)]
            if kind == "formatting":
                row.append(_pct(s["clean"], s["pairs"]))
            else:
                row.append(f"{s['hit'] / max(1, s['reported']):.3f} / {s['hit'] / max(1, s['wanted']):.3f}")
        rows.append(row)
    lines += quality._table(["case", *tools], rows).splitlines()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 passages per text instead of 5")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    cases = build_cases(args.quick, args.seed)
    tools = ["provenance"]
    if shutil.which("git"):
        tools.append("git --word-diff")
    if shutil.which("wdiff"):
        tools.append("wdiff")
    if shutil.which("pdftotext") and shutil.which("git"):
        tools.append("pdftotext + git --word-diff")
    print(f"built {len(cases)} cases in {time.perf_counter() - t0:.1f} s; tools: {', '.join(tools)}", file=sys.stderr)
    results = evaluate(cases, tools)
    print(report(results, cases))
    s = results["totals"]["provenance"]
    return 0 if s["clean"] == s["pairs"] and s["hit"] == s["reported"] == s["wanted"] else 1


if __name__ == "__main__":
    sys.exit(main())
