"""Huge lines with no sentence end (issue #13 item 4): the chunk pass cuts
them into pieces its words choose, so only the pieces around the edits are
tokenised, and the comparison is the one the whole-text path gives.  And the
speed fixes that must not change a result: drop_spans with many runs of marks,
the sample's window found where whitespace drifted."""

from __future__ import annotations

import bisect
import random

import pytest

from provenance import tokens as tk
from provenance.diff import chunks, compare

from test_diff import assert_lossless, compare_both_ways

WORDS = [f"w{k}" for k in range(3000)] + ["caf\u00e9", "na\u00efve", "\u201cquoted\u201d", "it's", "twenty-one"]


def one_line(n_words: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(WORDS) for _ in range(n_words)]


def edited(words: list[str], rate: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for w in words:
        r = rng.random()
        if r < rate / 3:
            out.append(rng.choice(WORDS))
        elif r < 2 * rate / 3:
            out += [w, rng.choice(WORDS)]
        elif r >= rate:
            out.append(w)
    return out


def wrapped(words: list[str], width: int) -> str:
    lines, line = [], []
    for w in words:
        if line and sum(map(len, line)) + len(line) + len(w) > width:
            lines.append(" ".join(line))
            line = []
        line.append(w)
    return "\n".join(lines + [" ".join(line)])


def tokenised_share(plan, length: int) -> float:
    return sum(e - s for s, e, run in plan if run is None) / length


def test_a_huge_line_without_sentence_ends_is_cut_for_the_chunk_pass():
    words = one_line(60_000, seed=1)  # some 350 KB on one line, no sentence end
    old = " ".join(words)
    new = wrapped(edited(words, 0.005, seed=2), 80)  # a few edits, and re-wrapped
    (_, codes, lengths, _), _ = tk.chunk_codes(old, new)
    assert len(codes) == 1 and lengths[0] > chunks.LONG_CHUNK_CHARS  # one chunk: the pathology
    plan = chunks._plan_chunks(old, new, None)
    assert plan is not None  # the pass runs, on pieces
    # Only the pieces around the edits are tokenised (as one chunk, all of it was).
    assert tokenised_share(plan[0], len(old)) < 0.25 and tokenised_share(plan[1], len(new)) < 0.25
    cmp = compare(old, new)
    assert_lossless(cmp)
    assert (cmp.old_words, cmp.new_words) == (tk.count_words(old), tk.count_words(new))
    whole, _ = compare_both_ways(old, new)
    assert [(c.cls, c.old_text, c.new_text) for c in cmp.changes] == \
        [(c.cls, c.old_text, c.new_text) for c in whole.changes]


def test_a_long_chunk_among_sentences_is_cut_and_the_rest_kept():
    sentences = [" ".join(one_line(12, seed=k)) + "." for k in range(400)]
    long_line = " ".join(one_line(15_000, seed=99))  # a table or word list of 90 KB in the middle
    old = " ".join(sentences[:200]) + "\n\n" + long_line + "\n\n" + " ".join(sentences[200:])
    new = old.replace(long_line, " ".join(edited(long_line.split(), 0.002, seed=5)))
    old_chunks, new_chunks = chunks._split_long_chunks(old, new, *tk.chunk_codes(old, new))
    for text, (bounds, codes, lengths, kinds) in ((old, old_chunks), (new, new_chunks)):
        assert len(bounds) == 2 * len(codes) + 1 == 2 * len(lengths) + 1 and len(kinds) == len(codes)
        assert bounds[-1] == len(text) and max(lengths) < chunks.LONG_CHUNK_CHARS
        pieces = [text[bounds[2 * k + 1]:bounds[2 * k + 2]] for k in range(len(codes))]
        assert [len(" ".join(p.split())) for p in pieces] == list(lengths)
        assert " ".join(" ".join(pieces).split()) == " ".join(text.split())  # nothing lost, cut at whitespace only
    # The sentences keep their codes, equal on both sides; most pieces of the long line are found unchanged.
    assert old_chunks[1][:200] == new_chunks[1][:200]
    shared = set(old_chunks[1]) & set(new_chunks[1])
    assert sum(c in shared for c in old_chunks[1][200:-200]) > 0.8 * (len(old_chunks[1]) - 400)
    whole, chunked = compare_both_ways(old, new)
    assert [(c.cls, c.old_text, c.new_text) for c in whole.changes] == \
        [(c.cls, c.old_text, c.new_text) for c in chunked.changes]


@pytest.mark.parametrize("window", [97, 1000, 256 * 1024])
def test_cut_points_depend_on_the_words_only(window, monkeypatch):
    """The cuts are the same whatever window the text is read in, and an
    edit moves no cut but its own: the words before each cut are the same
    in both texts away from the edits."""
    words = one_line(20_000, seed=3)
    text = " ".join(words)
    reference = list(chunks._cut_points(text, 0, len(text)))
    monkeypatch.setattr(chunks, "_CUT_WINDOW", window)
    assert list(chunks._cut_points(text, 0, len(text))) == reference
    assert 20_000 / 32 < len(reference) < 20_000 / 8  # about one word in 16
    other = wrapped(words[:5000] + ["INSERTED"] + words[5000:], 70)
    def cut_words(t):
        return [t[:s].rsplit(None, 1)[-1] + "@" + str(len(t[:s].split())) for s, _ in chunks._cut_points(t, 0, len(t))]
    before, after = cut_words(text), cut_words(other)
    shifted = [w.split("@")[0] + "@" + str(int(w.split("@")[1]) - 1) if int(w.split("@")[1]) > 5001 else w for w in after]
    assert set(before) ^ set(shifted) <= {w for w in set(before) ^ set(shifted) if w.startswith("INSERTED")}


def test_drop_spans_with_many_runs_gives_what_one_run_at_a_time_gives(monkeypatch):
    """drop_spans copies the kept stretches once when marks come in many
    runs; the token lists are the same as deleting run by run."""
    rng = random.Random(4)
    lines = [" ".join(rng.choice(["\u2022", "|", "alpha", "beta", "gamma,", "delta."]) for _ in range(8)) for _ in range(300)]
    text = "\n".join(lines)
    from provenance.furniture import comparison_marks

    def dropped(limit):
        monkeypatch.setattr(tk, "_DROP_IN_PLACE_RUNS", limit)
        toks = tk.tokenize(text, tk.make_keyer())
        words = tk.drop_spans(toks, comparison_marks(text))
        return words, toks.literals, toks.gaps, toks.keys, list(toks.starts), list(toks.ends), toks.__dict__.get("_furniture_gaps")

    in_place, copied = dropped(10**9), dropped(0)
    assert in_place == copied and len(in_place[1]) < len(tk.tokenize(text, tk.make_keyer()).literals)


def _dropped_reference(side, spans):
    """drop_spans as it was written first, a token at a time: which tokens
    go (their indices) and how many of them are words."""
    drop = []
    for s, e in spans:
        i = bisect.bisect_left(side.starts, s)
        while i < len(side.starts) and side.ends[i] <= e:
            if i not in side.placeholders:
                drop.append(i)
            i += 1
    return sorted(set(drop))


@pytest.mark.parametrize("coded", [False, True])
def test_drop_spans_drops_the_tokens_inside_the_spans_but_placeholders(coded):
    """drop_spans finds each span's tokens by two binary searches, less any
    placeholder among them: the tokens that go, the words counted, the
    placeholders' new places and the kept lists are those of a token-by-
    token look (sparse lists, with placeholders; spans that cut tokens,
    hold several, or none)."""
    from provenance import codes as cd

    rng = random.Random(12)
    for _ in range(300):
        text = " ".join(rng.choice(["alpha", "beta,", "\u2022", "3", "|", "gamma.", "de-\nlta", "\f"])
                        for _ in range(rng.randint(0, 30)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randint(0, 3))))
        plan = chunks._plan_from_spans([(a, b) for a, b in zip(cuts[0::2], cuts[1::2])], len(text))
        plan = [(a, b, run) for a, b, run in plan if run is None or text[a:b].strip()]  # (a run holds a word)
        if not plan or [p[:2] for p in plan] != sorted(p[:2] for p in plan):
            continue

        def fresh():
            keyer = tk.make_keyer()
            return chunks._sparse_tokens(text, plan, keyer, True, cd.Coder(keyer) if coded else None)

        side = fresh()
        points = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, 2 * rng.randint(0, 5))))
        spans = [(a, b) for a, b in zip(points[0::2], points[1::2])]
        drop = _dropped_reference(side, spans)
        literal = [side.literal(i) for i in range(len(side.starts))]
        words = sum(tk.is_word(literal[i]) for i in drop)
        kept = [i for i in range(len(side.starts)) if i not in set(drop)]
        placeholders = {kept.index(k) for k in side.placeholders}
        assert tk.drop_spans(side, spans) == words
        assert [side.literal(i) for i in range(len(side.starts))] == [literal[i] for i in kept]
        assert side.placeholders == placeholders and len(side.literals) == len(kept)
        if drop:  # (dropping nothing leaves the lists as they were)
            assert list(side.gaps) == [text[(side.ends[i - 1] if i else 0):side.starts[i]] for i in range(len(side.starts))]


def test_the_sample_finds_its_window_where_whitespace_drifted():
    """An old text whose first half is indented and wrapped narrowly
    (whitespace dense) against the same words re-wrapped wide: further on,
    the same relative place of the new text is far from the old window's
    words, and the pass still pays."""
    rng = random.Random(6)
    sentences = [" ".join(rng.choice(WORDS[:2000]) for _ in range(14)) + "." for _ in range(9000)]
    words = " ".join(sentences).split()
    half = len(words) // 2
    rest = wrapped(words[half:], 120)
    old = "\n".join("            " + line for line in wrapped(words[:half], 40).split("\n")) + "\n\n" + rest
    new = wrapped(words[:half], 120) + "\n\n" + rest
    assert len(old) > 1.1 * len(new)
    assert chunks._chunk_pass_pays(old, new)
    at = int(0.6 * len(old))  # in the wide half, laid out as in the new text
    same_place = at * len(new) // len(old)
    true_place = new.index(old[at:at + 8192])
    assert abs(true_place - same_place) > 20_000  # more than the window reaches
    assert chunks._sample_drift(old[at:at + 8192], new, same_place) == true_place - same_place


def test_a_long_text_compared_whole_gets_the_tokens_tokenize_gives():
    """Without the chunk pass a long plain text is cut by the chunk pass's
    compiled tokeniser as one stretch: the same tokens as tokenize."""
    from provenance.diff import pipeline

    text = wrapped(one_line(50_000, seed=8), 72) + "\n\n  \u201cEnd,\u201d she said\u2026 (twenty-one)\n"
    assert len(text) > tk._RECENT_MAX_CHARS
    keyer = tk.make_keyer()
    whole, reference = pipeline._whole_tokens(text, keyer, tk.is_plain(text)), tk.tokenize(text, keyer, compact=True)
    assert whole.literals == reference.literals and whole.gaps == reference.gaps and whole.keys == reference.keys
    assert list(whole.starts) == list(reference.starts) and list(whole.ends) == list(reference.ends)
    assert list(whole.word_prefix()) == list(reference.word_prefix()) and not whole.placeholders


def _edges_reference(text, start, end):
    """furniture._edges as it was: every line of the page split out."""
    import re

    from provenance.furniture import _EDGE_LINES

    line_re = re.compile(r"[^\n\f]*")  # (the pattern _edges used)
    lines = [(m.start(), m.end()) for m in line_re.finditer(text, start, end) if text[m.start():m.end()].strip()]
    top = lines[:_EDGE_LINES]
    return top, [span for span in lines[-_EDGE_LINES:] if span not in top]


def paged_texts(seed: int, pages: int = 40):
    rng = random.Random(seed)
    lines = ["", " ", "\t", "Running head", "12", "- 3 -", "iv", "Page 3 of 9", "Methods ........ 7", "Lavrov, 3, 17-19",
             "Smith, 12", "alpha, beta, 1990", "text with words", "a\r", "x, 4-5 ", "  Index, 2, 3", "\u2022 item, 2",
             "Kyiv, 4\r", "Oslo, \u0663", "Rome, 2\u2013", "Lima,7", "Bern, 2, x", ", 5", "Nice, 3\fOsaka, 4", "12, 5 \t"]
    for _ in range(20):
        yield "\f".join("\n".join(rng.choice(lines) for _ in range(rng.randrange(0, 9))) for _ in range(pages)) + rng.choice(["", "\f", "\n"])


def test_page_edges_and_index_lines_are_what_the_whole_scan_found():
    from provenance import furniture

    for text in paged_texts(9):
        for start, end in furniture.pages(text):
            assert furniture._edges(text, start, end) == _edges_reference(text, start, end)
        assert [(m.span(), m.span(1)) for m in furniture._index_lines(text)] == \
            [(m.span(), m.span(1)) for m in furniture._INDEX_LINE_RE.finditer(text)]
