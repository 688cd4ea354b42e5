"""Formatting invariance (issue #14): re-formatting one side of a comparison
never changes its content changes.

For random texts a, random word edits b of a, and every formatting-only
style T of benchmarks/transforms.py, the content changes of compare(T(a), b)
and compare(a, T(b)) are the same words as those of compare(a, b): each
change is mapped to the words its spans cover (benchmarks/invariance.py's
signature), so a different alignment of the same edit is a difference too.
The chunk pass is forced on (the texts are short), so both passes are held
to it; benchmarks/invariance.py measures the same on real revision pairs.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT / "benchmarks"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import invariance as inv  # noqa: E402
import transforms as tf  # noqa: E402
from provenance import codes as cd  # noqa: E402
from provenance.diff import CONTENT, chunks, compare, pipeline  # noqa: E402
from provenance.furniture import furniture_spans  # noqa: E402

# Words of every kind the styles act on: ligature letters, quotes and
# apostrophes, "--", compounds, capitals and title case, long words that
# break at line ends, punctuation that spacing glue moves.
VOCABULARY = (
    "the of and to a in is that for it as was with be by on not he this are or his from at which but have an "
    "official efficient fluffy afflicted offer final staff waffle difficult "
    "don't it's the government's \"quoted\" 'single' -- well-known high-level intra-Palestinian self-evident "
    "PARTICULAR INCIDENTAL CONSEQUENTIAL DAMAGES WARRANTY Incidental Particular Government Licensor "
    "government considerations extraordinarily international circumstances representatives negotiations "
    "notwithstanding redistribution modification documentation distribution "
    "word, clause; colon: end. question? (bracketed) e.g. Mr. etc."
).split()

# Every formatting-only style, "web" (paragraphs set apart by a single line
# break or a blank line) and "paragraphs" (paragraphs split and merged)
# among them.
STYLES = list(tf.STYLES)


@st.composite
def documents(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(rng.randint(4, 14)):
        if rng.random() < 0.2:
            # A heading or a list item with no end mark: it joins the sentence
            # after it where a paragraph break is lost.
            heading = [rng.choice(VOCABULARY).strip(".,;:?!") or "Section" for _ in range(rng.randint(1, 4))]
            paragraphs.append([rng.choice(["(a)", "1.", "Part", "ARTICLE"]), *heading])
            continue
        words = []
        for _ in range(rng.randint(1, 4)):
            sentence = [rng.choice(VOCABULARY) for _ in range(rng.randint(4, 16))]
            sentence[0] = sentence[0].capitalize() if sentence[0].islower() else sentence[0]
            if not sentence[-1].endswith((".", "?", ":")):
                sentence[-1] += rng.choice([".", ".", "?", "!"])
            words += sentence
        paragraphs.append(words)
    edited, _ = tf.apply_edits(paragraphs, rng, rng.randint(1, 6), min_gap=1)
    return paragraphs, edited, seed


def side(paragraphs, style, rng, lexicon):
    if style is None:
        text = "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
        return inv.Side(*tf.parse(text))
    return inv.Side(paragraphs, tf.render(paragraphs, style, rng, lexicon))


def content_signature(old: inv.Side, new: inv.Side):
    cmp = compare(old.rendered.text, new.rendered.text)
    detected = [inv.quality.Detected(c.old_start, c.old_end, c.new_start, c.new_end)
                for c in cmp.changes if c.cls == CONTENT]
    return inv.signature(detected, old, new)


@pytest.fixture
def chunk_pass_forced():
    saved = chunks.CHUNK_PASS_MIN_CHUNKS
    chunks.CHUNK_PASS_MIN_CHUNKS = 0
    yield
    chunks.CHUNK_PASS_MIN_CHUNKS = saved


@pytest.mark.parametrize("style", STYLES)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_formatting_one_side_keeps_the_content_changes(chunk_pass_forced, style, doc):
    paragraphs, edited, seed = doc
    rng = random.Random(seed)
    lexicon = tf.lexicon_of(paragraphs) | tf.lexicon_of(edited)
    a, b = side(paragraphs, None, rng, lexicon), side(edited, None, rng, lexicon)
    want = content_signature(a, b)
    plain_keys = joined_keys(a.rendered.text, b.rendered.text)
    for old, new in ((side(paragraphs, style, rng, lexicon), b), (a, side(edited, style, rng, lexicon))):
        # A compound broken at its own hyphen that neither text has whole
        # is read as one word (the documented ambiguity): other keys.
        assume(joined_keys(old.rendered.text, new.rendered.text) == plain_keys)
        assert inv.describe(content_signature(old, new), a, b) == inv.describe(want, a, b)


def joined_keys(old: str, new: str) -> tuple[list[str], list[str]]:
    """Both texts' comparison keys, line-end hyphens joined or not as the
    comparison decides (whole texts tokenised: no first pass)."""
    saved = pipeline._plan_chunks
    pipeline._plan_chunks = lambda *args: None
    try:
        old_t, new_t, *_ = pipeline._analyse(old, new, False, False, True, None)
    finally:
        pipeline._plan_chunks = saved
    return [old_t.key(i) for i in range(len(old_t))], [new_t.key(i) for i in range(len(new_t))]


def test_the_real_revision_pairs_are_invariant_under_every_style():
    """benchmarks/invariance.py's cases (14 licence revision pairs x every
    style x both sides) all give the plain pair's content changes, the
    compounds broken at their own hyphen that neither text spells whole or
    hyphenated ("de-" / "facto", "dramatico-" / "musical", "three-" /
    "dimensional") included: the word list tells them from layout breaks."""
    plain, cases = inv.build_cases(1, STYLES)
    reference = {name: (a, b, inv.run("provenance", a, b, None)) for name, a, b in plain}
    differing = [(c.pair, c.style, c.side) for c in cases
                 if inv.run("provenance", c.old, c.new, None) != reference[c.pair][2]]
    assert differing == []


@pytest.mark.parametrize("separator", ["\n", " ", "\n\n\n"])
def test_paragraph_breaks_lost_or_added_show_as_the_whole_text_comparison_shows_them(separator):
    """Paragraphs set apart by a single line break (a web page's text), run
    together, or by more blank lines: the chunk pass ties the chunks a
    paragraph break on one side only touches (pinned), so every such
    change is reported, as formatting, where comparing the whole texts
    token by token reports it; and nothing is content."""
    text = (inv.REVISIONS / "GPL-1.0.txt").read_text(encoding="utf-8")
    other = text.replace("\n\n", separator)
    assert chunks._plan_chunks(text, other, None) is not None  # the pass runs
    with_pass = compare(text, other)
    saved = pipeline._plan_chunks
    pipeline._plan_chunks = lambda *args: None
    try:
        whole = compare(text, other)
    finally:
        pipeline._plan_chunks = saved
    spans = [(c.cls, c.old_start, c.old_end, c.new_start, c.new_end) for c in with_pass.changes]
    assert spans == [(c.cls, c.old_start, c.old_end, c.new_start, c.new_end) for c in whole.changes]
    assert all(c.cls != CONTENT for c in with_pass.changes)
    assert len(with_pass.changes) > 0 or separator == "\n\n\n"


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_paragraph_break_or_page_edge_on_one_side_never_slides_an_edit(data):
    """An insertion that equal words either side let slide (an item added
    to a list after one like it: "A R C" -> "A R X R C") shows the same
    words whatever paragraph breaks or page edges either side has: those
    are formatting, and a slide read off them gave other words (the
    APSL 1.1 -> 1.2 pair, its new side re-paragraphed: `Server", "QuickTime
    Streaming` against `, "QuickTime Streaming Server"`)."""
    word = st.sampled_from(["the", "trade", "names", '"Apple",', '"Server"', "or", "any", "other", "marks.", "of", "it"])
    a, r, x, c = (data.draw(st.lists(word, min_size=lo, max_size=6)) for lo in (1, 1, 1, 1))
    old, new = " ".join(a + r + c) + "\n", " ".join(a + r + x + r + c) + "\n"

    def words(o: str, n: str):
        return [(" ".join(ch.old_text.split()), " ".join(ch.new_text.split()))
                for ch in compare(o, n).changes if ch.cls == CONTENT]

    want = words(old, new)
    side = data.draw(st.sampled_from(["old", "new"]))
    text = old if side == "old" else new
    gaps = [i for i, ch in enumerate(text) if ch == " "]
    at = data.draw(st.sampled_from(gaps)) if gaps else None
    assume(at is not None)
    brk = data.draw(st.sampled_from(["\n\n", "\n\f"]))
    broken = text[:at] + brk + text[at + 1:]
    # (A page edge whose lines the furniture rules take for a running head,
    # "trade the" atop both pages of "trade the\n\ftrade the", takes them
    # out of the comparison by design: not a slide. Hypothesis seed 26.)
    assume(all(broken[s:e] == "\f" for s, e in furniture_spans(broken)))
    got = words(broken, new) if side == "old" else words(old, broken)
    assert got == want, (old, new, side, broken)


def stretches(old: str, new: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The stretches the word diff runs on between the chunk pass's anchors
    (unchanged runs and pinned spans), as the keys of their tokens."""
    seen: list = []
    saved_between, saved_diff = chunks._diff_between_placeholders, chunks.diff_strings
    vocab: list = []

    def between(old_t, new_t, *args):
        vocab[:] = old_t.vocab
        try:
            return saved_between(old_t, new_t, *args)
        finally:
            vocab.clear()

    def diff(a, b, engine):
        if vocab:  # (the chunk pass diffs chunk codes too, before)
            key = lambda s: tuple(vocab[cd.code_index(ord(c))] for c in s)  # noqa: E731
            seen.append((key(a), key(b)))
        return saved_diff(a, b, engine)

    pipeline._diff_between_placeholders, chunks.diff_strings = between, diff
    try:
        compare(old, new)
    finally:
        pipeline._diff_between_placeholders, chunks.diff_strings = saved_between, saved_diff
    return seen


@pytest.mark.parametrize("style", ["layout-hyphens", "soft-hyphens", "curly-quotes", "stray-spaces", "dashes", "pdf"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_the_word_diff_runs_on_the_same_stretches_whatever_the_formatting(chunk_pass_forced, style, doc):
    """The root of invariance: the chunk pass grows its unchanged runs into
    changed sentences over words equal by key (folding.word_tables), so
    re-formatting a side leaves the word diff the same stretches of the
    same keys (the held-out CC-BY-ND 2.5 -> 3.0 and AFL 2.1 -> 3.0 pairs:
    line-end hyphens and soft hyphens stopped a literal growth early, and
    the word diff, given longer stretches, aligned an edit otherwise)."""
    paragraphs, edited, seed = doc
    rng = random.Random(seed)
    lexicon = tf.lexicon_of(paragraphs) | tf.lexicon_of(edited)
    a, b = side(paragraphs, None, rng, lexicon), side(edited, None, rng, lexicon)
    want = stretches(a.rendered.text, b.rendered.text)
    plain_keys = joined_keys(a.rendered.text, b.rendered.text)
    for old, new in ((side(paragraphs, style, rng, lexicon), b), (a, side(edited, style, rng, lexicon))):
        assume(joined_keys(old.rendered.text, new.rendered.text) == plain_keys)
        assert stretches(old.rendered.text, new.rendered.text) == want


def test_held_out_pairs_are_run_from_a_folder(tmp_path, capsys):
    """`invariance.py --revisions DIR --pair OLD NEW` runs those pairs
    alone (the held-out check), and refuses a folder with no pair."""
    import shutil

    for stem in ("OFL-1.0", "OFL-1.1"):
        shutil.copy(inv.REVISIONS / f"{stem}.txt", tmp_path / f"held-{stem}.txt")
    saved = inv.REVISIONS, inv.PAIRS
    try:
        assert inv.main(["--no-external", "--revisions", str(tmp_path), "--pair", "held-OFL-1.0", "held-OFL-1.1"]) == 0
    finally:
        inv.REVISIONS, inv.PAIRS = saved
    out = capsys.readouterr().out
    assert "100.0% (34/34)" in out and "held-OFL-1.0 -> held-OFL-1.1" in out and "GPL" not in out
    with pytest.raises(SystemExit):
        inv.main(["--revisions", str(tmp_path)])


def test_a_chunk_folded_for_one_pair_is_read_against_a_folded_partner_in_the_other(chunk_pass_forced):
    """An edit that deletes a sentence end ("or a?") leaves the new text one
    chunk where the old has two; that chunk pairs with both.  A word broken
    at a line end ("INCI-" / "DENTAL") near one pair's stop folds it (a
    word table, where "--" is "-"); its other pair then read it against the
    old chunk's literal "--" and the run stopped growing there, three words
    earlier than in the plain texts' comparison (Hypothesis found it on a
    layout-hyphenated rendering).  The old chunk is folded too now
    (growth._fold_partners), and the word diff runs on the same stretches."""
    before = "The staff met on Monday to agree on the terms of the lease and the schedule of payments that follow it. " * 4
    after = " The report was filed with the registry on the same day, and nothing else in the lease was changed." * 4
    old = before + ("Colon: an official final -- (bracketed) clause; was PARTICULAR Government was international or a? "
                    "INCIDENTAL considerations to was!") + after
    new = before + ("Colon: an official final -- (bracketed) clause; PARTICULAR Government was international or "
                    "INCIDENTAL considerations to was!") + after
    hyphenated = before + ("Colon: an official final -- (bracketed) clause;\nPARTICULAR Government was international "
                           "or INCI-\nDENTAL considerations to was!") + after
    plain = stretches(old, new)
    assert plain and plain[0][0][0] == "("  # (the run grew through "--" to two words before the edit)
    assert stretches(old, hyphenated) == plain
