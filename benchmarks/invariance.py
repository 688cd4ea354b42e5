#!/usr/bin/env python3
"""Formatting invariance on real revision pairs: does re-formatting one side
change the content changes a tool reports?

    python benchmarks/invariance.py [--no-external] [--seed N] [--show N]
    python benchmarks/invariance.py --revisions DIR --pair OLD NEW [--pair ...]   # held-out pairs

The pairs are successive releases of freely licensed texts, shipped in
benchmarks/revisions/ (see its README: the GNU licences, Creative Commons
legal code, Apache, EUPL, OFL).  For each pair (a, b) and every
formatting-only style of transforms.py (re-wrapped, one line per paragraph,
CRLF, stray spaces, curly quotes, ligatures, soft hyphens, compounds and
words broken at line ends, layout hyphenation in capitals and title case,
PDF-like, web-like...), the tool compares T(a) with b and a with T(b).  A case
is *invariant* when the content changes are the same words as those of the
plain comparison of a with b.

"The same words": each content change is mapped to the words (whitespace-
separated, as transforms.parse cuts the text; a transform keeps every word,
in order) that its old and new character spans overlap, and the case's set of
(old words, new words) pairs must equal the plain pair's.  So a different
alignment of the same edit, or a neighbouring word absorbed into a replace,
counts as a difference; where the change sits inside a word does not.

Tools as in quality.py: provenance (content changes only), git
--word-diff=porcelain and GNU wdiff (every change counts: they have no
formatting class).  Exit status 1 when provenance is below 100%.
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(HERE), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import quality  # noqa: E402
import transforms as tf  # noqa: E402

REVISIONS = HERE / "revisions"

# (older, newer) file stems in benchmarks/revisions/
PAIRS = [
    ("GPL-1.0", "GPL-2.0"),
    ("LGPL-2.0", "LGPL-2.1"),
    ("GFDL-1.2", "GFDL-1.3"),
    ("CC-BY-2.5", "CC-BY-3.0"),
    ("CC-BY-SA-2.5", "CC-BY-SA-3.0"),
    ("Apache-1.0", "Apache-1.1"),
    ("EUPL-1.1", "EUPL-1.2"),
    ("OFL-1.0", "OFL-1.1"),
    # Added after a check on held-out pairs (issue #14): these found two
    # flaws the eight above did not (the growth of unchanged runs over
    # literal words; an edit slid to a paragraph break of one side).
    ("CC-BY-1.0", "CC-BY-2.0"),
    ("CC-BY-NC-1.0", "CC-BY-NC-2.0"),
    ("CC-BY-SA-2.0", "CC-BY-SA-2.5"),
    ("CC-BY-ND-2.5", "CC-BY-ND-3.0"),
    ("CC-BY-NC-ND-2.0", "CC-BY-NC-ND-2.5"),
    ("AFL-2.1", "AFL-3.0"),
]

Signature = frozenset  # of (old word ids, new word ids) per content change


@dataclass
class Side:
    paragraphs: tf.Paragraphs
    rendered: tf.Rendered

    def words_in(self, start: int, end: int) -> tuple[int, ...]:
        """Indices of the words whose spans overlap [start, end) (none for an empty span)."""
        if end <= start:
            return ()
        flat = self.flat
        i = bisect.bisect_right(self.ends, start)
        out = []
        while i < len(flat) and flat[i][0] < end:
            out.append(i)
            i += 1
        return tuple(out)

    def __post_init__(self):
        self.flat = self.rendered.flat()
        self.ends = [e for _, e in self.flat]


def signature(detected: list[quality.Detected], old: Side, new: Side) -> Signature:
    return frozenset((old.words_in(d.old_start, d.old_end), new.words_in(d.new_start, d.new_end)) for d in detected)


def load_pair(older: str, newer: str) -> tuple[Side, Side]:
    sides = []
    for stem in (older, newer):
        text = (REVISIONS / f"{stem}.txt").read_text(encoding="utf-8")
        paragraphs, rendered = tf.parse(text)
        sides.append(Side(paragraphs, rendered))
    return sides[0], sides[1]


@dataclass
class Case:
    pair: str
    style: str
    side: str  # "old" or "new": which side was transformed
    old: Side
    new: Side


def build_cases(seed: int = 1, styles: list[str] | None = None) -> tuple[list[tuple[str, Side, Side]], list[Case]]:
    """The plain pairs and, for each, every style applied to each side."""
    plain, cases = [], []
    for older, newer in PAIRS:
        a, b = load_pair(older, newer)
        name = f"{older} -> {newer}"
        plain.append((name, a, b))
        # Attestation for the line-break styles: the vocabulary of both texts,
        # as the comparison sees both.
        lexicon = tf.lexicon_of(a.paragraphs) | tf.lexicon_of(b.paragraphs)
        rng = random.Random(f"{seed}:{name}")
        for style in styles or tf.STYLES:
            ta = Side(a.paragraphs, tf.render(a.paragraphs, style, rng, lexicon))
            tb = Side(b.paragraphs, tf.render(b.paragraphs, style, rng, lexicon))
            cases.append(Case(name, style, "old", ta, b))
            cases.append(Case(name, style, "new", a, tb))
    return plain, cases


def run(tool: str, old: Side, new: Side, workdir: Path) -> Signature:
    return signature(quality.TOOLS[tool](old.rendered.text, new.rendered.text, workdir), old, new)


def describe(sig: Signature, old: Side, new: Side) -> list[str]:
    words_old = [w for p in old.paragraphs for w in p]
    words_new = [w for p in new.paragraphs for w in p]
    return sorted(f"[-{' '.join(words_old[i] for i in o)}-]{{+{' '.join(words_new[j] for j in n)}+}}" for o, n in sig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-external", action="store_true", help="skip git and wdiff")
    ap.add_argument("--show", type=int, default=5, help="how many differing cases of provenance to print")
    ap.add_argument("--revisions", type=Path, default=None, metavar="DIR",
                    help="pairs of texts from this folder instead (held-out pairs: DIR/OLD.txt, DIR/NEW.txt)")
    ap.add_argument("--pair", nargs=2, action="append", metavar=("OLD", "NEW"),
                    help="with --revisions: the file stems of a pair (repeat for more)")
    args = ap.parse_args(argv)
    if args.revisions is not None:
        if not args.pair:
            ap.error("--revisions needs at least one --pair OLD NEW")
        global REVISIONS, PAIRS
        REVISIONS, PAIRS = args.revisions, [tuple(p) for p in args.pair]
    tools = quality.available_tools(not args.no_external)
    plain, cases = build_cases(args.seed)
    styles = list(dict.fromkeys(c.style for c in cases))
    same = {t: {s: 0 for s in styles} for t in tools}
    total = {s: 0 for s in styles}
    shown = []
    with tempfile.TemporaryDirectory(prefix="provenance-invariance-") as tmp:
        workdir = Path(tmp)
        reference = {(name, t): run(t, a, b, workdir) for name, a, b in plain for t in tools}
        for case in cases:
            total[case.style] += 1
            for t in tools:
                got = run(t, case.old, case.new, workdir)
                want = reference[(case.pair, t)]
                if got == want:
                    same[t][case.style] += 1
                elif t == "provenance":
                    shown.append((case, got, want))
    n = len(cases)
    print(f"{len(plain)} revision pairs x {len(styles)} formatting-only styles x 2 sides = {n} cases")
    print("(share of cases whose content changes are the same words as the plain pair's)")
    print()
    rows = [[s, *(quality._pct(same[t][s], total[s]) for t in tools)] for s in styles]
    rows.append(["all", *(quality._pct(sum(same[t].values()), n) for t in tools)])
    print(quality._table(["style", *tools], rows))
    print()
    rows = []
    for name, a, b in plain:
        rows.append([name, *(str(len(reference[(name, t)])) for t in tools)])
    print("Content changes of each plain pair:")
    print(quality._table(["pair", *tools], rows))
    if shown and args.show:
        print()
        print(f"provenance differs in {len(shown)} cases; first {min(args.show, len(shown))}:")
        for case, got, want in shown[:args.show]:
            print(f"- {case.pair}, {case.style} on the {case.side} side")
            for line in describe(got - want, case.old, case.new)[:4]:
                print(f"    extra   {line[:160]}")
            for line in describe(want - got, case.old, case.new)[:4]:
                print(f"    missing {line[:160]}")
    return 0 if not shown else 1


if __name__ == "__main__":
    sys.exit(main())
