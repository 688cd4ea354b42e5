"""The compiled speed-ups give exactly what the pure-Python code gives.

setup.py builds provenance/_speedups.c where a C compiler is found; without
it these tests are skipped, except on CI (CI=true), where the module must
have been built so that both ways are tested.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import diff as diff_module
from provenance import tokens as tk

if tk._speedups is None:
    if os.environ.get("CI") == "true" and os.environ.get("PROVENANCE_SPEEDUPS") != "0":
        pytest.fail("provenance._speedups was not built (a C compiler and Python's headers are needed)",
                    pytrace=False)
    pytest.skip("provenance._speedups is not built", allow_module_level=True)

C = tk._speedups

# Pieces that exercise every rule: sentence ends and closers, paragraph
# breaks with and without CR, every kind of whitespace str.split() knows,
# joiners, combining marks, wide and astral characters.
PIECES = ["Ab", "c", "x_1", "\u00e9t\u00e9", "\u4e2d", "\U0001d400", "cafe\u0301", ".", "!", "?", "...", '"', "'",
          "-", "--", "\u2013", "\u2212", "\uff0d", "\u2026", "\u00bd", "\u0663",
          "\u201d", "\u2019", ")", "]", ",", "-", "\u2014", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n \n ",
          "\r\n\r\n", "\u00a0", "\u2009", "\u3000", "\u2028", "\u2029", "\x1c", "\x85", "\u00ad", "\u200b", "\ufeff"]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_chunk_table(text):
    table = C.chunk_table(text, "\r" in text)
    assert table == tk._chunk_table(text)
    for key in table[1]:  # a str as Python makes it: the narrowest kind that holds it
        assert key == "".join(list(key)) and hash(key) == hash("".join(list(key)))


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_split_plain_tokens(text):
    assert C.split_plain_tokens(text) == tk._PLAIN_TOKEN_RE.split(text)


@settings(max_examples=1500, deadline=None)
@given(texts, st.data())
def test_count_plain_words(text, data):
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=4))
    expected = sum(len(tk._PLAIN_WORD_RE.findall(text[a:b])) for a, b in spans)
    assert C.count_plain_words(text, spans) == expected


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_has_any_finds_what_the_full_pattern_check_finds(text):
    assert (not C.has_any(text, tk._full_bitmap())) == (text.isascii() or not tk._needs_full_re().search(text))


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "ab", "\u00e9", "\u4e2d", "\U0001d400", ".", "'"]), max_size=6),
       st.lists(st.sampled_from(["a", "b", "ab", "\u00e9", "\u4e2d", "x"]), max_size=4),
       st.lists(st.sampled_from(["a", "b", "ab", "\u00e9", "y"]), max_size=4),
       st.lists(st.sampled_from(["a", "b", "ab", "\u00e9", "\u4e2d", "."]), max_size=6))
def test_shared_ends(head, mid_a, mid_b, tail):
    a, b = " ".join(head + mid_a + tail), " ".join(head + mid_b + tail)
    assert C.shared_ends(a, b) == diff_module._shared_ends_py(a, b)
    assert C.shared_ends(b, a) == diff_module._shared_ends_py(b, a)


def test_the_bitmap_holds_exactly_the_characters_of_the_full_pattern_check():
    bits, full = tk._full_bitmap(), tk._needs_full_re()
    wrong = [c for c in range(0x110000)
             if not 0xD800 <= c < 0xE000 and bool(bits[c >> 3] >> (c & 7) & 1) != bool(full.match(chr(c)))]
    assert wrong == []


def test_speedups_can_be_turned_off():
    code = "from provenance import tokens; print(tokens._speedups is None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PROVENANCE_SPEEDUPS": "0"}).stdout
    assert out.strip() == "True"


def test_comparisons_are_the_same_with_and_without_the_speedups(tmp_path):
    """End to end on real text: the samples, and a long text (the chunk
    pass) with words edited and re-wrapped, with CRLF line ends on one side."""
    import json
    import random
    import textwrap
    from pathlib import Path

    from provenance.diff import compare

    root = Path(__file__).resolve().parent.parent
    samples = root / "docs" / "samples"
    austen = (root / "benchmarks" / "corpus" / "fiction_austen_persuasion.txt").read_text(encoding="utf-8")[:300_000]
    rng = random.Random(4)
    words = [w if rng.random() > 0.01 else rng.choice(["CHANGED", "caf\u00e9", "don\u2019t", "--"]) for w in austen.split()]
    edited = "\r\n".join(textwrap.wrap(" ".join(words), 66))
    pairs = [((samples / "article-pdf-extract.txt").read_text(encoding="utf-8"),
              (samples / "article-web-capture.txt").read_text(encoding="utf-8")),
             (austen, edited)]
    for k, (old, new) in enumerate(pairs):
        (tmp_path / f"{k}.old").write_text(old, encoding="utf-8", newline="")
        (tmp_path / f"{k}.new").write_text(new, encoding="utf-8", newline="")
    code = ("import json, sys\nfrom provenance.diff import compare\n"
            "print(json.dumps([compare(open(f'{d}/{k}.old', newline='').read(), open(f'{d}/{k}.new', newline='').read())"
            ".to_dict() for k in range(int(sys.argv[2])) for d in [sys.argv[1]]]))")
    pure = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(len(pairs))], capture_output=True, text=True,
                          check=True, env={**os.environ, "PROVENANCE_SPEEDUPS": "0"}).stdout
    compiled = [compare(old, new).to_dict() for old, new in pairs]
    assert json.loads(pure) == json.loads(json.dumps(compiled))
    assert compiled[1]["stats"]["content_changes"] > 100  # the long pair went through the chunk pass with edits
