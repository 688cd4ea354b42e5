"""The compiled speed-ups give exactly what the pure-Python code gives.

setup.py builds provenance/_speedups.c where a C compiler is found; without
it these tests are skipped, except on CI (CI=true), where the module must
have been built so that both ways are tested.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from array import array
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.diff import chunks, folding, growth, myers, pipeline
from provenance import tokens as tk
from provenance import codes as cd
from provenance import linebreaks as lb

if tk._speedups is None:
    if os.environ.get("CI") == "true" and os.environ.get("PROVENANCE_SPEEDUPS") != "0":
        pytest.fail("provenance._speedups was not built (a C compiler and Python's headers are needed)",
                    pytrace=False)
    pytest.skip("provenance._speedups is not built", allow_module_level=True)

C = tk._speedups


@contextlib.contextmanager
def _pure_python():
    """The pure-Python code only (the twins' reference), for a moment."""
    tk._speedups = None
    try:
        yield
    finally:
        tk._speedups = C

# Pieces that exercise every rule: sentence ends and closers, paragraph
# breaks with and without CR, every kind of whitespace str.split() knows,
# joiners, combining marks, wide and astral characters.
PIECES = ["Ab", "c", "x_1", "\u00e9t\u00e9", "\u4e2d", "\U0001d400", "cafe\u0301", ".", "!", "?", "...", '"', "'",
          "-", "--", "\u2013", "\u2212", "\uff0d", "\u2026", "\u00bd", "\u0663",
          "\u201d", "\u2019", ")", "]", ",", "-", "\u2014", " ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n \n ",
          "\r\n\r\n", "\u00a0", "\u2009", "\u3000", "\u2028", "\u2029", "\x1c", "\x85", "\u00ad", "\u200b", "\ufeff"]
# Characters of the full patterns' classes in every place a rule reads them:
# a combining mark alone, after a word, before one, after an apostrophe or
# a character of a space-less script; Thai with its vowel sign (a mark in a
# space-less script), Devanagari with a virama, Hebrew points, kana,
# half-width katakana, an astral ideograph.
FULL_PIECES = ["\u0301", "x\u0301y", "\u0301\u0301", "\u0e01\u0e31", "\u0e01", "\u0915\u094d\u0937",
               "\u05d0\u05b8", "\u3042", "\uff76", "\U00020001", "\u4e2d\u0301", "a'\u0301", "\u0301'a"]
full_texts = st.lists(st.sampled_from(PIECES + FULL_PIECES), max_size=60).map("".join)
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


# Sentences that repeat with their whitespace laid out differently (the same
# key, other text) in strings of every kind, for chunk_codes.
_WORDS = ["a", "b", "ab", "ba", "Ab", "c", "\u00e9", "\u4e2d", "\U0001d400", "x."]
_SPACES = [" ", "  ", "\n", "\t", "\u00a0", "\u3000", "\r\n", " \n "]
sentences = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SPACES)), min_size=1, max_size=4).map(
    lambda parts: "".join(w + s for w, s in parts)[:-1] + ".")
chunky_texts = st.lists(st.one_of(sentences, st.sampled_from(PIECES)), max_size=30).map("".join)


def _check_chunk_codes(old, new):
    got = C.chunk_codes(old, "\r" in old, new, "\r" in new)
    assert got == tk._chunk_codes(old, new)
    for _, codes, _, _ in got:  # a str as Python makes it: the narrowest kind that holds it
        assert codes == "".join(list(codes)) and hash(codes) == hash("".join(list(codes)))


@settings(max_examples=2000, deadline=None)
@given(st.one_of(texts, chunky_texts), st.one_of(texts, chunky_texts))
def test_chunk_codes(old, new):
    _check_chunk_codes(old, new)


@settings(max_examples=1000, deadline=None)
@given(chunky_texts, chunky_texts)
def test_chunk_codes_tell_keys_apart_when_their_hashes_collide(old, new):
    # With no bits of hash left, all keys share one hash: only the
    # character by character check keeps them apart.
    C._set_hash_mask(0)
    try:
        _check_chunk_codes(old, new)
        # keys of one length that differ only in where a space is
        _check_chunk_codes("ab a. a ba. a  b. ab\n. ab  a.", "a ba. ab a.\n\na\tb. ab a.")
    finally:
        C._set_hash_mask(2 ** 64 - 1)


def test_chunk_codes_of_long_texts_cut_in_two_threads():
    # Both texts past the length from which the new one is cut in a second
    # thread: the same as cutting both in turn, in Python.
    words = ["Ab", "c.", "\u00e9t\u00e9", "d!", "e?\u201d", "\U0001d400", "f"]
    old = " ".join(words[k * 7 % 9 % len(words)] + ("\n\n" if k % 37 == 0 else "") for k in range(90_000))
    new = old.replace("c. ", "c.\n", 500).replace("d!", "x!", 300) + "\r\n\r\nEnd."
    assert min(len(old), len(new)) >= 256 * 1024
    _check_chunk_codes(old, new)
    _check_chunk_codes(new, old)


def test_chunk_codes_of_many_distinct_chunks_skip_surrogates():
    old = " ".join(f"w{n}." for n in range(0xD800 + 10))
    _check_chunk_codes(old, "w1. w2.")
    codes = C.chunk_codes(old, False, "", False)[0][1]
    assert len(set(codes)) == len(codes) and not any("\ud800" <= c <= "\udfff" for c in codes)


def test_chunk_tables_are_machine_integer_arrays_in_both_twins():
    # Bounds and key lengths as array("q"), 8 bytes each, not lists of int
    # objects (which stayed resident through a huge comparison).
    old, new = "Ab. Cd. Ef gh.\n\nIj.", "Ab. Cd! Ef  gh. Ij."
    for got in (C.chunk_codes(old, False, new, False), tk._chunk_codes(old, new)):
        for text, (bounds, _, lengths, _) in zip((old, new), got):
            assert isinstance(bounds, array) and bounds.typecode == "q"
            assert isinstance(lengths, array) and lengths.typecode == "q"
            assert bounds[-1] == len(text) and len(bounds) == 2 * len(lengths) + 1


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError):
        C.chunk_codes(b"abc", False, "abc", False)
    table = C.chunk_codes("Ab. Cd. Ef.", False, "Ab. Cd! Ef.", False)
    (ob, _, _, ok), (nb, _, _, nk) = table
    for kept in ([(0, 4, 0, 1)], [(1, 2, 1, 2), (0, 1, 0, 1)], [(0, 0, 0, 0)]):
        with pytest.raises(ValueError):
            C.unchanged_spans(kept, "Ab. Cd. Ef.", ob, ok, "Ab. Cd! Ef.", nb, nk, 2)
    with pytest.raises(ValueError):
        C.unchanged_spans([], "Ab. Cd. Ef.", ob[:-1], ok, "Ab. Cd! Ef.", nb, nk, 2)
    with pytest.raises(ValueError):
        C.unchanged_spans([], "Ab.", ob, ok, "Ab. Cd! Ef.", nb, nk, 2)
    with pytest.raises(TypeError):  # bounds as a list, or an array of another width
        C.unchanged_spans([], "Ab. Cd. Ef.", list(ob), ok, "Ab. Cd! Ef.", nb, nk, 2)
    with pytest.raises(TypeError):
        C.unchanged_spans([], "Ab. Cd. Ef.", array("i", ob), ok, "Ab. Cd! Ef.", nb, nk, 2)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_split_tokens_of_plain_text(text):
    assert C.split_tokens(text) == tk._PLAIN_TOKEN_RE.split(text)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(full_texts, texts))
def test_split_tokens_given_the_scripts_cut_as_the_full_pattern(text):
    assert C.split_tokens(text, tk._script_bitmaps()) == tk._full_patterns()[0].split(text)
    # and so tokenize, which picks the rules by is_plain, as the pure-Python code does
    assert tk.token_pieces(text) == tk._patterns(text)[0].split(text)


@settings(max_examples=1500, deadline=None)
@given(texts, st.data())
def test_count_words_of_plain_text(text, data):
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=4))
    expected = sum(len(tk._PLAIN_WORD_RE.findall(text[a:b])) for a, b in spans)
    assert C.count_words(text, spans) == expected


@settings(max_examples=3000, deadline=None)
@given(st.one_of(full_texts, texts), st.data())
def test_count_words_given_the_scripts_count_as_the_full_pattern(text, data):
    spans = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=4))
    expected = sum(len(tk._full_patterns()[1].findall(text[a:b])) for a, b in spans)
    assert C.count_words(text, spans, tk._script_bitmaps()) == expected
    assert tk.count_words_in(text, spans) == sum(len(tk._patterns(text)[1].findall(text[a:b])) for a, b in spans)


def test_the_scripts_argument_is_checked():
    for bad in (b"", tk._full_bitmap(), tk._script_bitmaps()[:-1]):
        with pytest.raises(ValueError):
            C.split_tokens("ab", bad)
        with pytest.raises(ValueError):
            C.count_words("ab", [(0, 2)], bad)
        with pytest.raises(ValueError):
            C.sparse_tokens("ab", [(0, 2, None)], 8, None, bad)
    with pytest.raises(TypeError):
        C.split_tokens("ab", "not bytes")


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_has_any_finds_what_the_full_pattern_check_finds(text):
    assert (not C.has_any(text, tk._full_bitmap())) == (text.isascii() or not tk._needs_full_re().search(text))


# Sentences of a few words, so that changed sentences share words with
# their counterparts at their starts and ends.
_SENTENCE_WORDS = ["a", "b", "ab", "\u00e9t\u00e9", "\u4e2d", "\U0001d400", "x'y", "c"]
long_sentences = st.lists(st.sampled_from(_SENTENCE_WORDS), min_size=1, max_size=9).map(" ".join).map(lambda s: s + ".")


@st.composite
def edited_pairs(draw):
    """A text of sentences and paragraphs, and the same edited: words
    replaced, sentences added, dropped or doubled, lines re-wrapped,
    paragraph breaks made or unmade."""
    sentences = draw(st.lists(long_sentences, min_size=1, max_size=40))
    for k in draw(st.lists(st.integers(0, len(sentences) - 1), max_size=6)):  # paragraph breaks inside chunks
        sentences[k] = sentences[k].replace(" ", draw(st.sampled_from(["\n\n", "\n \n", "\r\n\r\n"])), 1)
    seps = draw(st.lists(st.sampled_from([" ", "\n", "\n\n", "  ", "\r\n"]), min_size=len(sentences), max_size=len(sentences)))
    old = "".join(s + sep for s, sep in zip(sentences, seps))
    new_sentences = list(sentences)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(new_sentences)))
        choice = draw(st.integers(0, 3))

        def edited(sentence: str) -> str:
            words = sentence.split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(_SENTENCE_WORDS))
            return " ".join(words)
        if choice == 0 and at < len(new_sentences):  # a word replaced
            new_sentences[at] = edited(new_sentences[at])
        elif choice == 3 and at < len(new_sentences):  # a sentence made two, each edited: one against two
            new_sentences[at:at + 1] = [edited(new_sentences[at]), edited(new_sentences[at])]
        elif choice == 1:
            new_sentences.insert(at, draw(long_sentences))
        elif new_sentences:
            del new_sentences[min(at, len(new_sentences) - 1)]
    new_seps = draw(st.lists(st.sampled_from([" ", "\n", "\n\n", "\t"]), min_size=len(new_sentences), max_size=len(new_sentences)))
    new = "".join(s.replace(draw(st.sampled_from([" ", "\n\n"])), draw(st.sampled_from([" ", "\n", "  ", "\n\n"])), 1) + sep
                  for s, sep in zip(new_sentences, new_seps))
    return old, new


def _kept_chunks_of(old_codes, new_codes, old_lengths, min_kept):
    """chunks._kept_chunks with runs kept from min_kept characters (short
    runs too, to have many)."""
    saved = chunks.MIN_KEPT_CHARS
    chunks.MIN_KEPT_CHARS = min_kept
    try:
        return chunks._kept_chunks(old_codes, new_codes, old_lengths, "pure")
    finally:
        chunks.MIN_KEPT_CHARS = saved


@settings(max_examples=1500, deadline=None)
@given(edited_pairs(), st.integers(0, 3), st.integers(0, 200))
def test_unchanged_spans(pair, margin, min_kept):
    old, new = pair
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    kept = _kept_chunks_of(oc, nc, ol, min_kept)
    got = C.unchanged_spans(kept, old, ob, ok, new, nb, nk, margin)
    assert got == growth._unchanged_spans_py(kept, (old, ob, ok), (new, nb, nk), margin)



def _typeset(text: str, data) -> str:
    """text with some formatting that makes folded words other than the
    literal ones: curly quotes, a ligature, soft hyphens, a word broken at
    a line end, punctuation written apart."""
    for plain, fancy in (("'", "\u2019"), ('"', "\u201c"), ("fi", "\ufb01"), (",", " ,"), ("--", "\u2014")):
        if data.draw(st.booleans()):
            text = text.replace(plain, fancy)
    words = text.split(" ")
    for _ in range(data.draw(st.integers(0, 4))):
        k = data.draw(st.integers(0, len(words) - 1))
        if len(words[k]) > 5:
            words[k] = words[k][:3] + data.draw(st.sampled_from(["-\n", "\u00ad", "\u00ad\n"])) + words[k][3:]
    return " ".join(words)


def _paired_chunks(kept, old_chunks: int, new_chunks: int) -> tuple[list[int], list[int]]:
    """Each text's chunks that the runs grow into (growth._pairs), sorted."""
    pairs = growth._pairs(kept, old_chunks, new_chunks)
    return sorted({i for i, _ in pairs}), sorted({j for _, j in pairs})


def _typeset_pair(pair, min_kept: int, data):
    """An edited pair typeset (_typeset), its chunks (bounds, codes, kinds
    of each), its kept runs and each text's _Canon."""
    old, new = (_typeset(text, data) for text in pair)
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    judge = lb.BreakJudge(old, new)
    canons = (folding._Canon(old, ob, ok, judge), folding._Canon(new, nb, nk, judge))
    return old, new, (ob, oc, ok), (nb, nc, nk), _kept_chunks_of(oc, nc, ol, min_kept), canons


@settings(max_examples=600, deadline=None)
@given(edited_pairs(), st.integers(0, 3), st.integers(0, 200), st.data())
def test_unchanged_spans_with_word_tables(pair, margin, min_kept, data):
    """The runs grown over folded words (folding.word_tables) of texts with
    typography, line-end hyphens and spacing: compiled and Python alike,
    and the tables do make some."""
    old, new, (ob, oc, ok), (nb, nc, nk), kept, canons = _typeset_pair(pair, min_kept, data)
    tables = tuple(folding.word_tables(canon, paired)
                   for canon, paired in zip(canons, _paired_chunks(kept, len(oc), len(nc))))
    got = C.unchanged_spans(kept, old, ob, ok, new, nb, nk, margin, *tables)
    assert got == growth._unchanged_spans_py(kept, (old, ob, ok), (new, nb, nk), margin, tables)


def test_runs_grow_over_words_equal_by_key():
    """A run grows into a changed sentence over the words it shares by key
    with its counterpart, a broken word, curly quotes and a soft hyphen
    included, and stops at the same word in both (margin 1)."""
    shared = "Then the \u201cgovern-\nment\u201d said it was diffi\u00adcult to say more. "
    plain = 'Then the "government" said it was difficult to say more. '
    rest = "A second sentence that is the same. A third one that is also the same. "
    old = rest + plain + "It left on Monday. " + rest
    new = rest + shared.replace("to say", "to tell") + "It left on Monday. " + rest
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    kept = _kept_chunks_of(oc, nc, ol, 0)
    judge = lb.BreakJudge(old, new)
    canons = (folding._Canon(old, ob, ok, judge), folding._Canon(new, nb, nk, judge))
    tables = tuple(folding.word_tables(canon, paired)
                   for canon, paired in zip(canons, _paired_chunks(kept, len(oc), len(nc))))
    assert tables[0] == {} and list(tables[1]) == [2]
    got = C.unchanged_spans(kept, old, ob, ok, new, nb, nk, 1, *tables)
    assert got == growth._unchanged_spans_py(kept, (old, ob, ok), (new, nb, nk), 1, tables)
    # the span shared with the sentence before takes the changed sentence's
    # words equal by key, up to one (margin) before the edit
    grown = [(old[a0:a1], new[b0:b1]) for a0, a1, b0, b1 in got if old[a0:a1].endswith("said it was difficult")]
    assert len(grown) == 1 and grown[0][1].endswith("the \u201cgovern-\nment\u201d said it was diffi\u00adcult")


def test_unchanged_spans_refuses_a_bad_word_table():
    old, new = "One two three. Four five six.", "One two three. Four five seven."
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    for bad in ({0: ("x", b"\x00")}, {0: "x"}, {9: ("x", b"")}, {0: ("x", array("q", [0, 999]).tobytes())}):
        with pytest.raises((ValueError, TypeError)):
            C.unchanged_spans([], old, ob, ok, new, nb, nk, 1, bad, {})

@settings(max_examples=1500, deadline=None)
@given(edited_pairs(), st.integers(0, 200), st.data())
def test_paragraph_isolated_and_split_runs(pair, min_kept, data):
    """The chunks of kept runs that paragraph breaks isolate, and the runs
    cut around them and around other chunks (those folding paired)."""
    old, new = pair
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    kept = _kept_chunks_of(oc, nc, ol, min_kept)
    isolated = C.paragraph_isolated(kept, ok, nk, old, ob, new, nb)
    assert isolated == chunks._paragraph_isolated_py(kept, ok, nk, old, ob, new, nb)
    more = [set(data.draw(st.lists(st.integers(0, len(codes) + 2), max_size=8))) for codes in (oc, nc)]
    for old_merged, new_merged in (isolated, more, (isolated[0] | more[0], isolated[1] | more[1])):
        assert C.split_runs(kept, old_merged, new_merged) == chunks._split_runs_py(kept, old_merged, new_merged)


def test_paragraph_isolated_and_split_runs_refuse_runs_they_cannot_read():
    bounds = array("q", range(7))
    with pytest.raises(ValueError):
        C.paragraph_isolated([(0, 2, 0, 3)], b"\0\1\1", b"\0\1\1", "abcdef", bounds, "abcdef", bounds)
    with pytest.raises(ValueError):
        C.paragraph_isolated([(0, 4, 0, 4)], b"\0\1\1", b"\0\1\1", "abcdef", bounds, "abcdef", bounds)
    with pytest.raises(ValueError):  # bounds that do not fit the kinds, or the text
        C.paragraph_isolated([], b"\0\1", b"\0\1\1", "abcdef", bounds, "abcdef", bounds)
    with pytest.raises(ValueError):
        C.paragraph_isolated([], b"\0\1\1", b"\0\1\1", "abc", bounds, "abcdef", bounds)
    with pytest.raises(TypeError):
        C.paragraph_isolated([], b"\0\1\1", b"\0\1\1", "abcdef", array("i", range(7)), "abcdef", bounds)
    with pytest.raises(ValueError):
        C.split_runs([(2, 3, 2, 3), (0, 1, 0, 1)], set(), set())
    with pytest.raises(TypeError):
        C.split_runs([(0, 1, 0, 1)], {"a"}, set())


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("=-+"), st.integers(0, 6)), max_size=30), st.integers(0, 60), st.data())
def test_kept_runs(ops, min_kept, data):
    """The equal runs of a diff long enough to keep, old key lengths given
    as an array("q") (as chunk_codes makes them) or a list."""
    n_old = sum(n for op, n in ops if op != "+")
    lengths = data.draw(st.lists(st.integers(0, 30), min_size=n_old, max_size=n_old))
    want = chunks._kept_runs_py(ops, lengths, min_kept)
    assert C.kept_runs(ops, array("q", lengths), min_kept) == want
    assert C.kept_runs(ops, lengths, min_kept) == want


def test_kept_runs_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        C.kept_runs([("=", 3)], array("q", [1, 2]), 0)
    with pytest.raises(TypeError):
        C.kept_runs([("=", 1)], array("i", [1]), 0)
    with pytest.raises(TypeError):
        C.kept_runs([("==", 1)], array("q", [1]), 0)


def test_unchanged_spans_do_not_grow_twice_into_one_chunk():
    # One old sentence against two new ones: the run before grows into it
    # over the words it shares with the first, the run after over those it
    # shares with the second, and these overlap.
    run = " ".join(f"k{i} m n o p q r s t u v w x y z." for i in range(20))
    old = f"{run} a b c d e. {run.replace('k', 'j')}"
    new = f"{run} a b c d X. Y b c d e. {run.replace('k', 'j')}"
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    kept = chunks._kept_chunks(oc, nc, ol, "pure")
    assert len(kept) == 2
    for margin in range(4):
        spans = C.unchanged_spans(kept, old, ob, ok, new, nb, nk, margin)
        assert spans == growth._unchanged_spans_py(kept, (old, ob, ok), (new, nb, nk), margin)
        assert all(a[1] <= b[0] and a[3] <= b[2] for a, b in zip(spans, spans[1:]))


def _sorted_offsets(data, length: int, even: bool = False) -> list[int]:
    offsets = sorted(data.draw(st.lists(st.integers(0, length), max_size=12)))
    return offsets[:len(offsets) // 2 * 2] if even else offsets


@settings(max_examples=2000, deadline=None)
@given(st.one_of(texts, chunky_texts), st.one_of(texts, chunky_texts), st.data())
def test_plans_from_spans(old, new, data):
    """Pinned spans (paragraph breaks and spacing told apart as _shape
    tells them) and the plans of the rest, on texts of every kind of
    whitespace and line end."""
    ends = [_sorted_offsets(data, len(old), True), _sorted_offsets(data, len(new), True)]
    n = min(len(ends[0]), len(ends[1])) // 2
    spans = [(ends[0][2 * k], ends[0][2 * k + 1], ends[1][2 * k], ends[1][2 * k + 1]) for k in range(n)]
    args = (spans, _sorted_offsets(data, len(old)), _sorted_offsets(data, len(new)), _sorted_offsets(data, len(old)),
            old, new)
    assert C.plans_from_spans(*args) == chunks._plans_from_spans_py(*args)


def test_plans_from_spans_tells_paragraphs_apart():
    # The same words, paragraphs broken in other places or by other line ends.
    old = "Ab cd.\n\nEf gh. Ij kl.\r\n\r\nMn op."
    for new in [old, old.replace("\n\n", " "), old.replace("\r\n\r\n", "\n \n"), old.replace("\r\n\r\n", "\r\r"),
                old.replace("\r\n\r\n", "\r\n"), old.replace("\n\nEf", "\u2029Ef"), old.replace(". Ij", ".\n\nIj"),
                old.replace("Ab cd.", "Ab  cd."), old.replace("Ab cd.", "Ab cd!")]:
        for spans in ([(0, len(old), 0, len(new))], [(3, 12, 3, len(new) - 20)]):
            for holds in ([], [0], [len(old) - 1]):
                args = (spans, holds, [], [], old, new)
                assert C.plans_from_spans(*args) == chunks._plans_from_spans_py(*args)
    assert chunks._plans_from_spans_py([(0, len(old), 0, len(old))], [0], [], [], old, old.replace("\n\n", " "))[2]


def test_plans_from_spans_refuses_what_it_cannot_read():
    with pytest.raises(ValueError):
        C.plans_from_spans([(0, 9, 0, 2)], [], [], [], "Ab.", "Ab.")
    with pytest.raises(ValueError):
        C.plans_from_spans([(0, 2, 0, 2)], [2, 1], [], [], "Ab.", "Ab.")
    with pytest.raises(TypeError):
        C.plans_from_spans([(0, 2, 0, 2)], (1, 2), [], [], "Ab.", "Ab.")


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, chunky_texts), st.data())
def test_sparse_tokens_of_plain_text(text, data):
    text = text.replace("\x00", "")
    if not tk.is_plain(text):
        text = "".join(c for c in text if not tk._needs_full_re().search(c))
    # unchanged runs: some spans in order, as the chunk pass gives them
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    spans = [(a, b) for a, b in zip(cuts[0::2], cuts[1::2])]
    plan = chunks._plan_from_spans(spans, len(text))
    keyer = tk.make_keyer()
    got = chunks._sparse_tokens(text, plan, keyer, True)
    expected = chunks._sparse_tokens_joined(text, plan, keyer, True)
    assert (got.literals, got.gaps, got.keys, got.placeholders) == \
        (expected.literals, expected.gaps, expected.keys, expected.placeholders)
    assert (list(got.starts), list(got.ends)) == (list(expected.starts), list(expected.ends))
    assert list(got.word_prefix()) == expected.word_prefix()
    seen: dict[str, str] = {}  # a token's text is one object however often it comes
    assert all(seen.setdefault(literal, literal) is literal for literal in got.literals)
    C._set_hash_mask(0)  # every token's hash the same: only the characters tell them apart
    try:
        again = chunks._sparse_tokens(text, plan, keyer, True)
    finally:
        C._set_hash_mask(2 ** 64 - 1)
    assert again.literals == expected.literals


@settings(max_examples=2000, deadline=None)
@given(st.one_of(full_texts, chunky_texts), st.data())
def test_sparse_tokens_of_any_text(text, data):
    """Of a text with combining marks or characters of space-less scripts
    too, the compiled tokens are the full patterns' (given the scripts),
    as the pure-Python code cuts them."""
    text = text.replace("\x00", "")
    plain = tk.is_plain(text)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    plan = chunks._plan_from_spans([(a, b) for a, b in zip(cuts[0::2], cuts[1::2])], len(text))
    keyer = tk.make_keyer()
    got = chunks._sparse_tokens(text, plan, keyer, plain)
    with _pure_python():
        expected = chunks._sparse_tokens_joined(text, plan, keyer, plain)
    assert (got.literals, got.gaps, got.keys, got.placeholders) == \
        (expected.literals, expected.gaps, expected.keys, expected.placeholders)
    assert (list(got.starts), list(got.ends)) == (list(expected.starts), list(expected.ends))
    assert list(got.word_prefix()) == expected.word_prefix()
    vocab: list[str] = []  # and as codes, given a vocabulary
    codes = C.sparse_tokens(text, plan, 8, vocab, tk._scripts(plain))[0]
    assert [vocab[cd.code_index(ord(c))] for c in codes] == expected.literals


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, chunky_texts, st.text(alphabet=" \t\n\r\u2029\u00a0\u00ad\x0cab.", max_size=40)),
       st.sampled_from(["i", "q"]))
def test_gap_kinds_from_the_offsets(text, typecode):
    """The gap kinds made from the text and the offsets (compiled, and its
    twin) are those of the gaps as strings; tokens.Gaps gives those gaps."""
    from array import array

    toks = tk.tokenize(text)
    starts, ends = array(typecode, toks.starts), array(typecode, toks.ends)
    assert C.gap_kinds(text, starts, ends) == tk._gap_kinds_py(text, starts, ends) == toks.gap_kinds
    gaps = tk.Gaps(text, starts, ends)
    assert gaps == toks.gaps and list(gaps) == toks.gaps and gaps[-1:] == toks.gaps[-1:]


def test_gap_kinds_refuses_offsets_out_of_range():
    from array import array

    for starts, ends in ((array("i", [3]), array("i", [4])), (array("i", [2, 1]), array("i", [3, 2]))):
        with pytest.raises(ValueError):
            C.gap_kinds("ab", starts, ends)
        with pytest.raises(ValueError):
            tk._gap_kinds_py("ab", starts, ends)
    with pytest.raises(TypeError):
        C.gap_kinds("ab", [0], [1])


def test_sparse_tokens_refuses_a_plan_out_of_order():
    for plan in ([(0, 3, None), (2, 4, 0)], [(0, 9, None)], [(2, 1, None)]):
        with pytest.raises(ValueError):
            C.sparse_tokens("ab cd", plan)


# Strings of one character per token, as the diff gets them: few distinct
# tokens, each a few times, so that both ways of anchoring are taken (unique
# tokens; k-th occurrences of repeated ones).
token_strings = st.lists(st.integers(1, 40), max_size=300).map(lambda codes: "".join(map(chr, codes)))


@st.composite
def repetitive_strings(draw):
    """Each token two to four times: no unique tokens."""
    tokens = [chr(0x100 + k) for k in range(draw(st.integers(0, 60)))] * draw(st.integers(2, 4))
    return "".join(draw(st.permutations(tokens)))


@settings(max_examples=2000, deadline=None)
@given(st.one_of(token_strings, repetitive_strings()), token_strings, st.data())
def test_anchor_runs(a, b, data):
    if data.draw(st.booleans()):  # b an edited copy of a, as usual
        cut = data.draw(st.integers(0, len(a)))
        b = a[:cut] + b[:data.draw(st.integers(0, 5))] + a[cut + data.draw(st.integers(0, 5)):]
    assert C.anchor_runs(a, b) == myers._anchor_runs(myers._unique_anchors_py(a, b))


def test_anchor_runs_of_repetitive_text_pair_kth_occurrences():
    a = "".join(chr(0x100 + k) for k in range(200)) * 3
    b = a[:250] + "\u4e2d" + a[260:]
    runs = C.anchor_runs(a, b)
    assert runs == myers._anchor_runs(myers._unique_anchors_py(a, b))
    assert sum(n for _, _, n in runs) > 500


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "\u00e9", "\u4e2d", "\U0001d400", "the", "The"]), max_size=40),
       st.lists(st.sampled_from(["a", "b", "d", "\u00e9", "\U0001d401", "the", "\u2019"]), max_size=40))
def test_encode_keys(a, b):
    a = [sys.intern(k) if len(k) > 1 else k for k in a] + ["".join(["th", "e"])]  # equal keys, not one object
    sa, sb, vocab = C.encode_keys_vocab(a, b)
    assert (sa, sb, vocab) == cd._encode_keys_vocab(a, b)
    assert (sa, sb) == cd.encode_keys(a, b) == cd._encode_keys(a, b)
    assert [vocab[cd.code_index(ord(c))] for c in sa + sb] == a + b


def test_encode_sides_keys_decode_past_the_surrogates():
    """Tokens.key gives every token's key back once the keys are encoded,
    codes past the surrogates (more than 55,295 distinct keys) and past
    two bytes (more than 63,487) included, compiled and in Python, and the
    two encode alike (as str of the same kind: equal)."""
    words = [f"w{n}" for n in range(70_000)]
    old_keys, new_keys = words[::2] + words[:5], words[1::2] + ["w69999"]
    assert C.encode_keys_vocab(old_keys, new_keys) == cd._encode_keys_vocab(old_keys, new_keys)
    assert C.encode_keys_vocab(new_keys[:300], old_keys[:9]) == cd._encode_keys_vocab(new_keys[:300], old_keys[:9])
    for encode in (C.encode_keys_vocab, cd._encode_keys_vocab):
        old = tk.Tokens("", old_keys, [], old_keys, [], [])
        new = tk.Tokens("", new_keys, [], new_keys, [], [])
        old.keys, new.keys, old.vocab = encode(old_keys, new_keys)
        new.vocab = old.vocab
        assert max(map(ord, new.keys)) > 0xFFFF
        assert [old.key(i) for i in range(len(old_keys))] == old_keys
        assert [new.key(i) for i in range(len(new_keys))] == new_keys


def test_encode_keys_refuses_what_is_not_a_list_of_str():
    with pytest.raises(TypeError):
        C.encode_keys_vocab(["a", 1], [])
    with pytest.raises(TypeError):
        C.encode_keys_vocab(("a",), [])


@settings(max_examples=2000, deadline=None)
@given(token_strings, st.data())
def test_diff_stretches(a, data):
    # b: a edited; runs of distinct tokens (above the others) put into both
    # at random places, as placeholders and anchors are
    b = list(a)
    for _ in range(data.draw(st.integers(0, 6))):
        at = data.draw(st.integers(0, len(b)))
        b[at:at + data.draw(st.integers(0, 3))] = data.draw(st.lists(st.integers(1, 45).map(chr), max_size=3))
    b = "".join(b)
    a_at = sorted(data.draw(st.lists(st.integers(0, len(a)), max_size=5)))
    b_at = sorted(data.draw(st.lists(st.integers(0, len(b)), min_size=len(a_at), max_size=len(a_at))))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=len(a_at), max_size=len(a_at)))
    runs, shift = [], 0
    for n, (i, j, size) in enumerate(zip(a_at, b_at, sizes)):
        run = "".join(chr(0x1000 + 4 * n + k) for k in range(size))
        i, j = i + shift, j + shift
        a, b = a[:i] + run + a[i:], b[:j] + run + b[j:]
        runs.append((i, j, size))
        shift += size
    calls = []

    def diff(x, y):
        calls.append((x, y))
        return myers.diff_strings(x, y, "pure")

    expected = myers._diff_stretches_py(a, b, runs, lambda x, y: myers.diff_strings(x, y, "pure"))
    assert C.diff_stretches(a, b, runs, diff) == expected
    assert all(x != y for x, y in calls)


def test_diff_stretches_settles_a_replaced_word_without_a_diff_call():
    calls = []
    ops = C.diff_stretches("abXcd\u1000ef", "abYcd\u1000eZf", [(5, 5, 1)], lambda x, y: calls.append((x, y)) or [])
    assert ops == [("=", 2), ("-", 1), ("+", 1), ("=", 4), ("+", 1), ("=", 1)] and calls == []
    for runs in ([(5, 0, 1)], [(1, 1, 3)], [(1, 1, 1), (0, 0, 1)]):
        with pytest.raises(ValueError):
            C.diff_stretches("ab", "ab", runs, lambda x, y: [])
    # the runs are read as they were given, whatever diff does to the list
    runs = [(3, 3, 1), (5, 5, 1)]

    def diff(x, y):
        runs.clear()
        return myers.diff_strings(x, y, "pure")

    assert C.diff_stretches("xyx\u1000b\u1001c", "yxy\u1000b\u1001d", runs, diff) == \
        myers._diff_stretches_py("xyx\u1000b\u1001c", "yxy\u1000b\u1001d", [(3, 3, 1), (5, 5, 1)],
                                       lambda x, y: myers.diff_strings(x, y, "pure"))


_BREAK_PIECES = ["ab", "x1", "\u00e9", "_", "\u4e2d", "-", "\u2010", "\u00ad", "--", " ", "\t", "\u00a0", "\n", "\r", "\r\n",
                 "\n\n", ".", "\u2028", "\u0301"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_BREAK_PIECES), max_size=40).map("".join), st.data())
def test_line_break_hyphens(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(-2, len(text) + 2), max_size=6)))
    ranges = list(zip(cuts[0::2], cuts[1::2])) or [(0, len(text))]
    assert C.line_break_hyphens(text, ranges) == lb._line_break_hyphens_py(text, ranges)


def test_long_texts_count_their_unchanged_words_in_a_thread(monkeypatch):
    sample = (Path(__file__).parent.parent / "docs" / "samples" / "article-web-capture.txt").read_text(encoding="utf-8")
    old = "\n\n".join(sample.replace("said", f"said{k % 7}") for k in range(60))
    new = old.replace("said3", "told", 40).replace("Israel", "Israël", 25)
    assert len(old) >= pipeline.COUNT_IN_THREAD_MIN_CHARS and tk.is_plain(old)
    started = []
    monkeypatch.setattr(pipeline._Counting, "__init__", _spy(pipeline._Counting.__init__, started))
    cmp = pipeline.compare(old, new)
    assert started and (cmp.old_words, cmp.new_words) == (tk.count_words(old), tk.count_words(new))
    # and what goes wrong in the thread is raised where the result is asked for
    monkeypatch.setattr(tk, "count_words_in", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        pipeline.compare(old, new + " x").old_words


def _spy(function, calls):
    def spy(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)
    return spy


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


def test_every_compiled_function_names_its_python_twin_and_the_twin_chooses_it():
    """The pairing is visible both ways: each compiled function's docstring
    names its Python twin (module:function), and the module holding that
    twin is where the compiled one is chosen, so a change to one visibly
    calls for the other."""
    import importlib
    import re

    exported = sorted(name for name in dir(C) if not name.startswith("_") and callable(getattr(C, name)))
    assert exported, "the compiled module exports nothing"
    for name in exported:
        doc = getattr(C, name).__doc__ or ""
        m = re.search(r"Python twin: ([\w.]+)", doc)
        assert m, f"_speedups.{name} does not name its Python twin"
        module_name, _, attr = m.group(1).rpartition(".")
        module = importlib.import_module(module_name)
        assert hasattr(module, attr), f"_speedups.{name} names {m.group(1)}, which does not exist"
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert f"_speedups.{name}" in source, f"{module_name} holds the twin of _speedups.{name} but does not choose it"


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, chunky_texts), st.one_of(texts, chunky_texts), st.booleans())
def test_unmatched_loose(old, new, as_array):
    """The chunks of one text whose code the other lacks, with the id of the
    loose key of each ASCII or stable one (0: left to Python), from the
    chunk tables as lists or as arrays."""
    from array import array

    (old_bounds, old_codes, _, _), (new_bounds, new_codes, _, _) = tk.chunk_codes(old, new)
    stable = folding._stable_bitmap()
    for text, bounds, codes, other in ((old, old_bounds, old_codes, new_codes), (new, new_bounds, new_codes, old_codes)):
        if as_array:
            bounds = array("q", bounds)
        indices, ids = C.unmatched_loose(text, bounds, codes, other, stable)
        got = (indices, list(folding._ids(ids)))
        assert got == folding._unmatched_loose_ids_py(text, bounds, codes, other, stable)
        for k, key in zip(*got):
            chunk = text[bounds[2 * k + 1]:bounds[2 * k + 2]]
            own = chunk.isascii() or folding._is_own_nfkc(chunk)
            assert key == (C.loose_id(folding._loose(chunk)) if own else 0) and (key != 0) == own
        # without the stable characters' table: ASCII chunks only
        indices, ids = C.unmatched_loose(text, bounds, codes, other)
        assert (indices, list(folding._ids(ids))) == folding._unmatched_loose_ids_py(text, bounds, codes, other)
        assert list(folding._ids(ids)) == [key if text[bounds[2 * k + 1]:bounds[2 * k + 2]].isascii() else 0
                                           for k, key in zip(*got)]


@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from("ab -\u00e9\u4e2d\U0001d400\u2019"), max_size=12))
def test_loose_id(loose):
    """A loose key's id, compiled and in Python: never 0."""
    assert C.loose_id(loose) == folding._loose_id_py(loose) != 0


def test_chunks_whose_loose_ids_collide_are_only_looked_at_closer():
    """Loose ids choose which chunks are folded: with every id the same
    (the tests' hash mask), every chunk of one text only is a candidate,
    and the comparisons are what they are with ids that tell keys apart."""
    from provenance.diff import compare

    sentences = [f"Sentence {k} says \u201cquoted\u201d words, some broken by layout in govern-\nment {k}." for k in range(40)]
    old = " ".join(sentences)
    typeset = " ".join(s.replace("\u201c", '"').replace("\u201d", '"').replace("govern-\nment", "government")
                       for s in sentences[:25] + ["An edit says something new here."] + sentences[26:])
    pairs = [(old, typeset), (typeset, old), (old, typeset.replace("says", "said", 3))]
    saved = chunks.CHUNK_PASS_MIN_CHUNKS
    chunks.CHUNK_PASS_MIN_CHUNKS = 0
    try:
        expected = [[(c.cls, c.old_text, c.new_text) for c in compare(a, b).changes] for a, b in pairs]
        assert C.loose_id("a") != C.loose_id("b")
        C._set_hash_mask(0)
        try:
            assert C.loose_id("a") == C.loose_id("b") == 1
            got = [[(c.cls, c.old_text, c.new_text) for c in compare(a, b).changes] for a, b in pairs]
        finally:
            C._set_hash_mask(2 ** 64 - 1)
    finally:
        chunks.CHUNK_PASS_MIN_CHUNKS = saved
    assert got == expected and any(expected)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["a", "B", " ", "\n", "-", "\u00a0", "\u00ad", "\u2010", "\u2011", "\u2014", "\ufe58",
                                 "\uff0d", "\u2018", "\u2019", "\u201c", "\u201d", "\u2032", "\u2033", "\u2026", "\u00e9",
                                 "e\u0301", "\u00bd", "\u00b2", "\u0416", "\u03a9", "\u2126", "\u4e2d", "\ufb01", "\u2022",
                                 "\u2500", "\u00a8", "\u0627\u0653", "\u1100\u1161", "\ufb03", "\ufb03\ufb04\ufb03", "\ufb05",
                                 "\u9fff", "\u3400", "\uf900", "\uac00"]), max_size=30).map("".join))
def test_the_loose_key_of_a_chunk_that_is_its_own_nfkc_is_folded_in_c(chunk):
    """A chunk of characters NFKC leaves alone gets its loose key from the
    compiled fold (no unicodedata), the one _loose makes; any other chunk
    is left to _loose."""
    got = C.unmatched_loose(chunk, array("q", [0, 0, len(chunk)]), "\x01", "", folding._stable_bitmap())
    assert list(folding._ids(got[1])) == [folding._loose_id_py(folding._loose(chunk)) if folding._is_own_nfkc(chunk) else 0]


def test_the_stable_characters_are_their_own_nfkc_and_compose_with_nothing():
    import unicodedata

    bits = folding._stable_bitmap()
    stable = [c for c in range(folding.STABLE_BELOW) if (bits[c >> 3] >> (c & 7)) & 1]
    assert len(stable) > 4000 + 27000 and all(c >= 128 for c in stable)
    assert len(bits) * 8 == folding.STABLE_BELOW  # (the compiled fold reads the table's length as its end)
    assert all(unicodedata.normalize("NFKC", chr(c)) == chr(c) and unicodedata.combining(chr(c)) == 0 for c in stable)
    seconds = {int(d.split()[1], 16) for d in map(unicodedata.decomposition, map(chr, range(0x110000)))
               if d and not d.startswith("<") and len(d.split()) == 2}  # what a canonical composition may join on
    assert not seconds.intersection(stable)
    assert "\u2026" not in "".join(map(chr, stable)) and "\u2033" not in "".join(map(chr, stable))
    assert 0xAC00 not in stable and not any(0x1100 <= c < 0x1200 for c in stable)  # Hangul composes by rule
    # The ligatures: NFKC spells them in letters, which compose with nothing.
    for ligature, letters in folding.LIGATURES.items():
        assert unicodedata.normalize("NFKC", ligature) == letters and letters.isascii()


def test_unmatched_loose_refuses_tables_that_do_not_match():
    (bounds, codes, _, _), _ = tk.chunk_codes("Ab. Cd. Ef.", "Ab.")
    with pytest.raises(ValueError):
        C.unmatched_loose("Ab. Cd. Ef.", bounds[:-1], codes, "")
    with pytest.raises(ValueError):
        C.unmatched_loose("Ab.", bounds, codes, "")
    with pytest.raises(TypeError):
        C.unmatched_loose("Ab. Cd. Ef.", 5, codes, "")


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_word_prefix(text):
    literals = tk.token_pieces(text)[1::2]
    assert list(array("q", C.word_prefix(literals))) == list(tk.word_prefix_py(literals))
    assert list(array("i", C.word_prefix(literals, 4))) == list(tk.word_prefix_py(literals))
    with pytest.raises(TypeError):
        C.word_prefix([*literals, ""])
    with pytest.raises(TypeError):
        C.word_prefix(tuple(literals))


def test_mmap_big_blocks_is_set_on_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("an allocator setting of glibc's")
    assert C._mmap_big_blocks(128 * 1024) is True
    assert C._mmap_big_blocks(0) is False  # refused: not a threshold


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("=-+"), st.integers(0, 5)), max_size=40), st.lists(st.integers(0, 40)),
       st.sampled_from("iq"))
def test_regions_of(ops, cuts, typecode):
    """The regions of ops given in pieces, cut anywhere (two equal runs
    where pieces meet are one region), as regions._regions_py makes them."""
    from provenance.diff import regions

    bounds = sorted({0, len(ops), *(c for c in cuts if c <= len(ops))})
    pieces = [ops[x:y] for x, y in zip(bounds, bounds[1:])]
    want = regions._regions_py(iter(pieces), typecode)
    got = regions._regions(iter(pieces), typecode)
    assert list(got) == list(want)
    assert got.a0.typecode == typecode


def test_regions_of_refuses_what_it_cannot_read():
    with pytest.raises(TypeError):
        C.regions_of([[("==", 1)]], 8)
    with pytest.raises(TypeError):
        C.regions_of([[["=", 1]]], 8)
    with pytest.raises(ValueError):
        C.regions_of([[("*", 1)]], 8)
    with pytest.raises(ValueError):
        C.regions_of([[("=", -1)]], 8)
    with pytest.raises(ValueError):
        C.regions_of([[("=", 2**31 - 1), ("-", 1)]], 4)  # past what array("i") holds
    with pytest.raises(ValueError):
        C.regions_of([], 2)
    assert C.regions_of([[("=", 2**31 - 1), ("-", 1)]], 8)[0] == b"\x01\x00"


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["a", "word", " ", "\n", "\r\n", "-", "--", ",", ".", "(", "[", "\u2019", "\u201c",
                                 "\u00ad", "\ufb01", "\u00e9", "\u2010", "\t", "\u2003", "\u00a0", "\x1c", "\U0001f600"]),
                max_size=40).map("".join), st.data())
def test_may_fold(text, data):
    """Where folding may act in each chunk, compiled and Python alike."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    if len(cuts) % 2:
        cuts.pop()
    bounds = array("q", [0, *cuts])
    chunk_list = list(range(len(cuts) // 2))
    got = C.may_fold(text, bounds, chunk_list, folding._TYPOGRAPHY)
    assert got == folding._may_fold_py(text, bounds, chunk_list)


# --- a Coder's codes: literals and keys encoded as the texts are cut ---------

_CODED_WORDS = ["a", "b", "the", "The", "\u00e9", "\u4e2d", "\U0001d400", "\x001", "-", "\u2019"]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_CODED_WORDS), unique=True, max_size=6), st.lists(st.sampled_from(_CODED_WORDS), max_size=40))
def test_encode_with(vocab, keys):
    """A list of keys in a vocabulary's codes, new keys appended to it in
    order of first appearance, compiled and in Python; the codes decode
    back to the keys."""
    keys = keys + ["".join(["th", "e"])]  # equal keys, not one object
    vocab_c, vocab_py = list(vocab), list(vocab)
    got = C.encode_with(keys, vocab_c)
    assert got == cd._encode_with_py(keys, vocab_py) and vocab_c == vocab_py
    assert got == "".join(list(got))  # (of the narrowest kind: equal to one Python makes)
    assert [vocab_c[cd.code_index(ord(c))] for c in got] == keys
    assert vocab_c[:len(vocab)] == vocab and len(set(vocab_c)) == len(vocab_c)


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(_CODED_WORDS), unique=True, min_size=2), st.lists(st.sampled_from(_CODED_WORDS + ["x", "y"])))
def test_encode_with_keys_fewer_than_the_vocabulary(vocab, keys):
    """Keys fewer than the vocabulary (a table of the keys, the vocabulary
    scanned for them): the codes and new keys of a table of both."""
    keys = keys[:len(vocab) - 1]
    vocab_c, vocab_py = list(vocab), list(vocab)
    got = C.encode_with(keys, vocab_c)
    assert got == cd._encode_with_py(keys, vocab_py) and vocab_c == vocab_py
    assert [vocab_c[cd.code_index(ord(c))] for c in got] == keys


def test_encode_with_codes_past_the_surrogates_and_refusals():
    vocab = [f"w{n}" for n in range(70_000)]
    keys = ["new", "w0", "w69999", "w55295", "w55296"]
    vocab_c, vocab_py = list(vocab), list(vocab)
    assert C.encode_with(keys, vocab_c) == cd._encode_with_py(keys, vocab_py)
    assert vocab_c == vocab_py == vocab + ["new"]
    for encode in (C.encode_with, cd._encode_with_py):
        with pytest.raises(ValueError):
            encode(["a"], ["a", "b", "a"])  # (keys fewer than the vocabulary)
        with pytest.raises(ValueError):
            encode(["a", "b", "c", "d"], ["a", "b", "a"])
    with pytest.raises(TypeError):
        C.encode_with(["a"], ["b", 1])
    with pytest.raises(TypeError):
        C.encode_with(["a", 1], [])


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from("ab\u00e9\u4e2d\U0001d400"), min_size=1, max_size=8).map("".join),
       st.lists(st.integers(0, 7), max_size=40))
def test_map_codes(table, places):
    codes = "".join(cd.code_point(k) for k in places if k < len(table))
    got = C.map_codes(codes, table)
    assert got == cd._map_codes_py(codes, table) == "".join(table[cd.code_index(ord(c))] for c in codes)
    assert got == "".join(list(got)) and hash(got) == hash("".join(list(got)))  # the narrowest kind


def test_map_codes_and_flag_prefix_refuse_codes_with_no_place():
    for codes in ("\x00", "\ud800", cd.code_point(3)):
        for call in (lambda: C.map_codes(codes, "abc"), lambda: cd._map_codes_py(codes, "abc"),
                     lambda: C.flag_prefix(codes, b"\x01\x00\x01"), lambda: cd._flag_prefix_py(codes, b"\x01\x00\x01")):
            with pytest.raises(ValueError):
                call()


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=8), st.lists(st.integers(0, 7), max_size=40))
def test_flag_prefix(flags, places):
    flags = bytes(flags)
    codes = "".join(cd.code_point(k) for k in places if k < len(flags))
    expected = cd._flag_prefix_py(codes, flags)
    assert list(array("q", C.flag_prefix(codes, flags))) == expected
    assert list(array("i", C.flag_prefix(codes, flags, 4))) == expected
    assert expected[-1] == sum(flags[cd.code_index(ord(c))] for c in codes)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, chunky_texts), st.data())
def test_sparse_tokens_given_a_vocabulary(text, data):
    """Given a vocabulary, the compiled tokeniser gives the literals as its
    codes (extending it as _sparse_codes_py does) and no word prefix, the
    rest as without one; a run's token is one code in either text."""
    text = text.replace("\x00", "")
    if not tk.is_plain(text):
        text = "".join(c for c in text if not tk._needs_full_re().search(c))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    plan = chunks._plan_from_spans([(a, b) for a, b in zip(cuts[0::2], cuts[1::2])], len(text))
    vocab = data.draw(st.lists(st.sampled_from(["Ab", "c", "x_1", ".", "\x000", "\u00e9t\u00e9", "zz"]), unique=True))
    expected_vocab = list(vocab)
    expected = chunks._sparse_codes_py(text, plan, expected_vocab)
    for mask in (2 ** 64 - 1, 0):  # (0: every token's hash the same: only the characters tell them apart)
        C._set_hash_mask(mask)
        try:
            got_vocab = list(vocab)
            codes, starts, ends, placeholders, prefix = C.sparse_tokens(text, plan, 4, got_vocab)
        finally:
            C._set_hash_mask(2 ** 64 - 1)
        assert (codes, placeholders, got_vocab, prefix) == (expected[0], expected[3], expected_vocab, expected[4])
        assert (list(array("i", starts)), list(array("i", ends))) == expected[1:3]
        assert codes == "".join(list(codes))
    with pytest.raises(ValueError):
        C.sparse_tokens(text, plan, 4, ["a", "a"])
    with pytest.raises(TypeError):
        C.sparse_tokens(text, plan, 4, ("a",))


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=1, max_size=8), st.lists(st.integers(0, 7), max_size=40),
       st.integers(-3, 45), st.integers(-3, 45))
def test_flag_count(flags, places, start, end):
    flags = bytes(flags)
    codes = "".join(cd.code_point(k) for k in places if k < len(flags))
    expected = sum(flags[cd.code_index(ord(c))] for c in codes[max(start, 0):max(end, 0)])
    assert C.flag_count(codes, flags, start, end) == cd._flag_count_py(codes, flags, start, end) == expected
    with pytest.raises(ValueError):
        C.flag_count(codes + "\x00", flags, 0, len(codes) + 1)


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 9), st.lists(st.integers(0, 8), max_size=40))
def test_code_flags(size, places):
    codes = "".join(cd.code_point(k) for k in places if k < size)
    expected = bytes(1 if any(cd.code_index(ord(c)) == k for c in codes) else 0 for k in range(size))
    assert C.code_flags(codes, size) == cd._code_flags_py(codes, size) == expected
    for call in (C.code_flags, cd._code_flags_py):
        with pytest.raises(ValueError):
            call(codes + cd.code_point(size), size)
        with pytest.raises(ValueError):
            call(codes, -1)


@settings(max_examples=600, deadline=None)
@given(edited_pairs(), st.integers(0, 200), st.data())
def test_fold_candidates(pair, min_kept, data):
    """The paired chunks whose folded words can change how the runs grow,
    compiled and Python alike, on texts with typography, line-end hyphens
    and spacing on either side."""
    old, new, (ob, oc, ok), (nb, nc, nk), kept, canons = _typeset_pair(pair, min_kept, data)
    pairs = growth._pairs(kept, len(oc), len(nc))
    got = C.fold_candidates(pairs, old, ob, ok, new, nb, nk, folding._TYPOGRAPHY, growth._nfkc_changes)
    assert got == growth._fold_candidates_py(pairs, *canons)


@settings(max_examples=500, deadline=None)
@given(texts, st.lists(st.one_of(texts, st.sampled_from(PIECES)), max_size=8))
def test_word_filter_and_may_hold(text, words):
    """The compiled word filter is its twin's bitmap, may_hold answers as
    its twin does, and every word of the text may be held (a filter never
    rules out a word its text has)."""
    bits = C.word_filter(text)
    assert bits == lb._word_filter_py(text)
    for word in words + lb._WORD_RUN_RE.findall(text):
        assert C.may_hold(bits, word) == lb._may_hold_py(bits, word)
    assert all(C.may_hold(bits, word) for word in lb._WORD_RUN_RE.findall(text))


def test_word_filter_rules_out_most_absent_words_and_refuses_what_is_not_one():
    import random

    rng = random.Random(2)
    words = ["".join(rng.choice("abcdefghij\u00e9\u4e2d") for _ in range(rng.randint(2, 9))) for _ in range(20000)]
    bits = C.word_filter(" ".join(words[:10000]))
    absent = [w for w in set(words[10000:]) - set(words[:10000])]
    assert sum(C.may_hold(bits, w) for w in absent) < 0.02 * len(absent)
    with pytest.raises(ValueError):
        C.may_hold(b"short", "word")
    with pytest.raises(TypeError):
        C.word_filter(b"bytes")


_CANON_PIECES = ["ab", "Ab", "x1", "-", "--", "\u2010", "\u00ad", " ", "  ", "\n", "\t", "\u00a0", ",", ".", "..", ";",
                 ")", "(", "[", "{", "}", "!", "\u201cq\u201d", "\u2019", "\ufb01x", "\u00a8", "\u2014", "e\u0301",
                 "\u00bd", "\U0001d400", "\ufb03", "\u2033", "\u2026", "\u3000", "\u4e2d", "\u2011", "\ufe58",
                 "\uff0d", "\u00e9", "\u2032", "\u201e", "\u0301", "\u1161", "\uac00", "\u2002"]


def _recording_fold():
    """folding._fold_word, and the list of the pieces it was asked to fold."""
    folds: list[str] = []

    def fold_word(word):
        folds.append(word)
        return folding._fold_word(word)

    return fold_word, folds


def _judged_chunk(text: str, data):
    """Some of text's hyphens judged (joining or not), and a chunk (a, b) of it."""
    hyphens = [i for i, c in enumerate(text) if c in "-\u2010\u00ad"]
    breaks = {i: data.draw(st.booleans()) for i in data.draw(st.lists(st.sampled_from(hyphens), unique=True))} \
        if hyphens else {}
    a = data.draw(st.integers(0, len(text)))
    return breaks, a, data.draw(st.integers(a, len(text)))


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CANON_PIECES + ["a--b", "\u2018x\u2019", "\u00ad", "c-\n", "d\u2010\n"]), max_size=40)
       .map("".join), st.data())
def test_word_table(text, data):
    """A chunk's word table entry, compiled and in Python: None where the
    folded words are the literal ones, else the folded words (each alone,
    or joined across judged hyphens and punctuation written apart) and
    their offsets."""
    breaks, a, b = _judged_chunk(text, data)
    with _pure_python():
        expected = folding._word_table_py(text, a, b, breaks)
    assert C.word_table(text, a, b, breaks, folding._fold_word) == expected
    # given the stable characters, the pieces of them are folded in C, never by fold_word
    fold_word, folds = _recording_fold()
    assert C.word_table(text, a, b, breaks, fold_word, folding._stable_bitmap()) == expected
    assert all(not folding._is_own_nfkc(word) for word in folds)


def test_word_table_refuses_bad_arguments():
    with pytest.raises(TypeError):
        C.word_table("ab", 0, 2, [], folding._fold_word)
    with pytest.raises(TypeError):  # a fold that gives no str, on either path
        C.word_table("\u201cab\u201d", 0, 4, {}, lambda word: None)
    with pytest.raises(TypeError):
        C.word_table("( \u201cab\u201d", 0, 6, {}, lambda word: None)
    with pytest.raises(ZeroDivisionError):  # the fold's own error comes through, on either path
        C.word_table("\u201cab\u201d", 0, 4, {}, lambda word: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        C.canonical_key("( \u201cab\u201d", 0, 6, {}, lambda word: 1 / 0)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CANON_PIECES + ["a--b", "\u2018x\u2019", "\u00ad", "c-\n", "d\u2010\n", "\u00e9t\u00e9"]),
                max_size=40).map("".join), st.data())
def test_canonical_key(text, data):
    """A chunk's folded key, compiled and in Python, and its literal key."""
    breaks, a, b = _judged_chunk(text, data)
    with _pure_python():
        expected = folding._canonical_key_py(text, a, b, breaks)
    assert C.canonical_key(text, a, b, breaks, folding._fold_word) == expected
    fold_word, folds = _recording_fold()
    assert C.canonical_key(text, a, b, breaks, fold_word, folding._stable_bitmap()) == expected
    assert all(not folding._is_own_nfkc(word) for word in folds)
    assert C.whitespace_folded(text, a, b) == folding._whitespace_folded_py(text, a, b) == " ".join(text[a:b].split())
    with pytest.raises(TypeError):
        C.canonical_key(text, a, b, [], folding._fold_word)


@settings(max_examples=300, deadline=None)
@given(edited_pairs(), st.data())
def test_a_chunks_line_end_hyphens_searched_alone_or_picked_from_the_whole_texts(pair, data):
    """_Canon.hyphens gives a chunk's line-end hyphens the same whether it
    searches the chunk or picks them from the whole text's."""
    old = pair[0].replace("a ", data.draw(st.sampled_from(["a-\n", "a\u00ad\n ", "a -\n", "a-  \r\n"])))
    (ob, _, _, ok), _ = tk.chunk_codes(old, old)
    judge = lb.BreakJudge(old, old)
    alone, whole = folding._Canon(old, ob, ok, judge), folding._Canon(old, ob, ok, judge)
    whole._asked = folding.HYPHENS_WHOLE_AFTER
    for k in range(len(ok)):
        a, b = ob[2 * k + 1], ob[2 * k + 2]
        assert whole.hyphens(a, b) == alone.hyphens(a, b)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(texts, chunky_texts), st.one_of(texts, chunky_texts), st.data())
def test_matched_loose(old, new, data):
    """The chunks of one text that the other has too, whose loose key's id
    is wanted, compiled and in Python; and in Python by the keys
    themselves, the same chunks."""
    (old_bounds, old_codes, _, _), (new_bounds, new_codes, _, _) = tk.chunk_codes(old, new)
    keys = [folding._loose(old[old_bounds[2 * k + 1]:old_bounds[2 * k + 2]]) for k in range(len(old_codes))]
    wanted = set(data.draw(st.lists(st.sampled_from(keys), max_size=4))) if keys else set()
    wanted |= set(data.draw(st.lists(st.sampled_from(["", "ab", "x.", "Ab.c."]), max_size=2)))
    wanted_ids = {folding._loose_id_py(key) for key in wanted} | {0, -1, "not an id"}  # (no chunk's: ignored)
    indices, ids = C.matched_loose(old, old_bounds, old_codes, new_codes, folding._stable_bitmap(), wanted_ids)
    got = (indices, list(folding._ids(ids)))
    assert got == folding._matched_loose_ids_py(old, old_bounds, old_codes, new_codes, wanted_ids)
    by_keys = folding._matched_loose_py(old, old_bounds, old_codes, new_codes, wanted)
    assert got == (by_keys[0], [folding._loose_id_py(key) for key in by_keys[1]])
    assert all(new_codes.count(old_codes[k]) and key in wanted_ids for k, key in zip(*got))


def test_matched_loose_finds_a_key_by_all_of_it_not_by_its_first_characters():
    """A loose key's id hashes its first LOOSE_PREFIX characters first (the
    look-up reads no further into a chunk unless they are a wanted key's):
    a chunk whose key starts as a wanted one's and goes on otherwise is not
    found; keys shorter than the prefix, and a ligature spelt across its
    end, are found as they are."""
    text = ("Common sentence number one here. Abcdefg\ufb01ne words in a sentence. Short. "
            "Abcdefgfine words in a sentence. Tail words.")
    (bounds, codes, _, _), _ = tk.chunk_codes(text, text)
    keys = [folding._loose(text[bounds[2 * k + 1]:bounds[2 * k + 2]]) for k in range(len(codes))]
    assert keys[1] == keys[3] == "Abcdefgfinewordsinasentence." and keys[2] == "Short."
    assert keys[1].index("fi") == folding.LOOSE_PREFIX - 1  # (the ligature's letters either side of the prefix's end)
    near_misses = [keys[0][:folding.LOOSE_PREFIX] + "somethingelse", keys[4][:-1]]  # chunks 0 and 4 begin so
    ids = {folding._loose_id_py(key) for key in [keys[1], keys[2], *near_misses]}
    for miss, k in zip(near_misses, (0, 4)):
        assert folding._loose_id_py(miss) >> 32 == folding._loose_id_py(keys[k]) >> 32 != 0
        assert folding._loose_id_py(miss) != folding._loose_id_py(keys[k])
    indices, found = C.matched_loose(text, bounds, codes, codes, folding._stable_bitmap(), ids)
    assert indices == [1, 2, 3] and list(folding._ids(found)) == [folding._loose_id_py(keys[k]) for k in (1, 2, 3)]
    assert (indices, list(folding._ids(found))) == folding._matched_loose_ids_py(text, bounds, codes, codes, ids)


def test_a_chunk_an_edit_repeats_keeps_its_run_whatever_the_typesetting():
    """The new text has a sentence twice: once typeset otherwise (soft
    hyphens) where the old text has it, once plain where an edit put it.
    The plain copy makes the old sentence's code one both texts have, and
    the typeset one must still take it: the runs, and the word diff's
    stretches, are those of the plain pair."""
    from provenance.diff.myers import _engine

    sentences = [f"Sentence number {k} of the text says some{k} words about govern{k}ment." for k in range(30)]
    old = " ".join(sentences)
    edited = sentences[:20] + [sentences[8]] + sentences[20:]  # an edit repeats sentence 8 later
    plain = " ".join(edited)
    typeset = plain.replace("Sentence number 8 of", "Sen\u00adtence num\u00adber 8 of", 1)
    saved = chunks.CHUNK_PASS_MIN_CHUNKS
    chunks.CHUNK_PASS_MIN_CHUNKS = 0
    try:
        plans = [chunks._plan_chunks(old, new, _engine()) for new in (plain, typeset)]
    finally:
        chunks.CHUNK_PASS_MIN_CHUNKS = saved
    runs = [[(a, b) for a, b, run in plan[0] if run is not None] for plan in plans]
    assert runs[1][0][0] == 0 and runs[1][-1][1] == runs[0][-1][1]  # sentence 8 held, not tokenised with its run
    assert sum(b - a for a, b in runs[1]) >= sum(b - a for a, b in runs[0]) - len(sentences[8]) - 2  # and the space after it


def test_a_word_table_keeps_a_folded_word_with_a_space_in_it_one_word():
    """NFKC makes U+00A8 (diaeresis) a space and a combining mark: in the
    table's words joined by spaces it stays one word (a no-break space),
    so there are as many words as offset pairs."""
    old = "First words here. Ab \u00a8 cd ( ef ) gh. Last words here."
    new = "First words here. Ab \u00a8 cd (ef) gx. Last words here."
    (ob, oc, ol, ok), (nb, nc, _, nk) = tk.chunk_codes(old, new)
    judge = lb.BreakJudge(old, new)
    canon = folding._Canon(old, ob, ok, judge)
    [(folded, spans)] = folding.word_tables(canon, [1]).values()
    assert len(folded.split(" ")) == len(spans) // 16 and "\u00a0\u0308" in folded


@st.composite
def equal_runs(draw):
    """Two token lists' literal codes and gap kinds, and an equal run of
    keys in them (a0..a1 old, from b0 new): literals that mostly agree, gap
    kinds drawn from all four, glued ones common (quotes, hyphens)."""
    n = draw(st.integers(0, 40))
    a0, b0 = draw(st.integers(0, 5)), draw(st.integers(0, 5))
    codes = st.sampled_from("ab\u00e9\u4e2d\U0001d400")
    run = draw(st.lists(codes, min_size=n, max_size=n))
    ol = draw(st.lists(codes, min_size=a0, max_size=a0)) + list(run)
    nl = draw(st.lists(codes, min_size=b0, max_size=b0)) + list(run)
    for side in (ol, nl):
        for k in draw(st.lists(st.integers(0, len(side) - 1), max_size=8)) if side else []:
            side[k] = draw(codes)
    kinds = st.sampled_from([tk.GLUED, tk.GLUED, tk.SPACE, tk.SPACE, tk.PARAGRAPH, tk.FURNITURE])
    og = bytes(draw(st.lists(kinds, min_size=len(ol), max_size=len(ol))))
    ng = bytes(draw(st.lists(kinds, min_size=len(nl), max_size=len(nl))))
    return "".join(ol), "".join(nl), og, ng, a0, a0 + n, b0


@settings(max_examples=3000, deadline=None)
@given(equal_runs())
def test_formatting_groups(run):
    """The formatting changes of an equal run: the same groups compiled and
    in Python, from str codes as from lists; each group holds a changed
    token and none overlap."""
    from provenance.diff import build

    ol, nl, og, ng, a0, a1, b0 = run
    got = C.formatting_groups(ol, nl, og, ng, a0, a1, b0, tk.GLUED)
    assert got == build._formatting_groups_py(ol, nl, og, ng, a0, a1, b0)
    assert got == build._formatting_groups_py(list(ol), list(nl), list(og), list(ng), a0, a1, b0)
    assert got == build._formatting_groups(ol, nl, og, ng, a0, a1, b0)
    pairs = list(zip(got[::2], got[1::2]))
    assert all(0 <= i < j <= a1 - a0 for i, j in pairs)
    assert all(j1 <= i2 for (_, j1), (i2, _) in zip(pairs, pairs[1:]))
    changed = [i for i in range(a1 - a0) if ol[a0 + i] != nl[b0 + i] or i and og[a0 + i] != ng[b0 + i]]
    assert all(any(i <= k < j for i, j in pairs) for k in changed)


def test_formatting_groups_refuses_a_run_outside_the_lists():
    with pytest.raises(ValueError):
        C.formatting_groups("ab", "ab", b"\x00\x00", b"\x00\x00", 0, 3, 0, tk.GLUED)
    with pytest.raises(ValueError):
        C.formatting_groups("ab", "a", b"\x00\x00", b"\x00", 0, 2, 0, tk.GLUED)
    with pytest.raises(ValueError):
        C.formatting_groups("ab", "ab", b"\x00", b"\x00\x00", 0, 2, 0, tk.GLUED)
    with pytest.raises(TypeError):
        C.formatting_groups(["a"], "a", b"\x00", b"\x00", 0, 1, 0, tk.GLUED)


@pytest.mark.parametrize("pure", [False, True])
def test_keys_and_literals_of_many_chunks_are_each_chunks_key_and_literal(pure):
    """_Canon.keys_and_literals, which from HYPHENS_WHOLE_AFTER chunks on
    finds the text's line-end hyphens once and skips the chunks with none,
    gives each chunk's key and literal as key() and literal() do, one by
    one on a fresh _Canon, compiled and in Python."""
    import random

    rng = random.Random(8)
    words = ["govern-\nment", "ﬁrst", "“quoted”", "intra-\nPalestinian", "cat", "sat", "e\u0301t\u00e9", "a -- b",
             "word ,", "PAR-\nTICULAR", "\u4e2d\u6587", "x\u00ad\ny"]
    text = " ".join(" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) + "." for _ in range(700))
    (bounds, codes, _, kinds), _ = tk.chunk_codes(text, text)
    ks = sorted(rng.sample(range(len(codes)), folding.HYPHENS_WHOLE_AFTER + 50))
    context = _pure_python() if pure else contextlib.nullcontext()
    with context:
        judge = lb.BreakJudge(text, text)
        many = list(folding._Canon(text, bounds, kinds, judge).keys_and_literals(ks))
        one = folding._Canon(text, bounds, kinds, lb.BreakJudge(text, text))
        assert many == [(one.key(k), one.literal(k)) for k in ks]
        assert sum(key != literal for key, literal in many) > 100  # (folding did act)
