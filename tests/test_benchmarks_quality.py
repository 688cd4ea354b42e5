"""The quality benchmark (benchmarks/quality.py) and its transforms.

The transforms must be formatting only (same words, typography aside) and the
edit spans must point at the edited words, or the benchmark measures nothing.
"""

from __future__ import annotations

import random
import re
import shutil
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT / "benchmarks"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import quality  # noqa: E402
import transforms as tf  # noqa: E402

SAMPLE = """\
"Well," said Mr. Elliot, "it's a well-known fact -- isn't it? -- that the
government's first offer was final... The government said so."

The 'official' reflexes of a fine, fluffy office: efficient staff, afflicted
by waffles.  Some self-evident truths; the government knows them.

Second paragraph: no-one's re-elected, and e.g. the Government stays."""


def independent_fold(text: str) -> str:
    """Typography folded, written independently of transforms.fold."""
    text = unicodedata.normalize("NFKC", text.replace("\u00ad", ""))
    for curly, straight in (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"')):
        text = text.replace(curly, straight)
    return re.sub("[-\u2014]+", "-", text)


def sample_passages():
    """The sample plus one passage of every corpus text."""
    out = [("sample", tf.parse(SAMPLE)[0])]
    for path in quality.corpus_files():
        [passage] = quality.passages(path, 1, random.Random(3), 300, 500)
        out.append((path.stem, passage.paragraphs))
        SOURCES[path.stem] = passage.source
    return out


SOURCES: dict[str, tf.Rendered] = {}  # each corpus passage as published
PASSAGES = sample_passages()


def check_rendering(paragraphs, rendered):
    text = rendered.text
    assert [len(s) for s in rendered.spans] == [len(p) for p in paragraphs]
    # Between the words there is whitespace only (no-break spaces included).
    pos = 0
    for start, end in rendered.flat():
        assert start >= pos and not text[pos:start].strip(), repr(text[pos:start])
        pos = end
    assert not text[pos:].strip()
    broken = {(p, i): kind for p, i, kind in rendered.breaks}
    for p, para in enumerate(paragraphs):
        for i, word in enumerate(para):
            start, end = rendered.spans[p][i]
            shown = text[start:end]
            if (p, i) in broken:
                assert re.search(r"-[ \t]*\r?\n[ \t]*", shown), repr(shown)
                if broken[(p, i)] in ("word", "layout"):
                    shown = re.sub(r"-[ \t]*\r?\n[ \t]*", "", shown)  # the hyphen was added at the break
            shown = re.sub(r"\s+", "", shown)  # "word ," spacing glue, breaks of compounds
            assert independent_fold(shown) == independent_fold(word), (word, text[start:end])


@pytest.mark.parametrize("style", sorted(tf.STYLES))
def test_renderings_keep_every_word(style):
    for name, paragraphs in PASSAGES:
        rendered = tf.render(paragraphs, style, random.Random(name), tf.lexicon_of(paragraphs))
        check_rendering(paragraphs, rendered)


def test_source_rendering_is_the_text_itself():
    paragraphs, rendered = tf.parse(SAMPLE)
    assert rendered.text == SAMPLE
    check_rendering(paragraphs, rendered)
    assert len(paragraphs) == 3 and paragraphs[0][0] == '"Well,"'


def test_curly_quotes_point_the_right_way_and_keep_words_whole():
    assert tf.curl_quotes('"Well,"') == "\u201cWell,\u201d"
    assert tf.curl_quotes("it's") == "it\u2019s"
    assert tf.curl_quotes("('official')") == "(\u2018official\u2019)"
    assert tf.curl_quotes("--\"Yes") == "--\u201cYes"
    for name, paragraphs in PASSAGES:
        text = tf.render(paragraphs, "curly-quotes", random.Random(0)).text
        # An opening quote right after a letter would cut a word in two.
        assert not re.search(r"\w[\u2018\u201c]", text), name
        assert "'" not in text and '"' not in text


def test_styles_do_what_they_say():
    paragraphs = PASSAGES[0][1]
    rng = random.Random(5)
    assert "\r\n" in tf.render(paragraphs, "crlf", rng).text
    assert not re.search(r"(?<!\r)\n", tf.render(paragraphs, "crlf", rng).text)
    assert "\ufb01" in tf.render(paragraphs, "ligatures", rng).text
    assert "\u00ad" in tf.render(paragraphs, "soft-hyphens", rng).text
    assert "\u2014" in tf.render(paragraphs, "dashes", rng).text and "\u2026" in tf.render(paragraphs, "dashes", rng).text
    web = tf.render(paragraphs, "web", rng).text
    assert "Mr.\u00a0Elliot" in web and "\u201c" in web and "\u2014" in web
    assert len([line for line in web.splitlines() if line.strip()]) == len(paragraphs)  # one line per paragraph
    pdf = tf.render(paragraphs, "pdf", rng).text
    assert "\u201c" not in pdf and "\ufb01" in pdf
    wrapped = tf.render(paragraphs, "wrap40", rng).text
    assert max(map(len, wrapped.splitlines())) <= 40


def test_line_end_breaks_are_attested_or_real_compounds():
    seen = set()
    for name, paragraphs in PASSAGES:
        lexicon = tf.lexicon_of(paragraphs)
        for width in (25, 30, 45, 60):
            style = tf.with_style("hyphenated", width=width)
            rendered = tf.render(paragraphs, style, random.Random(width), lexicon)
            for p, i, kind in rendered.breaks:
                seen.add(kind)
                word = paragraphs[p][i]
                if kind == "layout":
                    continue
                if kind == "word":
                    # The whole word occurs elsewhere in the same text, unbroken.
                    core = re.sub(r"\W", "", word)
                    unbroken = [(q, j) for q, para in enumerate(paragraphs) for j, w in enumerate(para)
                                if re.sub(r"\W", "", w) == core and (q, j, "word") not in rendered.breaks]
                    assert unbroken, word
                else:
                    assert "-" in word
                    start, end = rendered.spans[p][i]
                    head = re.search(r"(\w+)-\s*\n\s*(\w+)", rendered.text[start:end])
                    assert (head.group(1) + head.group(2)).lower() not in lexicon
    assert seen == {"word", "compound"}


def test_rendering_is_deterministic():
    paragraphs = PASSAGES[1][1]
    for style in tf.STYLES:
        assert tf.render(paragraphs, style, random.Random(9)).text == tf.render(paragraphs, style, random.Random(9)).text


def test_edits_are_applied_where_they_say():
    for name, paragraphs in PASSAGES[1:]:
        rng = random.Random(name)
        edited, edits = tf.apply_edits(paragraphs, rng, 6)
        assert len(edits) == 6 and len(edited) == len(paragraphs)
        assert {e.kind for e in edits} <= {"substitute", "insert", "delete", "replace"}
        # Undo the edits: the rest of each paragraph is untouched.
        restored = [list(para) for para in edited]
        for e in sorted(edits, key=lambda e: (e.p, e.new_start), reverse=True):
            assert restored[e.p][e.new_start:e.new_end] == e.new_words
            restored[e.p][e.new_start:e.new_end] = e.old_words
        assert restored == paragraphs
        for e in edits:
            assert [tf.core(w) for w in e.old_words] != [tf.core(w) for w in e.new_words]


@pytest.mark.parametrize("old_style,new_style", [("source", "pdf"), ("web", "hyphenated"), ("crlf", "soft-hyphens")])
def test_edit_spans_point_at_the_edited_words(old_style, new_style):
    for name, paragraphs in PASSAGES[1:]:
        rng = random.Random(name)
        lexicon = tf.lexicon_of(paragraphs)
        edited, edits = tf.apply_edits(paragraphs, rng, 5)
        old = SOURCES[name] if old_style == "source" else tf.render(paragraphs, old_style, rng, lexicon)
        new = tf.render(edited, new_style, rng, lexicon)
        for e in edits:
            (o0, o1), (n0, n1) = e.spans(old, new)
            # Words compared without whitespace and hyphens (line-break hyphenation).
            flat = lambda s: re.sub(r"[-\s]+", "", independent_fold(s))  # noqa: E731
            if e.old_words:
                assert flat(old.text[o0:o1]) == flat(" ".join(e.old_words)), (e, old.text[o0:o1])
            else:
                assert o0 < o1 and not old.text[o0:o1].strip()  # where the words went in
            if e.new_words:
                assert flat(new.text[n0:n1]) == flat(" ".join(e.new_words)), (e, new.text[n0:n1])
            else:
                assert n0 < n1 and not new.text[n0:n1].strip()  # where the words were


def test_scoring_overlap():
    edit = ((10, 15), (20, 20))  # five characters deleted; in the new text, a point
    assert quality.hits(quality.Detected(12, 13, 20, 20), edit)
    assert quality.hits(quality.Detected(15, 15, 19, 25), edit)
    assert not quality.hits(quality.Detected(16, 20, 21, 23), edit)
    # A change of the next word does not count as finding an insertion before it.
    assert not quality.hits(quality.Detected(30, 34, 40, 44), ((29, 30), (35, 40)))


SMALL_OLD = "The quick brown fox\njumps over the lazy dog.\n\nA second paragraph here.\n"
SMALL_NEW = "The quick red fox jumps over\nthe lazy dog.\n\nA second new paragraph here."


@pytest.mark.parametrize("tool", [
    pytest.param("git --word-diff", marks=pytest.mark.skipif(not shutil.which("git"), reason="git not installed")),
    pytest.param("wdiff", marks=pytest.mark.skipif(not shutil.which("wdiff"), reason="wdiff not installed")),
])
def test_external_tool_output_maps_to_spans(tool, tmp_path):
    found = quality.TOOLS[tool](SMALL_OLD, SMALL_NEW, tmp_path)
    shown = [(SMALL_OLD[d.old_start:d.old_end], SMALL_NEW[d.new_start:d.new_end]) for d in found]
    assert shown == [("brown", "red"), ("", "new")]
    assert quality.TOOLS[tool](SMALL_OLD, SMALL_OLD, tmp_path) == []


@pytest.mark.parametrize("chunk_pass", ["auto", "always"])
def test_this_tool_meets_the_targets_on_a_quick_sample(chunk_pass, monkeypatch):
    if chunk_pass == "always":  # the coarse first pass on every pair, however short
        import provenance.diff.chunks

        monkeypatch.setattr(provenance.diff.chunks, "CHUNK_PASS_MIN_CHUNKS", 0)
    cases = quality.build_cases(quick=True, passages_per_text=1, edited_per_passage=3)
    assert {c.kind for c in cases} == {"formatting", "edited"}
    assert len({c.corpus for c in cases}) == len(quality.corpus_files()) >= 6
    results = quality.evaluate(cases, ["provenance"])
    score = results.total["provenance"]
    assert score.formatting_pairs >= 6 * len(quality.FORMAT_PAIRS) and score.edits >= 6 * 3 * 4
    assert quality.meets_targets(score), quality.report(results, cases, show_failures=20)


def test_the_benchmark_catches_a_tool_that_treats_typography_as_content(monkeypatch):
    from provenance.diff import CONTENT, compare

    def strict(old, new, workdir=None):
        return [quality.Detected(c.old_start, c.old_end, c.new_start, c.new_end)
                for c in compare(old, new, strict=True).changes if c.cls == CONTENT]

    monkeypatch.setitem(quality.TOOLS, "strict", strict)
    monkeypatch.setitem(quality.TOOLS, "blind", lambda old, new, workdir=None: [])
    cases = quality.build_cases(texts=["austen"], passages_per_text=1, edited_per_passage=2)
    results = quality.evaluate(cases, ["strict", "blind"])
    by = {(kind, t): s for (kind, t), s in results.by_transform.items()}
    assert by[("formatting", "source -> curly-quotes")]["strict"].clean == 0
    assert by[("formatting", "source -> wrap40")]["strict"].clean == 1
    assert not quality.meets_targets(results.total["strict"])
    assert results.total["blind"].clean == 1 and results.total["blind"].recall == 0


def test_layout_hyphens_break_words_at_dictionary_points_in_every_case():
    """The layout-hyphens style breaks long words at the line end where the
    dictionary allows, whatever their case, and compounds after their hyphen."""
    text = ("THE PARTICULAR INCIDENTAL CONSEQUENTIAL DAMAGES ARE EXCLUDED. Incidental Particular "
            "Considerations Notwithstanding: the government's well-known intra-Palestinian "
            "reconciliation negotiations, high-level representatives and extraordinarily "
            "complicated international circumstances.")
    paragraphs = tf.parse(text)[0]
    seen = {"upper": 0, "title": 0, "lower": 0, "compound": 0}
    for width in range(18, 40):
        rendered = tf.render(paragraphs, tf.with_style("layout-hyphens", width=width), random.Random(width))
        check_rendering(paragraphs, rendered)
        for p, i, kind in rendered.breaks:
            start, end = rendered.spans[p][i]
            head, tail = re.split(r"-[ \t]*\r?\n[ \t]*", rendered.text[start:end], maxsplit=1)
            word = re.sub(r"\W", "", head + tail)
            if kind == "compound":
                seen["compound"] += 1
                continue
            assert kind == "layout"
            assert len(re.sub(r"\W", "", head)) in tf.hyphenation_points(word)
            seen["upper" if word.isupper() else "title" if word.istitle() else "lower"] += 1
    assert all(seen.values()), seen
