"""The English word list (provenance/wordlist.py) and what it decides: a
line-end hyphen that no text settles, at a legal hyphenation point, is a
layout break when the joined word is English, else a compound."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys

import pytest

from provenance import linebreaks as lb
from provenance import wordlist
from provenance.diff import CONTENT, compare


@pytest.fixture(scope="module")
def parsed() -> dict[str, int]:
    import os

    import spellchecker

    with gzip.open(os.path.join(os.path.dirname(spellchecker.__file__), "resources", "en.json.gz")) as f:
        return json.loads(f.read())


def test_the_list_is_one_sorted_word_per_line(parsed):
    """wordlist.is_word bisects the raw lines: a pyspellchecker release that
    stored its list otherwise must fail here, not give wrong answers."""
    lines = wordlist._raw()[:].split(b"\n")
    assert lines[0] == b"{" and lines[-1] == b"}"
    words = [wordlist._word_at(line, 0)[0] for line in lines[1:-1]]
    assert words == sorted(words) and len(words) == len(parsed) > 100_000
    assert [w.decode() for w in words] == list(parsed)


def test_is_word_agrees_with_the_parsed_list(parsed):
    rng = random.Random(3)
    words = list(parsed)
    present = rng.sample(words, 2000) + [words[0], words[-1]]
    absent = {w + rng.choice("qxz") for w in rng.sample(words, 2000)} | {"", "\u00e0\u00e0\u00e0", "{", "~~~"}
    absent -= set(parsed)
    assert all(wordlist.is_word(w) for w in present)
    assert not any(wordlist.is_word(w) for w in absent)


@pytest.mark.parametrize("compound", ["de-facto", "dramatico-musical", "three-dimensional"])
def test_unattested_compounds_keep_their_hyphen(compound):
    """Deleted, the compound counts the same words whether or not a line
    break follows its hyphen (joined, it would count one)."""
    plain = compare(f"any {compound} object", "any object")
    broken = compare(f"any {compound.replace('-', '-' + chr(10))} object", "any object")
    judge = lb.BreakJudge(f"any {compound} object", "any object")
    assert judge.joins(*compound.split("-"), soft=False) is False
    (p,), (b,) = ([c for c in cmp.changes if c.cls == CONTENT] for cmp in (plain, broken))
    assert b.words_deleted == p.words_deleted == 2


@pytest.mark.parametrize("old,broken", [
    ("permits the relicens-\ning of adaptations", "relicensing"),
    ("the INCI-\nDENTAL costs", "INCIDENTAL"),
    ("for a PAR-\nTICULAR purpose", "PARTICULAR"),
])
def test_unattested_layout_breaks_are_joined(old, broken):
    """Neither text has the word whole: it is deleted as one word."""
    new = old.replace(old[old.rindex(" ", 0, old.index("-\n")) + 1:old.index(" ", old.index("-\n"))], "")
    content = [c for c in compare(old, new).changes if c.cls == CONTENT]
    assert len(content) == 1 and content[0].words_deleted == 1
    assert content[0].old_text.replace("-\n", "") == broken


def test_the_judge_asks_the_list_only_when_no_text_settles_a_break():
    judge = lb.BreakJudge("the de-facto rule", "")
    assert judge.joins("de", "facto", soft=False) is False  # attested hyphenated
    judge = lb.BreakJudge("a defacto rule", "")
    assert judge.joins("de", "facto", soft=False) is True  # attested joined, whatever the list says


def test_the_word_list_is_loaded_only_for_unsettled_breaks():
    code = ("import sys; from provenance.diff import compare; "
            "compare('the govern-\\nment said', 'the government said'); print('spellchecker' in sys.modules); "
            "compare('the de-\\nfacto rule', 'the rule'); print('spellchecker' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_the_list_is_mapped_from_a_copy_in_the_cache_or_else_read_whole(tmp_path, monkeypatch):
    """The decompressed list is kept in the cache directory and mapped (a
    look-up reads only the pages it touches); where no copy can be made,
    the list is read whole, and answers alike."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wordlist.let_go()
    try:
        mapped = wordlist._raw()
        assert not isinstance(mapped, bytes) and list((tmp_path / "cache" / "provenance").glob("wordlist-*.json"))
        assert wordlist.is_word("government") and not wordlist.is_word("governmentx")
        whole = mapped[:]
        wordlist.let_go()
        (tmp_path / "blocked").write_text("")  # a file where the cache directory would be
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
        read = wordlist._raw()
        assert isinstance(read, bytes) and read == whole
        assert wordlist.is_word("government") and not wordlist.is_word("governmentx")
    finally:
        wordlist.let_go()


def test_a_new_copy_of_the_list_replaces_the_copies_of_its_earlier_file(tmp_path, monkeypatch):
    """A reinstalled or upgraded pyspellchecker (same path, another size or
    time) leaves no 2.8 MB copy behind; another install's copy stays."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / "provenance"
    folder.mkdir(parents=True)
    wordlist.let_go()
    try:
        wordlist._raw()
        (current,) = folder.glob("wordlist-*.json")
        where = current.name.split("-")[1]
        stale, other = folder / f"wordlist-{where}-1-2.json", folder / "wordlist-0badc0de-1-2.json"
        for path in (stale, other):
            path.write_bytes(b"{}")
        wordlist.let_go()
        current.unlink()  # as after an upgrade: no copy of the file as it is now
        wordlist._raw()
        assert current.exists() and not stale.exists() and other.exists()
        assert wordlist.is_word("government")
    finally:
        wordlist.let_go()


@pytest.mark.parametrize("gap,across", [
    ("\n\n", True), ("\r\n\r\n", True), ("\n \t\n  ", True), ("\n\u2029", True), ("\r\r", True),
    ("\n", False), ("\r\n", False), ("\n   ", False),
    ("\n\f\n", False),  # a page's end: its last line is broken to fit like any other
])
def test_across_paragraphs_sees_a_blank_line_and_not_a_page_end(gap, across):
    text = f"the Inci-{gap}dental costs"
    (at, end, _), = lb._line_break_hyphens(text, [(0, len(text))])
    assert lb.across_paragraphs(text, at, end) is across


@pytest.mark.parametrize("old,joined", [
    # A glossary's headwords: the dictionary and the word list would join
    # these ("incidental" is English), but a paragraph's last line is not
    # broken to fit.
    ("see Inci-\n\ndental and more", False),
    ("mega-\n\nmegapenny\n\nMEGO", False),
    # Double-spaced lines: the joined word occurs in a text, so it joins.
    ("the govern-\n\nment said", True),
])
def test_across_a_blank_line_only_attestation_joins(old, joined):
    new = "the government said" if "govern" in old else "nothing like it"
    judge = lb.BreakJudge(old, new)
    side_breaks = lb._line_break_hyphens(old, [(0, len(old))])
    (at, end, soft), = side_breaks
    left = old[old.rindex(" ", 0, at) + 1 if " " in old[:at] else 0:at]
    right = old[end:].split()[0]
    assert judge.joins(left, right, soft, lb.across_paragraphs(old, at, end)) is joined
    if not joined:  # within a paragraph the same halves are decided by the dictionary and the list
        assert judge.joins(left, right, soft) is (left.lower() + right.lower() != "megamegapenny")


def test_a_break_across_a_blank_line_is_compared_as_the_judge_says():
    """Through compare(): joined where attested (formatting only), kept
    as two words where not, the same in the chunk pass and the tokens."""
    filler = " ".join(f"Sentence number {i} says nothing new." for i in range(60))
    attested = compare(f"{filler}\n\nthe govern-\n\nment said so.\n\n{filler}",
                       f"{filler}\n\nthe government said so.\n\n{filler}")
    assert not [c for c in attested.changes if c.cls == CONTENT]
    for gap, words in (("\n\n", 2), ("\n", 1)):  # (within a paragraph the word list joins it: one word)
        glossary = compare(f"{filler}\n\nInci-{gap}dental\n\n{filler}", f"{filler}\n\nAccidental\n\n{filler}")
        (change,) = [c for c in glossary.changes if c.cls == CONTENT]
        assert change.words_deleted == words and change.new_text == "Accidental"
