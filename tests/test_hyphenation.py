"""The hyphenation dictionary's cache on disk (provenance/hyphenation.py) and
the order in which BreakJudge asks for its evidence."""

import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance import hyphenation
from provenance import linebreaks as lb

WORDS = ["particular", "incidental", "government", "hyphenation", "yayaba", "picopig", "nanonanoacre",
         "macromacrology", "examining", "international", "a", "", "supercalifragilistic"]

# Prints the dictionary's points of WORDS (argv[1:]) in a fresh interpreter,
# then whether pyphen parsed the pattern file itself.
PROBE = """
import sys
import pyphen
parsed = []
original = pyphen.HyphDict.__init__
def spy(self, path):
    parsed.append(path)
    original(self, path)
pyphen.HyphDict.__init__ = spy
from provenance import hyphenation
print([sorted(hyphenation.points(w)) for w in sys.argv[1:]])
print(bool(parsed))
"""


def probe(cache_home, words=WORDS):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run([sys.executable, "-c", PROBE, *words], capture_output=True, text=True, env=env, check=True)
    points, parsed = out.stdout.splitlines()
    return points, parsed == "True"


def pyphen_points(words=WORDS):
    import pyphen

    fresh = pyphen.Pyphen(lang=hyphenation.LANGUAGE, cache=False)
    return str([sorted(fresh.positions(w)) for w in words])


def cache_file(cache_home):
    files = list((cache_home / "provenance").glob("hyphenation-*"))
    assert len(files) == 1, files
    return files[0]


def test_the_first_process_parses_and_caches_and_the_next_reads_the_cache(tmp_path):
    first, parsed = probe(tmp_path)
    assert parsed and first == pyphen_points()
    assert cache_file(tmp_path).stat().st_size > 0
    second, parsed = probe(tmp_path)
    assert not parsed and second == first
    assert not [p for p in (tmp_path / "provenance").iterdir() if p.name.endswith(".tmp")]


def uncached_dictionary(monkeypatch, cache_home):
    """hyphenation.dictionary() as a new process runs it (nothing loaded
    yet), with its cache under cache_home; and whether pyphen parsed the
    pattern file."""
    import pyphen

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    monkeypatch.setattr(pyphen, "hdcache", {})
    parsed = []
    original = pyphen.HyphDict.__init__

    def spy(self, path):
        parsed.append(path)
        original(self, path)

    monkeypatch.setattr(pyphen.HyphDict, "__init__", spy)
    dictionary = hyphenation.dictionary.__wrapped__()
    return str([sorted(dictionary.positions(w)) for w in WORDS]), bool(parsed)


@pytest.mark.parametrize("damage", [b"", b"not marshal at all", "truncate", "other stamp", "other shape"])
def test_a_corrupt_or_stale_cache_is_ignored_and_made_again(tmp_path, monkeypatch, damage):
    import marshal

    assert uncached_dictionary(monkeypatch, tmp_path) == (pyphen_points(), True)
    path = cache_file(tmp_path)
    assert uncached_dictionary(monkeypatch, tmp_path) == (pyphen_points(), False)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "other stamp":
        stamp, patterns, maxlen = marshal.loads(path.read_bytes())
        path.write_bytes(marshal.dumps(((stamp[0], "0.0", *stamp[2:]), {"xx": (0, (1,))}, maxlen)))
    elif damage == "other shape":
        path.write_bytes(marshal.dumps([1, 2, 3]))
    else:
        path.write_bytes(damage)
    assert uncached_dictionary(monkeypatch, tmp_path) == (pyphen_points(), True)
    assert uncached_dictionary(monkeypatch, tmp_path) == (pyphen_points(), False)  # made again, whole


def test_two_installs_keep_a_cache_each(tmp_path, monkeypatch):
    """Two copies of the dictionary (two virtual environments): each has its
    cache file, so using them in turn parses neither again."""
    import shutil

    import pyphen

    name = pyphen.language_fallback(hyphenation.LANGUAGE)
    path = pyphen.LANGUAGES[name]
    copy = tmp_path / "other-install" / path.name
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    cache_home = tmp_path / "cache"
    installs = {"first": path, "second": copy}

    def use(install):
        monkeypatch.setitem(pyphen.LANGUAGES, name, installs[install])
        return uncached_dictionary(monkeypatch, cache_home)

    assert use("first") == (pyphen_points(), True)
    assert use("second") == (pyphen_points(), True)
    assert use("first") == (pyphen_points(), False)
    assert use("second") == (pyphen_points(), False)
    assert len(list((cache_home / "provenance").glob("hyphenation-*"))) == 2


def test_an_unwritable_cache_directory_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would go")
    assert uncached_dictionary(monkeypatch, blocker) == (pyphen_points(), True)
    assert uncached_dictionary(monkeypatch, blocker) == (pyphen_points(), True)
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


BREAKS = [("PART", "ICULAR"), ("Inci", "dental"), ("govern", "ment"), ("high", "level"), ("intra", "Palestinian"),
          ("YA", "YABA"), ("pico", "pig"), ("macro", "macrology"), ("exa", "examining"), ("de", "facto"),
          ("on", "line"), ("inter", "national"), ("mega", "megapenny"), ("NP", "NSA"), ("Lavrov", "Zarif"),
          ("hyphen", "ation"), ("well", "known"), ("re", "wrap")]
TEXT = ("A high level meeting on line, with macro and macrology and the macro-macrology; de facto. "
        "an online pico pig, pico pico pico pico, mega. The intra-Palestinian talks were well known.\n"
        "the hyphen-\nation of a word; the macro-\nmacrology; the pico-\npig, and the mega-\nmegapenny.\n")


@pytest.mark.parametrize("left,right", BREAKS)
def test_the_dictionary_first_or_last_gives_the_same_decision(monkeypatch, left, right):
    """BreakJudge asks the dictionary before the word counts for long texts
    (or once it is loaded), after them otherwise: the same answers."""
    monkeypatch.setattr(hyphenation, "loaded", lambda: False)
    monkeypatch.setattr(lb, "DICTIONARY_FIRST_MIN_CHARS", 10 ** 9)
    counts_first = lb.BreakJudge(TEXT, TEXT.upper())
    assert not counts_first._dictionary_first
    monkeypatch.setattr(lb, "DICTIONARY_FIRST_MIN_CHARS", 0)
    dictionary_first = lb.BreakJudge(TEXT, TEXT.upper())
    assert dictionary_first._dictionary_first
    assert counts_first.joins(left, right, False) == dictionary_first.joins(left, right, False)


def _broken_wrap(words: list[str], width: int, rng) -> str:
    """words wrapped at width, a long word reaching the line end broken with
    a hyphen at a random place."""
    lines, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            if len(word) >= 6 and rng.random() < 0.7:
                cut = rng.randrange(2, len(word) - 2)
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
                continue
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line]) + "\n"


def test_attestation_searched_outside_the_unchanged_runs_finds_what_a_whole_search_finds(monkeypatch):
    """Once the chunk plan is known, the judge searches the old text and
    only the new text's stretches between unchanged runs: every answer is
    the one a search of both whole texts gives."""
    import random
    from pathlib import Path

    from provenance.diff import compare

    corpus = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus"
    original = lb.BreakJudge._attested
    asked = {"narrowed": 0}

    def checked(self, word, near=None):
        got = original(self, word, near)
        if self._lexicon is None:
            assert got == any(lb._occurs(text, word) for text in self.texts), word
            asked["narrowed"] += self._new_outside_runs is not None
        return got

    monkeypatch.setattr(lb.BreakJudge, "_attested", checked)
    # (Both sides broken at line ends: most of the new text is outside the
    # runs, where the judge would search it whole; joined here, to test that.)
    monkeypatch.setattr(lb, "OUTSIDE_RUNS_JOINED_UNDER", 1.1)
    for name in ("legal_software_licences.txt", "technical_gnu_diffutils_manual.txt"):
        rng = random.Random(name)
        words = (corpus / name).read_text(encoding="utf-8").split()[:12000]
        edited = [rng.choice(words) if rng.random() < 0.01 else w for w in words]
        compare(_broken_wrap(words, 64, rng), _broken_wrap(edited, 50, rng))
        compare(_broken_wrap(edited, 72, rng), _broken_wrap(words, 40, rng))
    assert asked["narrowed"] > 20


def test_dictionaries_let_go_of_load_again_and_answer_alike():
    """linebreaks.let_go_of_dictionaries (the CLI's diff, once its joins are
    made) forgets the dictionary and the word list; asked again, they load
    anew and answer as before."""
    from provenance import hyphenation, linebreaks, wordlist

    points, known = hyphenation.points("government"), wordlist.is_word("government")
    assert hyphenation.loaded() and wordlist._raw.cache_info().currsize
    linebreaks.let_go_of_dictionaries()
    assert not hyphenation.loaded() and not wordlist._raw.cache_info().currsize
    assert hyphenation.points("government") == points and wordlist.is_word("government") == known


def test_letting_go_imports_nothing_that_was_not_loaded():
    """A comparison that asked neither (most) does not import the word list
    (and gzip) only to let go of it."""
    code = ("import sys; from provenance import linebreaks; linebreaks.let_go_of_dictionaries(); "
            "print('provenance.wordlist' in sys.modules, 'pyphen' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_the_word_filters_change_no_decision(monkeypatch):
    """With the texts' word filters (made for long texts: forced here, and
    waited for) the judge decides every line-end hyphen as it does
    searching the texts: the same comparison, on pairs set with layout and compound
    breaks, glossary headwords before blank lines and words edited; and the
    filter did rule words out (or this would test nothing)."""
    import random
    from pathlib import Path

    from provenance import tokens as tk
    from provenance.diff import chunks, compare
    from provenance.render import render_json

    if tk._speedups is None:
        pytest.skip("the word filter is compiled only (without it the judge searches)")

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        import transforms as tf
    finally:
        sys.path.remove(str(root / "benchmarks"))
    corpus = sorted((root / "benchmarks" / "corpus").glob("*.txt"))
    monkeypatch.setattr(chunks, "CHUNK_PASS_MIN_CHUNKS", 0)
    ruled_out = []
    may_hold = lb._WordFilters.may_hold

    def spy(self, k, word):
        self._thread.join()  # (the judge never waits for them: here it does, so that they are used)
        ruled_out.append(not may_hold(self, k, word))
        return not ruled_out[-1]

    rng = random.Random(8)
    for n in range(12):
        paragraphs, _ = tf.parse(corpus[n % len(corpus)].read_text(encoding="utf-8")[:12000])
        headwords = [[f"{w[:4]}-"] for w in rng.sample(sorted(tf.lexicon_of(paragraphs)), 6)]  # "nano-" / "nanoacre"
        paragraphs = [p for p in paragraphs if p] + headwords
        edited, _ = tf.apply_edits(paragraphs, rng, 40, min_gap=1)
        lexicon = tf.lexicon_of(paragraphs) | tf.lexicon_of(edited)
        # Breaks in the new text's changed stretches of words that the
        # unchanged runs hold whole: only the old text's search finds them.
        old = tf.render(paragraphs, rng.choice(["layout-hyphens", "hyphenated", "pdf", "wrap72"]), rng, lexicon).text
        new = tf.render(edited, rng.choice(["layout-hyphens", "hyphenated", "pdf"]), rng, lexicon).text
        with monkeypatch.context() as m:
            m.setattr(lb, "WORD_FILTER_MIN_CHARS", 0)
            m.setattr(lb._WordFilters, "may_hold", spy)
            with_filter = render_json(compare(old, new))
        assert render_json(compare(old, new)) == with_filter  # (short texts: no filter)
    assert sum(ruled_out) > 10


def test_the_word_filters_are_started_where_a_sample_shows_line_end_hyphens_else_by_the_first_search(monkeypatch):
    """The chunk pass starts the filters when a sample of either text shows a
    hyphen at a line end (8 windows: a text with one in every 27 KB is
    seen); for a text without any it starts none, and the judge's first
    search of a long old text starts one (never waited for)."""
    from provenance import tokens as tk

    if tk._speedups is None:
        pytest.skip("the word filter is compiled only")
    monkeypatch.setattr(lb, "WORD_FILTER_MIN_CHARS", 1000)
    prose = "".join(f"word{n} and more words here to fill a line\n" for n in range(20000))  # some 860 KB
    hyphenated = prose.replace("more\n", "more govern-\nment\n").replace("fill a line\nword1", "fill a line-\nword1", 30)
    assert prose.count("-\n") == 0 and 25 <= hyphenated.count("-\n") <= 40  # one in some 27 KB
    assert lb._has_line_end_hyphen(hyphenated) and not lb._has_line_end_hyphen(prose)
    judge = lb.BreakJudge(hyphenated, prose)
    judge.start_word_filters()
    assert judge._filters is not None
    quiet = lb.BreakJudge(prose, prose)
    quiet.start_word_filters()
    assert quiet._filters is None
    assert quiet._attested("word17") and quiet._filters is not None  # the first search starts them
    quiet._filters._thread.join()
    assert not quiet._attested("wordwhichisnot") and quiet._attested("word19999")
    assert [quiet._filters.may_hold(k, "wordwhichisnot") for k in (0, 1)] == [False, False]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["govern", "ment", "government", "governments", "x", " ", "\n", "-", "_"]), max_size=60)
       .map("".join), st.sampled_from(["government", "ment", "x"]), st.integers(-10, 400))
def test_a_word_looked_for_near_a_place_first_is_found_wherever_it_is(text, word, near):
    """Searching around the likely place first (a break's joined word) gives
    the answer of a search of the whole text, wherever the word is."""
    from provenance import linebreaks as lb

    saved = lb.NEAR_CHARS
    lb.NEAR_CHARS = 8  # a small window, so the word is often outside it
    try:
        assert lb._occurs(text, word, near) == lb._occurs(text, word) == \
            any(m.group() == word for m in re.finditer(r"\w+", text))
    finally:
        lb.NEAR_CHARS = saved


def test_a_break_far_from_its_joined_word_is_still_attested():
    from provenance import linebreaks as lb

    filler = "plain words here and there " * 4000
    old = "The government said so. " + filler
    new = filler + "The govern-\nment said so."
    judge = lb.BreakJudge(old, new)
    at = new.index("govern-") + len("govern")
    assert judge.joins("govern", "ment", False, False, (new, at))
    assert lb.BreakJudge(old, new).joins("govern", "ment", False, False, None)


@pytest.mark.parametrize("joined_under", [0.0, 0.5, 1.1])
def test_attestation_outside_the_unchanged_runs_is_that_of_the_whole_texts(monkeypatch, joined_under):
    """Told the new text's stretches outside its unchanged runs, the judge
    searches those joined, or the whole new text where they are most of it
    (OUTSIDE_RUNS_JOINED_UNDER): either way the answer of a judge that
    searches both texts whole."""
    import random

    from provenance import linebreaks as lb

    monkeypatch.setattr(lb, "OUTSIDE_RUNS_JOINED_UNDER", joined_under)
    rng = random.Random(5)
    words = ["govern", "ment", "government", "the", "cat", "sat", "mat", "intra", "palestinian", "x"]
    for _ in range(200):
        runs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 5))]
        old_parts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))) for _ in runs]
        new_parts = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 4))) for _ in runs]
        old, new, ranges = "", "", []
        for run, o, n in zip(runs, old_parts, new_parts):
            old += o + " " + run + " "
            start = len(new)
            new += n + " "
            ranges.append((start, len(new)))
            new += run + " "
        told, whole = lb.BreakJudge(old, new), lb.BreakJudge(old, new)
        told.know_unchanged_runs(ranges)
        for word in words + ["governmen", "sa", "catsat"]:
            assert told._attested(word) == whole._attested(word), (old, new, ranges, word)
