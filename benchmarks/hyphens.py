#!/usr/bin/env python3
"""Line-end hyphens that no text settles: layout break or compound?

    python benchmarks/hyphens.py [--seed N] [--words N] [--show N]

linebreaks.BreakJudge settles most line-end hyphens from the texts themselves
(the joined or hyphenated spelling occurring elsewhere).  This measures the
rest, the breaks neither text attests, as a judge over two empty texts sees
them, on data the rules were not tuned on: the corpus texts of
benchmarks/corpus (the licences, on which benchmarks/invariance.py measures,
left out).

- compounds: every hyphenated compound of lower-case halves in the corpus
  ("well-known", "semi-automatic"), broken at its own hyphen: the judge
  should keep the hyphen;
- layout breaks: words of 7 letters or more (a seeded sample), each broken
  at a random legal hyphenation point of the en_US dictionary, as a
  typesetter breaks them: the judge should join them.

Printed for the judge as it is, and for the judge with no word list (how it
decided before provenance/wordlist.py: the dictionary alone).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from provenance import linebreaks as lb  # noqa: E402
from provenance import wordlist  # noqa: E402

_COMPOUND_RE = re.compile(r"(?<![\w-])([A-Za-z]{2,})-([a-z]{2,})(?![\w-])")
_LONG_WORD_RE = re.compile(r"(?<![\w-])[A-Za-z]{7,}(?![\w-])")


def cases(seed: int, n_words: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    compounds: set[tuple[str, str]] = set()
    words: set[str] = set()
    for path in sorted((HERE / "corpus").glob("*.txt")):
        if "licences" in path.name:
            continue
        text = path.read_text(encoding="utf-8")
        compounds.update(_COMPOUND_RE.findall(text))
        words.update(_LONG_WORD_RE.findall(text))
    rng = random.Random(seed)
    sample = sorted(words)
    rng.shuffle(sample)
    breaks = []
    for word in sample[:n_words]:
        points = [k for k in lb.hyphenation_points(word.lower()) if 2 <= k <= len(word) - 3]
        if points:
            k = rng.choice(points)
            breaks.append((word[:k], word[k:]))
    return sorted(compounds), breaks


def judged(compounds, breaks) -> tuple[list, list]:
    """(compounds the judge joined, layout breaks it kept)."""
    judge = lb.BreakJudge("", "")
    return [c for c in compounds if judge.joins(*c, soft=False)], [b for b in breaks if not judge.joins(*b, soft=False)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--words", type=int, default=3000, help="long words sampled for layout breaks")
    ap.add_argument("--show", type=int, default=0, help="print so many misjudged cases of each kind")
    args = ap.parse_args(argv)
    compounds, breaks = cases(args.seed, args.words)
    print(f"{len(compounds)} compounds broken at their hyphen, {len(breaks)} words broken at a dictionary point;")
    print("no text attests either spelling (a judge over two empty texts)\n")
    print(f"{'judge':<34}{'compounds kept':>18}{'breaks joined':>18}{'all right':>12}")
    for label, known in (("dictionary alone (before)", False), ("dictionary + word list (now)", True)):
        if not known:
            real, wordlist.is_word = wordlist.is_word, lambda word: False  # a list that knows nothing
        try:
            joined, kept = judged(compounds, breaks)
        finally:
            if not known:
                wordlist.is_word = real
        right = len(compounds) - len(joined) + len(breaks) - len(kept)
        print(f"{label:<34}{len(compounds) - len(joined):>10}/{len(compounds):<7}{len(breaks) - len(kept):>10}/{len(breaks):<7}"
              f"{right / (len(compounds) + len(breaks)):>11.1%}")
        if args.show and known:
            print("  compounds joined:", ", ".join(f"{a}-{b}" for a, b in joined[:args.show]))
            print("  breaks kept:     ", ", ".join(f"{a}-{b}" for a, b in kept[:args.show]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
