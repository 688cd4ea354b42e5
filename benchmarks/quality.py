#!/usr/bin/env python3
"""Diff quality benchmark: formatting-only pairs and known word edits.

    python benchmarks/quality.py [--quick] [--seed N] [--text NAME] [--no-external]
    python benchmarks/quality.py --cross-format   # one text as PDF, web page, DOCX (crossformat.py)

Cases are built from passages of the real texts in benchmarks/corpus/ (see
transforms.py for the renderings):

- formatting-only pairs: the passage as published vs one rendering of the
  same words (re-wrapped, one line per paragraph, CRLF, stray whitespace,
  blank-line runs, compounds and words broken at line ends, curly quotes,
  ligatures, no-break spaces, soft hyphens, dashes, PDF-like, web-like), and
  PDF-like vs web-like.  A tool should report no content change at all.
- edited pairs: rendering A of the passage vs rendering B of the passage
  with known word edits (substitutions, insertions, deletions, phrase
  replacements).  A tool should report exactly those edits.

Tools: this tool (provenance.diff.compare, content changes only),
`git diff --no-index --word-diff=porcelain` and GNU `wdiff` when installed.
Git and wdiff have no formatting class, so every change they report counts.

Measures per tool:
- clean: share of formatting-only pairs with zero content changes;
- precision: detected content changes overlapping a known edit / all
  detected content changes (edited pairs);
- recall: known edits overlapped by at least one detected content change /
  all known edits.
Overlap is by character span, in the old text or in the new text.

Exit status 1 when this tool misses a target (100% clean, precision and
recall >= 0.99), with its failing cases printed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(HERE), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import transforms as tf  # noqa: E402
from provenance.diff import CONTENT, compare  # noqa: E402

CORPUS = HERE / "corpus"
TARGET_CLEAN = 1.0
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.99

# Formatting-only pairs: (old rendering, new rendering).  "source" is the
# passage exactly as it is in the corpus file.
FORMAT_PAIRS = [("source", style) for style in tf.STYLES] + [("pdf", "web"), ("web", "pdf")]
# Edited pairs: old rendering of the passage, new rendering of the edited words.
EDIT_PAIRS = [
    ("source", "wrap72"), ("source", "pdf"), ("source", "web"), ("pdf", "web"),
    ("wrap40", "one-line"), ("source", "hyphenated"), ("curly-quotes", "ligatures"), ("crlf", "stray-spaces"),
    ("web", "pdf"), ("source", "soft-hyphens"), ("nbsp", "dashes"), ("blank-lines", "wrap100"),
    ("layout-hyphens", "web"),
]

Span = tuple[int, int]


@dataclass
class Passage:
    corpus: str
    index: int
    paragraphs: tf.Paragraphs
    source: tf.Rendered

    @property
    def words(self) -> int:
        return sum(map(len, self.paragraphs))


@dataclass
class Case:
    corpus: str
    passage: int
    kind: str  # formatting | edited
    transform: str  # "old style -> new style"
    old: str
    new: str
    edits: list[tuple[Span, Span]] = field(default_factory=list)  # (old span, new span) of each known edit
    edit_words: list[tuple[list[str], list[str]]] = field(default_factory=list)


@dataclass(frozen=True)
class Detected:
    """A content change a tool reported, as character spans."""

    old_start: int
    old_end: int
    new_start: int
    new_end: int


# --------------------------------------------------------------------------
# Cases


def corpus_files(names: list[str] | None = None) -> list[Path]:
    files = sorted(CORPUS.glob("*.txt"))
    if names:
        files = [f for f in files if any(n in f.name for n in names)]
    return files


def passages(path: Path, count: int, rng: random.Random, min_words: int = 400, max_words: int = 1500) -> list[Passage]:
    """`count` passages of whole paragraphs, spread evenly over the text."""
    text = path.read_text(encoding="utf-8")
    paragraphs, source = tf.parse(text)
    n = len(paragraphs)
    # A short text (the Chinese poems have some 2,800 lines, each one "word")
    # gets shorter passages so that `count` of them fit.
    share = sum(map(len, paragraphs)) // count
    max_words = min(max_words, share * 3 // 4)
    min_words = min(min_words, max_words * 2 // 3)
    out: list[Passage] = []
    prev_end = 0
    for k in range(count):
        lo = max(n * k // count, prev_end)
        hi = max(lo + 1, n * (k + 1) // count)
        if lo >= n:
            break
        start = rng.randrange(lo, min(hi, n))
        target = rng.randint(min_words, max_words)
        end, words = start, 0
        while end < n and words < target:
            if words and words + len(paragraphs[end]) > max_words:
                break
            words += len(paragraphs[end])
            end += 1
        prev_end = end
        chunk = text[source.spans[start][0][0]:source.spans[end - 1][-1][1]]
        paras, rendered = tf.parse(chunk)
        assert paras == paragraphs[start:end]
        out.append(Passage(path.stem, k, paras, rendered))
    return out


def build_cases(quick: bool = False, seed: int = 1, texts: list[str] | None = None,
                passages_per_text: int | None = None, edited_per_passage: int | None = None,
                edits_per_pair: int = 5, min_words: int = 400, max_words: int = 1500) -> list[Case]:
    passages_per_text = passages_per_text or (2 if quick else 8)
    edited_per_passage = edited_per_passage or (3 if quick else 6)
    cases: list[Case] = []
    everything = corpus_files()
    for path in corpus_files(texts):
        t = everything.index(path)  # the same cases for a text whether or not others are selected
        rng = random.Random(f"{seed}:{path.name}")
        for passage in passages(path, passages_per_text, rng, min_words, max_words):
            paras = passage.paragraphs
            lexicon = tf.lexicon_of(paras)
            renders = {"source": passage.source}
            for style in tf.STYLES:
                renders[style] = tf.render(paras, style, rng, lexicon)
            for a, b in FORMAT_PAIRS:
                cases.append(Case(passage.corpus, passage.index, "formatting", f"{a} -> {b}", renders[a].text, renders[b].text))
            for j in range(edited_per_passage):
                a, b = EDIT_PAIRS[(t + passage.index * edited_per_passage + j) % len(EDIT_PAIRS)]
                edited, edits = tf.apply_edits(paras, rng, edits_per_pair)
                old_r, new_r = renders[a], tf.render(edited, b, rng, lexicon)
                cases.append(Case(passage.corpus, passage.index, "edited", f"{a} -> {b}", old_r.text, new_r.text,
                                  [e.spans(old_r, new_r) for e in edits], [(e.old_words, e.new_words) for e in edits]))
    return cases


# --------------------------------------------------------------------------
# Tools


def run_provenance(old: str, new: str, workdir: Path | None = None) -> list[Detected]:
    cmp = compare(old, new)
    return [Detected(c.old_start, c.old_end, c.new_start, c.new_end) for c in cmp.changes if c.cls == CONTENT]


_ASCII_WORD_RE = re.compile(r"[^ \t\n\r\f\v]+")


class ParseError(RuntimeError):
    pass


def changes_from_chunks(chunks: list[tuple[str, str]], old: str, new: str) -> list[Detected]:
    """Map a word diff's chunks ("=" common, "-" deleted, "+" inserted text)
    to character spans by walking both texts' whitespace-separated words.
    A maximal run of deleted and inserted words is one change."""
    old_words = [m.span() for m in _ASCII_WORD_RE.finditer(old)]
    new_words = [m.span() for m in _ASCII_WORD_RE.finditer(new)]
    i = j = 0
    out: list[Detected] = []
    run: list[int] | None = None  # [i0, i1, j0, j1] word indices

    def close() -> None:
        nonlocal run
        if run is None:
            return
        i0, i1, j0, j1 = run
        o = (old_words[i0][0], old_words[i1 - 1][1]) if i1 > i0 else ((old_words[i0 - 1][1],) * 2 if i0 else (0, 0))
        n = (new_words[j0][0], new_words[j1 - 1][1]) if j1 > j0 else ((new_words[j0 - 1][1],) * 2 if j0 else (0, 0))
        out.append(Detected(o[0], o[1], n[0], n[1]))
        run = None

    def expect(words: list[tuple[int, int]], text: str, k: int, w: str, side: str) -> None:
        if k >= len(words) or text[words[k][0]:words[k][1]] != w:
            got = text[words[k][0]:words[k][1]] if k < len(words) else "<end>"
            raise ParseError(f"{side} word {k}: diff output has {w!r}, text has {got!r}")

    for op, chunk in chunks:
        for w in _ASCII_WORD_RE.findall(chunk):
            if op == "=":
                expect(old_words, old, i, w, "old")
                expect(new_words, new, j, w, "new")
                close()
                i += 1
                j += 1
                continue
            if run is None:
                run = [i, i, j, j]
            if op == "-":
                expect(old_words, old, i, w, "old")
                i += 1
                run[1] = i
            else:
                expect(new_words, new, j, w, "new")
                j += 1
                run[3] = j
    close()
    if i != len(old_words) or j != len(new_words):
        raise ParseError(f"diff output covers {i}/{len(old_words)} old and {j}/{len(new_words)} new words")
    return out


def _tool_env(workdir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }


def _write_pair(old: str, new: str, workdir: Path) -> None:
    for name, text in (("old.txt", old), ("new.txt", new)):
        with open(workdir / name, "w", encoding="utf-8", newline="") as f:
            f.write(text)


def parse_git_porcelain(output: str) -> list[tuple[str, str]]:
    chunks: list[tuple[str, str]] = []
    hunks = 0
    for line in output.split("\n"):
        if line.startswith("@@"):
            hunks += 1
            if hunks > 1:
                raise ParseError("more than one hunk: context too small")
            continue
        if not hunks or not line or line[0] in "~\\":
            continue
        op = {" ": "=", "-": "-", "+": "+"}.get(line[0])
        if op is None:
            raise ParseError(f"unexpected porcelain line {line[:40]!r}")
        chunks.append((op, line[1:]))
    return chunks


def run_git(old: str, new: str, workdir: Path) -> list[Detected]:
    """git diff --no-index --word-diff=porcelain with the whole file as context."""
    _write_pair(old, new, workdir)
    proc = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--text", "--word-diff=porcelain",
         "-U100000000", "old.txt", "new.txt"],
        cwd=workdir, env=_tool_env(workdir), capture_output=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr.decode(errors="replace"))
    output = proc.stdout.decode("utf-8")
    if "\n@@" not in output:  # identical files
        return [] if proc.returncode == 0 else _no_hunk(old, new)
    return changes_from_chunks(parse_git_porcelain(output), old, new)


def _no_hunk(old: str, new: str) -> list[Detected]:
    if _ASCII_WORD_RE.findall(old) != _ASCII_WORD_RE.findall(new):
        raise ParseError("git reported a difference without a hunk")
    return []


WDIFF_MARKS = ("\x01", "\x02", "\x03", "\x04")  # start/end of deleted, start/end of inserted text


def parse_wdiff(output: str) -> list[tuple[str, str]]:
    chunks: list[tuple[str, str]] = []
    op = "="
    for piece in re.split("([\x01-\x04])", output):
        if piece == "\x01":
            op = "-"
        elif piece == "\x03":
            op = "+"
        elif piece in ("\x02", "\x04"):
            op = "="
        elif piece:
            chunks.append((op, piece))
    return chunks


def run_wdiff(old: str, new: str, workdir: Path) -> list[Detected]:
    """GNU wdiff with control characters as markers (the texts have none)."""
    if re.search("[\x01-\x04]", old + new):
        raise ParseError("text contains a wdiff marker character")
    _write_pair(old, new, workdir)
    a, b, c, d = WDIFF_MARKS
    proc = subprocess.run(["wdiff", "-w", a, "-x", b, "-y", c, "-z", d, "old.txt", "new.txt"],
                          cwd=workdir, env=_tool_env(workdir), capture_output=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr.decode(errors="replace"))
    return changes_from_chunks(parse_wdiff(proc.stdout.decode("utf-8")), old, new)


TOOLS = {
    "provenance": run_provenance,
    "git --word-diff": run_git,
    "wdiff": run_wdiff,
}


def available_tools(external: bool = True) -> list[str]:
    names = ["provenance"]
    if external and shutil.which("git"):
        names.append("git --word-diff")
    if external and shutil.which("wdiff"):
        names.append("wdiff")
    return names


# --------------------------------------------------------------------------
# Scoring


def _overlap(a: Span, b: Span) -> bool:
    """Character ranges overlap; an empty range is a point that touches a
    range it lies in, ends included."""
    (a0, a1), (b0, b1) = a, b
    if a0 == a1 and b0 == b1:
        return a0 == b0
    if a0 == a1:
        return b0 <= a0 <= b1
    if b0 == b1:
        return a0 <= b0 <= a1
    return a0 < b1 and b0 < a1


def hits(d: Detected, edit: tuple[Span, Span]) -> bool:
    return _overlap((d.old_start, d.old_end), edit[0]) or _overlap((d.new_start, d.new_end), edit[1])


@dataclass
class Score:
    formatting_pairs: int = 0
    formatting_clean: int = 0
    detected: int = 0
    detected_on_edits: int = 0
    edits: int = 0
    edits_found: int = 0
    cases: int = 0
    seconds: float = 0.0

    def add(self, other: "Score") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def clean(self) -> float:
        return self.formatting_clean / self.formatting_pairs if self.formatting_pairs else float("nan")

    @property
    def precision(self) -> float:
        return self.detected_on_edits / self.detected if self.detected else float("nan")

    @property
    def recall(self) -> float:
        return self.edits_found / self.edits if self.edits else float("nan")


@dataclass
class Failure:
    case: Case
    what: str  # "content change in a formatting-only pair" | "false positive" | "missed edit"
    old_span: Span
    new_span: Span


def score_case(case: Case, detected: list[Detected]) -> tuple[Score, list[Failure]]:
    s = Score(cases=1)
    failures: list[Failure] = []
    if case.kind == "formatting":
        s.formatting_pairs = 1
        s.formatting_clean = int(not detected)
        failures = [Failure(case, "content change in a formatting-only pair", (d.old_start, d.old_end),
                            (d.new_start, d.new_end)) for d in detected]
        return s, failures
    s.detected = len(detected)
    s.edits = len(case.edits)
    for d in detected:
        if any(hits(d, e) for e in case.edits):
            s.detected_on_edits += 1
        else:
            failures.append(Failure(case, "false positive", (d.old_start, d.old_end), (d.new_start, d.new_end)))
    for e in case.edits:
        if any(hits(d, e) for d in detected):
            s.edits_found += 1
        else:
            failures.append(Failure(case, "missed edit", e[0], e[1]))
    return s, failures


@dataclass
class Results:
    tools: list[str]
    total: dict[str, Score]
    by_transform: dict[tuple[str, str], dict[str, Score]]  # (kind, transform) -> tool -> score
    by_corpus: dict[str, dict[str, Score]]
    failures: dict[str, list[Failure]]


def evaluate(cases: list[Case], tools: list[str], progress: bool = False) -> Results:
    total = {t: Score() for t in tools}
    by_transform: dict[tuple[str, str], dict[str, Score]] = {}
    by_corpus: dict[str, dict[str, Score]] = {}
    failures: dict[str, list[Failure]] = {t: [] for t in tools}
    with tempfile.TemporaryDirectory(prefix="provenance-quality-") as tmp:
        workdir = Path(tmp)
        for n, case in enumerate(cases):
            for tool in tools:
                t0 = time.perf_counter()
                detected = TOOLS[tool](case.old, case.new, workdir)
                elapsed = time.perf_counter() - t0
                s, fails = score_case(case, detected)
                s.seconds = elapsed
                total[tool].add(s)
                by_transform.setdefault((case.kind, case.transform), {}).setdefault(tool, Score()).add(s)
                by_corpus.setdefault(case.corpus, {}).setdefault(tool, Score()).add(s)
                failures[tool].extend(fails)
            if progress and (n + 1) % 100 == 0:
                print(f"  {n + 1}/{len(cases)} cases", file=sys.stderr)
    return Results(tools, total, by_transform, by_corpus, failures)


def meets_targets(score: Score) -> bool:
    return score.clean >= TARGET_CLEAN and score.precision >= TARGET_PRECISION and score.recall >= TARGET_RECALL


# --------------------------------------------------------------------------
# Report


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}% ({num}/{den})" if den else "n/a"


def _ratio(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return repr(text[max(0, start - width):start]) + " [" + repr(text[start:end]) + "] " + repr(text[end:end + width])


def report(results: Results, cases: list[Case], show_failures: int = 10) -> str:
    lines: list[str] = []
    n_format = sum(c.kind == "formatting" for c in cases)
    n_edited = len(cases) - n_format
    n_edits = sum(len(c.edits) for c in cases)
    corpora = sorted({c.corpus for c in cases})
    passages_count = len({(c.corpus, c.passage) for c in cases})
    lines.append(f"{len(cases)} cases from {passages_count} passages of {len(corpora)} texts: "
                 f"{n_format} formatting-only pairs, {n_edited} edited pairs with {n_edits} known edits")
    lines.append("")
    rows = []
    for tool in results.tools:
        s = results.total[tool]
        rows.append([tool, _pct(s.formatting_clean, s.formatting_pairs),
                     f"{_ratio(s.precision)} ({s.detected_on_edits}/{s.detected})",
                     f"{_ratio(s.recall)} ({s.edits_found}/{s.edits})", str(s.cases), f"{s.seconds:.1f} s"])
    lines.append(_table(["tool", "formatting-only clean", "precision", "recall", "cases", "time"], rows))
    lines.append("")
    lines.append("Formatting-only pairs with zero content changes, by transform:")
    rows = []
    for (kind, transform), per_tool in results.by_transform.items():
        if kind == "formatting":
            rows.append([transform, *(_pct(per_tool[t].formatting_clean, per_tool[t].formatting_pairs) for t in results.tools)])
    lines.append(_table(["transform", *results.tools], rows))
    lines.append("")
    lines.append("Edited pairs, precision / recall by rendering pair:")
    rows = []
    for (kind, transform), per_tool in sorted(results.by_transform.items()):
        if kind == "edited":
            rows.append([transform, *(f"{_ratio(per_tool[t].precision)} / {_ratio(per_tool[t].recall)}" for t in results.tools)])
    lines.append(_table(["old -> new", *results.tools], rows))
    lines.append("")
    lines.append("By text (formatting-only clean; precision / recall):")
    rows = []
    for corpus in corpora:
        per_tool = results.by_corpus[corpus]
        rows.append([corpus, *(f"{100 * per_tool[t].clean:5.1f}%; {_ratio(per_tool[t].precision)} / {_ratio(per_tool[t].recall)}"
                               for t in results.tools)])
    lines.append(_table(["text", *results.tools], rows))
    ours = results.total["provenance"]
    lines.append("")
    verdict = "meets" if meets_targets(ours) else "MISSES"
    lines.append(f"provenance {verdict} the targets: {100 * TARGET_CLEAN:.0f}% of formatting-only pairs clean, "
                 f"precision and recall >= {TARGET_RECALL}")
    fails = results.failures["provenance"]
    if fails and show_failures:
        lines.append("")
        lines.append(f"provenance failures ({len(fails)}), first {min(show_failures, len(fails))}:")
        for f in fails[:show_failures]:
            c = f.case
            lines.append(f"- {f.what}: {c.corpus} passage {c.passage}, {c.kind} {c.transform}")
            lines.append(f"    old {_context(c.old, *f.old_span)}")
            lines.append(f"    new {_context(c.new, *f.new_span)}")
    return "\n".join(lines)


def dump_failures(failures: list[Failure], directory: Path) -> None:
    """old/new text of each failing case, and what went wrong, for debugging the engine."""
    directory.mkdir(parents=True, exist_ok=True)
    by_case: dict[int, list[Failure]] = {}
    for f in failures:
        by_case.setdefault(id(f.case), []).append(f)
    for n, fails in enumerate(by_case.values(), 1):
        c = fails[0].case
        stem = f"{n:03d}-{c.corpus}-{c.passage}-{c.kind}"
        for side, text in (("old", c.old), ("new", c.new)):
            with open(directory / f"{stem}.{side}.txt", "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        with open(directory / f"{stem}.failures.txt", "w", encoding="utf-8") as fh:
            fh.write(f"{c.kind} {c.transform}\n")
            for f in fails:
                fh.write(f"{f.what}: old {f.old_span} {c.old[slice(*f.old_span)]!r}, new {f.new_span} {c.new[slice(*f.new_span)]!r}\n")
            for (o, n_), (ow, nw) in zip(c.edits, c.edit_words):
                fh.write(f"known edit: old {o} {ow!r} -> new {n_} {nw!r}\n")
    print(f"wrote {len(by_case)} failing cases to {directory}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 passages per text instead of 8, fewer edited pairs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--text", action="append", help="only corpus files whose name contains this (repeatable)")
    ap.add_argument("--no-external", action="store_true", help="skip git and wdiff")
    ap.add_argument("--failures", type=int, default=10, help="how many failing cases of this tool to print")
    ap.add_argument("--dump-failures", metavar="DIR", type=Path,
                    help="write the old and new text of each case where this tool fails to DIR")
    ap.add_argument("--cross-format", action="store_true",
                    help="the cross-format cases instead: one text as PDF, web page and DOCX (benchmarks/crossformat.py)")
    args = ap.parse_args(argv)
    if args.cross_format:
        import crossformat

        return crossformat.main(["--quick"] if args.quick else [])
    t0 = time.perf_counter()
    cases = build_cases(quick=args.quick, seed=args.seed, texts=args.text)
    built = time.perf_counter() - t0
    tools = available_tools(not args.no_external)
    print(f"built {len(cases)} cases in {built:.1f} s; tools: {', '.join(tools)}", file=sys.stderr)
    results = evaluate(cases, tools, progress=True)
    print(report(results, cases, args.failures))
    if args.dump_failures:
        dump_failures(results.failures["provenance"], args.dump_failures)
    return 0 if meets_targets(results.total["provenance"]) else 1


if __name__ == "__main__":
    sys.exit(main())
