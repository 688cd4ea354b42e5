"""The comparison: classes, offsets, moves, readable hunks, losslessness."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.diff import chunks, folding, growth, myers, pipeline
from provenance import tokens as tk
from provenance import codes as cd
from provenance import linebreaks as lb
from provenance.diff import CONTENT, FORMATTING, Side, compare, diff_strings

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
PDF = (SAMPLES / "article-pdf-extract.txt").read_text(encoding="utf-8")
WEB = (SAMPLES / "article-web-capture.txt").read_text(encoding="utf-8")


def content(cmp):
    return [c for c in cmp.changes if c.cls == CONTENT]


def formatting(cmp):
    return [c for c in cmp.changes if c.cls == FORMATTING]


def assert_lossless(cmp):
    old, new = cmp.old.text, cmp.new.text
    assert "".join(old[s.old_start:s.old_end] for s in cmp.segments) == old
    assert "".join(new[s.new_start:s.new_end] for s in cmp.segments) == new
    for a, b in zip(cmp.segments, cmp.segments[1:]):
        assert a.old_end == b.old_start and a.new_end == b.new_start
    for c in cmp.changes:
        assert c.old_text == old[c.old_start:c.old_end]
        assert c.new_text == new[c.new_start:c.new_end]
        for e in c.edits:
            assert e.old_text == old[e.old_start:e.old_end]
            assert e.new_text == new[e.new_start:e.new_end]
    for s in cmp.segments:
        assert (s.kind == "equal") == (s.change is None)


def assert_no_split_words(cmp):
    """No change starts or ends inside a word."""
    for c in cmp.changes:
        for text, start, end in ((cmp.old.text, c.old_start, c.old_end), (cmp.new.text, c.new_start, c.new_end)):
            if start == end:
                continue
            if start > 0:
                assert not (text[start - 1].isalnum() and text[start].isalnum()), (text[start - 1:start + 5], c)
            if end < len(text):
                assert not (text[end - 1].isalnum() and text[end].isalnum()), (text[end - 5:end + 1], c)


# --- the seeds -----------------------------------------------------------


def test_seed_pair_has_exactly_one_content_change():
    cmp = compare(PDF, WEB)
    [change] = content(cmp)
    assert change.kind == "replace"
    assert change.old_text == "TEHRAN, MOSCOW DIFFER ON SYRIA, BUT SHARE \nINTERESTS ELSEWHERE"
    assert change.new_text == "banner"
    assert_lossless(cmp)


def test_seed_pair_formatting_is_quotes_and_line_break_hyphens():
    cmp = compare(PDF, WEB)
    fmt = formatting(cmp)
    hyphenated = [c for c in fmt if "\n" in c.old_text]
    quotes = [c for c in fmt if "\n" not in c.old_text]
    assert sorted(c.new_text for c in hyphenated) == ["high-level", "intra-Palestinian", "medium-intensity"]
    # 11 straight quotes/apostrophes in the PDF extract became curly ones.
    straight = sum(c.old_text.count("'") + c.old_text.count('"') for c in quotes)
    assert straight == 11
    assert all(c.kind == "replace" for c in fmt)


def test_seed_pair_strict_makes_quotes_content():
    cmp = compare(PDF, WEB, strict=True)
    assert len(content(cmp)) == 12  # the headline and the 11 quotes
    assert len(formatting(cmp)) == 3  # line-break hyphenation stays layout


def test_rewrapping_alone_is_nothing():
    text = " ".join(WEB.split())
    wrapped = "\n".join(text[i:i + 70] for i in range(0, len(text), 70))
    # re-wrapping at character positions may split words; wrap at spaces instead
    words = text.split(" ")
    lines, line = [], []
    for w in words:
        line.append(w)
        if len(" ".join(line)) > 60:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    wrapped = "\n".join(lines)
    cmp = compare(text, wrapped)
    assert cmp.changes == []
    assert_lossless(cmp)


@pytest.mark.parametrize(
    "old,new",
    [
        ("a b\r\nc", "a b\nc"),
        ("a\tb  c", "a b c"),
        ("a b   \nc", "a b\nc"),
        ("para one.\n\n\n\npara two.", "para one.\n\npara two."),
        ("  leading and trailing  \n", "leading and trailing"),
    ],
)
def test_whitespace_only_differences_are_not_changes(old, new):
    assert compare(old, new).changes == []


# --- formatting vs content ---------------------------------------------------


@pytest.mark.parametrize(
    "old,new",
    [
        ("the \ufb01nal offer", "the final offer"),  # ligature
        ("café society", "cafe\u0301 society"),  # composed vs decomposed
        ('he said "no" loudly', "he said \u201cno\u201d loudly"),
        ("it's done", "it\u2019s done"),
        ("wait -- what", "wait \u2014 what"),
        ("and so...", "and so\u2026"),
        ("ＡＢＣ corp", "ABC corp"),  # full-width
        ("infor\u00admation age", "information age"),  # soft hyphen
        ("a\u00a0b c", "a b c"),  # no-break space is a space
        ("first part.\n\nsecond part.", "first part. second part."),  # paragraph merge
        ("e.g. this", "e. g. this"),  # spacing
    ],
)
def test_typographic_differences_are_formatting(old, new):
    cmp = compare(old, new)
    if old.replace("\u00a0", " ") == new:
        assert cmp.changes == []
    else:
        assert content(cmp) == []
        assert formatting(cmp), "a literal difference must be shown as formatting"
    assert_lossless(cmp)


def test_line_break_hyphenation_joins_only_attested_words():
    # "govern-/ment" joins because "government" occurs in the other text.
    cmp = compare("the govern-\nment said", "the government said")
    assert content(cmp) == [] and len(formatting(cmp)) == 1
    # "well-/known" stays hyphenated and matches "well-known".
    cmp = compare("a well-\nknown fact", "a well-known fact")
    assert content(cmp) == [] and formatting(cmp)[0].new_text == "well-known"
    # With no attestation the hyphen is real, so "co-\noperate" vs "cooperate" is content.
    cmp = compare("we co-\noperate", "we cooperate")
    assert content(cmp) == [] or content(cmp)[0].new_text == "cooperate"


def test_line_break_hyphen_before_capital_is_kept():
    cmp = compare("the Lavrov-\nZarif call", "the Lavrov-Zarif call")
    assert content(cmp) == []


def test_ignore_case():
    assert len(content(compare("The Cat", "the cat"))) == 1
    cmp = compare("The Cat", "the cat", ignore_case=True)
    assert content(cmp) == [] and len(formatting(cmp)) == 1


def test_words_are_the_units():
    cmp = compare("the quick brown fox", "the quick red fox")
    [c] = cmp.changes
    assert (c.kind, c.old_text, c.new_text) == ("replace", "brown", "red")
    assert cmp.stats["words_inserted"] == 1 and cmp.stats["words_deleted"] == 1


def test_insert_and_delete_offsets():
    cmp = compare("a c", "a b c")
    [c] = cmp.changes
    assert c.kind == "insert" and c.new_text == "b" and c.old_start == c.old_end
    cmp = compare("a b c", "a c")
    [c] = cmp.changes
    assert c.kind == "delete" and c.old_text == "b" and c.new_start == c.new_end
    assert_lossless(cmp)


def test_short_word_between_edits_is_absorbed():
    cmp = compare("sold the house to Smith", "gave a house to Jones")
    # "house to" is kept; "sold the" -> "gave a" is one replace, not two.
    kinds = [(c.old_text, c.new_text) for c in cmp.changes]
    assert ("sold the", "gave a") in kinds


def test_cjk_compares_by_character():
    cmp = compare("我喜欢苹果和香蕉", "我喜欢橙子和香蕉")
    [c] = content(cmp)
    assert (c.old_text, c.new_text) == ("苹果", "橙子")


def test_thai_compares_by_character():
    cmp = compare("ฉันชอบกินข้าว", "ฉันชอบกินขนม")
    assert len(content(cmp)) == 1
    assert_lossless(cmp)


# --- moves --------------------------------------------------------------------

MOVED = "The committee will publish its final report on the first of March next year."
PARAS = [
    "Alpha paragraph talks about the budget and the schedule for the coming months.",
    "Bravo paragraph lists the members of the board and their terms of office.",
    "Charlie paragraph explains how complaints are handled by the secretariat.",
]


def test_moved_paragraph_is_one_move():
    old = "\n\n".join([MOVED, *PARAS])
    new = "\n\n".join([*PARAS, MOVED])
    cmp = compare(old, new)
    [move] = cmp.changes
    assert move.kind == "move" and move.cls == CONTENT
    assert move.old_text == MOVED and move.new_text == MOVED
    assert move.old_start == 0 and move.new_end == len(new)
    kinds = [s.kind for s in cmp.segments if s.kind != "equal"]
    assert kinds == ["move-from", "move-to"]
    assert cmp.stats["words_moved"] == 14
    assert_lossless(cmp)


def test_move_with_small_edit_inside():
    edited = MOVED.replace("final", "last")
    old = "\n\n".join([MOVED, *PARAS])
    new = "\n\n".join([*PARAS, edited])
    cmp = compare(old, new)
    [move] = [c for c in cmp.changes if c.kind == "move"]
    assert [(e.old_text, e.new_text) for e in move.edits] == [("final", "last")]
    assert_lossless(cmp)


def test_short_repeated_words_are_not_moves():
    cmp = compare("one two three four", "four one two three")
    assert all(c.kind != "move" for c in cmp.changes)


@pytest.mark.parametrize("words", [4, 5])
def test_a_moved_passage_needs_five_words_however_many_tokens(words):
    """A passage of five words or more is a move, one of four words and
    any number of marks is not, among many such passages (a manual's)."""
    marks = ["|:help|", "{motion}", "CTRL-W", "(see", "below)", "--", "[count]"]
    rng = random.Random(words)
    passage = " ".join(f"<{w}>" for w in ["alpha", "bravo", "charlie", "delta", "echo"][:words]) + " ;;"
    filler = [" ".join(rng.choice(SENTENCE_VOCAB) for _ in range(20)) + "." for _ in range(30)]
    old = "\n\n".join(filler[:5] + [passage] + filler[5:])
    new = "\n\n".join(filler[:20] + [passage] + filler[20:])
    for k in range(0, 30, 3):  # and punctuation-heavy passages edited in place all over (not next to it)
        new = new.replace(filler[k], filler[k].replace(" ", f" {rng.choice(marks)} {rng.choice(marks)} ", 2), 1)
    cmp = compare(old, new)
    moved = [c for c in cmp.changes if c.kind == "move"]
    assert [c.old_text.split() for c in moved] == ([passage.split()] if words >= 5 else [])


def test_moves_can_be_turned_off():
    old = "\n\n".join([MOVED, *PARAS])
    new = "\n\n".join([*PARAS, MOVED])
    cmp = compare(old, new, detect_moves=False)
    assert sorted(c.kind for c in cmp.changes) == ["delete", "insert"]


# --- data model ------------------------------------------------------------


def test_to_dict_is_the_json_contract():
    cmp = compare(Side(PDF, label="a"), Side(WEB, label="b"))
    d = cmp.to_dict()
    assert set(d) >= {"old", "new", "stats", "changes"}
    for c in d["changes"]:
        assert c["kind"] in {"insert", "delete", "replace", "move"}
        assert c["class"] in {"content", "formatting"}
        assert c["old_text"] == PDF[c["old_start"]:c["old_end"]]
        assert c["new_text"] == WEB[c["new_start"]:c["new_end"]]
    assert d["stats"]["content_changes"] == 1 and d["stats"]["formatting_changes"] == 14


def test_identical_and_empty_texts():
    assert compare("", "").changes == []
    assert compare(PDF, PDF).changes == []
    cmp = compare("", "new words")
    assert [c.kind for c in cmp.changes] == ["insert"]
    assert_lossless(cmp)
    cmp = compare("old words", "")
    assert [c.kind for c in cmp.changes] == ["delete"]
    assert_lossless(cmp)


def test_no_timeout_on_a_long_document():
    """diff-match-patch's default 1 s timeout would replace the whole text."""
    rng = random.Random(7)
    words = WEB.split()
    text = " ".join(rng.choice(words) for _ in range(60_000))
    edited = text.split(" ")
    for i in rng.sample(range(len(edited)), 300):
        edited[i] = "EDITED"
    cmp = compare(text, " ".join(edited))
    assert cmp.stats["words_inserted"] <= 300
    assert len(content(cmp)) <= 300


# --- engines -----------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcde", max_size=60), st.text(alphabet="abcde", max_size=60))
def test_fast_and_pure_engines_agree(a, b):
    assert diff_strings(a, b, "fast") == diff_strings(a, b, "pure")


def test_engines_agree_on_the_seed_pair():
    assert compare(PDF, WEB, engine="fast").to_dict() == compare(PDF, WEB, engine="pure").to_dict()


# --- properties ------------------------------------------------------------------


def compare_both_ways(old, new, **options):
    """The whole-text path (forced) and the chunk pass (forced on, even for short texts)."""
    saved = chunks.CHUNK_PASS_MIN_CHUNKS
    try:
        chunks.CHUNK_PASS_MIN_CHUNKS = 10**9
        whole = compare(old, new, **options)
        chunks.CHUNK_PASS_MIN_CHUNKS = 0
        chunked = compare(old, new, **options)
    finally:
        chunks.CHUNK_PASS_MIN_CHUNKS = saved
    return whole, chunked

VOCAB = ["the", "government", "official", "said", "office", "final", "it's", "don't", "report", "Smith", "a",
         "of", "caf\u00e9", "river", "eleven", "twenty-one", "ring", "fine", "file"]
PUNCT = [",", ".", ";", ":", "!", "?", '"', "(", ")"]


@st.composite
def documents(draw):
    n = draw(st.integers(1, 80))
    out = []
    for _ in range(n):
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(st.sampled_from(PUNCT)))
        else:
            out.append(draw(st.sampled_from(VOCAB)))
    return out


def layout(words, rng, width):
    """Join words into text with random but meaningless whitespace."""
    text, line = [], 0
    for i, w in enumerate(words):
        if i:
            if line > width:
                text.append(rng.choice(["\n", " \n", "\r\n", "\n  "]))
                line = 0
            else:
                text.append(rng.choice([" ", " ", " ", "  ", "\t"]))
        text.append(w)
        line += len(w) + 1
    return "".join(text)


def typographic(text, rng):
    """A formatting-only transform of a text."""
    out = []
    for ch in text:
        if ch == "'" and rng.random() < 0.7:
            out.append("\u2019")
        elif ch == '"' and rng.random() < 0.7:
            out.append(rng.choice("\u201c\u201d"))
        else:
            out.append(ch)
    text = "".join(out)
    if rng.random() < 0.5:
        text = text.replace("fi", "\ufb01")
    if rng.random() < 0.5:
        text = text.replace("caf\u00e9", "cafe\u0301")  # composed -> decomposed
    # break "government" across a line (attested: the original has it)
    if rng.random() < 0.5:
        text = text.replace("government ", "govern-\nment\n", 1)
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.integers(0, 2**32 - 1))
def test_formatting_only_transforms_give_no_content_changes(words, seed):
    rng = random.Random(seed)
    old = layout(words, rng, rng.randint(10, 60))
    new = typographic(layout(words, rng, rng.randint(10, 60)), rng)
    for cmp in compare_both_ways(old, new):
        assert content(cmp) == [], [(c.old_text, c.new_text) for c in content(cmp)]
        assert_lossless(cmp)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), documents(), st.integers(0, 2**32 - 1), st.booleans())
def test_every_comparison_is_lossless(words_a, words_b, seed, strict):
    rng = random.Random(seed)
    # mix: b is a random edit of a, sometimes with typography changed
    edited = list(words_a)
    for w in words_b[: rng.randint(0, len(words_b))]:
        op = rng.random()
        pos = rng.randint(0, len(edited))
        if op < 0.4:
            edited.insert(pos, w)
        elif op < 0.7 and edited:
            edited.pop(min(pos, len(edited) - 1))
        elif edited:
            edited[min(pos, len(edited) - 1)] = w
    old = layout(words_a, rng, 40)
    new = typographic(layout(edited, rng, 30), rng)
    whole, chunked = compare_both_ways(old, new, strict=strict)
    for cmp in (whole, chunked):
        assert_lossless(cmp)
        assert_no_split_words(cmp)
    assert bool(content(whole)) == bool(content(chunked))
    # the chunk pass counts unchanged runs once; the totals are the texts' own
    for cmp in (whole, chunked):
        assert (cmp.old_words, cmp.new_words) == (tk.count_words(old), tk.count_words(new))
    # content changes exist exactly when the word sequences differ
    keyer = tk.make_keyer(strict=strict)
    same = tk.tokenize(old, keyer).keys == tk.tokenize(new, keyer).keys
    if same:
        assert content(whole) == [] and content(chunked) == []


def _apply(ops, a, b):
    """Rebuild b from a and an edit script, checking equal runs really are equal."""
    i = j = 0
    out = []
    for op, n in ops:
        if op == "=":
            assert a[i:i + n] == b[j:j + n]
            out.append(a[i:i + n])
            i, j = i + n, j + n
        elif op == "-":
            i += n
        else:
            out.append(b[j:j + n])
            j += n
    assert i == len(a) and j == len(b)
    return "".join(out)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.4))
def test_anchored_diff_is_a_valid_edit_script(seed, rate):
    rng = random.Random(seed)
    alphabet = [chr(0x4E00 + k) for k in range(3000)]
    a = "".join(rng.choice(alphabet) for _ in range(3000))
    b = "".join(c if rng.random() > rate else rng.choice(alphabet) for c in a)
    for engine in ("fast", "pure"):
        ops = diff_strings(a, b, engine, anchored=True)
        assert _apply(ops, a, b) == b
        assert ops == myers._merge_ops(myers._anchored(a, b, engine, 0))  # merged, as _join_equal_ends claims
        same_ends = a[:50] + b + a[-50:]  # equal runs at both ends, next to the stretch's own
        assert diff_strings(a, same_ends, engine) == myers._merge_ops(myers._anchored(a, same_ends, engine, 0))

        # In pieces of a few anchor runs each, the same regions.
        from provenance.diff.regions import _regions

        saved, myers.PIECE_RUNS = myers.PIECE_RUNS, 3
        try:
            for x, y in ((a, b), (a, same_ends), (same_ends, a), (a, a[:-1]), (a, "")):
                assert list(_regions(myers.diff_pieces(x, y, engine))) == list(_regions([diff_strings(x, y, engine)]))
        finally:
            myers.PIECE_RUNS = saved


def test_anchored_diff_is_close_to_exact_on_edited_prose():
    """Anchoring on unique words must not cost quality on document edits."""
    rng = random.Random(3)
    words = (PDF + WEB).split()
    old = [rng.choice(words) for _ in range(20_000)]
    new = [w if rng.random() > 0.05 else rng.choice(words) for w in old]
    a_keys, b_keys = tk.tokenize(" ".join(old)).keys, tk.tokenize(" ".join(new)).keys
    from provenance.diff.myers import _encode

    sa, sb = _encode(a_keys, b_keys)
    changed = lambda ops: sum(n for op, n in ops if op != "=")
    exact = changed(diff_strings(sa, sb, anchored=False))
    anchored = changed(diff_strings(sa, sb, anchored=True))
    assert exact <= anchored <= exact * 1.01


def test_formatting_groups_never_overlap():
    cmp = compare('"a""b"', "\u201ca\u201d\n\n\u201cb\u201d")
    assert_lossless(cmp)
    assert content(cmp) == []


def test_moved_sentence_keeps_its_full_stop():
    old = "Aa bb. Cc dd ee ff gg. Hh ii. Jj kk. Ll mm. Nn oo."
    new = "Aa bb. Hh ii. Jj kk. Ll mm. Cc dd ee ff gg. Nn oo."
    [move] = compare(old, new).changes
    assert move.kind == "move" and move.old_text == "Cc dd ee ff gg."


def test_deleted_sentence_aligns_to_sentence_boundaries():
    cmp = compare("x y. The cat sat. z w. q r.", "x y. z w. q r.")
    [c] = cmp.changes
    assert c.old_text == "The cat sat."


def test_chunk_pass_on_a_long_document_matches_the_whole_text_path():
    rng = random.Random(11)
    paragraphs = [p for p in (PDF + "\n\n" + WEB).split("\n\n") if p.strip()] * 6
    edited = []
    for p in paragraphs:
        words = p.split()
        if rng.random() < 0.2:
            words[rng.randrange(len(words))] = "CHANGED"
        edited.append(" ".join(words))
    old = "\n\n".join(paragraphs)
    new = "\n\n".join(edited).replace("'", "\u2019")
    whole, chunked = compare_both_ways(old, new)
    assert len(tk.split_chunks(old)[0]) > chunks.CHUNK_PASS_MIN_CHUNKS
    for cmp in (whole, chunked):
        assert_lossless(cmp)
    assert whole.stats == chunked.stats
    assert [(c.cls, c.old_text, c.new_text) for c in whole.changes] == [(c.cls, c.old_text, c.new_text) for c in chunked.changes]


@pytest.mark.parametrize("text", ["", "a", "  Hello world. How are you?  Fine!\n\n\nNext para\r\n\r\nThird.  ", PDF])
def test_split_chunks_is_lossless(text):
    chunks, seps = tk.split_chunks(text)
    assert "".join(s + c for s, c in zip(seps, chunks)) == text
    assert tk.count_words(text) == sum(map(tk.is_word, tk.tokenize(text).literals))


def test_short_identical_chunks_do_not_misalign_the_chunk_pass():
    """Lone "M" headings pair up differently at chunk level than at word level;
    short unchanged runs are tokenised so formatting stays formatting.  The
    pair is a Jargon File passage (benchmarks/corpus) in two renderings, from
    benchmarks/quality.py."""
    data = Path(__file__).resolve().parent / "data"
    old = (data / "jargon-source.txt").read_text(encoding="utf-8")
    new = (data / "jargon-web.txt").read_text(encoding="utf-8")
    for cmp in compare_both_ways(old, new):
        assert content(cmp) == [], [(c.old_text, c.new_text) for c in content(cmp)]
        assert_lossless(cmp)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), documents(), st.integers(0, 2**32 - 1))
def test_word_change_counts_match_the_comparison(words_a, words_b, seed):
    """Ingest's +N -M figures come from a shortcut; they must equal diff's stats."""
    from provenance.diff import word_change_counts

    rng = random.Random(seed)
    edited = list(words_a)
    for w in words_b:
        pos = rng.randint(0, len(edited))
        if rng.random() < 0.5:
            edited.insert(pos, w)
        elif edited:
            edited.pop(min(pos, len(edited) - 1))
    if rng.random() < 0.3 and len(edited) > 12:  # a moved passage
        cut = edited[2:9]
        edited = edited[:2] + edited[9:] + cut
    old, new = layout(words_a, rng, 40), layout(edited, rng, 30)
    stats = compare(old, new).stats
    assert word_change_counts(old, new) == (stats["words_inserted"], stats["words_deleted"])


def test_word_change_counts_on_the_seeds():
    from provenance.diff import word_change_counts

    assert word_change_counts(PDF, WEB) == (1, 9)
    old = "\n\n".join([MOVED, *PARAS])
    new = "\n\n".join([*PARAS, MOVED.replace("final", "last")])
    stats = compare(old, new).stats
    assert stats["moves"] == 1
    assert word_change_counts(old, new) == (stats["words_inserted"], stats["words_deleted"])


def test_anchoring_copes_with_a_text_that_repeats_itself():
    """No token is unique in a document pasted twice: anchoring pairs the
    k-th occurrences instead, and the result stays a minimal valid script."""
    rng = random.Random(5)
    alphabet = [chr(0x4E00 + k) for k in range(5000)]
    half = "".join(rng.choice(alphabet) for _ in range(4000))
    a = half + half
    b = "".join(c if rng.random() > 0.02 else rng.choice(alphabet) for c in a)
    changed = lambda ops: sum(n for op, n in ops if op != "=")
    anchored = diff_strings(a, b, anchored=True)
    assert _apply(anchored, a, b) == b
    exact = diff_strings(a, b, anchored=False)
    assert changed(anchored) <= changed(exact) * 1.01


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    list("ab Z9_'.-\n\t,") + ["\u2019", "\u2014", "\u2026", "\u00ad", "\u200b", "\u00e9", "\u0301", "\u4e2d",
                              "\U00020001", "\U0001d400", "\u0e01", "\ufb01", "\u00a0", "\u0661", "\u02bc"]),
    max_size=80))
def test_plain_patterns_agree_with_the_full_ones(text):
    """Text without combining marks or space-less scripts is cut with plain
    \\w patterns (twice as fast); wherever they are chosen they must cut and
    count exactly as the full patterns would."""
    full_token, full_word = tk._full_patterns()
    token, word = tk._patterns(text)
    assert token.split(text) == full_token.split(text)
    assert word.findall(text) == full_word.findall(text)
    # and the full patterns are chosen whenever the text has a mark or a space-less script
    assert (token is full_token) == any(ch in text for ch in "\u0301\u4e2d\U00020001\u0e01")


def test_a_series_of_versions_counts_as_fresh_comparisons_do():
    """word_change_counts reuses the tokens of the text it saw last (each
    version is compared twice in a series); line-break joining changes the
    tokens of one comparison and must not leak into the next."""
    v1 = "The govern-\nment met today. A well-\nknown fact was stated by the minister."
    v2 = "The government met today. A wellknown fact was stated by the minister."
    v3 = "The govern-\nment met on Monday. A well-\nknown fact was stated."
    series = [v1, v2, v3, v1, v3, v2]
    tk._RECENT.clear()
    counted = [pipeline.word_change_counts(a, b) for a, b in zip(series, series[1:])]
    fresh = []
    for a, b in zip(series, series[1:]):
        tk._RECENT.clear()
        stats = compare(a, b).stats
        fresh.append((stats["words_inserted"], stats["words_deleted"]))
    assert counted == fresh
    assert counted[0] == (0, 0) and counted[1] == (2, 4)
    # the remembered tokens are still the plain tokenisation of each text
    for (text, _), toks in tk._RECENT.items():
        assert toks.literals == tk.tokenize(text).literals


def test_long_texts_are_counted_in_pieces_cut_at_whitespace(monkeypatch):
    text = "It\u2019s caf\u00e9 na\u00efve-ish, don't stop:  the end\u2026 " * 50 + "x\u200by tail"
    expected = len(tk._full_patterns()[1].findall(text))
    for piece in (1, 7, 64, 10**6):
        monkeypatch.setattr(tk, "_COUNT_PIECE", piece)
        assert tk.count_words(text) == expected
        assert tk.count_words(text + "\u0301") == len(tk._full_patterns()[1].findall(text + "\u0301"))


BREAKS = ["govern-\nment", "government", "intra-\nPalestinian", "re\u00ad\nport", "ex-\n  Port", "--", "...", "x\u200by"]
FULL = ["cafe\u0301", "\u0e17\u0e35\u0e48\u0e19\u0e35\u0e48", "\u4e2d\u6587", "na\u00efve"]


@pytest.mark.parametrize("vocab", [VOCAB + BREAKS + PUNCT, VOCAB + BREAKS + FULL + PUNCT], ids=["plain", "full"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_word_totals_equal_count_words_for_plain_and_full_texts(vocab, data, seed):
    """The chunk pass counts tokenised stretches from their tokens when the
    text is plain (line-break joins included), and with count_words
    otherwise: either way the totals are count_words of each text
    (combining marks, Thai, Chinese included)."""
    words_a = data.draw(st.lists(st.sampled_from(vocab), min_size=1, max_size=80))
    words_b = data.draw(st.lists(st.sampled_from(vocab), max_size=20))
    rng = random.Random(seed)
    edited = list(words_a)
    for w in words_b:
        edited.insert(rng.randint(0, len(edited)), w)
    old, new = layout(words_a, rng, 40), layout(edited, rng, 25)
    for cmp in compare_both_ways(old, new):
        assert (cmp.old_words, cmp.new_words) == (tk.count_words(old), tk.count_words(new))


AUSTEN = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "fiction_austen_persuasion.txt"


def edited_copy(text: str, rate: float, seed: int) -> str:
    """text with `rate` of its words replaced, re-wrapped to 60 columns."""
    rng = random.Random(seed)
    words = text.split()
    words = [rng.choice(words) if rng.random() < rate else w for w in words]
    lines, line = [], []
    for w in words:
        if sum(map(len, line)) + len(line) + len(w) > 60:
            lines.append(" ".join(line))
            line = []
        line.append(w)
    return "\n".join(lines + [" ".join(line)])


@pytest.mark.parametrize("rate, pays", [(0.002, True), (0.2, False)])
def test_the_chunk_pass_is_sampled_on_long_texts(rate, pays):
    """Long texts are sampled to decide whether the chunk pass pays: yes for
    a few edits, no when most sentences are edited.  Either way the
    comparison is whole, and its word totals are the texts' own."""
    old = AUSTEN.read_text(encoding="utf-8")
    assert len(old) >= chunks.SAMPLE_MIN_CHARS
    new = edited_copy(old, rate, seed=7)
    assert chunks._chunk_pass_pays(old, new) is pays
    assert (chunks._plan_chunks(old, new, None) is not None) is pays
    cmp = compare(old, new)
    assert_lossless(cmp)
    assert (cmp.old_words, cmp.new_words) == (tk.count_words(old), tk.count_words(new))
    assert cmp.stats["words_inserted"] > 0.5 * rate * len(old.split())


def test_the_sample_compares_chunks_by_their_keys():
    """A side whose every sentence differs from the other in typography only
    (full-width letters, curly quotes) is sampled as unchanged, as the pass
    itself would find it; the texts' literal chunks share nothing."""
    old = AUSTEN.read_text(encoding="utf-8")
    new = edited_copy(old, 0.002, seed=7).replace("a", "\uff41").replace("'", "\u2019")
    (_, old_codes, _, _), (_, new_codes, _, _) = tk.chunk_codes(old, new)
    assert len(set(old_codes) & set(new_codes)) < 0.1 * len(set(old_codes))  # literally, next to nothing is kept
    assert chunks._chunk_pass_pays(old, new)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Ab", "c", ".", "!", "?", '"', ")", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n \n "]),
                max_size=60))
def test_split_chunks_cuts_only_after_sentence_ends_whatever_the_paragraphs(parts):
    """Chunks are cut at whitespace after an end mark and nowhere else: a
    blank line is whitespace like any other, so the chunks' folded keys are
    the same whether paragraphs are set apart by a blank line, a single line
    break or a space (a paragraph split or merged)."""
    text = "".join(parts)
    chunks, seps = tk.split_chunks(text)
    assert len(chunks) == len(seps)
    assert "".join(s + c for s, c in zip(seps, chunks)) == text
    assert all(not s.strip() for s in seps)
    assert all(c.rstrip()[-1:] in ".!?\"')" for c in chunks[:-1])
    for sep in ("\n\n", "\n", " ", " \n \n "):
        merged = re.sub(r"\n[^\S\n]*\n\s*", sep, text)
        assert tk.fold_chunks(tk.split_chunks(merged)[0]) == tk.fold_chunks(chunks)


def test_comparisons_pause_the_cyclic_gc_and_restore_it(monkeypatch):
    """The garbage collector is off while a comparison runs (its objects are
    freed by reference counting), and comes back as it was, even after an
    error."""
    import gc

    seen = []
    real_build = pipeline._build

    def build(*args):
        seen.append(gc.isenabled())
        return real_build(*args)

    monkeypatch.setattr(pipeline, "_build", build)
    assert gc.isenabled()
    compare("a b c d", "a x c d")
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        compare("a b c d", "a y c d")
        assert not gc.isenabled()
    finally:
        gc.enable()

    def fail(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "_build", fail)
    with pytest.raises(RuntimeError):
        compare("a b", "a c")
    assert gc.isenabled()


# --- trimming changed chunks ---------------------------------------------------

WORDS = st.text(alphabet="ab'\u2019.,-", min_size=1, max_size=4).filter(lambda w: w.strip())
SPACES = st.sampled_from([" ", "  ", "\n", "\t", " \n ", "\r\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=12), st.lists(SPACES, min_size=13, max_size=13), st.booleans(),
       st.data())
def test_word_offsets_cut_text_at_whitespace_after_whole_words(words, spaces, edges, data):
    text = "".join(s + w for s, w in zip(spaces, words)) + (spaces[-1] if edges else "")
    if not edges:
        text = text.lstrip()
    n = data.draw(st.integers(1, len(words)))
    end = growth._end_of_words(text, n)
    assert text[:end].split() == words[:n] and not text[:end][-1:].isspace()
    start = growth._start_of_last_words(text, n)
    assert text[start:].split() == words[-n:] and not text[start:start + 1].isspace()


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=8), st.lists(WORDS, max_size=8), st.lists(WORDS, max_size=8))
def test_shared_words_are_the_whole_words_two_keys_begin_with(common, rest_a, rest_b):
    ka, kb = " ".join(common + rest_a), " ".join(common + rest_b)
    n = growth._shared_words(ka, kb)
    assert ka.split()[:n] == kb.split()[:n]  # never more than they share
    assert n >= len(common)  # never less than what they were built with
    if n < min(len(ka.split()), len(kb.split())):
        assert ka.split()[n] != kb.split()[n]  # and all of it


SENTENCE_VOCAB = ["the", "government", "official", "said", "office", "report", "Smith", "of", "caf\u00e9", "river",
                  "it's", "don't", "twenty-one", "final", "a", "(see", "note)", "\u201cquoted\u201d", "files,"]


@pytest.mark.parametrize("margin", [0, growth.TRIM_MARGIN_WORDS])
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SENTENCE_VOCAB), min_size=6, max_size=18, unique=True), min_size=20,
                max_size=40),
       st.integers(0, 2**32 - 1))
def test_trimming_changed_chunks_finds_the_same_changes(margin, sentences, seed):
    """Sentences with a few words edited, inserted, deleted or retyped
    (curly quotes), the text re-wrapped: the chunk pass finds the same
    changes whether or not it leaves the words a changed sentence shares
    with its counterpart out of the word diff (the diff strips them as a
    common prefix and suffix anyway).

    With no words left on either side (margin 0) an insertion or deletion
    cannot slide to a better boundary, but the same words change: an
    insertion next to a word it repeats may be that word and the rest, or
    the rest and that word, and a word inserted beside two deleted ones
    may replace either ("of the" -> "report": "of" replaced and "the"
    deleted, or "of" deleted and "the" replaced; hypothesis found it in
    sentences that begin alike).  (No word
    repeats within a sentence: an insertion in "the the the ..." may slide
    further than the words left.)  When a whole sentence repeats word for
    word, an edit may align with either copy, trimmed or not, so there only
    losslessness is checked (CI found twenty copies of one sentence whose
    two diffs were different and both correct)."""
    rng = random.Random(seed)
    words = [w for s in sentences for w in (*s[:-1], s[-1] + rng.choice(".!?"))]
    edited = list(words)
    for _ in range(rng.randint(1, 6)):
        k = rng.randrange(len(edited))
        op = rng.random()
        if op < 0.25:
            edited.insert(k, rng.choice(SENTENCE_VOCAB))
        elif op < 0.5:
            del edited[k]
        elif op < 0.75:
            edited[k] = rng.choice(SENTENCE_VOCAB)
        else:
            edited[k] = edited[k].replace("'", "\u2019").replace("\u201c", '"')
    old, new = layout(words, rng, rng.randint(20, 70)), layout(edited, rng, rng.randint(20, 70))
    saved = chunks.CHUNK_PASS_MIN_CHUNKS, growth.TRIM_MARGIN_WORDS
    try:
        chunks.CHUNK_PASS_MIN_CHUNKS = 0
        growth.TRIM_MARGIN_WORDS = margin
        trimmed = compare(old, new)
        growth.TRIM_MARGIN_WORDS = 10**9  # nothing trimmed
        untrimmed = compare(old, new)
    finally:
        chunks.CHUNK_PASS_MIN_CHUNKS, growth.TRIM_MARGIN_WORDS = saved
    assert_lossless(trimmed)
    assert_no_split_words(trimmed)
    assert (trimmed.old_words, trimmed.new_words) == (tk.count_words(old), tk.count_words(new))
    if len({tuple(s) for s in sentences}) < len(sentences):
        return  # a sentence repeated word for word: an edit may align with either copy, and both diffs are right
    assert trimmed.stats == untrimmed.stats
    if margin:
        assert trimmed.to_dict() == untrimmed.to_dict()
    else:  # the same words change, though an insertion may sit a word or two further on ("“quoted” report" for
        # "report “quoted”") or pair with the other of two deletions beside it
        def words_changed(cmp):
            return {cls: (sorted(w for c in cmp.changes if c.cls == cls for w in c.old_text.split()),
                          sorted(w for c in cmp.changes if c.cls == cls for w in c.new_text.split()))
                    for cls in {c.cls for c in cmp.changes}}
        assert words_changed(trimmed) == words_changed(untrimmed)


def plan_with_chunk_pass(old, new):
    saved = chunks.CHUNK_PASS_MIN_CHUNKS
    try:
        chunks.CHUNK_PASS_MIN_CHUNKS = 0
        old_plan, new_plan, _ = chunks._plan_chunks(old, new, None)
        return old_plan, new_plan
    finally:
        chunks.CHUNK_PASS_MIN_CHUNKS = saved


def _headed_text(rng, sections, heading_break):
    """Sections each a heading with no full stop (so its paragraph break
    falls inside a chunk) and a paragraph of sentences."""
    return "\n\n".join(f"Part {k} of the {rng.choice(SENTENCE_VOCAB)}{heading_break}" +
                         " ".join(" ".join(rng.choice(SENTENCE_VOCAB) for _ in range(12)) + "." for _ in range(3))
                         for k in range(sections))


@pytest.mark.parametrize("seed", range(6))
def test_paragraph_breaks_inside_chunks_in_both_texts_do_not_cut_the_runs(seed):
    """A heading with no full stop holds its paragraph break inside a chunk.
    Where both texts have the same paragraphs there, the chunk stays inside
    its unchanged run (a 4 MB manual had a third of its runs cut so); where
    a paragraph break is in one text only, the chunk is a run of its own, as
    before.  Either way the comparison is the whole-text path's."""
    rng = random.Random(seed)
    old = _headed_text(rng, 60, "\n\n")
    words = old.split(" ")
    at = rng.randrange(len(words) // 2, len(words))
    new = " ".join(words[:at] + ["changed"] + words[at + 1:]).replace("\n\n", "\n\n\n", 3)
    old_plan, new_plan = plan_with_chunk_pass(old, new)
    runs = [r for _, _, r in old_plan if r is not None]
    assert len(runs) < 10  # about the edit, not one or two per section (60 sections)
    # one heading's paragraph break taken out in the new text: that chunk is cut out of its run
    heading = new.index("Part 20 ")
    cut = new.index("\n\n", heading)
    merged = new[:cut] + " " + new[cut + 2:]
    assert len([r for _, _, r in plan_with_chunk_pass(old, merged)[0] if r is not None]) > len(runs)
    for other in (new, merged):
        whole, chunked = compare_both_ways(old, other)
        assert [(c.cls, c.old_text, c.new_text) for c in chunked.changes] == \
            [(c.cls, c.old_text, c.new_text) for c in whole.changes]


def test_changed_sentences_are_tokenised_only_around_their_edits():
    """In a long text with one word changed in some sentences, three of
    them in a row, the stretches left to tokenise are the edits with a few
    words either side, not the whole changed sentences."""
    rng = random.Random(3)
    sentences = [" ".join(rng.choice(SENTENCE_VOCAB) for _ in range(30)) + "." for _ in range(40)]
    edited = list(sentences)
    for k in (5, 17, 18, 19, 30):
        words = edited[k].split()
        words[15] = "CHANGED"
        edited[k] = " ".join(words)
    old, new = " ".join(sentences), "\n".join(edited)
    old_plan, new_plan = plan_with_chunk_pass(old, new)
    stretches = [new[s:e] for s, e, run in new_plan if run is None]
    assert len(stretches) == 5
    for stretch in stretches:
        assert "CHANGED" in stretch
        assert len(stretch.split()) == 1 + 2 * growth.TRIM_MARGIN_WORDS
    changes = compare(old, new).changes
    assert [(c.cls, c.new_text) for c in changes] == [(CONTENT, "CHANGED")] * 5


def test_a_paragraph_break_between_changed_sentences_is_not_trimmed_away():
    """Two changed sentences in a row, a paragraph break between them in
    one text only: the words around the break stay in the word diff, which
    reports the break as formatting."""
    rng = random.Random(5)
    sentences = [" ".join(rng.choice(SENTENCE_VOCAB) for _ in range(30)) + "." for _ in range(30)]
    edited = list(sentences)
    for k in (10, 11):
        words = edited[k].split()
        words[15] = "CHANGED"
        edited[k] = " ".join(words)
    old = " ".join(sentences)
    new = " ".join(edited[:11]) + "\n\n" + " ".join(edited[11:])
    old_plan, new_plan = plan_with_chunk_pass(old, new)
    assert any("\n\n" in new[s:e] for s, e, run in new_plan if run is None)
    cmp = compare(old, new)
    assert [c.new_text for c in content(cmp)] == ["CHANGED", "CHANGED"]
    assert len(formatting(cmp)) == 1


def test_an_ambiguous_insertion_is_placed_alike_with_or_without_the_chunk_pass():
    """ "of the the fine": which "the" is new is a tie; the earliest is
    taken, so the report is the same however the text was cut up."""
    sentence = "The praise of the fine mind did not appear to excite a thought in her sister at all."
    others = [f"Sentence number {k} is here to make the text long enough for a chunk pass to run." for k in range(30)]
    old = " ".join(others[:15] + [sentence] + others[15:])
    new = " ".join(others[:15] + [sentence.replace("of the fine", "of the the fine")] + others[15:])
    whole, chunked = compare_both_ways(old, new)
    assert whole.to_dict() == chunked.to_dict()
    [change] = whole.changes
    assert (change.kind, change.new_text) == ("insert", "the")
    assert new[:change.new_start].endswith("praise of ")  # the first "the" of the two


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", ".", "\u00e9", "\u200b", " ", "  ", "\n", "\t", "\r", "\u00a0", "\u2009",
                                 "\u2028", "\x1c", "\x85", "\u3000"]), max_size=30))
def test_chunk_keys_are_the_text_with_whitespace_folded(parts):
    text = "".join(parts)
    assert tk.fold_chunks([text]) == [" ".join(text.split())]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Ab", "c", ".", "!", "?", '"', ")", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n",
                                 " \n \n ", "\u2029", "\u00a0"]), max_size=60))
def test_the_chunk_table_is_split_chunks_as_offsets_keys_and_kinds(parts):
    text = "".join(parts)
    chunks, seps = tk.split_chunks(text)
    bounds, keys, kinds = tk.chunk_table(text)
    assert len(bounds) == 2 * len(chunks) + 1 and bounds[-1] == len(text)
    assert [text[bounds[2 * k]:bounds[2 * k + 1]] for k in range(len(seps))] == seps
    assert [text[bounds[2 * k + 1]:bounds[2 * k + 2]] for k in range(len(chunks))] == chunks
    assert keys == [" ".join(c.split()) for c in chunks]
    assert [k & ~tk.INNER_PARAGRAPH for k in kinds] == [tk.gap_kind(s) for s in seps]
    # INNER_PARAGRAPH: a paragraph break between two words of the chunk
    assert [bool(k & tk.INNER_PARAGRAPH) for k in kinds] == \
        [any(tk.gap_kind(g) == tk.PARAGRAPH for g in re.findall(r"\s+", c.strip())) for c in chunks]


@settings(max_examples=500, deadline=None)
@given(st.lists(WORDS, max_size=6), st.lists(WORDS, max_size=6), st.lists(WORDS, max_size=6),
       st.lists(WORDS, max_size=6), st.lists(WORDS, max_size=6))
def test_shared_ends_are_the_common_words_at_the_start_and_then_at_the_end(head, mid_a, mid_b, tail, more):
    def common(x, y):
        n = 0
        while n < min(len(x), len(y)) and x[n] == y[n]:
            n += 1
        return n

    words_a, words_b = head + mid_a + tail, head + mid_b + more + tail
    starts = common(words_a, words_b)
    ends = common(words_a[starts:][::-1], words_b[starts:][::-1])
    assert growth._shared_ends_py(" ".join(words_a), " ".join(words_b)) == (starts, ends)


def _kth_occurrence_anchors(a, b):
    """The anchors of a repetitive text, the plain way: each token that
    occurs equally often (at most 4 times) in both, k-th occurrence with
    k-th occurrence, then the longest chain."""
    from collections import Counter, defaultdict

    count_a, count_b = Counter(a), Counter(b)
    repeated = {c for c, n in count_a.items() if n <= 4 and count_b.get(c) == n}
    pos_a, pos_b = defaultdict(list), defaultdict(list)
    for i, c in enumerate(a):
        pos_a[c].append(i)
    for j, c in enumerate(b):
        pos_b[c].append(j)
    return myers._longest_chain(sorted(p for c in repeated for p in zip(pos_a[c], pos_b[c])))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefgh", min_size=1, max_size=40), st.integers(2, 4), st.data())
def test_a_repetitive_text_is_anchored_on_kth_occurrences(unit, copies, data):
    a = unit * copies
    b = list(a)
    for _ in range(data.draw(st.integers(0, 5))):
        b.insert(data.draw(st.integers(0, len(b))), data.draw(st.sampled_from("abcxyz")))
    b = "".join(b)
    count_a, count_b = Counter(a), Counter(b)
    unique = {c for c, n in count_a.items() if n == 1 and count_b.get(c) == 1}
    if len(unique) * 64 < min(len(a), len(b)) and \
            len({c for c, n in count_a.items() if n <= 4 and count_b.get(c) == n}) > len(unique):
        assert myers._unique_anchors_py(a, b) == _kth_occurrence_anchors(a, b)
    assert _apply(diff_strings(a, b), a, b) == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(SENTENCE_VOCAB + BREAKS), min_size=3, max_size=12), min_size=20, max_size=30),
       st.integers(0, 2**32 - 1))
def test_sparse_tokens_cut_in_one_go_equal_those_cut_stretch_by_stretch(sentences, seed):
    rng = random.Random(seed)
    words = [w for s in sentences for w in (*s[:-1], s[-1] + ".")]
    edited = list(words)
    for _ in range(rng.randint(1, 8)):
        edited[rng.randrange(len(edited))] = rng.choice(SENTENCE_VOCAB)
    old, new = layout(words, rng, 40), layout(edited, rng, 60)
    plans = plan_with_chunk_pass(old, new)
    if plans is None:
        return
    keyer = tk.make_keyer()
    for text, plan in zip((old, new), plans):
        one_go = chunks._sparse_tokens(text, plan, keyer, tk.is_plain(text))
        by_stretch = chunks._sparse_tokens_by_stretch(text, plan, keyer, tk.is_plain(text))
        for name in ("literals", "gaps", "keys", "starts", "ends"):
            assert list(getattr(one_go, name)) == list(getattr(by_stretch, name)), name
        assert one_go.placeholders == by_stretch.placeholders


def test_a_text_with_nul_characters_is_compared_stretch_by_stretch():
    sentences = [f"Sentence {k} has a NUL \x00 in it and is long enough to be kept as it is here." for k in range(40)]
    old = " ".join(sentences)
    new = old.replace("Sentence 20 has", "Sentence 20 now has")
    whole, chunked = compare_both_ways(old, new)
    assert_lossless(chunked)
    assert whole.to_dict() == chunked.to_dict()
    assert [c.new_text for c in chunked.changes] == ["now"]


def test_keys_are_encoded_one_character_each_skipping_surrogates():
    """Equal keys get equal characters and different keys different ones,
    past the 55,295 characters below the surrogates too."""
    a = [f"w{i}" for i in range(60_000)]
    b = a[::-3] + ["new"]
    sa, sb = myers._encode(a, b)
    assert len(sa) == len(a) and len(sb) == len(b)
    assert len(set(sa)) == len(a) and "\x00" not in sa
    assert not any(0xD800 <= ord(c) < 0xE000 for c in sa + sb)
    assert [sa[int(k[1:])] for k in b[:-1]] == list(sb[:-1]) and sb[-1] not in sa


# --- layout hyphenation (issue #14 item 2) ----------------------------------


@pytest.mark.parametrize(
    "old,new",
    [
        ("the PART-\nICULAR case", "the PARTICULAR case"),  # capitals, attested
        ("IN NO EVENT SHALL ANY INCI-\nDENTAL DAMAGES ARISE", "IN NO EVENT SHALL ANY DAMAGES ARISE"),  # capitals, unattested
        ("See the Inci-\ndental Notes here", "See the Notes here"),  # title case, unattested
        ("the restrictions re-\nstrict nothing new", "the restrictions do nothing new"),  # lower case, unattested
        ("as in Post-\nScript files", "as in PostScript files"),  # camel case, attested
    ],
)
def test_words_broken_by_layout_are_one_word(old, new):
    """A line-end break at a legal hyphenation point of the joined word is
    layout, whatever the case and whether or not the other text has the
    word: the broken word counts as one word, changed or not."""
    cmp = compare(old, new)
    broken = old[old.rindex(" ", 0, old.index("-\n")) + 1:old.index(" ", old.index("-\n"))]
    for change in content(cmp):
        assert change.old_text == broken  # the whole word, never "-" or half of it
        assert change.words_deleted == 1
    for change in formatting(cmp):
        assert change.old_text == broken


@pytest.mark.parametrize(
    "old,new",
    [
        ("a high-\nlevel meeting", "a high-level meeting"),
        ("the intra-\nPalestinian talks", "the intra-Palestinian talks"),
        ("a well-\nknown fact", "a well-known fact"),
        ("the Lavrov-\nZarif call", "the Lavrov-Zarif call"),
    ],
)
def test_compounds_broken_at_their_hyphen_keep_it(old, new):
    cmp = compare(old, new)
    assert content(cmp) == [] and formatting(cmp)[0].new_text.count("-") == 1


def test_the_hyphenation_dictionary_is_loaded_only_for_unsettled_breaks():
    """Attestation settles most breaks; pyphen is imported only for a break
    it cannot settle (a fresh interpreter, so nothing imported it before)."""
    import subprocess
    import sys

    code = ("import sys; from provenance.diff import compare; "
            "compare('the govern-\\nment said', 'the government said'); print('pyphen' in sys.modules); "
            "compare('the INCI-\\nDENTAL costs', 'the costs'); print('pyphen' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["ab", "c", " ", "\n", "-", "--", ".", ",", "\u00ad", "\u2019", "\u201c", "\u2014", "\ufb01",
                                 "\u00a0", "\uff41", "\u2212", "e\u0301", "\u0301", "\u2011", "\u00b4"]), max_size=30))
def test_chunks_with_one_folded_key_have_one_loose_key(parts):
    """The chunk pass folds only chunks whose loose key the other text has:
    folding (typography, spacing, line-end hyphens joined or kept) never
    changes a chunk's loose key."""
    text = "".join(parts)
    folded = " ".join(folding._fold_word(w) for w in text.split())
    assert folding._loose(text) == folding._loose(folded)
    assert folding._loose(text) == folding._loose(text.replace("-\n", ""))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["ab", "Cd", "e", " ", "\n", "\r\n", " \n ", "\n\n", "-", "--", "\u2010", "\u00ad",
                                 ".", "!", ". ", "-\n", "\u00ad\n", "- \n  ", "\u2019", "\t", "\r"]), max_size=40).map("".join))
def test_a_chunks_line_end_hyphens_are_those_a_scan_of_the_whole_text_finds(text):
    """_Canon looks for line-end hyphens chunk by chunk (with the whitespace
    after each) rather than in the whole text: the same hyphens."""
    from unittest import mock

    tables = [tk.chunk_codes(text, "")[0]]
    # and as pieces of a chunk too long to keep whole, cut after every word
    # (a piece may end with a hyphen whose line break is the cut)
    with mock.patch.object(chunks, "LONG_CHUNK_CHARS", 0), mock.patch.object(chunks, "_CUT_MASK", 0):
        tables.append(chunks._split_long_chunks(text, "", tables[0], tk.chunk_codes("", "")[0])[0])
    for bounds, _, _, kinds in tables:
        canon = folding._Canon(text, bounds, kinds, lb.BreakJudge(text, ""))
        by_chunk = [m for k in range(len(bounds) // 2) for m in canon.hyphens(bounds[2 * k + 1], bounds[2 * k + 2])]
        assert by_chunk == lb._line_break_hyphens_py(text, [(0, len(text))])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "Ab", "-", "--", "-a", "a-", "-\u2013", "\u2013", "\u2019", "\ufb01",
                                 "\u00ad", "x\u00ady", "e\u0301", "_", "1", "'", '"', "\u201c"]), max_size=6)
       .map("".join).filter(bool), st.booleans(), st.booleans())
def test_a_keyer_keys_every_literal_as_its_function_does(literal, strict, ignore_case):
    """Keyer.keys sets an ASCII literal's key without calling the function
    where that is the literal itself: the same keys as a call each."""
    tk._KEY_CACHES.clear()
    keyer = tk.make_keyer(strict=strict, ignore_case=ignore_case)
    literals = [literal, literal.upper(), literal + "a", "-" + literal]
    assert keyer.keys(literals) == [keyer.function(x) for x in literals]


def test_segments_built_without_the_named_tuples_new_are_whole_segments():
    from provenance.diff import model
    from provenance.diff.model import Segment

    assert model._segment(("equal", 1, 2, 3, 4, None)) == Segment("equal", 1, 2, 3, 4)
    cmp = compare("One two three four. Five six.", "One too three. Five six seven.")
    assert cmp.segments and all(type(s) is Segment and len(s) == len(Segment._fields) for s in cmp.segments)
    assert all(type(s) is Segment for s in (cmp.segments[0], cmp.segments[-1], *cmp.segments[1:]))


def test_changes_and_segments_kept_as_columns_read_as_lists():
    """Comparison.changes and .segments are columns (model.Changes,
    model.Segments) whose items are made when read: indexing, negative
    indices, slices, iteration, equality with lists and the stats all give
    what lists of the objects would."""
    from provenance.diff import model

    old = ("The cat sat on the mat and looked out of the window. It was “warm” that day, and the sun was out. "
           "A long passage that moves elsewhere in the text now. The end came soon after that, as ends do.")
    new = ("A long passage that moves elsewhere in the text now. The dog sat on the mat and looked out of the "
           "window. It was \"warm\" that day, and the sun was out. The end came soon after that, as ends do.")
    cmp = compare(old, new)
    assert isinstance(cmp.changes, model.Changes) and isinstance(cmp.segments, model.Segments)
    changes, segments = list(cmp.changes), list(cmp.segments)
    assert [(c.kind, c.cls) for c in changes] == [("delete", "content"), ("move", "content"), ("insert", "content"),
                                                   ("replace", "formatting")]
    assert [cmp.changes[i] for i in range(len(changes))] == changes == cmp.changes[:] == cmp.changes
    assert cmp.changes[-1] == changes[-1] and cmp.segments[-2:] == segments[-2:] and cmp.segments == segments
    assert all(c.old_text == old[c.old_start:c.old_end] and c.new_text == new[c.new_start:c.new_end] for c in changes)
    [move] = [c for c in cmp.changes if c.kind == "move"]
    assert move is cmp.changes[changes.index(move)]  # a change with edits is kept as its object
    with pytest.raises(IndexError):
        cmp.changes[len(changes)]
    as_lists = model.Comparison(cmp.old, cmp.new, segments, changes, cmp.options)
    as_lists.__dict__["_words"] = cmp.__dict__["_words"]
    assert as_lists.stats == cmp.stats and as_lists.content_differs == cmp.content_differs
    assert cmp.changes != [] and compare(old, old).changes == []


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(["a", " ", "\u00e9", "\u4e2d", "'", '"', *map(chr, tk._QUOTES)]), max_size=40))
def test_fold_quotes_is_the_quote_table(text):
    assert tk.fold_quotes(text) == text.translate(tk._QUOTES)


_RUN_PIECES = ["a", "ab", "b", "ba", "\u00e9", ".", " ", "  ", "\n", "\t", "\u00a0", "\u2029"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_RUN_PIECES), max_size=40).map("".join),
       st.lists(st.sampled_from(["a", "ab", "b", "ba", "\u00e9", "."]), min_size=1, max_size=4), st.data())
def test_run_starts_are_the_starts_of_the_probe_pattern(text, words, data):
    """chunks._run_starts finds what the pattern of the words, whitespace
    apart, finds with finditer: overlapping and repeated words, windows
    cutting a match, an end past the text."""
    pos = data.draw(st.integers(0, len(text)))
    endpos = data.draw(st.integers(pos, len(text) + 3))
    probe = re.compile(r"\s+".join(map(re.escape, words)))
    assert chunks._run_starts(text, words, pos, endpos) == [m.start() for m in probe.finditer(text, pos, endpos)]


def test_run_starts_do_not_overlap_as_finditer_s_matches_do_not():
    assert chunks._run_starts("a a a a", ["a", "a"], 0, 7) == [0, 4]
    assert chunks._run_starts("ab ab\n ab", ["ab", "ab"], 1, 9) == [3]
    assert chunks._run_starts("x ab  ba ab ba", ["ab", "ba"], 0, 13) == [2]


def _joins_one_at_a_time(side, found, judge):
    """The line-break joins as they were made before they were batched: one
    at a time from the end, each a change of every list (the reference)."""
    import bisect

    joins = 0
    for hyphen_at, match_end, soft in reversed(found):
        i = bisect.bisect_left(side.starts, hyphen_at)
        if soft:
            first, last = i - 1, i
        else:
            first, last = i - 1, i + 1
            if i >= len(side.starts) or side.starts[i] != hyphen_at or last >= len(side):
                continue
        if first < 0 or last >= len(side):
            continue
        if side.ends[first] != hyphen_at or side.starts[last] != match_end:
            continue
        if not judge.joins(side.keys[first], side.keys[last], soft):
            continue
        start, end = side.starts[first], side.ends[last]
        side.literals[first:last + 1] = [side.text[start:end]]
        side.keys[first:last + 1] = [side.keys[first] + side.keys[last]]
        side.gaps[first:last + 1] = [side.gaps[first]]
        del side.starts[first + 1:last + 1]
        side.ends[first] = end
        del side.ends[first + 1:last + 1]
        joins += 1
        if side.placeholders:
            side.placeholders = {k - (last - first) if k > last else k for k in side.placeholders}
    return joins


_BROKEN = ["govern-\nment", "a-\nb-\nc", "high-\nlevel", "Lavrov-\nZarif", "re-\n  ad-\nmit", "ment", "government",
           "x\u00ad\ny", "the", "The.", "intra-\nPal", "--\nx", "3-\n4", "b-\n", "\n-\nc", "gov\u00ad\nern\u00ad\nment",
           "govern-\nmen-\ntal", "governmental", "mental"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_BROKEN), min_size=1, max_size=20), st.lists(st.sampled_from(_BROKEN), max_size=20),
       st.data())
def test_line_break_joins_made_at_once_are_those_made_one_at_a_time(old_words, new_words, data):
    """join_line_break_hyphens decides and makes every join of a side at
    once (a word broken twice joined whole), on token lists as lists and
    as a Coder's codes, as the one-at-a-time joins did; placeholders
    (unchanged runs) keep their tokens."""
    old, new = " ".join(old_words), " ".join(new_words)
    texts, sides = (old, new), []
    for text in texts:
        cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
        plan = chunks._plan_from_spans([(a, b) for a, b in zip(cuts[0::2], cuts[1::2])], len(text))
        sides.append(chunks._sparse_tokens_joined(text, plan, tk.make_keyer(), True))
    judge = lb.BreakJudge(old, new)
    ranges = [tk._tokenised_ranges(side) for side in sides]
    reference = [tk.Tokens(s.text, list(s.literals), list(s.gaps), list(s.keys), list(s.starts), list(s.ends),
                          set(s.placeholders)) for s in sides]
    expected = tuple(_joins_one_at_a_time(side, lb._line_break_hyphens(side.text, r), judge)
                     for side, r in zip(reference, ranges))
    as_lists = [tk.Tokens(s.text, list(s.literals), list(s.gaps), list(s.keys), list(s.starts), list(s.ends),
                          set(s.placeholders)) for s in sides]
    coder = cd.Coder(tk.make_keyer())
    as_codes = [coder.encode(tk.Tokens(s.text, list(s.literals), list(s.gaps), list(s.keys), list(s.starts),
                                       list(s.ends), set(s.placeholders))) for s in sides]
    assert lb.join_line_break_hyphens(*as_lists, judge, ranges) == expected
    assert lb.join_line_break_hyphens(*as_codes, judge, ranges) == expected
    for ref, got, coded in zip(reference, as_lists, as_codes):
        for toks in (got, coded):
            assert (list(toks.starts), list(toks.ends), toks.placeholders) == (ref.starts, ref.ends, ref.placeholders)
        assert (got.literals, got.keys, got.gaps) == (ref.literals, ref.keys, ref.gaps)
        assert [coder.literals[cd.code_index(ord(c))] for c in coded.literals] == ref.literals
        assert [coded.key(i) for i in range(len(coded))] == ref.keys
        prefix = list(tk.word_prefix_py(ref.literals))
        assert list(coded.word_prefix()) == prefix
        for toks in (got, coded):  # (a Coder's tokens count their codes' word flags; lists subtract the prefix)
            count = toks.word_counter()
            assert all(count(i0, i1) == prefix[i1] - prefix[i0] for i1 in range(len(prefix)) for i0 in range(i1 + 1))
