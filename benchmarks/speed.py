"""Speed and memory of `provenance`, measured end to end against reference tools
in the same run.

    python benchmarks/speed.py            # everything, 5 runs each
    python benchmarks/speed.py --quick    # smaller data, 3 runs
    python benchmarks/speed.py --only diff,startup

Data is generated from the texts in benchmarks/corpus (nothing large is
committed) into benchmarks/.data/ (git-ignored).  Every figure is the median
of several runs of a fresh process, as a user runs it; the reference tool
(GNU wdiff for diffs, `python -c pass` for start-up) runs in the same loop so
the ratio is fair on a shared machine.  Peak memory is the child's maximum
resident set size from wait4().
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DATA = HERE / ".data"


def provenance_cmd() -> list[str]:
    exe = shutil.which("provenance", path=str(Path(sys.executable).parent)) or shutil.which("provenance")
    return [exe] if exe else [sys.executable, "-m", "provenance.cli"]


# --- data --------------------------------------------------------------------


def corpus_paragraphs() -> list[list[str]]:
    paras = []
    for path in sorted(CORPUS.glob("*.txt")):
        if "zh" in path.name:
            continue  # word edits on space-separated prose only
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            words = para.split()
            if words:
                paras.append(words)
    return paras


def make_pair(size_mb: float, edit_rate: float, seed: int = 1) -> tuple[Path, Path]:
    """Prose of about size_mb, and a copy with edit_rate of its words edited
    (substituted, inserted after, deleted), re-wrapped to another width."""
    name = f"prose-{size_mb:g}mb-{edit_rate:g}"
    a, b = DATA / f"{name}.old.txt", DATA / f"{name}.new.txt"
    if a.exists() and b.exists():
        return a, b
    DATA.mkdir(exist_ok=True)
    rng = random.Random(seed)
    source = corpus_paragraphs()
    vocab = [w for p in source for w in p]
    target = int(size_mb * 1_000_000)
    doc, n = [], 0
    while n < target:
        for p in source:
            doc.append(p)
            n += sum(len(w) + 1 for w in p) + 1
            if n >= target:
                break
    edited = []
    for p in doc:
        q = []
        for w in p:
            r = rng.random()
            if r < edit_rate / 3:
                q.append(rng.choice(vocab))
            elif r < 2 * edit_rate / 3:
                q.extend([w, rng.choice(vocab)])
            elif r < edit_rate:
                continue
            else:
                q.append(w)
        edited.append(q or p)

    def wrap(paras, width):
        return "\n\n".join(textwrap.fill(" ".join(p), width, break_long_words=False, break_on_hyphens=False) for p in paras) + "\n"

    a.write_text(wrap(doc, 72), encoding="utf-8")
    b.write_text(wrap(edited, 95), encoding="utf-8")
    return a, b


def make_identical(size_mb: float) -> tuple[Path, Path]:
    a, _ = make_pair(size_mb, 0.0)
    b = DATA / f"identical-{size_mb:g}mb.copy.txt"
    if not b.exists():
        shutil.copyfile(a, b)
    return a, b


# --- measuring ---------------------------------------------------------------


PURE = {**os.environ, "PROVENANCE_SPEEDUPS": "0"}  # without the compiled speed-ups, as where no C compiler was found


def run_once(cmd: list[str], stdout=subprocess.DEVNULL, env=None) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KB and exit status of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.strip()}")
    return elapsed, usage.ru_maxrss, proc.returncode


def medians(cmds: dict[str, list[str]], runs: int) -> dict[str, tuple[float, int]]:
    """Interleave the commands run by run so load affects them alike (a key
    ending in "pure" runs without the compiled speed-ups)."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    peaks: dict[str, int] = {k: 0 for k in cmds}
    for _ in range(runs):
        for key, cmd in cmds.items():
            t, rss, _ = run_once(cmd, env=PURE if key.endswith("pure") else None)
            times[key].append(t)
            peaks[key] = max(peaks[key], rss)
    return {k: (statistics.median(v), peaks[k]) for k, v in times.items()}


def row(*cells, widths=(30, 11, 9, 8, 17, 12)) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))


# --- benchmarks ----------------------------------------------------------------


def bench_diff(runs: int, quick: bool) -> None:
    wdiff = shutil.which("wdiff")
    cases = [("1 MB, 1% edits, re-wrapped", *make_pair(1, 0.01), 1.0),
             ("4 MB, 1% edits, re-wrapped", *make_pair(4 if not quick else 2, 0.01), 1.0),
             ("1 MB, 20% edits, re-wrapped", *make_pair(1, 0.20), 2.0),
             ("10 MB identical", *make_identical(10 if not quick else 2), None)]
    print("\n## diff: `provenance diff A B --format json` vs `wdiff A B` (median of %d runs)\n" % runs)
    print(row("case", "provenance", "wdiff", "ratio", "pure Python", "peak RSS vs both inputs"))
    for label, a, b, target in cases:
        cmds = {"provenance": [*provenance_cmd(), "diff", str(a), str(b), "--format", "json"]}
        cmds["pure"] = cmds["provenance"]
        if wdiff:
            cmds["wdiff"] = [wdiff, str(a), str(b)]
        m = medians(cmds, runs)
        ours, peak = m["provenance"]
        ref = m.get("wdiff", (float("nan"), 0))[0]
        size = a.stat().st_size + b.stat().st_size
        ratio = ours / ref if wdiff else float("nan")
        pure = f"{m['pure'][0]:.3f} s = {m['pure'][0] / ref:.2f}x" if wdiff else f"{m['pure'][0]:.3f} s"
        goal = f"(goal <= {target:g}x)" if target else "(goal < 1 s)"
        # peak RSS against both inputs together (and against one of them)
        mem = f"{peak / 1024:.0f} MB = {peak * 1024 / size:.1f}x ({peak * 1024 / (size / 2):.0f}x one file)"
        print(row(label, f"{ours:.3f} s", f"{ref:.3f} s", f"{ratio:.2f}x", pure, mem), goal)


def bench_quality_vs_exact(quick: bool) -> None:
    """Anchored diff against the plain Myers diff on the same pairs."""
    sys.path.insert(0, str(HERE.parent))
    from provenance import tokens as tk
    from provenance.diff.myers import _encode, diff_strings

    print("\n## anchored vs exact (plain Myers) diff on the benchmark pairs\n")
    print(row("case", "exact", "anchored", "agree", widths=(34, 16, 16, 8)))
    for label, (a, b) in [("1 MB, 1% edits", make_pair(1, 0.01)), ("1 MB, 20% edits", make_pair(1, 0.20))]:
        ka = tk.tokenize(a.read_text(encoding="utf-8")).keys
        kb = tk.tokenize(b.read_text(encoding="utf-8")).keys
        sa, sb = _encode(ka, kb)
        changed = lambda ops: sum(n for op, n in ops if op != "=")
        t0 = time.perf_counter()
        exact = changed(diff_strings(sa, sb, anchored=False))
        t1 = time.perf_counter()
        anchored = changed(diff_strings(sa, sb, anchored=True))
        t2 = time.perf_counter()
        print(row(label, f"{exact} tok {t1 - t0:.2f}s", f"{anchored} tok {t2 - t1:.2f}s",
                  f"{100 * (1 - abs(anchored - exact) / max(exact, 1)):.2f}%", widths=(34, 16, 16, 8)))


def bench_html(runs: int, quick: bool) -> None:
    size_mb = 4 if not quick else 2
    print(f"\n## HTML report for {size_mb} MB pairs (median of {runs} runs)\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        # The same document at 1% and at 0.1% edits: a changes-only report
        # (the default over 1 MB) should shrink with the changes.
        for rate in (0.01, 0.001):
            a, b = make_pair(size_mb, rate)
            m = medians({"html": [*provenance_cmd(), "diff", str(a), str(b), "-o", str(out)]}, runs)
            size = out.stat().st_size
            changes = json.loads(subprocess.run([*provenance_cmd(), "diff", str(a), str(b), "--format", "json"],
                                                capture_output=True, text=True).stdout)["stats"]["changes"]
            print(f"{rate:.1%} edits: render {m['html'][0]:.3f} s (goal < 3 s); report {size / 1e6:.2f} MB for "
                  f"{a.stat().st_size / 1e6:.2f} MB input, {changes:,} changes = {size / max(changes, 1):,.0f} bytes "
                  f"per change")


def bench_startup(runs: int) -> None:
    print("\n## start-up (median of %d runs)\n" % runs)
    DATA.mkdir(exist_ok=True)
    tiny_a, tiny_b = DATA / "tiny.old.txt", DATA / "tiny.new.txt"
    tiny_a.write_text("The cat sat.\n", encoding="utf-8")
    tiny_b.write_text("The dog sat.\n", encoding="utf-8")
    one_mb = make_pair(1, 0.01)
    cmds = {"help": [*provenance_cmd(), "--help"], "python": [sys.executable, "-c", "pass"],
            "tiny": [*provenance_cmd(), "diff", str(tiny_a), str(tiny_b), "--format", "json"]}
    if shutil.which("wdiff"):
        cmds["wdiff"] = [shutil.which("wdiff"), *map(str, one_mb)]
    m = medians(cmds, runs)
    print(f"provenance --help: {m['help'][0]:.3f} s (goal < 0.15 s); bare `python -c pass`: {m['python'][0]:.3f} s")
    # The floor under every diff: start-up, imports, one tiny comparison.
    print(f"provenance diff of two one-line files (--format json): {m['tiny'][0]:.3f} s"
          + (f"; wdiff on the 1 MB pair: {m['wdiff'][0]:.3f} s" if "wdiff" in m else ""))


def speedups_built() -> bool:
    code = "from provenance import tokens; print(tokens._speedups is not None)"
    cmd = [sys.executable, "-c", code]
    exe = provenance_cmd()[0]
    if exe != sys.executable:  # the interpreter of the installed tool
        first = Path(exe).read_text(errors="replace").splitlines()[0] if Path(exe).is_file() else ""
        if first.startswith("#!"):
            cmd[0] = first[2:].strip()
    return subprocess.run(cmd, capture_output=True, text=True).stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data and fewer runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--only", default="startup,diff,exact,html", help="comma-separated: startup,diff,exact,html")
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 5)
    only = set(args.only.split(","))
    print(f"# provenance speed benchmark  ({os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"wdiff {'found' if shutil.which('wdiff') else 'NOT installed (apt-get install wdiff)'}, "
          f"compiled speed-ups {'built' if speedups_built() else 'NOT built (no C compiler?)'})")
    if "startup" in only:
        bench_startup(runs)
    if "diff" in only:
        bench_diff(runs, args.quick)
    if "exact" in only:
        bench_quality_vs_exact(args.quick)
    if "html" in only:
        bench_html(runs, args.quick)


if __name__ == "__main__":
    main()
