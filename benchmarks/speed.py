"""Speed and memory of `provenance`, measured end to end against reference tools
in the same run.

    python benchmarks/speed.py            # everything, 5 runs each
    python benchmarks/speed.py --quick    # smaller data, 3 runs
    python benchmarks/speed.py --only diff,startup
    python benchmarks/speed.py --only diff --pair old.txt new.txt   # and your own pair
    python benchmarks/speed.py --only diff --runs 11 --cases "4 MB manual,paged"   # some cases, more runs

Data is distinct text, never a corpus repeated: the shipped texts
(benchmarks/corpus, tests/data) once, then prose generated with a fixed
seed; and generated documents of the hard kinds (Manual: headings, lists,
code, tables, typography, other scripts), made into benchmarks/.data/
(git-ignored; nothing large is committed).  Every figure is the median
of several runs of a fresh process, as a user runs it; the reference tool
(GNU wdiff for diffs, `python -c pass` for start-up) runs in the same loop so
the ratio is fair on a shared machine.  Peak memory is the child's maximum
resident set size from wait4(), against the input: raw, and for the diffs
also above the floor (the peak of `provenance diff` of two one-line files,
some 24 MB of interpreter and imports, taken off), which is the fair figure
at 1 MB.  Children get a bytecode cache
(PYTHONPYCACHEPREFIX under .data), as an installed tool has, even where
PYTHONDONTWRITEBYTECODE is set.
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
from itertools import accumulate
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DATA = HERE / ".data"


# --provenance: another build's command to time (a baseline), instead of the installed one.
PROVENANCE_CMD: list[str] = []
# --baseline: a second build's command run in the same loop (before/after figures under the same load).
BASELINE_CMD: list[str] = []
# --pair: your own (old, new) files, timed beside wdiff as the generated pairs are (held-out text).
GIVEN_PAIRS: list[tuple[str, str]] = []
CASE_FILTER: list[str] = []  # (--cases: only the diff cases whose label holds one of these)


def provenance_cmd() -> list[str]:
    if PROVENANCE_CMD:
        return PROVENANCE_CMD
    exe = shutil.which("provenance", path=str(Path(sys.executable).parent)) or shutil.which("provenance")
    return [exe] if exe else [sys.executable, "-m", "provenance.cli"]


# --- data --------------------------------------------------------------------
#
# Every pair is distinct text, never a corpus repeated (a repeated text has few
# distinct sentences and words, which flatters every cache and table of the
# comparison): first the shipped English texts, each once (benchmarks/corpus,
# tests/data), then, past their 1.6 MB, prose generated with a fixed seed.

# Bump when the generated data changes, so cached files are not reused.
DATA_VERSION = 2


def shipped_paragraphs() -> list[str]:
    """The shipped texts' paragraphs, each text once, in their own layout
    (the Chinese poems left out: word edits are for space-separated prose)."""
    paras = []
    for path in [*sorted(CORPUS.glob("*.txt")), *sorted((HERE.parent / "tests" / "data").glob("*.txt"))]:
        if "zh" in path.name:
            continue
        paras += [p.strip("\n") for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    return paras


class Prose:
    """Varied generated prose: a vocabulary of the corpus's words (with their
    frequencies) and of made-up words and names (Zipf-distributed, so the
    count of distinct words grows with the text), sentences of 3-60 words,
    capitals, numbers, dates, commas, semicolons, parentheses, quotes,
    questions, paragraphs of 1-9 sentences, headings and the odd list."""

    SYLLABLES = ("ka ri to mo na shi ve lo pra ten dor mu gal is an er on ith ul bre sta qui fen "
                 "ro ma de li ca pe su tor vin ax ex ol um").split()

    def __init__(self, rng: random.Random):
        from collections import Counter

        self.rng = rng
        counts = Counter(w.strip(".,;:!?()[]\"'").lower() for p in shipped_paragraphs() for w in p.split())
        words = [w for w, _ in counts.most_common() if w.isalpha()]
        self.known, self.known_weights = words, [counts[w] for w in words]
        self.known_cum = list(accumulate(self.known_weights))
        made = {"".join(rng.choice(self.SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))) for _ in range(300_000)}
        self.made = sorted(made)
        rng.shuffle(self.made)
        self.made_cum = list(accumulate(1 / (k + 1) for k in range(len(self.made))))  # Zipf

    def word(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.80:
            return rng.choices(self.known, cum_weights=self.known_cum)[0]
        if r < 0.95:
            return rng.choices(self.made, cum_weights=self.made_cum)[0]
        if r < 0.975:
            return rng.choices(self.made, cum_weights=self.made_cum)[0].capitalize()  # a name
        return rng.choice((str(rng.randint(1, 99)), str(rng.randint(1700, 2030)), f"{rng.randint(1, 999)},{rng.randint(0, 999):03d}",
                           f"{rng.randint(0, 99)}.{rng.randint(0, 9)}%", f"{rng.randint(1, 31)} March {rng.randint(1800, 2030)}"))

    def sentence(self) -> str:
        rng = self.rng
        n = max(3, min(60, int(rng.lognormvariate(2.8, 0.5))))
        words = [self.word() for _ in range(n)]
        for k in range(1, n - 1):
            if rng.random() < 0.07:
                words[k] += rng.choice((",", ",", ",", ";", ":"))
        if n > 8 and rng.random() < 0.1:
            k = rng.randrange(1, n - 4)
            words[k], words[k + 2] = "(" + words[k], words[k + 2] + ")"
        if n > 8 and rng.random() < 0.1:
            k = rng.randrange(1, n - 4)
            words[k], words[k + 3] = '"' + words[k], words[k + 3] + '"'
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words) + rng.choice(".........?!")

    def paragraph(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.04:
            return f"Chapter {rng.randint(1, 60)}: " + " ".join(self.word().capitalize() for _ in range(rng.randint(1, 5)))
        if r < 0.06:
            return "\n".join(f"{k + 1}. " + self.sentence() for k in range(rng.randint(2, 6)))
        return " ".join(self.sentence() for _ in range(rng.randint(1, 9)))


class Manual(Prose):
    """Generated documents of the hard kinds real ones are made of, beside
    plain prose: headings and list items with no full stop (so paragraph
    breaks fall inside the comparison's sentence chunks), code with
    brackets and punctuation written apart, tables laid out with spaces,
    curly quotes, dashes and ellipses, and now and then words of other
    scripts (Chinese, Devanagari, an accent written as a combining mark),
    which send a plain-text fast path's text through the full rules.  The
    Rust, vim and GNU manuals were 1.2-1.6x wdiff where this module's
    prose pairs were 0.85x: this is their kind, generated."""

    FOREIGN = ("\u6587\u6863", "\u4fee\u8ba2\u7248", "\u0926\u0938\u094d\u0924\u093e\u0935\u0947\u091c\u093c", "re\u0301sume\u0301",
               "\u00e9dition", "Stra\u00dfe", "\u0414\u043e\u043a\u0443\u043c\u0435\u043d\u0442", "na\u0131\u0308ve")
    CODE_WORDS = ("fn", "let", "mut", "return", "if", "else", "match", "self", "None", "Some", "Ok", "Err", "x", "y", "n", "i")

    def typeset(self, sentence: str) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            sentence = sentence.replace('"', "\u201c", 1).replace('"', "\u201d", 1)
        words = sentence.split(" ")
        for k in range(1, len(words) - 1):
            r = rng.random()
            if r < 0.02:
                words[k] += "\u2019s"
            elif r < 0.03:
                words[k] = "\u2014 " + words[k]
            elif r < 0.036:
                words[k] = rng.choice(self.FOREIGN)
        if rng.random() < 0.02:
            words[-1] = words[-1].rstrip(".!?") + "\u2026"
        return " ".join(words)

    def code(self) -> str:
        rng = self.rng
        lines = []
        for _ in range(rng.randint(2, 12)):
            name = self.word().lower()
            indent = "    " * rng.randint(1, 3)
            lines.append(indent + rng.choice((
                f"let {name} = {rng.choice(self.CODE_WORDS)} ( {self.word().lower()} , {rng.randint(0, 99)} ) ;",
                f"if {name} > {rng.randint(1, 9)} {{ return {rng.choice(self.CODE_WORDS)} ; }}",
                f"{name}.{self.word().lower()}() ;  // {self.word()} {self.word()}",
                f"match {name} {{ Some ( v ) => v , None => {rng.randint(0, 9)} }}")))
        return "\n".join(lines)

    def table(self) -> str:
        rng = self.rng
        rows = [[self.word() for _ in range(rng.randint(2, 4))] for _ in range(rng.randint(2, 8))]
        return "\n".join("  ".join(f"{cell:<14}" for cell in row).rstrip() for row in rows)

    def paragraph(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.10:  # a heading: no full stop
            return f"{rng.randint(1, 30)}.{rng.randint(1, 9)} " + " ".join(self.word().capitalize() for _ in range(rng.randint(1, 5)))
        if r < 0.20:  # a list: items with no full stop
            bullet = rng.choice(("-", "*", "\u2022"))
            return "\n".join(f"{bullet} " + " ".join(self.word() for _ in range(rng.randint(2, 9))) for _ in range(rng.randint(2, 7)))
        if r < 0.30:
            return self.code()
        if r < 0.34:
            return self.table()
        return textwrap.fill(" ".join(self.typeset(self.sentence()) for _ in range(rng.randint(1, 7))), 72,
                             break_long_words=False, break_on_hyphens=False)


def manual_paragraphs(size_mb: float, seed: int = 1) -> list[str]:
    """Paragraphs of about size_mb of generated documents (Manual), each in
    its own layout."""
    target, n, paras = int(size_mb * 1_000_000), 0, []
    manual = Manual(random.Random(seed))
    while n < target:
        paras.append(manual.paragraph())
        n += len(paras[-1]) + 2
    return paras


def distinct_paragraphs(size_mb: float, seed: int = 1) -> list[str]:
    """Paragraphs of about size_mb of distinct text: the shipped texts once,
    then generated prose."""
    target, n, paras = int(size_mb * 1_000_000), 0, []
    for p in shipped_paragraphs():
        paras.append(p)
        n += len(p) + 2
        if n >= target:
            return paras
    prose = Prose(random.Random(seed))
    while n < target:
        paras.append(prose.paragraph())
        n += len(paras[-1]) + 2
    return paras


def edit_words(paras: list[str], edit_rate: float, rng: random.Random) -> list[str]:
    """The paragraphs with edit_rate of their words substituted (by another
    word of the text), inserted after or deleted, in equal shares."""
    vocab = [w for p in paras[:: max(1, len(paras) // 2000)] for w in p.split()]
    edited = []
    for p in paras:
        q = []
        for w in p.split():
            r = rng.random()
            if r < edit_rate / 3:
                q.append(rng.choice(vocab))
            elif r < 2 * edit_rate / 3:
                q.extend([w, rng.choice(vocab)])
            elif r < edit_rate:
                continue
            else:
                q.append(w)
        edited.append(" ".join(q) or p)
    return edited


def wrap(paras: list[str], width: int) -> str:
    return "\n\n".join(textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False) for p in paras) + "\n"


def paged(text: str, lines_per_page: int, head: str) -> str:
    """The text cut into pages (form feeds), each with a running head on top
    and its number at the bottom, as a PDF's text comes out."""
    lines = text.split("\n")
    pages = ["\n".join([head, "", *lines[k:k + lines_per_page], "", str(k // lines_per_page + 1)])
             for k in range(0, len(lines), lines_per_page)]
    return "\f".join(pages) + "\n"


def in_child(function, *args) -> None:
    """Run a data maker in a child process: making 16 MB of text grows this
    process by hundreds of megabytes, and a child forked from it would start
    with that resident, so its peak RSS would be ours."""
    if os.environ.get("PROVENANCE_BENCH_MAKER"):
        function(*args)
        return
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import speed; speed.{function.__name__}(*{args!r})"
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PROVENANCE_BENCH_MAKER": "1"})


def to_make(a: Path, b: Path, maker, *args) -> bool:
    """Whether this process is to write the pair a, b now: not if they are
    made already, nor if it is not a maker (it runs maker(*args) in a child,
    in_child, which writes them)."""
    if a.exists() and b.exists():
        return False
    if not os.environ.get("PROVENANCE_BENCH_MAKER"):
        in_child(maker, *args)
        return False
    DATA.mkdir(exist_ok=True)
    return True


def make_pair(size_mb: float, edit_rate: float, seed: int = 1, page: bool = False) -> tuple[Path, Path]:
    """Distinct text of about size_mb in its own layout (the shipped texts'
    wraps, generated prose at 72 columns), and a copy with edit_rate of its
    words edited, re-wrapped at 95 columns.  page: both laid out in pages
    with a running head and page numbers (54 and 60 lines a page)."""
    name = f"distinct{DATA_VERSION}-{size_mb:g}mb-{edit_rate:g}{'-paged' if page else ''}"
    a, b = DATA / f"{name}.old.txt", DATA / f"{name}.new.txt"
    if not to_make(a, b, make_pair, size_mb, edit_rate, seed, page):
        return a, b
    paras = distinct_paragraphs(size_mb, seed)
    shipped = len(shipped_paragraphs())
    old_paras = [p if k < shipped else textwrap.fill(p, 72, break_long_words=False, break_on_hyphens=False)
                 for k, p in enumerate(paras)]
    old = "\n\n".join(old_paras) + "\n"
    new = wrap(edit_words(paras, edit_rate, random.Random(seed + 1)), 95)
    if page:
        old = paged(old, 54, "THE BENCHMARK READER     Distinct prose, first layout")
        new = paged(new, 60, "The Benchmark Reader -- distinct prose (second layout)")
    a.write_text(old, encoding="utf-8")
    b.write_text(new, encoding="utf-8")
    return a, b


def make_manual_pair(size_mb: float, edit_rate: float, seed: int = 3) -> tuple[Path, Path]:
    """Generated documents of the hard kinds (Manual) of about size_mb, and
    a copy with edit_rate of its words edited, re-wrapped at 95 columns
    (code and tables too: a web page's text of a manual's PDF)."""
    name = f"manual{DATA_VERSION}-{size_mb:g}mb-{edit_rate:g}"
    a, b = DATA / f"{name}.old.txt", DATA / f"{name}.new.txt"
    if not to_make(a, b, make_manual_pair, size_mb, edit_rate, seed):
        return a, b
    paras = manual_paragraphs(size_mb, seed)
    a.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    b.write_text(wrap(edit_words(paras, edit_rate, random.Random(seed + 1)), 95), encoding="utf-8")
    return a, b


def make_crossformat_pair(size_mb: float, edit_rate: float, seed: int = 3) -> tuple[Path, Path]:
    """The manual of make_manual_pair as a web page's text (one line per
    paragraph, curly quotes, dashes, no-break spaces) and, with edit_rate
    of its words edited, as a PDF's (hard wraps near 90 columns, words
    hyphenated at line ends, ligatures, stray spaces): transforms.py's
    "web" and "pdf" styles, what the invariance benchmark calls formatting
    only.  Nearly every chunk differs in formatting, so the chunk pass
    folds them all: the product's own case, and its slowest."""
    name = f"crossformat{DATA_VERSION}-{size_mb:g}mb-{edit_rate:g}"
    a, b = DATA / f"{name}.web.txt", DATA / f"{name}.pdf.txt"
    if not to_make(a, b, make_crossformat_pair, size_mb, edit_rate, seed):
        return a, b
    import transforms as tf

    paras = manual_paragraphs(size_mb, seed)
    old = [p.split() for p in paras]
    new = [p.split() for p in edit_words(paras, edit_rate, random.Random(seed + 1))]
    lexicon = tf.lexicon_of(old) | tf.lexicon_of(new)
    a.write_text(tf.render(old, "web", random.Random(seed), lexicon).text, encoding="utf-8")
    b.write_text(tf.render(new, "pdf", random.Random(seed + 2), lexicon).text, encoding="utf-8")
    return a, b


def make_identical(size_mb: float) -> tuple[Path, Path]:
    a, _ = make_pair(size_mb, 0.0)
    b = DATA / f"identical{DATA_VERSION}-{size_mb:g}mb.copy.txt"
    if not b.exists():
        shutil.copyfile(a, b)
    return a, b


def make_one_line(size_mb: float, seed: int = 1, stops: bool = True) -> tuple[Path, Path]:
    """Two versions of one huge line (a minified or unwrapped text): distinct
    prose with every line break made a space, the second with 1% of its
    words edited.  stops=False: without sentence ends (. ! ? taken out), so
    the line is one chunk for the sentence-level pass."""
    name = f"oneline{DATA_VERSION}-{size_mb:g}mb{'' if stops else '-nostops'}"
    a, b = DATA / f"{name}.old.txt", DATA / f"{name}.new.txt"
    if not to_make(a, b, make_one_line, size_mb, seed, stops):
        return a, b
    paras = [" ".join(p.split()) for p in distinct_paragraphs(size_mb, seed)]
    if not stops:
        paras = [p.translate(str.maketrans("", "", ".!?")) for p in paras]
    a.write_text(" ".join(paras), encoding="utf-8")
    b.write_text(" ".join(edit_words(paras, 0.01, random.Random(seed + 1))), encoding="utf-8")
    return a, b


# --- measuring ---------------------------------------------------------------


# Child processes get a bytecode cache, as an installed tool has, even where
# PYTHONDONTWRITEBYTECODE is set (which alone adds some 40 ms to every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
PURE = {**ENV, "PROVENANCE_SPEEDUPS": "0"}  # without the compiled speed-ups, as where no C compiler was found


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
            t, rss, _ = run_once(cmd, env=PURE if key.endswith("pure") else ENV)
            times[key].append(t)
            peaks[key] = max(peaks[key], rss)
    return {k: (statistics.median(v), peaks[k]) for k, v in times.items()}


def row(*cells, widths=(30, 11, 9, 8, 24, 12)) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths))


# --- benchmarks ----------------------------------------------------------------


def tiny_pair() -> tuple[Path, Path]:
    DATA.mkdir(exist_ok=True)
    tiny_a, tiny_b = DATA / "tiny.old.txt", DATA / "tiny.new.txt"
    tiny_a.write_text("The cat sat.\n", encoding="utf-8")
    tiny_b.write_text("The dog sat.\n", encoding="utf-8")
    return tiny_a, tiny_b


def diff_cases(quick: bool) -> list[tuple[str, Path, Path, float | None]]:
    """(label, old, new, goal as a ratio to wdiff or None)."""
    sizes = (1, 4) if quick else (1, 4, 16)
    cases = [(f"{mb} MB, 1% edits, re-wrapped", *make_pair(mb, 0.01), 1.5 if mb == 1 else 1.0) for mb in sizes]
    cases += [(f"{mb} MB, 20% edits, re-wrapped", *make_pair(mb, 0.20), 1.5) for mb in sizes]
    cases.append(("4 MB, 1% edits, paged", *make_pair(4, 0.01, page=True), None))
    cases += [(f"{mb} MB manual, 1% edits", *make_manual_pair(mb, 0.01), 1.5 if mb == 1 else 1.0) for mb in sizes]
    cases.append(("4 MB manual, 20% edits", *make_manual_pair(4, 0.20), 1.5))
    cases.append(("4 MB manual, web vs PDF, 1%", *make_crossformat_pair(4, 0.01), None))
    cases += [(f"given: {Path(a).name}", Path(a), Path(b), None) for a, b in GIVEN_PAIRS]
    cases.append((f"{16 if not quick else 4} MB identical", *make_identical(16 if not quick else 4), None))
    return cases


def bench_diff(runs: int, quick: bool, pure: bool = True) -> None:
    wdiff = shutil.which("wdiff")
    print("\n## diff: `provenance diff A B --format json` vs `wdiff A B` (median of %d runs)\n" % runs)
    print("Distinct text (the shipped texts once, then generated prose; 'manual': generated documents of the hard")
    print("kinds, see Manual; 'given': --pair files), never a corpus repeated. Peak RSS is the")
    print("child's maximum resident set, against both inputs together: raw, and above the floor (the floor's own")
    print("peak RSS taken off: at 1 MB the interpreter and imports, some 24 MB, are most of it). The floor,")
    print("`provenance diff` of two one-line files (start-up, imports, one tiny comparison), runs in every loop." +
          (f" baseline: {' '.join(BASELINE_CMD)}, in the same loop." if BASELINE_CMD else "") + "\n")
    print(row("case", "provenance", "wdiff", "ratio", "baseline" if BASELINE_CMD else "pure Python",
              "peak RSS vs inputs (raw; above floor)", widths=(30, 11, 9, 8, 24, 40)))
    tiny = tiny_pair()
    for label, a, b, target in diff_cases(quick):
        if CASE_FILTER and not any(part in label for part in CASE_FILTER):
            continue
        cmds = {"provenance": [*provenance_cmd(), "diff", str(a), str(b), "--format", "json"]}
        if BASELINE_CMD:
            cmds["baseline"] = [*BASELINE_CMD, "diff", str(a), str(b), "--format", "json"]
        elif pure:
            cmds["pure"] = cmds["provenance"]
        if wdiff:
            cmds["wdiff"] = [wdiff, str(a), str(b)]
        cmds["floor"] = [*provenance_cmd(), "diff", *map(str, tiny), "--format", "json"]
        m = medians(cmds, runs)
        ours, peak = m["provenance"]
        ref = m.get("wdiff", (float("nan"), 0))[0]
        size = a.stat().st_size + b.stat().st_size
        ratio = ours / ref if wdiff else float("nan")
        other = "-"
        for key in ("baseline", "pure"):
            if key in m:
                other = f"{m[key][0]:.3f} s = {m[key][0] / ref:.2f}x" if wdiff else f"{m[key][0]:.3f} s"
                if key == "baseline":
                    other += f", {m[key][1] / 1024:.0f} MB"
        goal = f"(goal <= {target:g}x)" if target else ("(goal < 1 s)" if "identical" in label else "")
        floor_rss = m["floor"][1]
        mem = f"{peak / 1024:.0f} MB = {peak * 1024 / size:.1f}x; {(peak - floor_rss) * 1024 / size:.1f}x"
        floor = f" floor {m['floor'][0]:.3f} s, {floor_rss / 1024:.0f} MB" if label.startswith("1 MB") else ""
        print(row(label, f"{ours:.3f} s", f"{ref:.3f} s", f"{ratio:.2f}x", other, mem, widths=(30, 11, 9, 8, 24, 40)),
              goal + floor, flush=True)


def bench_one_line(runs: int, quick: bool) -> None:
    """Peak memory of the diff of two versions of one huge line."""
    wdiff = shutil.which("wdiff")
    print(f"\n## memory: two versions of one huge line, 1% of the words edited (median of {runs} runs; 1 at 48 MB and without sentence ends)\n")
    print("peak RSS against one input (the larger), as issue #13 counts it; goal < 10x. The last line has no sentence end:")
    print("one chunk for the sentence-level pass, which the pass now cuts into pieces.\n")
    widths = (30, 11, 9, 8, 26, 40)
    print(row("case", "provenance", "wdiff", "ratio", "baseline" if BASELINE_CMD else "", "peak RSS vs input", widths=widths))
    for mb, stops in ([(4, True), (4, False)] if quick else [(4, True), (16, True), (48, True), (16, False)]):
        a, b = make_one_line(mb, stops=stops)
        cmds = {"provenance": [*provenance_cmd(), "diff", str(a), str(b), "--format", "json"]}
        if BASELINE_CMD:
            cmds["baseline"] = [*BASELINE_CMD, "diff", str(a), str(b), "--format", "json"]
        if wdiff:
            cmds["wdiff"] = [wdiff, str(a), str(b)]
        m = medians(cmds, runs if mb < 48 and stops else 1)
        ours, peak = m["provenance"]
        ref, ref_peak = m.get("wdiff", (float("nan"), 0))
        size = max(a.stat().st_size, b.stat().st_size)
        base = ""
        if "baseline" in m:
            base = f"{m['baseline'][0]:.3f} s, {m['baseline'][1] * 1024 / size:.1f}x"
        mem = f"{peak / 1024:.0f} MB = {peak * 1024 / size:.1f}x (wdiff {ref_peak * 1024 / size:.1f}x)"
        print(row(f"{mb} MB on one line" + ("" if stops else ", no . ! ?"), f"{ours:.3f} s", f"{ref:.3f} s", f"{ours / ref:.2f}x", base, mem,
                  widths=widths), flush=True)


def bench_quality_vs_exact(quick: bool) -> None:
    """Anchored diff against the plain Myers diff on the same pairs."""
    sys.path.insert(0, str(HERE.parent))
    from provenance import tokens as tk
    from provenance.diff.myers import _encode, diff_strings

    print("\n## anchored vs exact (plain Myers) diff on the benchmark pairs\n")
    print(row("case", "exact", "anchored", "agree", widths=(34, 16, 16, 8)))
    cases = [(f"{mb} MB, {rate:.0%} edits", make_pair(mb, rate)) for mb, rate in ((1, 0.01), (1, 0.20), (4, 0.01))]
    for label, (a, b) in cases:
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
    tiny_a, tiny_b = tiny_pair()
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


def speedups_built() -> bool | None:
    if PROVENANCE_CMD:
        return None  # another build: not known
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
    parser.add_argument("--only", default="startup,diff,exact,html,oneline",
                        help="comma-separated: startup,diff,exact,html,oneline")
    parser.add_argument("--no-pure", action="store_true", help="skip the runs without the compiled speed-ups")
    parser.add_argument("--provenance", default=None, metavar="CMD",
                        help="the command to time instead of the installed provenance (e.g. a baseline build's wrapper)")
    parser.add_argument("--baseline", default=None, metavar="CMD",
                        help="also time this command (another build's provenance) in the same loop as the diffs")
    parser.add_argument("--cases", default=None, metavar="TEXT,...",
                        help="time only the diff cases whose label holds one of these (e.g. '4 MB manual,paged')")
    parser.add_argument("--pair", nargs=2, action="append", default=[], metavar=("OLD", "NEW"),
                        help="also time the diff of these two files (text you did not tune on); repeatable")
    args = parser.parse_args()
    GIVEN_PAIRS[:] = [tuple(pair) for pair in args.pair]
    CASE_FILTER[:] = args.cases.split(",") if args.cases else []
    if args.baseline:
        BASELINE_CMD[:] = args.baseline.split()
    if args.provenance:
        PROVENANCE_CMD[:] = args.provenance.split()
    runs = args.runs or (3 if args.quick else 5)
    only = set(args.only.split(","))
    print(f"# provenance speed benchmark  ({os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"wdiff {'found' if shutil.which('wdiff') else 'NOT installed (apt-get install wdiff)'}, "
          f"compiled speed-ups {dict([(True, 'built'), (False, 'NOT built (no C compiler?)'), (None, 'unknown')])[speedups_built()]})")
    if "startup" in only:
        bench_startup(runs)
    if "diff" in only:
        bench_diff(runs, args.quick, pure=not args.no_pure)
    if "oneline" in only:
        bench_one_line(runs, args.quick)
    if "html" in only:
        bench_html(runs, args.quick)
    if "exact" in only:  # last: it tokenises in this process, which grows it
        bench_quality_vs_exact(args.quick)


if __name__ == "__main__":
    main()
